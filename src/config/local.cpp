// lake::local::open: the local default as a configuration (the embedded
// engine, Delta tables, files under a directory), opened by the one
// composition root, lake::open(Config).
#include "lake/local.hpp"

#include <cstdlib>

#include "lake/config.hpp"

namespace lake::local {

std::filesystem::path default_data_dir() {
  if (const char* dir = std::getenv("LAKE_DATA_DIR"); dir != nullptr && *dir != '\0') return dir;
  return "lake-data";
}

Result<Client> open(std::filesystem::path data_dir, ClientOptions options, TableFormat format) {
  Config config;
  config.storage = StorageKind::file;
  config.root = std::move(data_dir);
  config.engine_kind = EngineKind::duckdb;
  config.format = format;
  config.client = std::move(options);
  return lake::open(config);
}

Result<Client> open(std::filesystem::path data_dir, ClientOptions options, const IcebergCatalog& catalog) {
  Config config;
  config.storage = StorageKind::file;
  config.root = std::move(data_dir);
  config.engine_kind = EngineKind::duckdb;
  config.format = TableFormat::iceberg;
  config.iceberg_catalog = catalog;
  config.client = std::move(options);
  return lake::open(config);
}

}  // namespace lake::local

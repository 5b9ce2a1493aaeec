// Which table format a suite built once runs on (CTest runs it again with
// LAKE_TEST_TABLE_FORMAT=iceberg, and for Iceberg with
// LAKE_TEST_ICEBERG_CATALOG=sql to keep the tables in a SQLite catalog, or
// =rest for the run's REST catalog service),
// and where an Iceberg table on disk has its current metadata file, for
// peers that read a table by that path.
#pragma once

#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <format>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <lake/client.hpp>
#include <lake/dialect.hpp>
#include <lake/iceberg_catalog.hpp>
#include <lake/local.hpp>

#include "support/iceberg_rest.hpp"

namespace lake::testing {

// True when the run is on Iceberg tables; Delta otherwise.
inline bool on_iceberg() {
  const char* format = std::getenv("LAKE_TEST_TABLE_FORMAT");
  return format && std::string_view(format) == "iceberg";
}

// True when the run's Iceberg tables are in a SQL catalog.
inline bool on_sql_catalog() {
  const char* catalog = std::getenv("LAKE_TEST_ICEBERG_CATALOG");
  return on_iceberg() && catalog && std::string_view(catalog) == "sql";
}

// True when the run's Iceberg tables are in the run's REST catalog service.
inline bool on_rest_catalog() {
  const char* catalog = std::getenv("LAKE_TEST_ICEBERG_CATALOG");
  return on_iceberg() && catalog && std::string_view(catalog) == "rest";
}

// The catalog of the run's Iceberg tables under `dir` (a SQL catalog's
// file is dir/catalog.db, shared by every client of the directory; on the
// one REST service, each directory's tables get a namespace of their own,
// the same for every process that opens the directory).
inline lake::IcebergCatalog test_iceberg_catalog(const std::filesystem::path& dir) {
  if (on_rest_catalog())
    return {.kind = lake::IcebergCatalogKind::rest,
            .uri = iceberg_rest_uri(),
            .default_namespace = std::format("t{}", std::hash<std::string>{}(dir.string()))};
  if (!on_sql_catalog()) return {};
  return {.kind = lake::IcebergCatalogKind::sql, .uri = (dir / "catalog.db").string()};
}

// The run's dialect for tables under `dir`.
inline std::shared_ptr<const lake::Dialect> test_dialect(const std::filesystem::path& dir) {
  if (!on_iceberg()) return lake::delta_dialect();
  return on_sql_catalog() || on_rest_catalog() ? lake::iceberg_dialect(test_iceberg_catalog(dir)) : lake::iceberg_dialect();
}

// lake::local::open on the run's format (and catalog).
inline lake::Result<lake::Client> open_local(const std::filesystem::path& dir, lake::ClientOptions options = {}) {
  if (on_sql_catalog() || on_rest_catalog()) return lake::local::open(dir, std::move(options), test_iceberg_catalog(dir));
  return lake::local::open(dir, std::move(options), on_iceberg() ? lake::TableFormat::iceberg : lake::TableFormat::delta);
}

// The newest metadata/v<N>.metadata.json of a file-system Iceberg table
// (empty when it has none).
inline std::filesystem::path newest_metadata_file(const std::filesystem::path& table) {
  std::filesystem::path newest;
  int highest = -1;
  for (const auto& entry : std::filesystem::directory_iterator(table / "metadata")) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with("v") || !name.ends_with(".metadata.json")) continue;
    if (const int version = std::stoi(name.substr(1)); version > highest) highest = version, newest = entry.path();
  }
  return newest;
}

// The metadata file a SQLite catalog names current for `table` (any
// namespace), read with SQLite itself rather than through lake-orm; empty
// when it has none.
inline std::filesystem::path catalog_metadata_file(const std::filesystem::path& catalog_file, std::string_view table) {
  sqlite3* db = nullptr;
  std::filesystem::path found;
  if (sqlite3_open_v2(catalog_file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT metadata_location FROM iceberg_tables WHERE table_name = ?1", -1, &stmt,
                           nullptr) == SQLITE_OK) {
      sqlite3_bind_text(stmt, 1, table.data(), static_cast<int>(table.size()), SQLITE_TRANSIENT);
      if (sqlite3_step(stmt) == SQLITE_ROW) {
        std::string location = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
        if (location.starts_with("file://")) location.erase(0, 7);
        found = location;
      }
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close_v2(db);
  return found;
}

// The newest <NNNNN>-<id>.metadata.json a catalog service wrote for the
// table in `table_dir` (it numbers them one after the other).
inline std::filesystem::path newest_numbered_metadata_file(const std::filesystem::path& table_dir) {
  std::filesystem::path newest;
  for (const auto& entry : std::filesystem::directory_iterator(table_dir / "metadata")) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 6 && name[5] == '-' && name.ends_with(".metadata.json") &&
        (newest.empty() || name > newest.filename().string()))
      newest = entry.path();
  }
  return newest;
}

// The current metadata file of the run's Iceberg table `table` under `dir`.
inline std::filesystem::path current_metadata_file(const std::filesystem::path& dir, std::string_view table) {
  if (on_sql_catalog()) return catalog_metadata_file(dir / "catalog.db", table);
  if (on_rest_catalog()) return newest_numbered_metadata_file(dir / table);
  return newest_metadata_file(dir / table);
}

}  // namespace lake::testing

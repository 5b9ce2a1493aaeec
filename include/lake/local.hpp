// The one-call local default: the embedded DuckDB driver, the Delta (or
// Iceberg) dialect and a file backend under a directory (created if
// missing).
//
//   auto db = lake::local::open("data").value();   // tables under ./data/<table>/
//   auto ice = lake::local::open("data", {}, lake::TableFormat::iceberg).value();
//
// With no directory: $LAKE_DATA_DIR when set, else ./lake-data. The
// tables are ordinary Delta tables (Spark, delta-rs and DuckDB read them),
// or Iceberg tables by path (metadata/v<N>.metadata.json and
// version-hint.text, as Hadoop tables: Spark, pyiceberg and DuckDB's
// iceberg_scan read them).
#pragma once

#include <filesystem>

#include "lake/client.hpp"
#include "lake/iceberg_catalog.hpp"
#include "lake/table_format.hpp"

namespace lake::local {

[[nodiscard]] Result<Client> open(std::filesystem::path data_dir = {}, ClientOptions options = {},
                                  TableFormat format = TableFormat::delta);
// Iceberg tables under the directory, registered in `catalog` (e.g. a
// SQLite catalog file shared with pyiceberg).
[[nodiscard]] Result<Client> open(std::filesystem::path data_dir, ClientOptions options, const IcebergCatalog& catalog);

// The directory open() uses when given none.
[[nodiscard]] std::filesystem::path default_data_dir();

}  // namespace lake::local

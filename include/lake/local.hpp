// The one-call local default: the embedded DuckDB driver, the Delta
// dialect and a file backend under a directory (created if missing).
//
//   auto db = lake::local::open("data").value();   // tables under ./data/<table>/
//
// With no directory: $LAKE_DATA_DIR when set, else ./lake-data. The
// tables are ordinary Delta tables: Spark, delta-rs and DuckDB read them.
#pragma once

#include <filesystem>

#include "lake/client.hpp"

namespace lake::local {

[[nodiscard]] Result<Client> open(std::filesystem::path data_dir = {}, ClientOptions options = {});

// The directory open() uses when given none.
[[nodiscard]] std::filesystem::path default_data_dir();

}  // namespace lake::local

// The embedded engine: DuckDB, in process, running SQL over the tables of
// any format that has a native implementation (the dialect's), through the
// table-format contract.
//
// Table names in SQL resolve, at every statement's bind, to the current
// snapshot of the client's table of that name ("users", or "users@v3" /
// "users@2026-11-21T10:00:00Z" for time travel); DuckDB never lists a
// directory. Scans push projection down (only the columns a query uses
// are read) and use the statement's filters to skip whole files by
// partition values and statistics before any file is opened; DuckDB
// evaluates every filter itself, so a filter the skipping cannot use costs
// speed, never correctness. Results stream as Arrow batches.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "lake/driver.hpp"

namespace lake::duckdb {

struct EngineOptions {
  int threads = 0;              // DuckDB worker threads; 0: one per core
  std::string memory_limit{};   // e.g. "2GB"; empty: DuckDB's default (80% of RAM)
  std::int64_t scan_batch_rows = 64 * 1024;
  // Connections in use at once (each open result holds one); a query
  // beyond this waits until a result is released.
  int max_connections = 8;
};

// The embedded driver for lake::Client: this engine for SQL, the dialect's
// native format implementation for every write, tables resolved through
// the client's backend. A dialect without a native implementation is
// ErrorCode::unsupported at Client::open. The client's session_pool_size
// becomes the engine's max_connections.
[[nodiscard]] std::shared_ptr<Driver> driver(EngineOptions options = {});

}  // namespace lake::duckdb

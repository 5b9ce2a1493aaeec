// The embedded SQL engine: DuckDB, in process, over native Delta tables.
//
// Table names in SQL resolve, at every statement's bind, to the current
// snapshot of the Delta table a TableResolver names; DuckDB never lists a
// directory. Scans push projection down (only the columns a query uses
// are read) and use the statement's filters to skip whole files by Delta
// partition values and stats before any file is opened; DuckDB still
// evaluates every filter itself, so a filter the skipping cannot use costs
// speed, never correctness. Results stream as Arrow batches.
#pragma once

#include <arrow/record_batch.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "lake/delta/table.hpp"
#include "lake/driver.hpp"
#include "lake/error.hpp"
#include "lake/sql.hpp"

namespace lake::duckdb {

// The Delta table a name in SQL refers to, read at its current version, or
// nullopt when there is none by that name (DuckDB then looks in its own
// catalog and reports an unknown table). Called at each statement's bind,
// possibly from several threads at once.
using TableResolver = std::function<Result<std::optional<delta::Table>>(std::string_view name)>;

struct EngineOptions {
  int threads = 0;              // DuckDB worker threads; 0: one per core
  std::string memory_limit{};   // e.g. "2GB"; empty: DuckDB's default (80% of RAM)
  std::int64_t scan_batch_rows = 64 * 1024;
  // Connections in use at once (each open result holds one); a query
  // beyond this waits until a result is released.
  int max_connections = 8;
};

// What the scans of one engine did, for tests and metrics.
struct ScanCounters {
  std::int64_t scans = 0;          // table scans started
  std::int64_t files_scanned = 0;  // data files the scans read
  std::int64_t files_skipped = 0;  // data files skipping ruled out
};

class Engine {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Engine>> open(TableResolver resolver, EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Runs a query and streams its rows. The reader holds one of the
  // engine's connections (and keeps the database alive) until it is
  // destroyed; destroying it early stops the query and releases
  // everything. Parameters bind to `?` in order, as typed values.
  [[nodiscard]] Result<std::shared_ptr<arrow::RecordBatchReader>> query(std::string_view sql,
                                                                        std::span<const SqlValue> params = {});
  // Runs a statement that returns no rows of interest; the number of rows
  // it changed when DuckDB reports one, else 0.
  [[nodiscard]] Result<std::int64_t> exec(std::string_view sql, std::span<const SqlValue> params = {});
  // A trivial round trip through the engine.
  [[nodiscard]] Status ping();

  [[nodiscard]] ScanCounters counters() const;

 private:
  struct State;
  explicit Engine(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

// The embedded driver for lake::Client: this engine for SQL, lake-orm's
// own Delta implementation for writes, tables resolved through the
// client's backend. It serves the Delta dialect only. The client's
// session_pool_size becomes the engine's max_connections.
[[nodiscard]] std::shared_ptr<Driver> driver(EngineOptions options = {});

}  // namespace lake::duckdb

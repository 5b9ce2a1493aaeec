// The embedded SQL engine (DuckDB in process) as the embedded driver and
// tests use it: a database, a pool of connections, and a replacement scan
// that resolves each table name at bind time through a TableResolver.
// Internal to the DuckDB driver.
#pragma once

#include <arrow/record_batch.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>

#include "formats/table_format.hpp"
#include "lake/driver.hpp"
#include "lake/drivers/duckdb.hpp"
#include "lake/error.hpp"
#include "lake/sql.hpp"

namespace lake::duckdb {

// The table a name in SQL refers to, a handle at the snapshot the
// statement reads, or null when there is none by that name (DuckDB then
// looks in its own catalog and reports an unknown table). Called at each
// statement's bind, possibly from several threads at once.
using TableResolver = std::function<Result<std::unique_ptr<formats::FormatTable>>(std::string_view name)>;

// What the scans of one engine did, for tests and metrics.
struct ScanCounters {
  std::int64_t scans = 0;          // table scans started
  std::int64_t files_scanned = 0;  // data files the scans read
  std::int64_t files_skipped = 0;  // data files skipping ruled out
};

class EngineSession;

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
  // One of the pool's connections, held by the caller (see EngineSession).
  // Waits while all are in use.
  [[nodiscard]] Result<std::shared_ptr<EngineSession>> session();
  // A trivial round trip through the engine.
  [[nodiscard]] Status ping();

  [[nodiscard]] ScanCounters counters() const;

 private:
  struct State;
  explicit Engine(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

// One connection held for a caller (the driver's sessions): its statements
// run on it in turn and share its temporary views and settings. A query's
// reader borrows the connection until it is read to the end or destroyed;
// DuckDB runs one result per connection, so a statement issued while a
// result is still out is ErrorCode::invalid_argument rather than a silent
// end of that result. The connection goes back to the pool when the
// session and its last reader are gone.
class EngineSession final : public DriverSession, public std::enable_shared_from_this<EngineSession> {
 public:
  struct Slot;
  explicit EngineSession(std::shared_ptr<Slot> slot) : slot_(std::move(slot)) {}

  [[nodiscard]] Result<std::shared_ptr<arrow::RecordBatchReader>> query(std::string_view sql,
                                                                        std::span<const SqlValue> params) override;
  [[nodiscard]] Result<std::int64_t> exec(std::string_view sql, std::span<const SqlValue> params) override;
  [[nodiscard]] Result<std::shared_ptr<arrow::Schema>> result_schema(std::string_view sql,
                                                                     std::span<const SqlValue> params) override;

 private:
  std::shared_ptr<Slot> slot_;
};

}  // namespace lake::duckdb

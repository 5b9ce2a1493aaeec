// The engine contract. A Driver runs SQL (reads, the exec escape hatch)
// and executes the write plans the Client builds; a Finalizer closes a
// write's two phases. The Client composes a Driver with a Dialect (the
// table format: Delta, Iceberg) and a Backend (where the bytes live):
//
//   auto db = lake::Client::open(lake::duckdb::driver(), lake::delta_dialect(),
//                                lake::file_backend("/data/lake").value());
//
// Implementations: lake::duckdb::driver() (embedded: DuckDB in process,
// tables written by lake-orm's own Delta implementation) and
// lake::spark::driver("sc://...") (a Spark cluster through Spark Connect).
#pragma once

#include <arrow/compute/expression.h>
#include <arrow/record_batch.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lake/error.hpp"
#include "lake/row_changes.hpp"
#include "lake/progress.hpp"
#include "lake/ingest_id.hpp"
#include "lake/maintenance.hpp"
#include "lake/schema/schema.hpp"
#include "lake/sql.hpp"
#include "lake/storage/backend.hpp"
#include "lake/types.hpp"

namespace lake {

class Dialect;

// A table as the Client addresses it: its name in SQL and the backend key
// of its root ("users", or "<catalog>/<database>/users").
struct TableRef {
  std::string name;
  std::string location;
};

// Which way an insert's rows travel (seed: ViaGRPC / ViaObjectStorage).
enum class WritePath {
  automatic,       // direct below the fast-path threshold, staged above it
  direct,          // one in-memory Arrow batch set, one commit
  object_storage,  // ZSTD Parquet parts under _staging/<ingest id>/, then one commit; an
                   // engine that writes the table's files itself (the embedded one) takes
                   // an insert's rows as they come instead: its parts are the table's
                   // own data files, encoded once (Driver::streams_rows)
};
[[nodiscard]] std::string_view to_string(WritePath path) noexcept;

// Staged rows: Parquet parts a client wrote under one staging prefix.
struct StagingRef {
  std::string prefix;              // "_staging/<ingest id>/"
  std::vector<std::string> parts;  // their keys, in write order
  std::string location;            // the prefix as a URI, for engines that read it themselves
};

// What a merge does with source rows whose key is in the table, and with
// those whose key is not.
enum class OnMatch { update, remove, skip, fail };
enum class OnNoMatch { insert, skip };

enum class PlanKind {
  append,        // rows (or staging) appended
  merge,         // rows (or staging) merged on keys
  delete_where,  // rows matching predicate removed
  replace_where,  // rows matching predicate replaced by rows (each matching it)
};

// A retry-safety token: a write carrying a key the table recorded less
// than ttl ago is skipped as a duplicate.
struct IdempotencyKey {
  std::string key;
  std::chrono::seconds ttl{std::chrono::hours(24)};
};

struct WritePlan {
  PlanKind kind = PlanKind::append;
  TableRef table;
  IngestId ingest_id;
  // The rows of an append or merge: in memory, or staged (then `rows` is
  // null). Rows have the table's columns, _ingest_id included.
  std::shared_ptr<arrow::RecordBatchReader> rows;
  std::optional<StagingRef> staging;
  // merge
  std::vector<std::string> keys;
  OnMatch on_match = OnMatch::update;
  OnNoMatch on_no_match = OnNoMatch::insert;
  // merge: only source rows for which it is true take part.
  std::optional<arrow::compute::Expression> source_filter;
  // delete_where, replace_where
  std::optional<arrow::compute::Expression> predicate;
  std::optional<IdempotencyKey> idempotency;
};

// What a Client write did, whichever engine and format (a native Delta
// table's own commits report a delta::CommitResult).
struct WriteResult {
  IngestId ingest_id;
  WritePath path = WritePath::direct;
  std::int64_t version = -1;  // the table version the write committed (or found)
  bool committed = false;
  bool skipped_as_duplicate = false;  // its idempotency key was already applied
  std::int64_t rows_inserted = 0;
  std::int64_t rows_updated = 0;
  std::int64_t rows_deleted = 0;
  std::int64_t bytes_staged = 0;
  int attempts = 0;  // commit attempts (more than 1: it lost races and retried)
};

// The commit phase of a two-phase write (seed: Finalizer). commit() is
// idempotent once it has succeeded; abort() after a successful commit is
// ErrorCode::already_committed. Destroying a Finalizer that was neither
// committed nor aborted aborts it, so an error path cannot leak staging.
class Finalizer {
 public:
  virtual ~Finalizer() = default;
  [[nodiscard]] virtual Result<WriteResult> commit() = 0;
  [[nodiscard]] virtual Status abort() = 0;
};

struct Execution {
  std::unique_ptr<Finalizer> finalizer;
};

// A table as the engine sees it now.
struct TableInfo {
  TableRef table;
  std::string format;  // "delta"
  std::int64_t version = -1;
  std::vector<Field> columns;  // _ingest_id included; member names empty
  std::vector<std::string> partition_columns;
  std::map<std::string, std::string> properties;
};

// How a write that loses commit races to concurrent writers is retried:
// at most max_attempts commit attempts in all (a keyed write that runs
// again after a winner wrote one of its keys counts each of its
// attempts), each lost race followed by a pause drawn uniformly from
// [0, min(max_backoff, initial_backoff * 2^(losses-1))], so writers that
// collided spread out. Only running out of attempts reaches the caller
// (ErrorCode::conflict).
// The defaults carry 8 replicas writing one table as fast as they can (the
// most attempts one write took there was about 20).
struct WriteRetryPolicy {
  int max_attempts = 64;
  std::chrono::milliseconds initial_backoff{5};
  std::chrono::milliseconds max_backoff{500};
};

// What a driver is attached to: the storage and table format the client
// uses, where unqualified table names live, and how many engine sessions
// may be in use at once.
struct DriverContext {
  std::shared_ptr<Backend> backend;
  std::shared_ptr<const Dialect> dialect;
  std::function<std::string(std::string_view table)> location_of;
  int session_pool_size = 8;
  // The client's default catalog and database (empty when unset): engines
  // with a catalog of their own (Spark) resolve unqualified names there.
  std::string default_catalog{};
  std::string default_database{};
  WriteRetryPolicy write_retry{};
  RowChanges row_changes = RowChanges::automatic;
  // Threads the engine's own Parquet writers encode a row group on (a
  // count, at least 1: ClientOptions::writer_threads resolved).
  int writer_threads = 1;
};

// One of the engine's sessions, held by its caller (lake::Session) rather
// than borrowed per statement: its statements run one after another on the
// same engine session and share its state (temporary views, settings).
// Results read from it keep it alive; it goes back to the engine's pool
// when the last of them and the session itself are gone. Not thread-safe:
// one caller at a time, like a database connection.
class DriverSession {
 public:
  virtual ~DriverSession() = default;
  [[nodiscard]] virtual Result<std::shared_ptr<arrow::RecordBatchReader>> query(std::string_view sql,
                                                                                std::span<const SqlValue> params) = 0;
  [[nodiscard]] virtual Result<std::int64_t> exec(std::string_view sql, std::span<const SqlValue> params) = 0;
  // The columns the query returns, without running it.
  [[nodiscard]] virtual Result<std::shared_ptr<arrow::Schema>> result_schema(std::string_view sql,
                                                                             std::span<const SqlValue> params) = 0;
};

class Driver {
 public:
  virtual ~Driver() = default;
  [[nodiscard]] virtual std::string_view name() const noexcept = 0;

  // Called once, by Client::open, before anything else.
  [[nodiscard]] virtual Status attach(DriverContext context) = 0;

  // Reads: a streaming result holding whatever it needs until destroyed.
  [[nodiscard]] virtual Result<std::shared_ptr<arrow::RecordBatchReader>> query(std::string_view sql,
                                                                                std::span<const SqlValue> params) = 0;
  // Statements that return no rows of interest; rows changed, else 0.
  [[nodiscard]] virtual Result<std::int64_t> exec(std::string_view sql, std::span<const SqlValue> params) = 0;
  // A session of the engine's pool for the caller to hold (it counts
  // against ClientOptions::session_pool_size); waits while all are in use.
  [[nodiscard]] virtual Result<std::shared_ptr<DriverSession>> open_session() = 0;
  // The engine's own plan of a query, serialized, for engines whose plans
  // live outside the process (Spark: a spark.connect.Relation holding the
  // SQL and its bound values); ErrorCode::unsupported for the others.
  [[nodiscard]] virtual Result<std::string> native_plan(std::string_view sql, std::span<const SqlValue> params) = 0;
  // `name` quoted as an identifier in the engine's SQL, whatever
  // characters it holds.
  [[nodiscard]] virtual std::string quote_identifier(std::string_view name) const = 0;

  // Writes: runs the plan's first phase and returns its finalizer.
  [[nodiscard]] virtual Result<Execution> execute(WritePlan plan) = 0;
  // Whether execute() reads a plan's `rows` as a stream, writing the
  // table's files as they arrive (and removing them if it fails), so that
  // a large insert can run execute() on another thread and hand it rows
  // as it makes them, instead of staging them first. Engines that take a
  // plan's rows whole (Spark, which is sent them) do not.
  [[nodiscard]] virtual bool streams_rows() const noexcept { return false; }
  // Reads staged parts the way a staged write does (verify()'s engine leg).
  [[nodiscard]] virtual Result<std::shared_ptr<arrow::RecordBatchReader>> read_staging(const StagingRef& staging) = 0;

  // Creates the table when absent; when present, already_exists unless its
  // columns and partitioning are the schema's (then nothing happens).
  [[nodiscard]] virtual Status create_table(const TableRef& table, const Schema& schema,
                                            const std::map<std::string, std::string>& properties) = 0;
  // Changes the table as a migration's statements say (the ALTER TABLE and
  // REPLACE TABLE statements lake/migrate.hpp's files hold, each naming
  // `table`), in order. An engine with the format's own implementation
  // (embedded) applies them in one commit or none; a SQL engine (Spark)
  // runs them one by one. A statement outside that subset, or one the
  // format's evolution rules refuse, is a typed error naming it.
  [[nodiscard]] virtual Status alter_table(const TableRef& table, std::span<const std::string> statements) = 0;
  // Removes the table and its files; a table that is not there is nothing
  // to do.
  [[nodiscard]] virtual Status drop_table(const TableRef& table) = 0;
  // The live table, nullopt when there is none.
  [[nodiscard]] virtual Result<std::optional<TableInfo>> describe(const TableRef& table) = 0;
  [[nodiscard]] virtual Result<TableStats> stats(const TableRef& table) = 0;
  [[nodiscard]] virtual Result<std::vector<HistoryEntry>> history(const TableRef& table,
                                                                  std::optional<std::size_t> limit) = 0;
  [[nodiscard]] virtual Result<OptimizeReport> optimize(const TableRef& table, const OptimizeOptions& options) = 0;
  [[nodiscard]] virtual Result<VacuumReport> vacuum(const TableRef& table, const VacuumOptions& options) = 0;

  [[nodiscard]] virtual Status ping() = 0;
  // Releases the engine; afterwards every call is ErrorCode::closed.
  [[nodiscard]] virtual Status close() = 0;
};

}  // namespace lake

// The second face of the table-format contract: a format as an engine that
// implements it itself drives it through SQL (Spark, with Delta's or
// Iceberg's extensions; Databricks speaks the same). The engine runs the
// statements and owns the session; the format says what to run and reads
// what its tables record: their metadata (Delta's log directly, Iceberg's
// through the engine's metadata tables, as only the catalog knows an
// Iceberg table's current metadata), the session settings that tag a
// write with its ingest id and idempotency key, what a write landed, and
// its maintenance statements. The Spark driver asks its dialect for one
// and never learns which format it serves.
#pragma once

#include <arrow/table.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lake/driver.hpp"
#include "lake/error.hpp"
#include "lake/ingest_id.hpp"
#include "lake/schema/schema.hpp"
#include "lake/sql.hpp"
#include "lake/storage/backend.hpp"

namespace lake::formats {

// A statement with its `?` values, bound by the engine.
struct SqlStatement {
  std::string sql;
  std::vector<SqlValue> params{};
};

using SqlSettings = std::vector<std::pair<std::string, std::string>>;

// One engine session, lent to the format for a call.
class SqlSession {
 public:
  virtual ~SqlSession() = default;
  // Runs a statement; its rows, whole (metadata and command outputs are small).
  [[nodiscard]] virtual Result<std::shared_ptr<arrow::Table>> run(const SqlStatement& statement) = 0;
  // The schema a query would return, without running it. ErrorCode::
  // not_found when a table it names does not exist.
  [[nodiscard]] virtual Result<std::shared_ptr<arrow::Schema>> schema_of(std::string_view query) = 0;
  // Runs a statement with session settings that are removed afterwards.
  [[nodiscard]] virtual Result<std::shared_ptr<arrow::Table>> run_with(const SqlStatement& statement,
                                                                       const SqlSettings& settings) = 0;
};

// A table as both sides know it.
struct SqlTable {
  TableRef ref;                      // its name in SQL and its backend location
  std::string uri;                   // the location as the engine names it (s3a://...)
  std::string catalog;               // the client's default catalog, "" for the engine's
  std::string database;              // the client's default database, "" for the engine's
  std::shared_ptr<Backend> backend;  // where its files are
};

// What a write needs before its statement runs.
struct WriteRecords {
  std::vector<std::string> columns;               // the table's, in order (an INSERT's column list)
  std::map<std::string, std::string> properties;  // the table's (its recorded keys)
  SqlSettings settings;                           // set for the write's statement only
  // The write's idempotency key was applied within its TTL (at this
  // snapshot): the write runs nothing.
  std::optional<std::int64_t> duplicate_at{};
};

// What a write's statement landed, as the format recorded it.
struct LandedWrite {
  bool committed = false;            // a commit tagged with the write's ingest id exists
  bool skipped_as_duplicate = false;  // none, because the format dropped it as a retry already applied
  std::int64_t version = -1;         // its snapshot, else the table's current one
  std::int64_t rows_appended = -1;   // rows an append added, as recorded; -1 unknown
  std::int64_t rows_deleted = -1;    // rows a delete removed, as recorded; -1 unknown
};

class SqlFormat {
 public:
  virtual ~SqlFormat() = default;

  // The client settings this format needs from the engine (Iceberg: its
  // tables live in a named catalog). ErrorCode::invalid_argument names
  // what is missing.
  [[nodiscard]] virtual Status check(std::string_view catalog, std::string_view database) const = 0;
  // Settings each new session gets before it touches the catalog.
  [[nodiscard]] virtual SqlSettings session_settings(std::string_view catalog) const = 0;

  // The live table; nullopt when there is none.
  [[nodiscard]] virtual Result<std::optional<TableInfo>> describe(SqlSession& session, const SqlTable& table) const = 0;
  [[nodiscard]] virtual Result<TableStats> stats(SqlSession& session, const SqlTable& table) const = 0;
  [[nodiscard]] virtual Result<std::vector<HistoryEntry>> history(SqlSession& session, const SqlTable& table,
                                                                  std::optional<std::size_t> limit) const = 0;

  // The statement that makes the table (CREATE TABLE IF NOT EXISTS), or,
  // when `existing` describes a table already there, the one that makes
  // the engine's catalog know it (none when it does already).
  [[nodiscard]] virtual Result<std::optional<SqlStatement>> create_statement(
      const SqlTable& table, const Schema& schema, const std::map<std::string, std::string>& properties,
      const std::optional<TableInfo>& existing) const = 0;
  // After the create statement: the table the engine's catalog now has
  // under the name, if it is at this table's location (nullopt: none, or
  // the catalog holds one elsewhere).
  [[nodiscard]] virtual Result<std::optional<TableInfo>> created(SqlSession& session, const SqlTable& table) const = 0;

  [[nodiscard]] virtual Result<WriteRecords> prepare_write(SqlSession& session, const SqlTable& table,
                                                           const IngestId& ingest_id,
                                                           const std::optional<IdempotencyKey>& idempotency) const = 0;
  // Whether MERGE and DELETE report their row counts in their output
  // (else the engine counts a merge's rows before it runs, and a delete's
  // come from LandedWrite::rows_deleted).
  [[nodiscard]] virtual bool statements_report_counts() const = 0;
  // Whether an engine error that carries no error class of its own (the
  // engine's exception class, its message) is this format refusing a
  // commit that lost to a concurrent one, with nothing committed: then
  // the engine runs the statement again. Errors with a class the engine
  // already types as conflicts need not be recognised here.
  [[nodiscard]] virtual bool lost_commit_race(std::string_view exception, std::string_view message) const = 0;
  [[nodiscard]] virtual Result<LandedWrite> landed(SqlSession& session, const SqlTable& table,
                                                   const IngestId& ingest_id,
                                                   const std::optional<IdempotencyKey>& idempotency) const = 0;

  // Rewrites the table in new (identity) partitioning with `properties`,
  // every row and every column kept as it is, NOT NULL included: what a
  // migration's REPLACE TABLE ... AS SELECT * FROM itself asks, which the
  // engine's own REPLACE ... AS SELECT does not quite do (Spark's Delta
  // makes such a table's columns nullable). ErrorCode::unsupported for a
  // format that evolves partitioning in place.
  [[nodiscard]] virtual Status repartition(SqlSession& session, const SqlTable& table,
                                           const std::vector<std::string>& partition_columns,
                                           const std::map<std::string, std::string>& properties) const = 0;
  [[nodiscard]] virtual Result<OptimizeReport> optimize(SqlSession& session, const SqlTable& table,
                                                        const OptimizeOptions& options) const = 0;
  [[nodiscard]] virtual Result<VacuumReport> vacuum(SqlSession& session, const SqlTable& table,
                                                    const VacuumOptions& options) const = 0;
};

}  // namespace lake::formats

// The table-format contract: everything that differs between Delta Lake
// and Apache Iceberg goes through these two interfaces, so an engine (the
// embedded DuckDB driver, a Spark driver reading metadata) never knows
// which format it serves. README.md in this folder maps each Delta and
// Iceberg concept onto it.
//
//   NativeFormat our own implementation of a format, stateless: opens and
//                creates tables (sql_format.hpp's SqlFormat is the other
//                kind: a format an engine such as Spark implements). Where a table's current metadata is (Delta: the newest
//                entry of _delta_log/; Iceberg: a catalog's pointer to a
//                metadata file, which may be a file, a SQL row or a REST
//                server) is the format's business, fixed when the format
//                object is built, so callers only name a table.
//   FormatTable  a handle at one snapshot of one table. Reads (metadata,
//                files, scans, time travel, history, stats) see that
//                snapshot; writes are two-phase (prepare(), then
//                PreparedCommit::commit() or abort()) and commit
//                optimistically on top of the latest snapshot with the
//                format's own conflict rules. Not thread-safe: one handle
//                per thread; clone() is cheap.
//
// Results are the client's own types (TableStats, HistoryEntry,
// OptimizeReport, ...), so a driver passes them through unchanged.
#pragma once

#include <arrow/compute/expression.h>
#include <arrow/record_batch.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "lake/driver.hpp"
#include "lake/error.hpp"
#include "lake/ingest_id.hpp"
#include "lake/schema/schema.hpp"
#include "lake/storage/backend.hpp"
#include "lake/types.hpp"
#include "formats/table_change.hpp"

namespace lake::formats {

using Predicate = arrow::compute::Expression;

// One state of a table. Delta numbers its states 0, 1, 2...: id and
// sequence number are both the version. Iceberg names a snapshot by a
// random 64-bit id and orders snapshots by their sequence number.
struct SnapshotId {
  std::int64_t id = -1;
  std::int64_t sequence_number = -1;
  timestamp committed_at{};
};

// How a partition value derives from a column (Iceberg's transforms;
// Delta partitions by identity only).
enum class Transform { identity, bucket, truncate, year, month, day, hour, void_ };
[[nodiscard]] std::string_view to_string(Transform transform) noexcept;

struct PartitionField {
  std::string source_column;
  Transform transform = Transform::identity;
  std::int32_t param = 0;  // bucket count, truncate width; 0 otherwise
};
// How a partition field is shown (TableInfo, TableStats): the column for
// identity, else the transform applied to it as Spark's DESCRIBE shows
// Iceberg's: "bucket(8, visitor)", "truncate(4, page)", "days(ts)".
[[nodiscard]] std::string partition_label(const PartitionField& field);

// A column as the format records it: the declared field, and where the
// format tracks columns by id or by a physical name (Iceberg field ids,
// Delta column mapping), those.
struct Column {
  Field field;
  std::optional<std::int32_t> field_id{};
  std::string physical_name{};  // empty: the column's name
};

// What a snapshot says about its table.
struct TableMetadata {
  std::string format;  // "delta", "iceberg" (for TableInfo and messages)
  SnapshotId snapshot;
  std::vector<Column> columns;  // _ingest_id included
  std::vector<PartitionField> partitioning;
  std::map<std::string, std::string> properties;
};

// One live data file as a scan reads it: the file and the deletes applied
// to it (Delta's deletion vector, Iceberg's delete files). Its statistics
// stay inside the format, which uses them in plan_scan() and in the
// key-collision check (write_keys.hpp).
struct DataFile {
  std::string path;       // as the format records it (relative to the table, or a URI)
  std::string deletes{};  // identity of the deletes applied to it; empty: none
  std::int64_t size_bytes = 0;
};

// The files of one snapshot a scan must read: those whose partition
// values and statistics may hold a row the predicate keeps.
struct ScanPlan {
  std::vector<DataFile> files;
  std::int64_t files_total = 0;  // live files in the snapshot (skipped = total - files.size())
};

struct ScanOptions {
  std::vector<std::string> columns{};  // empty: every column, in table order
  std::int64_t batch_rows = 64 * 1024;
  // Rows for which it is true (NULL counts as false). Unset when the
  // caller filters rows itself (a SQL engine does): the predicate then
  // only skipped files, in plan_scan(), and is evaluated once.
  std::optional<Predicate> row_filter{};
  // Files decoded at once (formats/read_ahead.hpp); the rows come in the
  // same order whatever the number.
  int threads = 1;
};

// Which snapshot to read (time travel): by id (Delta: a version) or the
// latest committed at or before a moment.
using SnapshotSelector = std::variant<std::int64_t, timestamp>;

// What a write records besides its rows: the ingest id (Delta: commitInfo.
// userMetadata; Iceberg: the snapshot summary's lake.ingest_id) and an
// idempotency key (Delta: a txn action; Iceberg: the summary's
// lake.idempotency_key), so whoever wrote the table, a retry is found.
struct CommitOptions {
  IngestId ingest_id;
  std::optional<IdempotencyKey> idempotency{};
};

// The row changes a format commits. Every change is prepared (data files
// written, nothing visible) and then committed or aborted.
struct Append {
  std::shared_ptr<arrow::RecordBatchReader> rows;
};
struct Merge {
  std::shared_ptr<arrow::RecordBatchReader> rows;
  std::vector<std::string> keys;  // empty: the table's recorded merge (else primary) keys
  OnMatch on_match = OnMatch::update;
  OnNoMatch on_no_match = OnNoMatch::insert;
};
struct DeleteWhere {
  Predicate predicate;
};
struct UpdateWhere {
  Predicate predicate;
  std::map<std::string, arrow::compute::Expression> assignments;
};
// Overwrite by filter: the rows for which predicate is true are replaced
// by `rows` (each of which must satisfy it), atomically.
struct ReplaceWhere {
  Predicate predicate;
  std::shared_ptr<arrow::RecordBatchReader> rows;
};
using RowChange = std::variant<Append, Merge, DeleteWhere, UpdateWhere, ReplaceWhere>;

// The second phase of a write. commit() makes it visible at once or not
// at all: a commit that loses a race is checked against the winners by the
// format's rules (blind appends commute; a keyed write collides only on a
// key a winner wrote, then runs again against the newer snapshot), within
// the table's commit policy; ErrorCode::conflict when that fails.
// abort(), or destruction without either, leaves the table as it was and
// removes the files the first phase wrote.
class PreparedCommit {
 public:
  virtual ~PreparedCommit() = default;
  [[nodiscard]] virtual Result<WriteResult> commit() = 0;
  virtual void abort() = 0;
};

// How a format's handles commit: attempts and backoff after lost races.
struct HandleOptions {
  WriteRetryPolicy retry{};
  RowChanges row_changes = RowChanges::automatic;
  // Threads a data file's row group is encoded on (a count, at least 1:
  // ClientOptions::writer_threads resolved).
  int writer_threads = 1;
};

class FormatTable {
 public:
  virtual ~FormatTable() = default;
  [[nodiscard]] virtual std::unique_ptr<FormatTable> clone() const = 0;

  [[nodiscard]] virtual const TableMetadata& metadata() const = 0;
  [[nodiscard]] virtual std::shared_ptr<arrow::Schema> arrow_schema() const = 0;
  // The columns the table records as its primary keys, merge keys and
  // clustering columns (the lake.* properties, lake_properties.hpp).
  [[nodiscard]] std::vector<std::string> primary_keys() const;
  [[nodiscard]] std::vector<std::string> merge_keys() const;
  [[nodiscard]] std::vector<std::string> cluster_by() const;

  // Moves the handle to the latest snapshot. ErrorCode::not_found when the
  // table was dropped.
  [[nodiscard]] virtual Status refresh() = 0;
  // A handle at an older snapshot (reads only see it; writes through it
  // still commit on top of the latest).
  [[nodiscard]] virtual Result<std::unique_ptr<FormatTable>> at(SnapshotSelector which) const = 0;
  // Newest first.
  [[nodiscard]] virtual Result<std::vector<HistoryEntry>> history(std::optional<std::size_t> limit) const = 0;
  [[nodiscard]] virtual Result<TableStats> stats() const = 0;

  // Skips files by partition values and statistics. A predicate the format
  // cannot use for skipping skips nothing (it never drops a file that may
  // match); one naming an unknown column is ErrorCode::schema_mismatch.
  [[nodiscard]] virtual Result<ScanPlan> plan_scan(const std::optional<Predicate>& predicate) const = 0;
  // A lazy stream of the planned files' rows in the table's Arrow schema
  // (projected to options.columns), deletes applied.
  [[nodiscard]] virtual Result<std::shared_ptr<arrow::RecordBatchReader>> read(const ScanPlan& plan,
                                                                               const ScanOptions& options) const = 0;

  // The first phase of a write. A write whose idempotency key the table
  // recorded within the key's TTL prepares nothing and commits as
  // skipped_as_duplicate.
  [[nodiscard]] virtual Result<std::unique_ptr<PreparedCommit>> prepare(RowChange change,
                                                                       const CommitOptions& options) = 0;

  // Schema evolution: adds the schema's new (nullable) columns; any other
  // difference is ErrorCode::schema_mismatch listing every one.
  [[nodiscard]] virtual Status evolve_to(const Schema& schema) = 0;
  // A migration's changes to this table (table_change.hpp), all in one
  // commit or none: the format's own evolution rules refuse what they
  // forbid (ErrorCode::schema_mismatch or unsupported naming the column),
  // a concurrent commit is retried within the table's commit policy.
  [[nodiscard]] virtual Status alter(std::span<const TableChange> changes) = 0;
  [[nodiscard]] virtual Result<OptimizeReport> optimize(const OptimizeOptions& options) = 0;
  // Delta's vacuum; Iceberg's snapshot expiry with orphan removal.
  [[nodiscard]] virtual Result<VacuumReport> vacuum(const VacuumOptions& options) = 0;
};

// What a table is created from: the declared schema (columns, partition
// transforms, keys) and properties beyond it.
struct CreateTable {
  const Schema* schema = nullptr;
  std::map<std::string, std::string> properties{};
  // When a table is there: open it if its columns and partitioning are the
  // schema's (else ErrorCode::schema_mismatch), instead of already_exists.
  bool if_not_exists = true;
};

class NativeFormat {
 public:
  virtual ~NativeFormat() = default;
  [[nodiscard]] virtual std::string_view name() const noexcept = 0;

  // The table at `table.location` on `backend`, at its latest snapshot;
  // a null handle when there is none. ErrorCode::unsupported names a feature
  // this implementation cannot read correctly.
  [[nodiscard]] virtual Result<std::unique_ptr<FormatTable>> open(std::shared_ptr<Backend> backend,
                                                                  const TableRef& table,
                                                                  const HandleOptions& options) const = 0;
  [[nodiscard]] virtual Result<std::unique_ptr<FormatTable>> create(std::shared_ptr<Backend> backend,
                                                                    const TableRef& table, const CreateTable& request,
                                                                    const HandleOptions& options) const = 0;
  // Removes the table: its catalog entry (where the format has one), then
  // every file under its location. A table that is not there is nothing
  // to do. Readers holding a handle fail on their next refresh.
  [[nodiscard]] virtual Status drop(std::shared_ptr<Backend> backend, const TableRef& table) const = 0;
  // The properties a new table gets for idempotency records to last `ttl`.
  [[nodiscard]] virtual std::map<std::string, std::string> idempotency_properties(std::chrono::seconds ttl) const = 0;
};

// The table's properties as TableInfo reports them, from a handle.
[[nodiscard]] TableInfo table_info(const TableRef& table, const FormatTable& handle);

// ErrorCode::not_found for a table a write or maintenance needs, naming it
// and where it was looked for.
[[nodiscard]] Error missing_table(const TableRef& table, const Backend& backend);

}  // namespace lake::formats

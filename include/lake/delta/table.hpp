// A Delta Lake table, read and written natively: no JVM, no SQL engine.
//
//   auto table = lake::delta::Table::create(backend, "users", lake::schema_of<User>());
//   table->append(*lake::to_record_batch(std::span(users), {.ingest_id = id}));
//   table->delete_where(arrow::compute::less(field_ref("age"), literal(18)));
//   auto rows = table->scan({.filter = equal(field_ref("country"), literal("NL"))});
//
// A Table handle sits at one version of the table (snapshot()); refresh()
// moves it to the latest. Every write commits optimistically on top of the
// handle's version: when other writers committed in between, their commits
// are checked against the Delta conflict rules (WriteSerializable: blind
// appends commute; removing or rewriting a file someone else removed, or a
// concurrent metadata/protocol change, is ErrorCode::conflict with a
// ConflictDetail) and the commit is retried at the next version, a bounded
// number of times. After a successful write the handle is at the new
// version. Data files are written before the commit that adds them and
// removed again when the commit does not happen, so a failed or conflicting
// write leaves the table exactly as it was.
//
// Predicates and assignments are Arrow compute expressions over column
// names (arrow::compute::field_ref / literal / equal / and_ ...). NULL
// comparisons follow SQL: a row whose predicate is NULL does not match.
//
// Partitioning: Delta partitions by raw column values only. A schema's
// bucket(N)/truncate(W) partition specs have no Delta equivalent; they are
// recorded in the table property lake.clusterBy and become optimize()'s
// default Z-order columns, so data is still clustered on them.
//
// A Table is not thread-safe; use one handle per thread (any number of
// handles and processes may write the same table concurrently).
#pragma once

#include <arrow/compute/expression.h>
#include <arrow/record_batch.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lake/delta/snapshot.hpp"
#include "lake/error.hpp"
#include "lake/maintenance.hpp"
#include "lake/progress.hpp"
#include "lake/row_changes.hpp"
#include "lake/schema/schema.hpp"
#include "lake/storage/backend.hpp"
#include "lake/types.hpp"

namespace lake::delta {

using Predicate = arrow::compute::Expression;

// Why a commit lost: attached to ErrorCode::conflict errors.
class ConflictDetail final : public ErrorDetail {
 public:
  enum class Kind {
    concurrent_delete_read,    // a winner removed a file this write read
    concurrent_delete_delete,  // a winner removed a file this write removes
    concurrent_append,         // a winner (not a blind append) added rows this write's predicate covers
    metadata_changed,          // a winner changed the schema, partitioning or properties
    protocol_changed,          // a winner changed the protocol
    concurrent_transaction,    // a winner committed for the same application id
    too_many_attempts,         // still losing after TableOptions::max_commit_attempts
    key_collision,             // a winner wrote rows with keys this (keyed) write writes
  };
  ConflictDetail(Kind kind, std::int64_t winning_version, std::vector<std::string> files)
      : kind_(kind), winning_version_(winning_version), files_(std::move(files)) {}

  [[nodiscard]] Kind kind() const noexcept { return kind_; }
  [[nodiscard]] std::int64_t winning_version() const noexcept { return winning_version_; }
  [[nodiscard]] const std::vector<std::string>& files() const noexcept { return files_; }
  [[nodiscard]] std::string describe() const override;

 private:
  Kind kind_;
  std::int64_t winning_version_;
  std::vector<std::string> files_;
};

// How a handle writes. Table properties (delta.checkpointInterval,
// delta.targetFileSize) override the defaults when set and the option is not.
struct TableOptions {
  std::optional<std::int64_t> target_file_bytes{};  // default: delta.targetFileSize or 128 MiB
  std::optional<int> checkpoint_interval{};         // default: delta.checkpointInterval or 10
  // Commit attempts of one write in all (a merge redone after a collision
  // counts each of its attempts), and the jittered pause after each lost
  // race: uniform in [0, min(max, initial * 2^(losses-1))].
  int max_commit_attempts = 64;
  int zstd_level = 3;
  // Threads each row group's columns are encoded and compressed on, as
  // lake::ClientOptions::writer_threads (which sets it for a Client's
  // tables): 0 one per core, 1 the writing thread only; the files are the
  // same bytes either way.
  int writer_threads = 0;
  // Whether delete, update and merge write deletion vectors (on tables
  // that enable them) or rewrite files; see lake/row_changes.hpp.
  RowChanges row_changes = RowChanges::automatic;
  std::chrono::milliseconds commit_backoff{5};
  std::chrono::milliseconds max_commit_backoff{500};
};

// Column mapping modes (see Table::enable_column_mapping).
enum class ColumnMappingMode { name, id };

struct CreateOptions {
  // Table properties (delta.appendOnly, delta.checkpointInterval, ...).
  std::map<std::string, std::string> properties{};
  std::optional<std::string> description{};
  // Open the table instead of failing when it already exists, provided its
  // columns and partitioning are the schema's.
  bool if_not_exists = false;
};

// An application's idempotency key: a write carrying (app_id, version) is
// skipped when the table already recorded that version or a later one for
// the application (a txn action), so a retried write adds nothing.
struct Idempotency {
  std::string app_id{};
  std::int64_t version = 0;
};

struct WriteOptions {
  std::optional<Idempotency> idempotency{};
  std::optional<std::string> user_metadata{};  // commitInfo.userMetadata
};

// What a write to a Delta table did, in the table's terms (files added
// and removed, rows copied, a checkpoint that failed); a Client write's
// report is lake::WriteResult. committed is false when there was nothing
// to commit (no matching rows) or the idempotency key was already applied;
// version is then the handle's current version.
struct CommitResult {
  bool committed = false;
  bool skipped_as_duplicate = false;
  std::int64_t version = -1;
  int attempts = 0;
  std::int64_t rows_inserted = 0;
  std::int64_t rows_updated = 0;
  std::int64_t rows_deleted = 0;
  std::int64_t rows_copied = 0;  // unchanged rows rewritten with their file
  std::int64_t files_added = 0;
  std::int64_t files_removed = 0;
  // Files whose changed rows a new deletion vector records (merge-on-read;
  // such a file is neither removed nor added in the counts above).
  std::int64_t deletion_vectors_added = 0;
  // A checkpoint due after this commit that could not be written. The
  // commit itself stands; the next due checkpoint retries.
  std::optional<Error> checkpoint_error{};
};

struct ReadOptions {
  std::vector<std::string> columns{};  // empty: every column, in table order
  std::optional<Predicate> filter{};   // rows for which it is true
  std::int64_t batch_rows = 64 * 1024;
  // Files decoded at once: more than 1 reads that many files ahead on as
  // many threads; the rows come in the same order either way.
  int threads = 1;
};

// fail: a source row whose key is already in the table fails the whole
// merge with ErrorCode::already_exists naming the key (insert-if-absent).
enum class WhenMatched { update, remove, ignore, fail };
enum class WhenNotMatched { insert, ignore };

struct MergeOptions {
  // The columns rows are matched on; empty means the table's merge keys as
  // recorded at creation (lake.mergeKeys), which must then exist.
  std::vector<std::string> keys{};
  WhenMatched when_matched = WhenMatched::update;
  WhenNotMatched when_not_matched = WhenNotMatched::insert;
  // Restricts the target rows considered (e.g. one partition), which also
  // narrows the files read.
  std::optional<Predicate> target_filter{};
  WriteOptions write{};
};

// optimize(), vacuum() and stats() take and report lake::OptimizeOptions,
// OptimizeReport, VacuumOptions, VacuumReport and TableStats
// (lake/maintenance.hpp), as every engine does.

struct PreparedWriteState;

// A row change whose first phase is done: its data files are written, its
// commit is ready, nothing is visible yet (two-phase writes). commit()
// makes it, on top of the latest version after the conflict checks; a
// merge that loses the race to a writer of one of its keys runs again
// against the newer version inside commit(), within the table's
// max_commit_attempts. abort(), or destroying it uncommitted, removes the
// files it wrote and leaves the table as it was. A failed commit() leaves
// nothing behind either. The Table it came from must outlive it and not be
// moved meanwhile; the commit moves that handle to the new version.
class PreparedWrite {
 public:
  explicit PreparedWrite(std::unique_ptr<PreparedWriteState> state);
  PreparedWrite(PreparedWrite&&) noexcept;
  PreparedWrite& operator=(PreparedWrite&&) noexcept;
  ~PreparedWrite();

  [[nodiscard]] Result<CommitResult> commit();
  void abort();

 private:
  std::unique_ptr<PreparedWriteState> state_;
};

class Table {
 public:
  // Creates a table from a declared schema: columns (plus _ingest_id),
  // raw partition columns, key columns in lake.primaryKeys /
  // lake.mergeKeys, properties. ErrorCode::already_exists when a table is
  // there (unless if_not_exists and it matches).
  [[nodiscard]] static Result<Table> create(std::shared_ptr<Backend> backend, std::string root, const Schema& schema,
                                            CreateOptions options = {}, TableOptions table_options = {});
  // Opens the latest version. ErrorCode::not_found when there is no table;
  // ErrorCode::unsupported when it needs features lake-orm does not read.
  [[nodiscard]] static Result<Table> open(std::shared_ptr<Backend> backend, std::string root,
                                          TableOptions table_options = {});

  [[nodiscard]] const Snapshot& snapshot() const noexcept { return snapshot_; }
  [[nodiscard]] std::int64_t version() const noexcept { return snapshot_.version(); }
  [[nodiscard]] const std::string& root() const noexcept { return root_; }
  [[nodiscard]] Backend& backend() const noexcept { return *backend_; }
  // The rows' Arrow schema: every column in table order.
  [[nodiscard]] std::shared_ptr<arrow::Schema> arrow_schema() const;

  // Moves the handle to the latest version (cheap when nothing changed).
  [[nodiscard]] Status refresh();
  // Time travel: the table as of a version, or as of a moment (the latest
  // version committed at or before it).
  [[nodiscard]] Result<Snapshot> snapshot_at(std::int64_t version) const;
  [[nodiscard]] Result<Snapshot> snapshot_as_of(timestamp moment) const;
  // A handle positioned at an older version (for reading it with scan()
  // and files(); a write through it commits on top of the latest version
  // after the usual conflict checks against everything since).
  [[nodiscard]] Result<Table> as_of(std::int64_t version) const;
  [[nodiscard]] Result<Table> as_of(timestamp moment) const;
  // The commits still in the log, newest first.
  [[nodiscard]] Result<std::vector<CommitSummary>> history(std::optional<std::size_t> limit = std::nullopt) const;

  // A lazy stream of the rows of the handle's version (or `at`), skipping
  // files by partition values and stats; the reader keeps what it needs.
  [[nodiscard]] Result<std::shared_ptr<arrow::RecordBatchReader>> scan(ReadOptions options = {}) const;
  [[nodiscard]] Result<std::shared_ptr<arrow::RecordBatchReader>> scan(const Snapshot& at, ReadOptions options) const;
  // The live files that may hold rows matching `filter` (all without one),
  // for engines that read the Parquet files themselves.
  [[nodiscard]] Result<std::vector<Add>> files(const std::optional<Predicate>& filter = std::nullopt) const;
  // Scans exactly `files` of the handle's version (what files() returned),
  // so a caller that has already skipped files does not skip over the
  // whole table again. A file that version does not hold is
  // invalid_argument.
  [[nodiscard]] Result<std::shared_ptr<arrow::RecordBatchReader>> scan(std::vector<Add> files,
                                                                       ReadOptions options) const;
  // The backend key of a file of this table (an add's path).
  [[nodiscard]] Result<std::string> key_of(const Add& file) const;

  // Appends rows (a blind append: never conflicts with other writers).
  // The input must have the table's columns, except that a missing
  // _ingest_id gets one fresh id for the whole write and missing nullable
  // columns (added after the writer was built) are NULL.
  [[nodiscard]] Result<CommitResult> append(arrow::RecordBatchReader& rows, WriteOptions options = {});
  [[nodiscard]] Result<CommitResult> append(const std::shared_ptr<arrow::RecordBatch>& rows,
                                            WriteOptions options = {});
  // Commits data files written elsewhere (e.g. staged by a driver, or by
  // write_files) as one blind append. The files must be under the table root.
  [[nodiscard]] Result<CommitResult> append_files(std::vector<Add> files, WriteOptions options = {});
  // The first phase of a two-phase append: writes rows (as append() takes
  // them) into data files of this table, partitioned and with stats, but
  // commits nothing. append_files() commits them; discard_files() removes
  // them (best effort: a file left behind is unreferenced, and vacuum
  // deletes it).
  [[nodiscard]] Result<std::vector<Add>> write_files(arrow::RecordBatchReader& rows);
  void discard_files(const std::vector<Add>& files) const;

  // Copy-on-write row changes: only files that may hold matching rows
  // (by partition values and stats) are read, and only those with a match
  // are rewritten; the removes and adds commit atomically.
  [[nodiscard]] Result<CommitResult> delete_where(const Predicate& predicate, WriteOptions options = {});
  [[nodiscard]] Result<CommitResult> update_where(const Predicate& predicate,
                                                  const std::map<std::string, arrow::compute::Expression>& assignments,
                                                  WriteOptions options = {});
  // Overwrite by filter (Delta's replaceWhere): the rows for which
  // `predicate` is true are replaced by `rows`, every one of which must
  // satisfy it (else ErrorCode::invalid_argument, nothing written); one
  // WRITE commit (mode Overwrite) with delete_where's conflict rules.
  [[nodiscard]] Result<CommitResult> replace_where(const Predicate& predicate, arrow::RecordBatchReader& rows,
                                                   WriteOptions options = {});
  // Upsert: source rows matched to table rows on the key columns. Source
  // keys must be unique (ErrorCode::invalid_argument names a duplicate);
  // NULL keys never match. WhenMatched::fail refuses the whole merge with
  // ErrorCode::already_exists and a lake::DuplicateKeys detail (the keys
  // found, first few and a count). Concurrent merges conflict only on
  // keys both write: one that loses the commit race to merges of other
  // keys commits on top of them; one whose keys a winner wrote (or whose
  // files a winner rewrote) runs again against the new version, within
  // TableOptions::max_commit_attempts.
  [[nodiscard]] Result<CommitResult> merge(arrow::RecordBatchReader& source, MergeOptions options = {});

  // The first phases of delete_where, replace_where, update_where and merge (those are
  // these, committed at once). A duplicate idempotency key or a change
  // that matches nothing prepares an empty write whose commit() reports
  // committed = false.
  [[nodiscard]] Result<PreparedWrite> prepare_delete_where(const Predicate& predicate, WriteOptions options = {});
  [[nodiscard]] Result<PreparedWrite> prepare_replace_where(const Predicate& predicate, arrow::RecordBatchReader& rows,
                                                            WriteOptions options = {});
  [[nodiscard]] Result<PreparedWrite> prepare_update_where(
      const Predicate& predicate, const std::map<std::string, arrow::compute::Expression>& assignments,
      WriteOptions options = {});
  [[nodiscard]] Result<PreparedWrite> prepare_merge(arrow::RecordBatchReader& source, MergeOptions options = {});

  // Schema evolution: adds nullable columns at the end. ErrorCode::
  // schema_mismatch for a non-nullable or existing column.
  [[nodiscard]] Result<CommitResult> add_columns(const std::vector<Field>& columns);
  // Brings the table in line with a declared schema: adds its new
  // (nullable) columns; any other difference (a type change, a column that
  // became non-nullable, other partitioning) is ErrorCode::schema_mismatch
  // listing every difference. Nothing is committed when nothing differs.
  [[nodiscard]] Result<CommitResult> evolve_to(const Schema& schema);

  // Column mapping (delta.columnMapping.mode name or id): data files name
  // columns by physical name (or field id), so a rename or a drop commits
  // only a new schema and rewrites nothing. Both need the table to map
  // columns (ErrorCode::unsupported otherwise, saying how to turn it on);
  // a partition column cannot be dropped, nor a key column of lake.*
  // properties (ErrorCode::invalid_argument).
  [[nodiscard]] Result<CommitResult> rename_column(std::string_view from, std::string_view to);
  [[nodiscard]] Result<CommitResult> drop_column(std::string_view column);
  // Turns column mapping on for a table that has none: the columns keep
  // their names as physical names (no file is rewritten) and get ids, and
  // the protocol is upgraded to the columnMapping table feature (reader 3,
  // writer 7), which readers without column mapping cannot read: an
  // explicit, irreversible step, logged in the commit as a SET
  // TBLPROPERTIES. New tables get it from the property at create time.
  [[nodiscard]] Result<CommitResult> enable_column_mapping(ColumnMappingMode mode = ColumnMappingMode::name);
  // Type widening: changes a top-level column to a wider type without
  // rewriting data (an integer to a wider integer, float to double, a
  // decimal to one with no fewer integer digits and no smaller scale);
  // older files read in the new type. The change is recorded in the
  // field's delta.typeChanges, and the first one upgrades the protocol to
  // the typeWidening feature (reader 3, writer 7) and sets
  // delta.enableTypeWidening. Any other change is ErrorCode::
  // schema_mismatch naming both types.
  [[nodiscard]] Result<CommitResult> change_column_type(std::string_view column, const DataType& to);

  // Liquid clustering (Delta's clustered tables, Spark's ALTER TABLE ...
  // CLUSTER BY): records `columns` (top-level, primitive; none: CLUSTER BY
  // NONE) in the delta.clustering domain, the first time upgrading the
  // protocol to the clustering and domainMetadata writer features. Rows are
  // not moved now: optimize() clusters them (a Z-order curve over the
  // columns) and marks the files it clustered. ErrorCode::invalid_argument
  // on a partitioned table (Delta tables are clustered or partitioned), for
  // a column that is not one, or one some data file has no stats for.
  [[nodiscard]] Result<CommitResult> cluster_by(const std::vector<std::string>& columns);

  [[nodiscard]] Result<OptimizeReport> optimize(OptimizeOptions options = {});
  [[nodiscard]] Result<VacuumReport> vacuum(VacuumOptions options = {});
  [[nodiscard]] Result<TableStats> stats() const;
  // Writes a checkpoint of the handle's version now.
  [[nodiscard]] Status checkpoint();

 private:
  Table(std::shared_ptr<Backend> backend, std::string root, TableOptions options, Snapshot snapshot)
      : backend_(std::move(backend)), root_(std::move(root)), options_(options), snapshot_(std::move(snapshot)) {}

  friend class TableWriter;
  std::shared_ptr<Backend> backend_;
  std::string root_;
  TableOptions options_;
  Snapshot snapshot_;
};

}  // namespace lake::delta

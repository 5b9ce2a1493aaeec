// The Client: typed writes and SQL reads over lakehouse tables.
//
//   auto db = lake::local::open("data").value();              // DuckDB + Delta + files
//   db.migrate<User>();                                        // CREATE TABLE IF NOT EXISTS
//   auto written = db.insert(users);                           // stamp, validate, write, commit
//   db.upsert(changed);                                        // MERGE on the merge keys
//   auto uk = lake::query<User>(db, "SELECT * FROM users WHERE country = ?", "UK");
//
// A Client composes a Driver (the engine), a Dialect (the table format)
// and a Backend (the storage); lake::local::open picks the embedded ones.
// Every write:
//   1. gets a fresh ingest id (UUIDv7), stamped into auto=ingestID members
//      and the _ingest_id column of every row it writes;
//   2. stamps auto=createTime / updateTime members;
//   3. validates every record, and on any failure returns
//      ErrorCode::validation (detail: ValidationError) having written
//      nothing at all;
//   4. converts the records to Arrow and either keeps them in memory
//      (direct) or streams them as Parquet parts into _staging/<ingest id>/
//      (object storage; memory stays bounded), by size or as asked;
//   5. commits once, atomically: readers see all of the write or none.
// A failed or abandoned write removes its staging and commits nothing.
//
// All methods are safe to call from many threads at once. A Client is a
// cheap handle: copies share one engine, pool and metrics registry.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lake/arrow/convert.hpp"
#include "lake/dialect.hpp"
#include "lake/driver.hpp"
#include "lake/duplicate_keys.hpp"
#include "lake/error.hpp"
#include "lake/ingest_id.hpp"
#include "lake/log.hpp"
#include "lake/metrics.hpp"
#include "lake/migrate.hpp"
#include "lake/progress.hpp"
#include "lake/schema/fingerprint.hpp"
#include "lake/schema/reflect.hpp"
#include "lake/session.hpp"
#include "lake/sql.hpp"
#include "lake/stamp.hpp"
#include "lake/storage/backend.hpp"
#include "lake/storage/compression.hpp"
#include "lake/validate.hpp"

namespace lake {

// What an insert does with a record whose primary key the table already
// holds (seed: OnConflict). Tables without a primary key take blind
// appends and never conflict.
//
// Keyed writes (inserts into a table with a primary key, upsert, update,
// remove, raw merges) from any number of threads, processes and replicas
// at once conflict only on keys they really share. A write that loses the
// commit race checks the keys the winners wrote (by file statistics, then
// by reading the key columns of the files those cannot rule out): when
// none is its own it commits on top of them, and WriteResult::attempts
// says how many tries that took; when one is, it runs again against the
// newer table, so the strategy below sees the winner's rows, as if the
// two writes had run one after the other. ClientOptions::write_retry
// bounds the attempts.
enum class ConflictStrategy {
  // The whole insert fails with ErrorCode::already_exists and a
  // lake::DuplicateKeys detail (the keys found, first few and a count);
  // nothing is written.
  error,
  skip,    // such records are skipped, the rest inserted (seed: IgnoreOnConflict)
  update,  // such records replace the stored rows (an upsert on the primary key)
};

// What an upsert does with a record whose merge key matches (seed: MergeAction).
enum class MergeAction { update, skip, error };  // seed: MergeUpdate, MergeIgnore, MergeError

// seed: WithCompression, WithDefaultCatalog, WithDefaultDatabase,
// WithDefaultIdempotencyTTL, WithFastPathThreshold, WithLogger,
// WithMaxInflightIngests, WithSessionPoolSize.
struct ClientOptions {
  Compression compression = Compression::zstd;
  // Unqualified table names live under <catalog>/<database>/ on the
  // backend (each part only when set).
  std::string default_catalog{};
  std::string default_database{};
  // How long an idempotency key keeps a retried write from applying again.
  std::chrono::seconds default_idempotency_ttl{std::chrono::hours(24)};
  // Automatic inserts larger than this (Arrow bytes) go through staging.
  std::int64_t fast_path_threshold = std::int64_t{128} << 20;
  Logger logger{};
  // Writes running at once; more wait (backpressure instead of memory).
  int max_inflight_ingests = 4;
  // Engine sessions (embedded: DuckDB connections) in use at once; more
  // queries wait for one to be released.
  int session_pool_size = 8;
  // Staged Parquet: records buffered per row group, and the size at which
  // a part is closed and the next started.
  std::int64_t staging_batch_bytes = std::int64_t{8} << 20;
  std::int64_t staging_part_bytes = std::int64_t{128} << 20;
  // Writes that lose commit races to other writers (other threads,
  // processes, replicas) retry within this bound; keyed writes conflict
  // only on keys both really write (see insert()).
  WriteRetryPolicy write_retry{};
  // How delete, update and upsert change existing files: deletion vectors
  // on tables that enable them (automatic), always rewriting
  // (copy_on_write), or creating tables with deletion vectors on
  // (merge_on_read). See lake/row_changes.hpp.
  RowChanges row_changes = RowChanges::automatic;
  // Threads the Parquet writers encode and compress on: the columns of a
  // row group in parallel, for table data files (inserts, merges, updates,
  // optimize) and staged parts alike, on a pool shared by every client
  // with the same count. The files are byte for byte those one thread
  // writes. 0: one per core; 1: the writing thread only; negative is
  // ErrorCode::invalid_argument when the client opens.
  int writer_threads = 0;
};

// seed: OnConflict, ViaGRPC / ViaObjectStorage, WithIdempotencyKey.
struct InsertOptions {
  WritePath path = WritePath::automatic;
  ConflictStrategy on_conflict = ConflictStrategy::error;
  // A write retried with the same key within the TTL is applied once.
  std::string idempotency_key{};
};
struct UpsertOptions {
  MergeAction on_match = MergeAction::update;
  std::string idempotency_key{};
};
struct UpdateOptions {
  std::string idempotency_key{};
};
struct DeleteOptions {
  std::string idempotency_key{};
};
struct ReplaceOptions {
  std::string idempotency_key{};
};

// insert_raw(...).then_merge(...) (seed: MergeOpts{Key, TargetTable, Filter}).
struct RawMergeOptions {
  std::vector<std::string> keys{};       // default: the target's merge keys, else its primary key
  std::string target_table{};            // default: the records' own table
  std::optional<arrow::compute::Expression> filter{};  // only staged rows matching it are merged
  MergeAction on_match = MergeAction::update;
};

// cleanup_staging's report (seed: CleanupReport).
struct CleanupReport {
  std::vector<std::string> deleted;  // staging prefixes removed, as URIs
  std::vector<std::string> failed;   // old enough, but removing them failed
  int scanned = 0;                   // staging prefixes looked at
};

// What tables created under `options` are asked for (the dialect turns it
// into table properties): Client::table_defaults() of a client opened
// with them.
[[nodiscard]] TableDefaults table_defaults(const ClientOptions& options);

class Client;

// Rows staged by insert_raw but not yet in any table: untrusted input
// kept apart until then_merge() (or commit()) puts it in the table, or
// abort() (or destruction) drops it.
class RawInsertion {
 public:
  RawInsertion(RawInsertion&&) noexcept = default;
  RawInsertion& operator=(RawInsertion&&) noexcept = default;
  ~RawInsertion();

  [[nodiscard]] const IngestId& ingest_id() const noexcept;
  [[nodiscard]] const StagingRef& staging() const noexcept;
  // Merges the staged rows matching options.filter into the target on its
  // keys, then removes the staging.
  [[nodiscard]] Result<WriteResult> then_merge(const RawMergeOptions& options = {});
  // then_merge on another thread.
  [[nodiscard]] std::future<Result<WriteResult>> async_then_merge(RawMergeOptions options = {});
  // Appends every staged row to the records' table as it is.
  [[nodiscard]] Result<WriteResult> commit();
  [[nodiscard]] Status abort();

 private:
  friend class Client;
  struct State;
  explicit RawInsertion(std::shared_ptr<State> state) : state_(std::move(state)) {}
  // Lands the staged rows with `plan` (then_merge, commit).
  [[nodiscard]] Result<WriteResult> land(WritePlan plan, std::string_view operation);
  std::shared_ptr<State> state_;
};

class Maintenance;

class Client {
 public:
  // Composes a client. The driver is attached to the backend and dialect;
  // invalid options are ErrorCode::invalid_argument naming the option.
  [[nodiscard]] static Result<Client> open(std::shared_ptr<Driver> driver, std::shared_ptr<const Dialect> dialect,
                                           std::shared_ptr<Backend> backend, ClientOptions options = {});

  // ---- writes -------------------------------------------------------------
  // Records are stamped in place (the caller sees the ingest id and times).
  template <class T>
    requires Record<T>
  Result<WriteResult> insert(std::span<T> records, InsertOptions options = {});
  template <class T>
    requires Record<T>
  Result<WriteResult> insert(std::vector<T>& records, InsertOptions options = {}) {
    return insert(std::span<T>(records), std::move(options));
  }
  template <class T>
    requires Record<T>
  Result<WriteResult> insert(T& record, InsertOptions options = {}) {
    return insert(std::span<T>(&record, 1), std::move(options));
  }
  // Any input range (a generator, a file reader...), consumed in chunks:
  // memory stays bounded however many records it yields. Validation runs
  // per chunk; a failing chunk aborts the whole write (nothing commits).
  template <std::ranges::input_range R>
    requires Record<std::ranges::range_value_t<R>>
  Result<WriteResult> insert_range(R&& records, InsertOptions options = {});

  // Merges on T's merge keys (else its primary key): matching rows are
  // replaced (or kept, or the write fails, per on_match), others inserted.
  template <class T>
    requires Record<T>
  Result<WriteResult> upsert(std::span<T> records, UpsertOptions options = {});
  template <class T>
    requires Record<T>
  Result<WriteResult> upsert(std::vector<T>& records, UpsertOptions options = {}) {
    return upsert(std::span<T>(records), std::move(options));
  }
  // Replaces the stored rows with these records' primary keys; records
  // whose key is not stored are not inserted (rows_updated says how many
  // matched).
  template <class T>
    requires Record<T>
  Result<WriteResult> update(std::span<T> records, UpdateOptions options = {});
  template <class T>
    requires Record<T>
  Result<WriteResult> update(std::vector<T>& records, UpdateOptions options = {}) {
    return update(std::span<T>(records), std::move(options));
  }
  // Deletes the stored rows with these records' primary keys (seed: Delete).
  template <class T>
    requires Record<T>
  Result<WriteResult> remove(std::span<const T> records, DeleteOptions options = {});
  template <class T>
    requires Record<T>
  Result<WriteResult> remove(const std::vector<T>& records, DeleteOptions options = {}) {
    return remove(std::span<const T>(records), std::move(options));
  }
  // Deletes the rows matching an Arrow predicate over column names
  // (arrow::compute::less(field_ref("age"), literal(18))): values are
  // typed, never SQL text.
  template <class T>
    requires Record<T>
  Result<WriteResult> delete_where(const arrow::compute::Expression& predicate, DeleteOptions options = {}) {
    return delete_where(table_name_of<T>(), predicate, std::move(options));
  }
  [[nodiscard]] Result<WriteResult> delete_where(std::string_view table, const arrow::compute::Expression& predicate,
                                                 DeleteOptions options = {}) const;

  // Overwrite by filter (Delta's replaceWhere, Iceberg's overwrite by
  // filter): the stored rows for which the predicate is true are replaced
  // by `records`, atomically. Records are stamped and validated as an
  // insert's, and each must satisfy the predicate (else
  // ErrorCode::invalid_argument naming it; nothing is written), so the
  // next replace of the same range finds them. Counts: rows_deleted,
  // rows_inserted.
  template <class T>
    requires Record<T>
  Result<WriteResult> replace_where(const arrow::compute::Expression& predicate, std::span<T> records,
                                    ReplaceOptions options = {});
  template <class T>
    requires Record<T>
  Result<WriteResult> replace_where(const arrow::compute::Expression& predicate, std::vector<T>& records,
                                    ReplaceOptions options = {}) {
    return replace_where(predicate, std::span<T>(records), std::move(options));
  }

  // Stages records (stamped, not validated: raw input) for a later
  // then_merge / commit / abort.
  template <class T>
    requires Record<T>
  Result<RawInsertion> insert_raw(std::span<T> records);
  template <class T>
    requires Record<T>
  Result<RawInsertion> insert_raw(std::vector<T>& records) {
    return insert_raw(std::span<T>(records));
  }

  // ---- reads and SQL ------------------------------------------------------
  // Makes the Client a SqlSource: lake::query<T>(db, sql, args...),
  // query_stream<T>, query_first<T>. Parameters bind to `?`; table names
  // resolve to the tables' current versions; `name@v<N>` reads version N.
  [[nodiscard]] Result<std::shared_ptr<arrow::RecordBatchReader>> query(std::string_view sql,
                                                                        std::span<const SqlValue> params = {}) const;
  // The escape hatch for statements that return no rows; rows changed, as
  // the engine reports them (Spark's DML on Iceberg tables reports none:
  // 0; the write methods above count for every format).
  [[nodiscard]] Result<std::int64_t> exec(std::string_view sql, std::span<const SqlValue> params = {}) const;

  // Untyped results, for when no struct describes them (lake/data_frame.hpp):
  // a DataFrame over a statement with `?` values (the seed's DataFrame),
  // analysed now (a bad statement fails here) and run by each operation.
  [[nodiscard]] Result<DataFrame> data_frame(std::string sql, SqlParams params = {}) const;
  // The dynamic query builder (lake/query_builder.hpp; the seed's Query).
  [[nodiscard]] QueryBuilder query_builder() const;
  // One of the engine's sessions, held until the Session and everything
  // made through it are gone (lake/session.hpp); waits while all of the
  // pool's sessions are in use.
  [[nodiscard]] Result<Session> session() const;

  // ---- schema -------------------------------------------------------------
  // Creates each record type's table if it does not exist; an existing
  // table whose columns differ is ErrorCode::already_exists.
  template <class... T>
    requires(Record<T> && ...)
  Status migrate() {
    Status status;
    ((status = status ? migrate_schema(schema_of<T>()) : status), ...);
    return status;
  }
  // Checks each live table against its struct: ErrorCode::schema_mismatch
  // listing every difference (columns, types, nullability, partitioning,
  // keys) with both fingerprints; not_found when a table is missing.
  template <class... T>
    requires(Record<T> && ...)
  Status assert_schema() const {
    Status status;
    ((status = status ? assert_schema_of(schema_of<T>(), schema_fingerprint<T>()) : status), ...);
    return status;
  }
  // The same for a schema known at run time.
  [[nodiscard]] Status assert_schema(const Schema& schema) const;

  // Migrations as files (lake/migrate.hpp): writes the goose file that
  // takes the tables `dir` describes to the record types' declarations,
  // in this client's table format and with the properties its tables get,
  // and updates atlas.sum; nullopt when nothing changed.
  template <class... T>
    requires(Record<T> && ...)
  Result<std::optional<migrate::GeneratedFile>> migrate_generate(const std::filesystem::path& dir,
                                                                 const migrate::GenerateOptions& options = {}) const {
    const Schema* schemas[] = {&schema_of<T>()...};
    return migrate::generate(dir, schemas, dialect(), table_defaults(), options);
  }
  // What migrate_generate would write, and every file that differs from
  // atlas.sum (for CI: fail when the report is not ok()). `live` also
  // compares each live table with its struct (assert_schema), each
  // difference a problem of kind "live".
  template <class... T>
    requires(Record<T> && ...)
  Result<migrate::CheckReport> migrate_check(const std::filesystem::path& dir, bool live = false) const {
    const Schema* schemas[] = {&schema_of<T>()...};
    return migrate_check_schemas(dir, schemas, live);
  }
  [[nodiscard]] Result<migrate::CheckReport> migrate_check_schemas(const std::filesystem::path& dir,
                                                                   std::span<const Schema* const> schemas,
                                                                   bool live) const;
  // Each file of `dir` and whether it is applied to this client's lake
  // (the lake_migrations table), with every disagreement: an applied file
  // edited or gone, a run that stopped inside a file, atlas.sum.
  [[nodiscard]] Result<migrate::StatusReport> migrate_status(const std::filesystem::path& dir) const;
  // Runs the pending files' Up sections in version order (those up to
  // `to_version` when given) on this client's engine, recording each in
  // lake_migrations. Refuses to start while migrate_status is not ok()
  // (ErrorCode::invalid_argument with a migrate::MigrationMismatch). Each
  // file's statements are checked before any runs; each table's
  // consecutive ALTER statements commit as one on the embedded engine. A
  // failing step stops the run: earlier files stay applied, the file's
  // committed steps are recorded, and the next apply resumes after them.
  [[nodiscard]] Result<migrate::ApplyReport> migrate_apply(const std::filesystem::path& dir,
                                                           std::optional<std::int64_t> to_version = {});
  // Undoes applied files by their Down sections, newest first: the newest
  // one, or every one above `to_version` (0: all). A file without a Down
  // section (an irreversible change) is ErrorCode::unsupported naming it,
  // and nothing is undone.
  [[nodiscard]] Result<migrate::ApplyReport> migrate_down(const std::filesystem::path& dir,
                                                          std::optional<std::int64_t> to_version = {});

  // ---- operations ---------------------------------------------------------
  // Writes a probe through the backend and reads it back through the
  // engine: ErrorCode::client_staging, driver_read or uri_mismatch says
  // which leg failed.
  [[nodiscard]] Status verify() const;
  // Removes staging prefixes whose ingest id is older than `older_than`
  // (left by crashed writers); names that are not ingest ids are skipped.
  [[nodiscard]] Result<CleanupReport> cleanup_staging(std::chrono::seconds older_than,
                                                      const ProgressFn& progress = {}) const;
  // The table maintenance of this client's tables. It shares the client's
  // state, so it stays usable after the Client it came from is gone.
  [[nodiscard]] Maintenance maintain() const;
  [[nodiscard]] Status ping() const;
  // Waits for running writes, then releases the engine. Every later call
  // is ErrorCode::closed. Idempotent.
  [[nodiscard]] Status close();

  [[nodiscard]] const MetricsRegistry& metrics() const;
  [[nodiscard]] TableRef table_ref(std::string_view table) const;
  [[nodiscard]] Driver& driver() const;
  [[nodiscard]] Backend& backend() const;
  [[nodiscard]] const Dialect& dialect() const;
  // What this client asks of the tables it creates (from its options).
  [[nodiscard]] TableDefaults table_defaults() const;

 private:
  friend class Maintenance;
  friend class RawInsertion;
  struct State;
  explicit Client(std::shared_ptr<State> state) : state_(std::move(state)) {}

  [[nodiscard]] Status check_open() const;
  [[nodiscard]] timestamp now() const;
  [[nodiscard]] Error rejected(const Schema& schema, Error error) const;
  // The non-template half of a write (src/client/ingest_session.cpp):
  // record batches go in; it keeps them in memory (direct path) or streams
  // them into staged parts, then plans, executes and commits the write.
  class Ingest;
  // How a write's session ends: committed by the Client (its rows may then
  // go straight to an engine that writes the table's files itself, see
  // Driver::streams_rows), or its staged parts handed to the caller
  // (insert_raw).
  enum class IngestEnd { commit, hand_over_staging };
  [[nodiscard]] Result<Ingest> begin_ingest(const Schema& schema, const IngestId& ingest_id,
                                            const InsertOptions& options, IngestEnd end = IngestEnd::commit) const;
  // Upsert, update and remove: one in-memory batch merged on keys.
  [[nodiscard]] Result<WriteResult> merge_rows(const Schema& schema, const IngestId& ingest_id,
                                               std::shared_ptr<arrow::RecordBatch> rows,
                                               const std::vector<std::size_t>& keys, OnMatch on_match,
                                               OnNoMatch on_no_match, const std::string& idempotency_key,
                                               std::string_view operation) const;
  // replace_where: one in-memory batch replacing the predicate's rows.
  [[nodiscard]] Result<WriteResult> replace_rows(const Schema& schema, const IngestId& ingest_id,
                                                 std::shared_ptr<arrow::RecordBatch> rows,
                                                 const arrow::compute::Expression& predicate,
                                                 const std::string& idempotency_key) const;
  [[nodiscard]] Result<RawInsertion> raw_insertion(const Schema& schema, const IngestId& ingest_id,
                                                   Ingest session) const;
  [[nodiscard]] Status migrate_schema(const Schema& schema) const;
  [[nodiscard]] Status assert_schema_of(const Schema& schema, const std::string& fingerprint) const;

  // Records -> batches handed to a session, chunk by chunk.
  template <class T>
  [[nodiscard]] static Status feed(Ingest& session, RecordBatchBuilder<T>& builder,
                                   std::span<const T> records);
  // Hands the builder's remaining rows to the session.
  template <class T>
  [[nodiscard]] static Status flush(Ingest& session, RecordBatchBuilder<T>& builder);
  // A session holding all of `records` (stamped and, where asked, validated
  // by the caller), ready to finish.
  template <class T>
  [[nodiscard]] Result<Ingest> stage(std::span<const T> records, const IngestId& ingest_id,
                                     const InsertOptions& options, IngestEnd end = IngestEnd::commit) const;
  template <class T>
  [[nodiscard]] static Result<std::shared_ptr<arrow::RecordBatch>> batch_of(std::span<const T> records,
                                                                            const IngestId& ingest_id);
  // The first step of a keyed write (upsert, update, remove): the client
  // is open and the schema declares `keys`, else invalid_argument saying
  // "<operation>: <type> declares <missing>".
  [[nodiscard]] Status check_keyed(const Schema& schema, const std::vector<std::size_t>& keys,
                                   std::string_view operation, std::string_view missing) const;
  // Records stamped (per mode) and validated, as one batch.
  template <class T>
  [[nodiscard]] Result<std::shared_ptr<arrow::RecordBatch>> stamped_batch(std::span<T> records,
                                                                          const IngestId& ingest_id,
                                                                          StampMode mode) const;

  std::shared_ptr<State> state_;
};

class Client::Ingest {
 public:
  Ingest(Ingest&&) noexcept;
  Ingest& operator=(Ingest&&) noexcept;
  // Abandons an unfinished write: staging is removed, nothing commits.
  ~Ingest();

  // Adds rows (the table's columns, _ingest_id included).
  [[nodiscard]] Status add(std::shared_ptr<arrow::RecordBatch> rows);
  // How many bytes of records the caller should batch before add().
  [[nodiscard]] std::int64_t batch_bytes() const noexcept;
  // Plans, executes and commits the write (aborting it on failure).
  [[nodiscard]] Result<WriteResult> finish();
  // For insert_raw: closes the staged parts (forcing staging) and hands
  // the staging over; the session then owns nothing.
  [[nodiscard]] Result<StagingRef> finish_staging();

 private:
  friend class Client;
  struct Impl;
  explicit Ingest(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// seed: Maintenance (Optimize / Vacuum / Stats), plus history.
class Maintenance {
 public:
  [[nodiscard]] Result<OptimizeReport> optimize(std::string_view table, const OptimizeOptions& options = {});
  [[nodiscard]] Result<VacuumReport> vacuum(std::string_view table, const VacuumOptions& options = {});
  [[nodiscard]] Result<TableStats> stats(std::string_view table);
  [[nodiscard]] Result<std::vector<HistoryEntry>> history(std::string_view table,
                                                          std::optional<std::size_t> limit = std::nullopt);

 private:
  friend class Client;
  explicit Maintenance(Client client) : client_(std::move(client)) {}
  Client client_;  // a handle: the client's state lives as long as this does
};

// ---- template definitions -------------------------------------------------

template <class T>
Status Client::feed(Ingest& session, RecordBatchBuilder<T>& builder, std::span<const T> records) {
  // Appending in slices lets the builder be flushed at the session's
  // batch size even for one huge span.
  constexpr std::size_t kSlice = 4096;
  for (std::size_t at = 0; at < records.size(); at += kSlice) {
    if (auto ok = builder.append(records.subspan(at, std::min(kSlice, records.size() - at))); !ok) return ok;
    if (builder.estimated_bytes() >= session.batch_bytes()) {
      auto batch = builder.finish();
      if (!batch) return std::unexpected(batch.error());
      if (auto added = session.add(std::move(*batch)); !added) return added;
    }
  }
  return {};
}

template <class T>
Status Client::flush(Ingest& session, RecordBatchBuilder<T>& builder) {
  if (builder.rows() == 0) return {};
  auto batch = builder.finish();
  if (!batch) return std::unexpected(batch.error());
  return session.add(std::move(*batch));
}

template <class T>
Result<Client::Ingest> Client::stage(std::span<const T> records, const IngestId& ingest_id,
                                     const InsertOptions& options, IngestEnd end) const {
  auto session = begin_ingest(schema_of<T>(), ingest_id, options, end);
  if (!session) return std::unexpected(session.error());
  auto builder = RecordBatchBuilder<T>::make({.ingest_id = ingest_id});
  if (!builder) return std::unexpected(builder.error());
  if (auto fed = feed(*session, *builder, records); !fed) return std::unexpected(fed.error());
  if (auto flushed = flush(*session, *builder); !flushed) return std::unexpected(flushed.error());
  return session;
}

template <class T>
Result<std::shared_ptr<arrow::RecordBatch>> Client::batch_of(std::span<const T> records, const IngestId& ingest_id) {
  auto builder = RecordBatchBuilder<T>::make({.ingest_id = ingest_id});
  if (!builder) return std::unexpected(builder.error());
  if (auto ok = builder->append(records); !ok) return std::unexpected(ok.error());
  return builder->finish();
}

template <class T>
Result<std::shared_ptr<arrow::RecordBatch>> Client::stamped_batch(std::span<T> records, const IngestId& ingest_id,
                                                                  StampMode mode) const {
  stamp_auto_fields(records, now(), ingest_id, mode);
  if (auto valid = validate(std::span<const T>(records)); !valid)
    return std::unexpected(rejected(schema_of<T>(), valid.error()));
  return batch_of(std::span<const T>(records), ingest_id);
}

template <class T>
  requires Record<T>
Result<WriteResult> Client::insert(std::span<T> records, InsertOptions options) {
  if (auto open = check_open(); !open) return std::unexpected(open.error());
  const IngestId ingest_id = IngestId::generate();
  stamp_auto_fields(records, now(), ingest_id, StampMode::insert);
  if (auto valid = validate(std::span<const T>(records)); !valid) return std::unexpected(rejected(schema_of<T>(), valid.error()));
  auto session = stage(std::span<const T>(records), ingest_id, options);
  if (!session) return std::unexpected(session.error());
  return session->finish();
}

template <std::ranges::input_range R>
  requires Record<std::ranges::range_value_t<R>>
Result<WriteResult> Client::insert_range(R&& records, InsertOptions options) {
  using T = std::ranges::range_value_t<R>;
  if (auto open = check_open(); !open) return std::unexpected(open.error());
  const IngestId ingest_id = IngestId::generate();
  auto session = begin_ingest(schema_of<T>(), ingest_id, options);
  if (!session) return std::unexpected(session.error());
  auto builder = RecordBatchBuilder<T>::make({.ingest_id = ingest_id});
  if (!builder) return std::unexpected(builder.error());
  constexpr std::size_t kChunk = 4096;
  std::vector<T> chunk;
  chunk.reserve(kChunk);
  std::size_t offset = 0;  // records before this chunk, for error messages
  auto flush_chunk = [&]() -> Status {
    stamp_auto_fields(std::span<T>(chunk), now(), ingest_id, StampMode::insert);
    if (auto valid = validate(std::span<const T>(chunk)); !valid)
      return std::unexpected(
          rejected(schema_of<T>(), valid.error().with_context(std::format("records {}..{}", offset, offset + chunk.size() - 1))));
    if (auto fed = feed(*session, *builder, std::span<const T>(chunk)); !fed) return fed;
    offset += chunk.size();
    chunk.clear();
    return {};
  };
  for (auto&& record : records) {
    chunk.push_back(std::forward<decltype(record)>(record));
    if (chunk.size() == kChunk)
      if (auto ok = flush_chunk(); !ok) return std::unexpected(ok.error());
  }
  if (!chunk.empty())
    if (auto ok = flush_chunk(); !ok) return std::unexpected(ok.error());
  if (auto flushed = flush(*session, *builder); !flushed) return std::unexpected(flushed.error());
  return session->finish();
}

template <class T>
  requires Record<T>
Result<WriteResult> Client::upsert(std::span<T> records, UpsertOptions options) {
  const Schema& schema = schema_of<T>();
  if (auto keyed = check_keyed(schema, schema.upsert_keys(), "upsert", "no merge key or primary key to match rows on");
      !keyed)
    return std::unexpected(keyed.error());
  const IngestId ingest_id = IngestId::generate();
  auto batch = stamped_batch(records, ingest_id, StampMode::insert);
  if (!batch) return std::unexpected(batch.error());
  const OnMatch on_match = options.on_match == MergeAction::update   ? OnMatch::update
                           : options.on_match == MergeAction::skip ? OnMatch::skip
                                                                     : OnMatch::fail;
  return merge_rows(schema, ingest_id, std::move(*batch), schema.upsert_keys(), on_match, OnNoMatch::insert,
                    options.idempotency_key, "upsert");
}

template <class T>
  requires Record<T>
Result<WriteResult> Client::update(std::span<T> records, UpdateOptions options) {
  const Schema& schema = schema_of<T>();
  if (auto keyed = check_keyed(schema, schema.primary_keys, "update", "no primary key to find rows by"); !keyed)
    return std::unexpected(keyed.error());
  const IngestId ingest_id = IngestId::generate();
  auto batch = stamped_batch(records, ingest_id, StampMode::update);
  if (!batch) return std::unexpected(batch.error());
  return merge_rows(schema, ingest_id, std::move(*batch), schema.primary_keys, OnMatch::update, OnNoMatch::skip,
                    options.idempotency_key, "update");
}

template <class T>
  requires Record<T>
Result<WriteResult> Client::remove(std::span<const T> records, DeleteOptions options) {
  const Schema& schema = schema_of<T>();
  if (auto keyed = check_keyed(schema, schema.primary_keys, "remove", "no primary key to find rows by"); !keyed)
    return std::unexpected(keyed.error());
  const IngestId ingest_id = IngestId::generate();
  auto batch = batch_of(records, ingest_id);
  if (!batch) return std::unexpected(batch.error());
  return merge_rows(schema, ingest_id, std::move(*batch), schema.primary_keys, OnMatch::remove, OnNoMatch::skip,
                    options.idempotency_key, "delete");
}

template <class T>
  requires Record<T>
Result<WriteResult> Client::replace_where(const arrow::compute::Expression& predicate, std::span<T> records,
                                          ReplaceOptions options) {
  if (auto open = check_open(); !open) return std::unexpected(open.error());
  const IngestId ingest_id = IngestId::generate();
  auto batch = stamped_batch(records, ingest_id, StampMode::insert);
  if (!batch) return std::unexpected(batch.error());
  return replace_rows(schema_of<T>(), ingest_id, std::move(*batch), predicate, options.idempotency_key);
}

template <class T>
  requires Record<T>
Result<RawInsertion> Client::insert_raw(std::span<T> records) {
  if (auto open = check_open(); !open) return std::unexpected(open.error());
  const IngestId ingest_id = IngestId::generate();
  stamp_auto_fields(records, now(), ingest_id, StampMode::insert);
  auto session = stage(std::span<const T>(records), ingest_id, {.path = WritePath::object_storage},
                       IngestEnd::hand_over_staging);
  if (!session) return std::unexpected(session.error());
  return raw_insertion(schema_of<T>(), ingest_id, std::move(*session));
}

}  // namespace lake

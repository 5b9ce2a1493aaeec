// The Spark driver: lake::Client's Driver contract over Spark Connect.
// Writes become Spark SQL on the table (write_statements), run in the
// write's commit phase on one pooled session. Delta tables: metadata comes
// from the Delta log through the backend, a write is tagged through
// commitInfo.userMetadata and made idempotent with Delta's txn actions.
// Iceberg tables: metadata comes from Iceberg's metadata tables through
// Spark (iceberg_tables), a write is tagged in its snapshot summary, and
// maintenance runs Iceberg's procedures.
#include <arrow/array.h>
#include <arrow/scalar.h>
#include <arrow/table.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <charconv>
#include <format>
#include <map>
#include <type_traits>

#include "dialects/spark_sql.hpp"
#include "drivers/delta_metadata.hpp"
#include "drivers/spark/connection_settings.hpp"
#include "drivers/spark/iceberg_tables.hpp"
#include "drivers/spark/result_reader.hpp"
#include "drivers/spark/session.hpp"
#include "drivers/spark/session_pool.hpp"
#include "drivers/spark/spark_driver.hpp"
#include "drivers/spark/spark_errors.hpp"
#include "drivers/spark/write_statements.hpp"
#include "lake/delta/table.hpp"
#include "lake/dialect.hpp"
#include "lake/drivers/spark.hpp"

namespace lake::spark {
namespace {

using spark_sql::quote_identifier;

// Delta's session settings for one write (DeltaSQLConf): the commit's
// userMetadata, and the idempotent-write pair Delta checks against the
// table's txn actions.
constexpr std::string_view kUserMetadata = "spark.databricks.delta.commitInfo.userMetadata";
constexpr std::string_view kTxnAppId = "spark.databricks.delta.write.txnAppId";
constexpr std::string_view kTxnVersion = "spark.databricks.delta.write.txnVersion";
constexpr std::string_view kRetentionCheck = "spark.databricks.delta.retentionDurationCheck.enabled";
constexpr std::string_view kOptimizeMaxFileSize = "spark.databricks.delta.optimize.maxFileSize";
// How far back the commit of a write is looked for in the log.
constexpr std::size_t kCommitSearchDepth = 64;

std::string commit_metadata(const IngestId& ingest_id) {
  return std::format("{{\"ingest_id\":\"{}\"}}", ingest_id.to_string());
}

// A storage URI as Spark's Hadoop file systems name it.
std::string engine_uri(std::string uri) {
  if (uri.starts_with("s3://")) uri.replace(0, 5, "s3a://");
  return uri;
}

// A column of the one-row output of a command (MERGE's counts...), 0 when
// the output has no such column.
std::int64_t output_count(const std::shared_ptr<arrow::Table>& output, std::string_view column) {
  if (!output || output->num_rows() == 0) return 0;
  auto chunks = output->GetColumnByName(std::string(column));
  if (!chunks || chunks->num_chunks() == 0) return 0;
  auto scalar = chunks->GetScalar(0);
  if (!scalar.ok() || !(*scalar)->is_valid) return 0;
  auto as_int = (*scalar)->CastTo(arrow::int64());
  if (!as_int.ok()) return 0;
  return std::static_pointer_cast<arrow::Int64Scalar>(*as_int)->value;
}

// metrics.<path...> of OPTIMIZE's one-row output, 0 when absent.
std::int64_t optimize_metric(const std::shared_ptr<arrow::Table>& output, std::initializer_list<std::string_view> path) {
  if (!output || output->num_rows() == 0) return 0;
  auto column = output->GetColumnByName("metrics");
  if (!column) return 0;
  auto scalar = column->GetScalar(0);
  if (!scalar.ok()) return 0;
  std::shared_ptr<arrow::Scalar> at = *scalar;
  for (std::string_view name : path) {
    if (!at || !at->is_valid || at->type->id() != arrow::Type::STRUCT) return 0;
    auto field = static_cast<const arrow::StructScalar&>(*at).field(std::string(name));
    if (!field.ok()) return 0;
    at = *field;
  }
  if (!at || !at->is_valid) return 0;
  auto as_int = at->CastTo(arrow::int64());
  return as_int.ok() ? std::static_pointer_cast<arrow::Int64Scalar>(*as_int)->value : 0;
}

// A query's rows as an arrow::RecordBatchReader that keeps its session on
// loan until it is destroyed. The first batch is read up front: Spark
// announces the schema with the data.
class PooledResultReader final : public arrow::RecordBatchReader {
 public:
  static Result<std::shared_ptr<arrow::RecordBatchReader>> open(SessionPool::Lease lease, ResultReader reader) {
    auto first = reader.next();
    if (!first) return std::unexpected(first.error());
    auto out = std::shared_ptr<PooledResultReader>(new PooledResultReader(std::move(lease), std::move(reader)));
    if (*first) out->pending_ = std::move(*first);
    out->schema_ = out->reader_.schema() ? out->reader_.schema() : arrow::schema({});
    return std::shared_ptr<arrow::RecordBatchReader>(std::move(out));
  }

  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }

  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override {
    if (pending_) {
      *batch = std::move(pending_);
      pending_.reset();
      return arrow::Status::OK();
    }
    auto next = reader_.next();
    if (!next) return arrow::Status::IOError(next.error().to_string());
    *batch = std::move(*next);
    return arrow::Status::OK();
  }

 private:
  PooledResultReader(SessionPool::Lease lease, ResultReader reader)
      : lease_(std::move(lease)), reader_(std::move(reader)) {}
  // Destroyed after reader_, which may still release its operation.
  SessionPool::Lease lease_;
  ResultReader reader_;
  std::shared_ptr<arrow::RecordBatch> pending_;
  std::shared_ptr<arrow::Schema> schema_;
};

// Counts the rows a reader yields as it is read.
class CountingReader final : public arrow::RecordBatchReader {
 public:
  explicit CountingReader(std::shared_ptr<arrow::RecordBatchReader> inner) : inner_(std::move(inner)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return inner_->schema(); }
  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override {
    ARROW_RETURN_NOT_OK(inner_->ReadNext(batch));
    if (*batch) rows_ += (*batch)->num_rows();
    return arrow::Status::OK();
  }
  [[nodiscard]] std::int64_t rows() const noexcept { return rows_; }

 private:
  std::shared_ptr<arrow::RecordBatchReader> inner_;
  std::int64_t rows_ = 0;
};

// One write between its phases: the session holding its temporary view
// (if any), the statement its commit runs, and what to say afterwards.
struct PendingWrite {
  std::optional<SessionPool::Lease> lease;
  std::string view;  // temporary view of direct rows; "" for staged rows
  std::optional<Statement> statement;
  std::optional<Statement> key_check;  // OnMatch::fail: a friendlier error first
  std::vector<std::pair<std::string, std::string>> settings;
  std::optional<Statement> merge_counts;  // Iceberg: MERGE reports no counts
  PlanKind kind = PlanKind::append;
  std::int64_t direct_rows = -1;  // rows sent as a view, when counted
  // The idempotency key was applied already (at this table version):
  // the commit runs nothing and says so.
  std::optional<std::int64_t> duplicate_at{};
};

class SparkDriver;

class SparkFinalizer final : public Finalizer {
 public:
  SparkFinalizer(SparkDriver& driver, WritePlan plan, PendingWrite pending)
      : driver_(driver), plan_(std::move(plan)), pending_(std::move(pending)) {}
  ~SparkFinalizer() override {
    if (state_ == State::pending) (void)abort();
  }
  Result<WriteResult> commit() override;
  Status abort() override;

 private:
  void release();
  enum class State { pending, committed, aborted };
  SparkDriver& driver_;
  WritePlan plan_;
  PendingWrite pending_;
  State state_ = State::pending;
  WriteResult result_;
};

class SparkDriver final : public Driver {
 public:
  SparkDriver(ConnectionSettings settings, DriverOptions options)
      : settings_(std::move(settings)), options_(options) {}

  std::string_view name() const noexcept override { return "spark"; }

  Status attach(DriverContext context) override {
    if (pool_) return fail(ErrorCode::invalid_argument, "the Spark driver is already attached to a client");
    if (!context.backend || !context.dialect || !context.location_of)
      return fail(ErrorCode::invalid_argument, "the Spark driver needs a backend, a dialect and table locations");
    if (context.dialect->name() == "iceberg") {
      // Iceberg tables live in an Iceberg catalog, named explicitly: its
      // metadata tables and procedures are addressed through it.
      if (context.default_catalog.empty() || context.default_database.empty())
        return fail(ErrorCode::invalid_argument,
                    "the Iceberg dialect on Spark needs ClientOptions::default_catalog (an Iceberg catalog, e.g. "
                    "'ice') and ClientOptions::default_database");
      iceberg_ = true;
    } else if (context.dialect->name() != "delta") {
      return fail(ErrorCode::unsupported, std::format("the Spark driver writes Delta and Iceberg tables, not '{}'",
                                                      context.dialect->name()));
    }
    context_ = std::move(context);
    if (!context_.default_database.empty()) {
      namespace_ = quote_identifier(context_.default_database);
      if (!context_.default_catalog.empty())
        namespace_ = quote_identifier(context_.default_catalog) + "." + namespace_;
    }
    SessionOptions session_options;
    session_options.call_timeout = options_.call_timeout;
    session_options.retry.max_attempts = std::max(1, options_.max_attempts);
    // A session id in the connection string names one server session,
    // which can serve one caller at a time.
    const int size = settings_.session_id.empty() ? context_.session_pool_size : 1;
    pool_ = std::make_unique<SessionPool>(settings_, session_options, size,
                                          [this](Session& session) { return prepare(session); });
    return {};
  }

  Result<std::shared_ptr<arrow::RecordBatchReader>> query(std::string_view sql,
                                                          std::span<const SqlValue> params) override {
    return on_session([&](SessionPool::Lease lease) -> Result<std::shared_ptr<arrow::RecordBatchReader>> {
      auto reader = lease->query(sql, {.positional = params, .named = {}});
      if (!reader) return std::unexpected(reader.error());
      return PooledResultReader::open(std::move(lease), std::move(*reader));
    });
  }

  Result<std::int64_t> exec(std::string_view sql, std::span<const SqlValue> params) override {
    return on_session([&](SessionPool::Lease lease) -> Result<std::int64_t> {
      auto output = lease->execute(sql, {.positional = params, .named = {}});
      if (!output) return std::unexpected(output.error());
      return output_count(*output, "num_affected_rows");
    });
  }

  Result<lake::Execution> execute(WritePlan plan) override {
    auto lease = acquire();
    if (!lease) return std::unexpected(lease.error());
    PendingWrite pending;
    pending.kind = plan.kind;
    std::vector<std::string> columns;
    std::map<std::string, std::string> properties;
    if (iceberg_) {
      auto described = iceberg::describe(**lease, plan.table, iceberg_name(plan.table));
      if (!described) return std::unexpected(described.error());
      if (!*described) return missing(plan.table);
      for (const Field& column : (*described)->info.columns) columns.push_back(column.column);
      properties = std::move((*described)->info.properties);
      pending.settings.emplace_back(iceberg::snapshot_property_setting(iceberg::kIngestIdProperty),
                                    plan.ingest_id.to_string());
      if (plan.idempotency) {
        // The newest snapshot tagged with the key, if still within its TTL.
        auto tagged = iceberg::snapshots(**lease, iceberg_name(plan.table), 1,
                                         std::pair{iceberg::kIdempotencyKeyProperty, std::string_view(plan.idempotency->key)});
        if (!tagged) return std::unexpected(tagged.error());
        if (!tagged->empty() && now() - tagged->front().committed_at < plan.idempotency->ttl) {
          auto current = iceberg::stats(**lease, iceberg_name(plan.table));
          if (!current) return std::unexpected(current.error());
          return duplicate(std::move(plan), current->version);
        }
        pending.settings.emplace_back(iceberg::snapshot_property_setting(iceberg::kIdempotencyKeyProperty),
                                      plan.idempotency->key);
      }
    } else {
      auto table = existing(plan.table);
      if (!table) return std::unexpected(table.error());
      for (const Field& column : table->snapshot().columns()) columns.push_back(column.column);
      properties = {table->snapshot().metadata().configuration.begin(), table->snapshot().metadata().configuration.end()};
      pending.settings.emplace_back(kUserMetadata, commit_metadata(plan.ingest_id));
      if (plan.idempotency) {
        const std::string app_id = "lake-orm:" + plan.idempotency->key;
        const auto& txns = table->snapshot().transactions();
        std::int64_t next = 1;
        if (auto it = txns.find(app_id); it != txns.end()) {
          const auto recorded = std::chrono::milliseconds(it->second.last_updated.value_or(0));
          const auto age = std::chrono::system_clock::now().time_since_epoch() - recorded;
          if (age < plan.idempotency->ttl) return duplicate(std::move(plan), table->version());
          next = it->second.version + 1;
        }
        pending.settings.emplace_back(kTxnAppId, app_id);
        pending.settings.emplace_back(kTxnVersion, std::to_string(next));
      }
    }

    std::string source;
    if (plan.staging) {
      source = parquet_source(engine_uri(plan.staging->location));
    } else if (plan.rows) {
      // Phase one sends the rows; they wait in the session as a temporary
      // view until the commit's statement reads them (or abort drops them).
      pending.view = "lake_rows_" + plan.ingest_id.to_string();
      std::erase(pending.view, '-');
      CountingReader counting(plan.rows);
      if (auto sent = (*lease)->create_temp_view(pending.view, counting); !sent) {
        lease->discard();
        return std::unexpected(sent.error().with_context(std::format("sending the rows of {} to Spark", plan.table.name)));
      }
      pending.direct_rows = counting.rows();
      source = view_source(pending.view);
    }

    const std::string& name = plan.table.name;
    switch (plan.kind) {
      case PlanKind::append: {
        if (source.empty()) return fail(ErrorCode::invalid_argument, "an append plan needs rows or staging");
        pending.statement = insert_statement(name, columns, source);
        break;
      }
      case PlanKind::merge: {
        if (source.empty()) return fail(ErrorCode::invalid_argument, "a merge plan needs rows or staging");
        MergeSpec merge{.table = name,
                        .source = source,
                        .ingest_id = plan.ingest_id.to_string(),
                        .keys = plan.keys,
                        .on_match = plan.on_match,
                        .on_no_match = plan.on_no_match,
                        .source_filter = plan.source_filter};
        if (merge.keys.empty()) {
          merge.keys = lake::detail::list_property(properties, "lake.mergeKeys");
          if (merge.keys.empty()) merge.keys = lake::detail::list_property(properties, "lake.primaryKeys");
          if (merge.keys.empty())
            return fail(ErrorCode::invalid_argument,
                        std::format("table '{}' has no merge keys or primary key to merge on; name the keys", name));
        }
        auto statement = merge_statement(merge);
        if (!statement) return std::unexpected(statement.error());
        pending.statement = std::move(*statement);
        if (iceberg_ && pending.statement) {
          auto counts = merge_count_query(merge);
          if (!counts) return std::unexpected(counts.error());
          pending.merge_counts = std::move(*counts);
        }
        if (plan.on_match == OnMatch::fail) {
          auto check = conflicting_key_query(merge);
          if (!check) return std::unexpected(check.error());
          pending.key_check = std::move(*check);
        }
        break;
      }
      case PlanKind::delete_where: {
        if (!plan.predicate) return fail(ErrorCode::invalid_argument, "a delete plan needs a predicate");
        auto statement = delete_statement(name, *plan.predicate);
        if (!statement) return std::unexpected(statement.error());
        pending.statement = std::move(*statement);
        break;
      }
    }
    pending.lease = std::move(*lease);
    return lake::Execution{std::make_unique<SparkFinalizer>(*this, std::move(plan), std::move(pending))};
  }

  // The commit phase: the statement, on the session that holds the rows.
  Result<WriteResult> land(const WritePlan& plan, PendingWrite& pending) {
    Session& session = **pending.lease;
    if (pending.key_check) {
      auto found = session.execute(pending.key_check->sql, {.positional = pending.key_check->params, .named = {}});
      if (!found) return std::unexpected(found.error());
      if ((*found)->num_rows() > 0) {
        std::string key;
        for (int i = 0; i < (*found)->num_columns(); ++i) {
          auto value = (*found)->column(i)->GetScalar(0);
          key += std::format("{}{}={}", i ? ", " : "", (*found)->schema()->field(i)->name(),
                             value.ok() ? (*value)->ToString() : "?");
        }
        return fail(ErrorCode::already_exists,
                    std::format("table '{}' already holds key ({}); nothing was written", plan.table.name, key));
      }
    }
    WriteResult result{.ingest_id = plan.ingest_id, .path = WritePath::direct, .attempts = 1};
    if (!pending.statement) {  // a merge that asks for nothing
      if (auto version = current_version(session, plan.table)) result.version = *version;
      return result;
    }
    // Iceberg's MERGE returns no counts: the source rows and those with a
    // key in the table are counted just before it, on the same session.
    std::int64_t source_rows = 0;
    std::int64_t matched_rows = 0;
    if (pending.merge_counts) {
      auto counted = session.execute(pending.merge_counts->sql, {.positional = pending.merge_counts->params, .named = {}});
      if (!counted) return std::unexpected(counted.error());
      source_rows = output_count(*counted, "source_rows");
      matched_rows = output_count(*counted, "matched_rows");
    }
    if (auto set = session.set_config(pending.settings); !set) {
      pending.lease->discard();
      return std::unexpected(set.error());
    }
    auto output = session.execute(pending.statement->sql, {.positional = pending.statement->params, .named = {}});
    std::vector<std::string> keys;
    for (const auto& [key, value] : pending.settings) keys.push_back(key);
    if (auto unset = session.unset_config(keys); !unset) pending.lease->discard();  // never reuse stale settings
    if (!output) {
      Error error = output.error();
      if (plan.on_match == OnMatch::fail && error.message().find(kKeyExistsMarker) != std::string::npos)
        return fail(ErrorCode::already_exists,
                    std::format("table '{}' already holds a key of this write (stored concurrently); nothing was "
                                "written",
                                plan.table.name));
      return std::unexpected(std::move(error).with_context(std::format("writing {} through Spark", plan.table.name)));
    }

    if (iceberg_) return landed_on_iceberg(session, plan, pending, source_rows, matched_rows, std::move(result));

    // What landed: the commit tagged with this ingest id.
    auto table = existing(plan.table);
    if (!table) return std::unexpected(table.error());
    auto commits = table->history(kCommitSearchDepth);
    if (!commits) return std::unexpected(commits.error());
    const std::string tag = commit_metadata(plan.ingest_id);
    const delta::CommitSummary* landed = nullptr;
    for (const auto& commit : *commits)
      if (commit.user_metadata == tag) {
        landed = &commit;
        break;
      }
    result.version = landed ? landed->version : table->version();
    result.committed = landed != nullptr;
    if (!landed) {
      // Delta skips a write whose txnVersion it has already recorded: a
      // retry with the same key that raced this one got there first.
      if (plan.idempotency) result.skipped_as_duplicate = true;
      return result;
    }
    const auto metrics = nlohmann::json::parse(landed->metrics, nullptr, false);
    auto metric = [&](const char* key) -> std::int64_t {
      if (!metrics.is_object() || !metrics.contains(key)) return 0;
      const auto& value = metrics[key];
      if (value.is_number_integer()) return value.get<std::int64_t>();
      if (value.is_string()) return std::stoll(value.get<std::string>());
      return 0;
    };
    switch (plan.kind) {
      case PlanKind::append:
        result.rows_inserted = pending.direct_rows >= 0 ? pending.direct_rows : metric("numOutputRows");
        break;
      case PlanKind::merge:
        result.rows_inserted = output_count(*output, "num_inserted_rows");
        result.rows_updated = output_count(*output, "num_updated_rows");
        result.rows_deleted = output_count(*output, "num_deleted_rows");
        break;
      case PlanKind::delete_where: result.rows_deleted = output_count(*output, "num_affected_rows"); break;
    }
    return result;
  }

  // What landed on an Iceberg table: the snapshot tagged with this ingest
  // id (none when the statement changed nothing).
  Result<WriteResult> landed_on_iceberg(Session& session, const WritePlan& plan, const PendingWrite& pending,
                                        std::int64_t source_rows, std::int64_t matched_rows, WriteResult result) {
    auto tagged = iceberg::snapshots(session, iceberg_name(plan.table), 1,
                                     std::pair{iceberg::kIngestIdProperty, std::string_view(plan.ingest_id.to_string())});
    if (!tagged) return std::unexpected(tagged.error());
    if (tagged->empty()) {
      if (auto version = current_version(session, plan.table)) result.version = *version;
      return result;
    }
    const iceberg::Snapshot& landed = tagged->front();
    result.version = landed.id;
    result.committed = true;
    switch (plan.kind) {
      case PlanKind::append:
        result.rows_inserted = pending.direct_rows >= 0 ? pending.direct_rows : landed.summary_count("added-records");
        break;
      case PlanKind::merge:
        if (plan.on_match == OnMatch::update) result.rows_updated = matched_rows;
        if (plan.on_match == OnMatch::remove) result.rows_deleted = matched_rows;
        if (plan.on_no_match == OnNoMatch::insert) result.rows_inserted = source_rows - matched_rows;
        break;
      case PlanKind::delete_where:
        // Copy-on-write: the files that held deleted rows were rewritten
        // without them.
        result.rows_deleted = landed.summary_count("deleted-records") - landed.summary_count("added-records");
        break;
    }
    return result;
  }

  // The table's current version (Iceberg: its current snapshot id).
  std::optional<std::int64_t> current_version(Session& session, const TableRef& table) {
    if (iceberg_) {
      auto stats = iceberg::stats(session, iceberg_name(table));
      return stats ? std::optional(stats->version) : std::nullopt;
    }
    auto found = existing(table);
    return found ? std::optional(found->version()) : std::nullopt;
  }

  // Drops what phase one left in the session.
  void discard(PendingWrite& pending) {
    if (!pending.lease || pending.view.empty()) return;
    auto dropped = (**pending.lease).execute(std::format("DROP VIEW IF EXISTS {}", quote_identifier(pending.view)));
    if (!dropped) pending.lease->discard();
    pending.view.clear();
  }

  void remove_staging(const WritePlan& plan) {
    if (plan.staging) (void)context_.backend->remove_prefix(plan.staging->prefix);
  }

  Result<std::shared_ptr<arrow::RecordBatchReader>> read_staging(const StagingRef& staging) override {
    auto lease = acquire();
    if (!lease) return std::unexpected(lease.error());
    auto reader = (*lease)->query(std::format("SELECT * FROM {}", parquet_source(engine_uri(staging.location))));
    if (!reader) {
      return fail(ErrorCode::driver_read, std::format("Spark could not read staging '{}': {}", staging.location,
                                                      reader.error().message()));
    }
    auto opened = PooledResultReader::open(std::move(*lease), std::move(*reader));
    if (!opened)
      return fail(ErrorCode::driver_read, std::format("Spark could not read staging '{}': {}", staging.location,
                                                      opened.error().message()));
    return opened;
  }

  Status create_table(const TableRef& table, const Schema& schema,
                      const std::map<std::string, std::string>& properties) override {
    // A table already at the location (written by another engine, or
    // before this catalog knew it) is registered as it is; its columns are
    // checked below. Otherwise the dialect's CREATE TABLE makes it.
    auto before = describe(table);
    if (!before) return std::unexpected(before.error());
    const std::string uri = engine_uri(context_.backend->uri_of(table.location));
    Result<std::string> sql = context_.dialect->create_table_sql(table, schema, uri, properties);
    // An Iceberg table is found through its catalog: if it is there, it is
    // kept. A Delta table is found at its location: if it is there but not
    // in Spark's catalog, it is registered as it is.
    if (*before) sql = iceberg_ ? std::string() : register_statement(table.name, uri).sql;
    if (!sql) return std::unexpected(sql.error());
    auto lease = acquire();
    if (!lease) return std::unexpected(lease.error());
    if (!sql->empty()) {
      if (auto created = (*lease)->execute(*sql); !created)
        return std::unexpected(created.error().with_context(std::format("creating table '{}' on Spark", table.name)));
    }
    // CREATE TABLE IF NOT EXISTS keeps a table of that name whatever its
    // columns and location: check the live one is this schema's, here.
    std::optional<TableInfo> live;
    bool elsewhere = false;
    if (iceberg_) {
      auto described = iceberg::describe(**lease, table, iceberg_name(table));
      if (!described) return std::unexpected(described.error());
      if (*described) {
        live = std::move((*described)->info);
        elsewhere = !same_location((*described)->location, uri);
      }
    } else {
      auto found = describe(table);
      if (!found) return std::unexpected(found.error());
      live = std::move(*found);
      elsewhere = !live;
    }
    if (!live || elsewhere)
      return fail(ErrorCode::already_exists,
                  std::format("there is no {} table at '{}' after CREATE TABLE IF NOT EXISTS '{}': Spark's "
                              "catalog already has a table of that name somewhere else",
                              iceberg_ ? "Iceberg" : "Delta", context_.backend->uri_of(table.location), table.name));
    std::vector<std::string> expected;
    for (const Field& field : schema.fields) expected.push_back(field.column);
    expected.push_back(std::string(kIngestIdColumn));
    std::vector<std::string> actual;
    for (const Field& column : live->columns) actual.push_back(column.column);
    if (actual != expected)
      return fail(ErrorCode::already_exists,
                  std::format("table '{}' already exists with other columns (run assert_schema for the differences)",
                              table.name));
    return {};
  }

  Result<std::optional<TableInfo>> describe(const TableRef& table) override {
    if (iceberg_) {
      auto lease = acquire();
      if (!lease) return std::unexpected(lease.error());
      auto described = iceberg::describe(**lease, table, iceberg_name(table));
      if (!described) return std::unexpected(described.error());
      if (!*described) return std::optional<TableInfo>{};
      return std::optional<TableInfo>(std::move((*described)->info));
    }
    if (auto open = check_open(); !open) return std::unexpected(open.error());
    auto opened = delta::Table::open(context_.backend, table.location);
    if (!opened) {
      if (opened.error().code() == ErrorCode::not_found) return std::optional<TableInfo>{};
      return std::unexpected(opened.error());
    }
    return std::optional<TableInfo>(lake::detail::delta_table_info(table, opened->snapshot()));
  }

  Result<TableStats> stats(const TableRef& table) override {
    if (iceberg_) {
      auto lease = acquire();
      if (!lease) return std::unexpected(lease.error());
      auto described = iceberg::describe(**lease, table, iceberg_name(table));
      if (!described) return std::unexpected(described.error());
      if (!*described) return missing(table);
      auto stats = iceberg::stats(**lease, iceberg_name(table));
      if (!stats) return std::unexpected(stats.error());
      stats->partition_columns = (*described)->info.partition_columns;
      return stats;
    }
    auto found = existing(table);
    if (!found) return std::unexpected(found.error());
    auto stats = found->stats();
    if (!stats) return std::unexpected(stats.error());
    return lake::detail::delta_table_stats(*stats);
  }

  Result<std::vector<HistoryEntry>> history(const TableRef& table, std::optional<std::size_t> limit) override {
    if (iceberg_) {
      auto lease = acquire();
      if (!lease) return std::unexpected(lease.error());
      auto described = iceberg::describe(**lease, table, iceberg_name(table));
      if (!described) return std::unexpected(described.error());
      if (!*described) return missing(table);
      auto snapshots = iceberg::snapshots(**lease, iceberg_name(table), limit);
      if (!snapshots) return std::unexpected(snapshots.error());
      return iceberg::history(*snapshots);
    }
    auto found = existing(table);
    if (!found) return std::unexpected(found.error());
    auto commits = found->history(limit);
    if (!commits) return std::unexpected(commits.error());
    return lake::detail::delta_history(*commits);
  }

  Result<OptimizeReport> optimize(const TableRef& table, const OptimizeOptions& options) override {
    if (iceberg_) return optimize_iceberg(table, options);
    auto found = existing(table);
    if (!found) return std::unexpected(found.error());
    std::vector<std::string> zorder = options.zorder_by;
    if (zorder.empty()) zorder = lake::detail::list_property(found->snapshot().metadata().configuration, "lake.clusterBy");
    auto statement = optimize_statement(table.name, options.where, zorder);
    if (!statement) return std::unexpected(statement.error());
    std::vector<std::pair<std::string, std::string>> settings;
    if (options.target_file_bytes) settings.emplace_back(kOptimizeMaxFileSize, std::to_string(*options.target_file_bytes));
    auto output = run_with_settings(*statement, settings);
    if (!output) return std::unexpected(output.error());
    OptimizeReport report{.version = -1,
                          .files_removed = optimize_metric(*output, {"numFilesRemoved"}),
                          .files_added = optimize_metric(*output, {"numFilesAdded"}),
                          .bytes_removed = optimize_metric(*output, {"filesRemoved", "totalSize"}),
                          .bytes_added = optimize_metric(*output, {"filesAdded", "totalSize"})};
    if (report.files_removed > 0 || report.files_added > 0) {
      auto after = existing(table);
      if (!after) return std::unexpected(after.error());
      report.version = after->version();
    }
    if (options.progress)
      options.progress({.step = "files compacted", .done = report.files_removed, .total = report.files_removed});
    return report;
  }

  Result<VacuumReport> vacuum(const TableRef& table, const VacuumOptions& options) override {
    if (iceberg_) return vacuum_iceberg(table, options);
    auto found = existing(table);
    if (!found) return std::unexpected(found.error());
    std::optional<std::int64_t> hours;
    if (options.retention) hours = options.retention->count();
    std::vector<std::pair<std::string, std::string>> settings;
    if (options.allow_short_retention) settings.emplace_back(kRetentionCheck, "false");
    // A dry run lists the files; the real run deletes those (and says only
    // the table's path), so the report comes from the listing.
    auto listed = run_with_settings(vacuum_statement(table.name, hours, true), settings);
    if (!listed) return std::unexpected(listed.error());
    VacuumReport report{.files = {}, .bytes = 0, .dry_run = options.dry_run};
    const std::string root = engine_uri(context_.backend->uri_of(table.location));
    if (auto paths = (*listed)->GetColumnByName("path")) {
      for (int c = 0; c < paths->num_chunks(); ++c) {
        auto strings = std::dynamic_pointer_cast<arrow::StringArray>(paths->chunk(c));
        if (!strings) continue;
        for (std::int64_t i = 0; i < strings->length(); ++i) {
          std::string key = key_of(std::string(strings->GetView(i)), root, table.location);
          if (auto info = context_.backend->head(key)) report.bytes += info->size;
          report.files.push_back(std::move(key));
        }
      }
    }
    if (!options.dry_run && !report.files.empty()) {
      auto vacuumed = run_with_settings(vacuum_statement(table.name, hours, false), settings);
      if (!vacuumed) return std::unexpected(vacuumed.error());
    }
    if (options.progress)
      options.progress({.step = "files removed", .done = static_cast<std::int64_t>(report.files.size()),
                        .total = static_cast<std::int64_t>(report.files.size())});
    return report;
  }

  Status ping() override {
    auto lease = acquire();
    if (!lease) return std::unexpected(lease.error());
    auto version = (*lease)->spark_version();
    if (!version) return std::unexpected(version.error());
    return {};
  }

  Status close() override {
    closed_ = true;
    if (pool_) pool_->close();
    return {};
  }

  Result<lake::Execution> duplicate(WritePlan plan, std::int64_t version) {
    PendingWrite pending;
    pending.kind = plan.kind;
    pending.duplicate_at = version;
    return lake::Execution{std::make_unique<SparkFinalizer>(*this, std::move(plan), std::move(pending))};
  }

 private:
  // Iceberg's rewrite_data_files: its counts, and the new snapshot's.
  Result<OptimizeReport> optimize_iceberg(const TableRef& table, const OptimizeOptions& options) {
    auto lease = acquire();
    if (!lease) return std::unexpected(lease.error());
    const iceberg::TableName name = iceberg_name(table);
    auto described = iceberg::describe(**lease, table, name);
    if (!described) return std::unexpected(described.error());
    if (!*described) return missing(table);
    auto statement = iceberg::rewrite_data_files_statement(name, options.where, options.zorder_by,
                                                           options.target_file_bytes);
    if (!statement) return std::unexpected(statement.error());
    auto output = (*lease)->execute(statement->sql);
    if (!output) return std::unexpected(output.error().with_context(std::format("optimizing '{}'", table.name)));
    OptimizeReport report{.version = -1,
                          .files_removed = output_count(*output, "rewritten_data_files_count"),
                          .files_added = output_count(*output, "added_data_files_count"),
                          .bytes_removed = output_count(*output, "rewritten_bytes_count"),
                          .bytes_added = 0};
    if (report.files_removed > 0 || report.files_added > 0) {
      auto latest = iceberg::snapshots(**lease, name, 1);
      if (!latest) return std::unexpected(latest.error());
      if (!latest->empty()) {
        report.version = latest->front().id;
        report.bytes_added = latest->front().summary_count("added-files-size");
      }
    }
    if (options.progress)
      options.progress({.step = "files compacted", .done = report.files_removed, .total = report.files_removed});
    return report;
  }

  // Iceberg's counterpart of VACUUM: expiring the snapshots older than the
  // retention (the current one is always kept) deletes the files only they
  // referenced. Those files are listed first, from the metadata tables,
  // which is also the dry run.
  Result<VacuumReport> vacuum_iceberg(const TableRef& table, const VacuumOptions& options) {
    auto lease = acquire();
    if (!lease) return std::unexpected(lease.error());
    const iceberg::TableName name = iceberg_name(table);
    auto described = iceberg::describe(**lease, table, name);
    if (!described) return std::unexpected(described.error());
    if (!*described) return missing(table);
    // The table's own retention: Iceberg's max snapshot age (5 days unless
    // the table says otherwise).
    std::chrono::milliseconds table_retention = std::chrono::days(5);
    const auto& properties = (*described)->info.properties;
    if (auto it = properties.find("history.expire.max-snapshot-age-ms"); it != properties.end()) {
      std::int64_t ms = 0;
      if (std::from_chars(it->second.data(), it->second.data() + it->second.size(), ms).ec == std::errc{})
        table_retention = std::chrono::milliseconds(ms);
    }
    const std::chrono::milliseconds retention =
        options.retention ? std::chrono::duration_cast<std::chrono::milliseconds>(*options.retention) : table_retention;
    if (retention < table_retention && !options.allow_short_retention)
      return fail(ErrorCode::invalid_argument,
                  std::format("a retention of {} is shorter than table '{}' keeps snapshots ({}); time travel and "
                              "concurrent readers may lose files (set allow_short_retention to do it anyway)",
                              std::chrono::duration_cast<std::chrono::hours>(retention), table.name,
                              std::chrono::duration_cast<std::chrono::hours>(table_retention)));
    const timestamp cutoff = now() - std::chrono::duration_cast<std::chrono::microseconds>(retention);
    auto files = iceberg::files_only_in_snapshots_before(**lease, name, cutoff);
    if (!files) return std::unexpected(files.error());
    VacuumReport report{.files = {}, .bytes = 0, .dry_run = options.dry_run};
    const std::string root = engine_uri(context_.backend->uri_of(table.location));
    for (auto& [path, bytes] : *files) {
      report.files.push_back(key_of(std::move(path), root, table.location));
      report.bytes += bytes;
    }
    if (!options.dry_run) {
      auto expired = (*lease)->execute(iceberg::expire_snapshots_statement(name, cutoff).sql);
      if (!expired) return std::unexpected(expired.error().with_context(std::format("vacuuming '{}'", table.name)));
    }
    if (options.progress)
      options.progress({.step = "files removed", .done = static_cast<std::int64_t>(report.files.size()),
                        .total = static_cast<std::int64_t>(report.files.size())});
    return report;
  }

  iceberg::TableName iceberg_name(const TableRef& table) const {
    const std::string in_catalog = quote_identifier(context_.default_database) + "." + quote_identifier(table.name);
    return {.catalog = quote_identifier(context_.default_catalog),
            .sql = namespace_ + "." + quote_identifier(table.name),
            .procedure_argument = spark_sql::quote_string(in_catalog)};
  }

  Error missing_error(const TableRef& table) const {
    return Error(ErrorCode::not_found, std::format("table '{}' does not exist at '{}' (migrate it first)", table.name,
                                                   context_.backend->uri_of(table.location)));
  }
  std::unexpected<Error> missing(const TableRef& table) const { return std::unexpected(missing_error(table)); }

  // Whether two spellings of a location are the same place (Spark says
  // file:/x where the backend says file:///x).
  static bool same_location(std::string a, std::string b) {
    for (std::string* text : {&a, &b}) {
      if (text->starts_with("file:///")) text->replace(0, 8, "file:/");
      while (text->ends_with('/')) text->pop_back();
    }
    return a == b;
  }

  Status check_open() const {
    if (!pool_) return fail(ErrorCode::invalid_argument, "the Spark driver is not attached to a client");
    if (closed_) return fail(ErrorCode::closed, "the Spark driver is closed");
    return {};
  }

  Result<SessionPool::Lease> acquire() {
    if (auto open = check_open(); !open) return std::unexpected(open.error());
    return pool_->acquire();
  }

  // Runs `work` on a pooled session, and once more on another when the
  // server no longer had the first (it restarted, or the session expired
  // while idle in the pool): the server refused the statement without
  // running it, and the pool has dropped that session.
  template <class Work>
  auto on_session(Work&& work) -> std::invoke_result_t<Work&, SessionPool::Lease> {
    for (int attempt = 1;; ++attempt) {
      auto lease = acquire();
      if (!lease) return std::unexpected(lease.error());
      auto result = work(std::move(*lease));
      if (result || attempt == 2 || !session_lost(result.error())) return result;
    }
  }

  // A new session: its current database is the client's default one.
  Status prepare(Session& session) {
    if (iceberg_) {
      // Iceberg's SparkCatalog caches the tables it loads, per Spark
      // session, until an entry has been idle for a while (30 s by
      // default). Pooled sessions would then read, and check idempotency
      // keys against, a snapshot older than one another pooled session
      // just committed. A session builds its catalog from its own settings
      // on first use, so turning the cache off here, before anything
      // touches the catalog, keeps every session on the latest snapshot.
      // A server that refuses the setting (a catalog that is not Iceberg's,
      // locked-down settings) keeps its own behaviour.
      const std::pair<std::string, std::string> uncached[] = {
          {std::format("spark.sql.catalog.{}.cache-enabled", context_.default_catalog), "false"}};
      (void)session.set_config(uncached);
    }
    if (namespace_.empty()) return {};
    {
      std::scoped_lock lock(namespace_mutex_);
      if (!namespace_ready_) {
        if (auto created = session.execute(std::format("CREATE NAMESPACE IF NOT EXISTS {}", namespace_)); !created)
          return std::unexpected(created.error());
        namespace_ready_ = true;
      }
    }
    if (auto used = session.execute(std::format("USE {}", namespace_)); !used) return std::unexpected(used.error());
    return {};
  }

  Result<std::shared_ptr<arrow::Table>> run_with_settings(const Statement& statement,
                                                          const std::vector<std::pair<std::string, std::string>>& settings) {
    auto lease = acquire();
    if (!lease) return std::unexpected(lease.error());
    if (!settings.empty()) {
      if (auto set = (*lease)->set_config(settings); !set) {
        lease->discard();
        return std::unexpected(set.error());
      }
    }
    auto output = (*lease)->execute(statement.sql, {.positional = statement.params, .named = {}});
    if (!settings.empty()) {
      std::vector<std::string> keys;
      for (const auto& [key, value] : settings) keys.push_back(key);
      if (auto unset = (*lease)->unset_config(keys); !unset) lease->discard();
    }
    return output;
  }

  // A file URI from VACUUM as a backend key (the URI itself when it is
  // not under the table).
  static std::string key_of(std::string uri, const std::string& root, const std::string& location) {
    // Spark writes file:/x where the backend says file:///x.
    auto normalise = [](std::string text) {
      if (text.starts_with("file:///")) text.replace(0, 8, "file:/");
      return text;
    };
    const std::string base = normalise(root.ends_with('/') ? root : root + "/");
    uri = normalise(std::move(uri));
    if (!uri.starts_with(base)) return uri;
    return location + "/" + uri.substr(base.size());
  }

  Result<delta::Table> existing(const TableRef& table) {
    if (auto open = check_open(); !open) return std::unexpected(open.error());
    auto opened = delta::Table::open(context_.backend, table.location);
    if (!opened && opened.error().code() == ErrorCode::not_found) return missing(table);
    return opened;
  }

  friend class SparkFinalizer;
  ConnectionSettings settings_;
  DriverOptions options_;
  DriverContext context_;
  std::string namespace_;  // `catalog`.`database`, or "" for the server's current one
  std::mutex namespace_mutex_;
  bool namespace_ready_ = false;
  std::unique_ptr<SessionPool> pool_;
  std::atomic<bool> closed_ = false;
  bool iceberg_ = false;  // the dialect: Iceberg tables, else Delta
};

Result<WriteResult> SparkFinalizer::commit() {
  if (state_ == State::committed) return result_;
  if (state_ == State::aborted) return fail(ErrorCode::invalid_argument, "the write was aborted");
  if (pending_.duplicate_at) {
    result_ = WriteResult{.ingest_id = plan_.ingest_id, .version = *pending_.duplicate_at, .skipped_as_duplicate = true};
  } else {
    auto landed = driver_.land(plan_, pending_);
    if (!landed) return std::unexpected(landed.error());
    result_ = *landed;
  }
  state_ = State::committed;
  release();
  return result_;
}

Status SparkFinalizer::abort() {
  if (state_ == State::committed) return fail(ErrorCode::already_committed, "the write was already committed");
  if (state_ == State::aborted) return {};
  state_ = State::aborted;
  release();
  return {};
}

void SparkFinalizer::release() {
  driver_.discard(pending_);
  pending_.lease.reset();
  driver_.remove_staging(plan_);
  plan_.staging.reset();
}

}  // namespace

std::shared_ptr<Driver> make_driver(ConnectionSettings settings, DriverOptions options) {
  return std::make_shared<SparkDriver>(std::move(settings), options);
}

Result<std::shared_ptr<Driver>> driver(std::string_view connection, DriverOptions options) {
  auto settings = parse_connection_string(connection);
  if (!settings) return std::unexpected(settings.error());
  return make_driver(std::move(*settings), options);
}

}  // namespace lake::spark

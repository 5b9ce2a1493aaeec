// The Client: composition, the write pipeline's shared half, SQL, schema
// management and operations.
#include "lake/client.hpp"

#include <format>
#include <map>
#include <random>
#include <set>

#include "core/encoder_threads.hpp"
#include "core/propagate.hpp"
#include "client/client_core.hpp"
#include "client/statement_runner.hpp"
#include "client/ingest_session_impl.hpp"
#include "formats/lake_properties.hpp"
#include "formats/row_ops.hpp"
#include "storage/staging.hpp"

namespace lake {

std::string_view to_string(WritePath path) noexcept {
  switch (path) {
    case WritePath::automatic: return "automatic";
    case WritePath::direct: return "direct";
    case WritePath::object_storage: return "object_storage";
  }
  return "automatic";
}


namespace detail {

std::string location_in(const std::string& catalog, const std::string& database, std::string_view table) {
  std::string location;
  for (const std::string* part : {&catalog, &database})
    if (!part->empty()) location += *part + "/";
  return location + std::string(table);
}

TableRef ClientCore::table_ref(std::string_view table) const {
  return {std::string(table), location_in(options.default_catalog, options.default_database, table)};
}

WritePlan ClientCore::plan(PlanKind kind, std::string_view table, const IngestId& ingest_id,
                           const std::string& idempotency_key) const {
  WritePlan plan;
  plan.kind = kind;
  plan.table = table_ref(table);
  plan.ingest_id = ingest_id;
  plan.idempotency = idempotency_of(idempotency_key, options.default_idempotency_ttl);
  return plan;
}

void ClientCore::log(LogLevel level, std::string_view message, std::vector<LogField> fields) const {
  if (options.logger) options.logger(level, message, fields);
}

ClientCore::Slot::~Slot() {
  if (!core_) return;
  {
    std::scoped_lock lock(core_->mutex_);
    --core_->inflight_;
    core_->metrics.set("lake_inflight_ingests", {}, core_->inflight_);
  }
  core_->changed_.notify_all();
}

Result<ClientCore::Slot> ClientCore::acquire_slot() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return closed_ || inflight_ < options.max_inflight_ingests; });
  if (closed_) return fail(ErrorCode::closed, "the client is closed");
  ++inflight_;
  metrics.set("lake_inflight_ingests", {}, inflight_);
  return Slot(this);
}

bool ClientCore::closed() const {
  std::scoped_lock lock(mutex_);
  return closed_;
}

void ClientCore::close_and_drain() {
  std::unique_lock lock(mutex_);
  closed_ = true;
  changed_.notify_all();
  changed_.wait(lock, [&] { return inflight_ == 0; });
}

std::optional<IdempotencyKey> idempotency_of(const std::string& key, std::chrono::seconds ttl) {
  if (key.empty()) return std::nullopt;
  return IdempotencyKey{key, ttl};
}

Result<WriteResult> ClientCore::run_write(WritePlan plan, WritePath path, std::int64_t bytes_staged,
                                          std::string_view operation, std::chrono::steady_clock::time_point started) {
  const std::string table = plan.table.name;
  const IngestId ingest_id = plan.ingest_id;
  const std::optional<StagingRef> staging = plan.staging;
  auto execution = driver->execute(std::move(plan));
  // No finalizer owns the staging: remove it here.
  if (!execution && staging) (void)backend->remove_prefix(staging->prefix);
  return complete_write(std::move(execution), table, ingest_id, path, bytes_staged, operation, started);
}

Result<WriteResult> ClientCore::complete_write(Result<Execution> execution, const std::string& table,
                                               const IngestId& id, WritePath path, std::int64_t bytes_staged,
                                               std::string_view operation,
                                               std::chrono::steady_clock::time_point started) {
  const std::string ingest_id = id.to_string();
  auto failed = [&](Error error) -> Result<WriteResult> {
    const char* outcome = error.code() == ErrorCode::conflict ? "conflict" : "failed";
    if (error.code() == ErrorCode::conflict) metrics.increment("lake_commit_conflicts_total", {{"table", table}});
    metrics.increment("lake_ingests_total", {{"table", table}, {"path", std::string(to_string(path))}, {"outcome", outcome}});
    log(LogLevel::error, std::format("{} failed", operation),
        {{"ingest_id", ingest_id}, {"table", table}, {"path", std::string(to_string(path))},
         {"error", std::string(lake::to_string(error.code()))}, {"message", error.message()}});
    return std::unexpected(std::move(error));
  };

  if (!execution) return failed(execution.error());
  auto committed = execution->finalizer->commit();
  if (!committed) {
    if (auto aborted = execution->finalizer->abort(); !aborted && aborted.error().code() != ErrorCode::already_committed)
      log(LogLevel::warn, "aborting a failed write failed",
          {{"ingest_id", ingest_id}, {"table", table}, {"message", aborted.error().message()}});
    return failed(committed.error());
  }
  WriteResult result = *committed;
  result.path = path;
  result.bytes_staged = bytes_staged;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const char* outcome = result.skipped_as_duplicate ? "duplicate" : "committed";
  metrics.increment("lake_ingests_total", {{"table", table}, {"path", std::string(to_string(path))}, {"outcome", outcome}});
  metrics.observe("lake_ingest_duration_seconds", {{"path", std::string(to_string(path))}}, seconds);
  if (result.rows_inserted) metrics.increment("lake_rows_written_total", {{"table", table}, {"op", "insert"}}, result.rows_inserted);
  if (result.rows_updated) metrics.increment("lake_rows_written_total", {{"table", table}, {"op", "update"}}, result.rows_updated);
  if (result.rows_deleted) metrics.increment("lake_rows_written_total", {{"table", table}, {"op", "delete"}}, result.rows_deleted);
  if (bytes_staged) metrics.increment("lake_bytes_staged_total", {{"table", table}}, static_cast<double>(bytes_staged));
  if (result.attempts > 1) metrics.increment("lake_commit_retries_total", {{"table", table}}, result.attempts - 1);
  log(LogLevel::info, result.skipped_as_duplicate ? std::format("{} skipped: idempotency key already applied", operation)
                                                  : std::format("{} committed", operation),
      {{"ingest_id", ingest_id},
       {"table", table},
       {"path", std::string(to_string(path))},
       {"version", std::to_string(result.version)},
       {"rows_inserted", std::to_string(result.rows_inserted)},
       {"rows_updated", std::to_string(result.rows_updated)},
       {"rows_deleted", std::to_string(result.rows_deleted)},
       {"bytes_staged", std::to_string(bytes_staged)},
       {"attempts", std::to_string(result.attempts)},
       {"seconds", std::format("{:.6f}", seconds)}});
  return result;
}

}  // namespace detail

// ---- composition ----------------------------------------------------------------

Result<Client> Client::open(std::shared_ptr<Driver> driver, std::shared_ptr<const Dialect> dialect,
                            std::shared_ptr<Backend> backend, ClientOptions options) {
  if (!driver) return fail(ErrorCode::invalid_argument, "open: no driver given");
  if (!dialect) return fail(ErrorCode::invalid_argument, "open: no dialect given");
  if (!backend) return fail(ErrorCode::invalid_argument, "open: no backend given");
  auto positive = [](std::int64_t value, std::string_view option) -> Status {
    if (value > 0) return {};
    return fail(ErrorCode::invalid_argument, std::format("open: {} must be positive (it is {})", option, value));
  };
  for (auto check : {positive(options.fast_path_threshold, "fast_path_threshold"),
                     positive(options.max_inflight_ingests, "max_inflight_ingests"),
                     positive(options.session_pool_size, "session_pool_size"),
                     positive(options.staging_batch_bytes, "staging_batch_bytes"),
                     positive(options.staging_part_bytes, "staging_part_bytes"),
                     positive(options.default_idempotency_ttl.count(), "default_idempotency_ttl")})
    LAKE_RETURN_IF_ERROR(check);
  if (options.writer_threads < 0)
    return fail(ErrorCode::invalid_argument,
                std::format("open: writer_threads must be 0 (one per core) or a thread count (it is {})",
                            options.writer_threads));
  if (options.write_retry.max_attempts < 1)
    return fail(ErrorCode::invalid_argument,
                std::format("open: write_retry.max_attempts must be at least 1 (it is {})", options.write_retry.max_attempts));
  if (options.write_retry.initial_backoff.count() < 0 || options.write_retry.max_backoff < options.write_retry.initial_backoff)
    return fail(ErrorCode::invalid_argument,
                std::format("open: write_retry needs 0 <= initial_backoff <= max_backoff (they are {} and {})",
                            options.write_retry.initial_backoff, options.write_retry.max_backoff));
  for (const auto& [name, value] : {std::pair{"default_catalog", &options.default_catalog},
                                    std::pair{"default_database", &options.default_database}})
    if (!value->empty() && (!is_valid_identifier(*value) || value->find('/') != std::string::npos || *value == "." ||
                            *value == ".."))
      return fail(ErrorCode::invalid_argument, std::format("open: {} '{}' is not a usable name", name, *value));
  if (auto supported = dialect->check_row_changes(options.row_changes); !supported)
    return std::unexpected(supported.error().with_context("open"));

  auto state = std::make_shared<State>();
  state->driver = std::move(driver);
  state->dialect = std::move(dialect);
  state->backend = std::move(backend);
  state->options = std::move(options);
  auto attached = state->driver->attach({.backend = state->backend,
                                         .dialect = state->dialect,
                                         .location_of = [catalog = state->options.default_catalog,
                                                         database = state->options.default_database](std::string_view t) {
                                           return detail::location_in(catalog, database, t);
                                         },
                                         .session_pool_size = state->options.session_pool_size,
                                         .default_catalog = state->options.default_catalog,
                                         .default_database = state->options.default_database,
                                         .write_retry = state->options.write_retry,
                                         .row_changes = state->options.row_changes,
                                         .writer_threads = detail::writer_thread_count(state->options.writer_threads)});
  LAKE_RETURN_IF_ERROR(attached);
  return Client(std::move(state));
}

Status Client::check_open() const {
  if (state_->closed()) return fail(ErrorCode::closed, "the client is closed");
  return {};
}

timestamp Client::now() const {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

Error Client::rejected(const Schema& schema, Error error) const {
  state_->metrics.increment("lake_validation_failures_total", {{"table", schema.table_name}});
  state_->log(LogLevel::warn, "write rejected by validation",
              {{"table", schema.table_name}, {"message", error.message()}});
  return error;
}

const MetricsRegistry& Client::metrics() const { return state_->metrics; }
TableRef Client::table_ref(std::string_view table) const { return state_->table_ref(table); }
Driver& Client::driver() const { return *state_->driver; }
Backend& Client::backend() const { return *state_->backend; }
const Dialect& Client::dialect() const { return *state_->dialect; }

// ---- writes -------------------------------------------------------------------------

Status Client::check_keyed(const Schema& schema, const std::vector<std::size_t>& keys, std::string_view operation,
                           std::string_view missing) const {
  LAKE_RETURN_IF_ERROR(check_open());
  if (keys.empty())
    return fail(ErrorCode::invalid_argument, std::format("{}: {} declares {}", operation, schema.type_name, missing));
  return {};
}

Result<Client::Ingest> Client::begin_ingest(const Schema& schema, const IngestId& ingest_id,
                                            const InsertOptions& options, IngestEnd end) const {
  auto slot = state_->acquire_slot();
  LAKE_RETURN_IF_ERROR(slot);
  return Ingest(std::make_unique<Ingest::Impl>(state_, schema, state_->table_ref(schema.table_name), ingest_id,
                                               options, std::move(*slot), end == IngestEnd::commit));
}

Result<WriteResult> Client::merge_rows(const Schema& schema, const IngestId& ingest_id,
                                       std::shared_ptr<arrow::RecordBatch> rows, const std::vector<std::size_t>& keys,
                                       OnMatch on_match, OnNoMatch on_no_match, const std::string& idempotency_key,
                                       std::string_view operation) const {
  const auto started = std::chrono::steady_clock::now();
  auto slot = state_->acquire_slot();
  LAKE_RETURN_IF_ERROR(slot);
  WritePlan plan = state_->plan(PlanKind::merge, schema.table_name, ingest_id, idempotency_key);
  for (auto i : keys) plan.keys.push_back(schema.fields[i].column);
  plan.on_match = on_match;
  plan.on_no_match = on_no_match;
  auto reader = arrow::RecordBatchReader::Make({std::move(rows)});
  if (!reader.ok()) return fail(detail::from_arrow_status(reader.status(), std::format("preparing the {}", operation)));
  plan.rows = std::move(*reader);
  return state_->run_write(std::move(plan), WritePath::direct, 0, operation, started);
}

Result<WriteResult> Client::delete_where(std::string_view table, const arrow::compute::Expression& predicate,
                                         DeleteOptions options) const {
  LAKE_RETURN_IF_ERROR(check_open());
  const auto started = std::chrono::steady_clock::now();
  auto slot = state_->acquire_slot();
  LAKE_RETURN_IF_ERROR(slot);
  WritePlan plan = state_->plan(PlanKind::delete_where, table, IngestId::generate(), options.idempotency_key);
  plan.predicate = predicate;
  return state_->run_write(std::move(plan), WritePath::direct, 0, "delete", started);
}

Result<WriteResult> Client::replace_rows(const Schema& schema, const IngestId& ingest_id,
                                         std::shared_ptr<arrow::RecordBatch> rows,
                                         const arrow::compute::Expression& predicate,
                                         const std::string& idempotency_key) const {
  const auto started = std::chrono::steady_clock::now();
  auto slot = state_->acquire_slot();
  LAKE_RETURN_IF_ERROR(slot);
  WritePlan plan = state_->plan(PlanKind::replace_where, schema.table_name, ingest_id, idempotency_key);
  plan.predicate = predicate;
  // Every engine gets rows inside the predicate: an engine's SQL would
  // take rows outside it (the native formats check again, for their own
  // callers).
  auto schema_of_rows = rows->schema();
  auto reader = arrow::RecordBatchReader::Make({std::move(rows)});
  if (!reader.ok()) return fail(detail::from_arrow_status(reader.status(), "preparing the replace"));
  LAKE_ASSIGN_OR_RETURN(auto within, formats::rows_within(**reader, predicate));
  auto checked = arrow::RecordBatchReader::Make(std::move(within), std::move(schema_of_rows));
  if (!checked.ok()) return fail(detail::from_arrow_status(checked.status(), "preparing the replace"));
  plan.rows = std::move(*checked);
  return state_->run_write(std::move(plan), WritePath::direct, 0, "replace", started);
}

// ---- raw insertion --------------------------------------------------------------------

struct RawInsertion::State {
  std::shared_ptr<detail::ClientCore> core;
  const Schema* schema = nullptr;
  IngestId ingest_id;
  StagingRef staging;
  std::mutex mutex;
  bool done = false;  // merged, committed or aborted
};

Result<RawInsertion> Client::raw_insertion(const Schema& schema, const IngestId& ingest_id,
                                           Ingest session) const {
  auto staging = session.finish_staging();
  LAKE_RETURN_IF_ERROR(staging);
  auto state = std::make_shared<RawInsertion::State>();
  state->core = state_;
  state->schema = &schema;
  state->ingest_id = ingest_id;
  state->staging = std::move(*staging);
  state_->log(LogLevel::info, "raw rows staged",
              {{"ingest_id", ingest_id.to_string()}, {"table", schema.table_name}, {"prefix", state->staging.location}});
  return RawInsertion(std::move(state));
}

Result<WriteResult> RawInsertion::land(WritePlan plan, std::string_view operation) {
  State& state = *state_;
  const auto started = std::chrono::steady_clock::now();
  std::scoped_lock lock(state.mutex);
  if (state.done) return fail(ErrorCode::already_committed, "the raw insertion was already merged, committed or aborted");
  auto slot = state.core->acquire_slot();
  LAKE_RETURN_IF_ERROR(slot);
  plan.ingest_id = state.ingest_id;
  plan.staging = state.staging;
  if (state.staging.parts.empty()) {
    state.done = true;
    (void)state.core->backend->remove_prefix(state.staging.prefix);
    return WriteResult{.ingest_id = state.ingest_id, .path = WritePath::object_storage, .committed = false};
  }
  // Whatever happens next, the finalizer (or run_write) removes the staging.
  state.done = true;
  return state.core->run_write(std::move(plan), WritePath::object_storage, 0, operation, started);
}

RawInsertion::~RawInsertion() {
  if (state_) (void)abort();
}

const IngestId& RawInsertion::ingest_id() const noexcept { return state_->ingest_id; }
const StagingRef& RawInsertion::staging() const noexcept { return state_->staging; }

Result<WriteResult> RawInsertion::then_merge(const RawMergeOptions& options) {
  WritePlan plan;
  plan.kind = PlanKind::merge;
  plan.table = state_->core->table_ref(options.target_table.empty() ? state_->schema->table_name : options.target_table);
  plan.keys = options.keys;  // empty: the table's own merge (else primary) keys
  plan.on_match = options.on_match == MergeAction::update   ? OnMatch::update
                  : options.on_match == MergeAction::skip ? OnMatch::skip
                                                            : OnMatch::fail;
  plan.on_no_match = OnNoMatch::insert;
  plan.source_filter = options.filter;
  return land(std::move(plan), "raw merge");
}

std::future<Result<WriteResult>> RawInsertion::async_then_merge(RawMergeOptions options) {
  return std::async(std::launch::async, [state = state_, options = std::move(options)]() {
    RawInsertion self(state);
    auto result = self.then_merge(options);
    self.state_.reset();  // the caller's handle still owns the insertion
    return result;
  });
}

Result<WriteResult> RawInsertion::commit() {
  WritePlan plan;
  plan.kind = PlanKind::append;
  plan.table = state_->core->table_ref(state_->schema->table_name);
  return land(std::move(plan), "raw commit");
}

Status RawInsertion::abort() {
  std::scoped_lock lock(state_->mutex);
  if (state_->done) return {};
  state_->done = true;
  auto removed = state_->core->backend->remove_prefix(state_->staging.prefix);
  LAKE_RETURN_IF_ERROR(removed);
  state_->core->log(LogLevel::info, "raw insertion aborted; staging removed",
                    {{"ingest_id", state_->ingest_id.to_string()}, {"table", state_->schema->table_name}});
  return {};
}

// ---- SQL ------------------------------------------------------------------------------

Result<std::shared_ptr<arrow::RecordBatchReader>> Client::query(std::string_view sql,
                                                                std::span<const SqlValue> params) const {
  LAKE_RETURN_IF_ERROR(check_open());
  auto reader = state_->driver->query(sql, params);
  state_->metrics.increment("lake_queries_total", {{"outcome", reader ? "ok" : "error"}});
  return reader;
}

Result<std::int64_t> Client::exec(std::string_view sql, std::span<const SqlValue> params) const {
  LAKE_RETURN_IF_ERROR(check_open());
  auto changed = state_->driver->exec(sql, params);
  state_->metrics.increment("lake_queries_total", {{"outcome", changed ? "ok" : "error"}});
  return changed;
}

// ---- untyped results --------------------------------------------------------------------

Result<DataFrame> Client::data_frame(std::string sql, SqlParams params) const {
  LAKE_RETURN_IF_ERROR(check_open());
  auto runner = std::make_shared<const detail::StatementRunner>(detail::StatementRunner{.core = state_, .held = {}});
  return DataFrame::make(std::move(runner), std::move(sql), std::move(params));
}

QueryBuilder Client::query_builder() const {
  return QueryBuilder(std::make_shared<const detail::StatementRunner>(detail::StatementRunner{.core = state_, .held = {}}));
}

Result<Session> Client::session() const {
  LAKE_RETURN_IF_ERROR(check_open());
  auto held = state_->driver->open_session();
  LAKE_RETURN_IF_ERROR(held);
  return Session(std::make_shared<const detail::StatementRunner>(
      detail::StatementRunner{.core = state_, .held = std::move(*held)}));
}

// ---- schema -----------------------------------------------------------------------------

TableDefaults table_defaults(const ClientOptions& options) {
  return {.idempotency_ttl = options.default_idempotency_ttl, .row_changes = options.row_changes};
}

TableDefaults Client::table_defaults() const { return lake::table_defaults(state_->options); }

Status Client::migrate_schema(const Schema& schema) const {
  LAKE_RETURN_IF_ERROR(check_open());
  const TableRef table = state_->table_ref(schema.table_name);
  auto created = state_->driver->create_table(
      table, schema,
      state_->dialect->table_properties(schema, table_defaults()));
  if (!created) return std::unexpected(created.error().with_context(std::format("migrating {}", schema.type_name)));
  state_->log(LogLevel::info, "table migrated", {{"table", table.name}, {"location", table.location}});
  return {};
}

Status Client::assert_schema(const Schema& schema) const {
  return assert_schema_of(schema, schema_fingerprint(schema));
}

Result<migrate::CheckReport> Client::migrate_check_schemas(const std::filesystem::path& dir,
                                                           std::span<const Schema* const> schemas, bool live) const {
  auto report = migrate::check(dir, schemas, dialect(), table_defaults());
  if (!report || !live) return report;
  for (const Schema* schema : schemas)
    if (auto status = assert_schema(*schema); !status)
      report->problems.push_back({.kind = "live", .file = "", .message = status.error().message()});
  return report;
}

Status Client::assert_schema_of(const Schema& schema, const std::string& fingerprint) const {
  LAKE_RETURN_IF_ERROR(check_open());
  const TableRef table = state_->table_ref(schema.table_name);
  auto live = state_->driver->describe(table);
  LAKE_RETURN_IF_ERROR(live);
  if (!*live)
    return fail(ErrorCode::not_found, std::format("table '{}' of {} does not exist (run migrate)", table.name,
                                                  schema.type_name));
  std::vector<std::string> differences;
  std::map<std::string, const Field*> columns;
  for (const Field& column : (*live)->columns) columns[column.column] = &column;
  for (const Field& field : schema.fields) {
    auto it = columns.find(field.column);
    if (it == columns.end()) {
      differences.push_back(std::format("column '{}' ({}) is not in the table", field.column, field.type.to_string()));
      continue;
    }
    const Field& column = *it->second;
    if (!(column.type == field.type))
      differences.push_back(std::format("column '{}' is {} in the table but {} in the struct", field.column,
                                        column.type.to_string(), field.type.to_string()));
    if (column.nullable != field.nullable)
      differences.push_back(std::format("column '{}' is {} in the table but {} in the struct", field.column,
                                        column.nullable ? "nullable" : "not nullable",
                                        field.nullable ? "nullable" : "not nullable"));
    columns.erase(it);
  }
  for (const auto& [name, column] : columns)
    if (name != kIngestIdColumn)
      differences.push_back(std::format("column '{}' ({}) is in the table but not in the struct", name,
                                        column->type.to_string()));
  const std::vector<std::string> partitions = state_->dialect->partition_columns(schema);
  auto list = [](const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
    return "(" + out + ")";
  };
  if (partitions != (*live)->partition_columns)
    differences.push_back(std::format("the table is partitioned by {} but the struct by {}",
                                      list((*live)->partition_columns), list(partitions)));
  auto keys_of = [&](const std::vector<std::size_t>& indexes) {
    std::vector<std::string> names;
    for (auto i : indexes) names.push_back(schema.fields[i].column);
    return names;
  };
  for (const auto& [property, expected, what] :
       {std::tuple{formats::kPrimaryKeysProperty, keys_of(schema.primary_keys), "primary key"},
        std::tuple{formats::kMergeKeysProperty, keys_of(schema.merge_keys), "merge keys"}}) {
    auto recorded = formats::list_property((*live)->properties, property);
    if (recorded != expected)
      differences.push_back(std::format("the table's {} is {} but the struct's is {}", what, list(recorded), list(expected)));
  }
  if (differences.empty()) return {};
  std::string message = std::format("table '{}' does not match {} (struct fingerprint {}): ", table.name,
                                    schema.type_name, fingerprint.substr(0, 16));
  for (std::size_t i = 0; i < differences.size(); ++i) message += (i ? "; " : "") + differences[i];
  return fail(ErrorCode::schema_mismatch, std::move(message));
}

// ---- operations ---------------------------------------------------------------------------

Status Client::verify() const {
  LAKE_RETURN_IF_ERROR(check_open());
  Backend& backend = *state_->backend;
  const IngestId probe_id = IngestId::generate();
  std::random_device random;
  const std::string token = std::format("{}-{:08x}{:08x}", probe_id.to_string(), random(), random());
  StagingRef staging{.prefix = staging::prefix_of(probe_id), .parts = {}, .location = {}};
  staging.location = backend.uri_of(staging.prefix);
  auto cleanup = [&] { (void)backend.remove_prefix(staging.prefix); };

  // Leg 1: the client writes a probe through the backend.
  auto schema = arrow::schema({arrow::field("probe", arrow::utf8(), false)});
  arrow::StringBuilder builder;
  std::shared_ptr<arrow::Array> column;
  if (!builder.Append(token).ok() || !builder.Finish(&column).ok())
    return fail(ErrorCode::internal, "building the verify probe");
  auto writer = StagedPartWriter::open(backend, staging.prefix, schema, {});
  Status written = writer ? (*writer)->write(arrow::RecordBatch::Make(schema, 1, {column})) : Status(std::unexpected(writer.error()));
  Result<std::vector<std::string>> parts = written ? (*writer)->close() : Result<std::vector<std::string>>(std::unexpected(written.error()));
  if (!parts) {
    cleanup();
    return fail(ErrorCode::client_staging,
                std::format("verify: the client could not write a probe to '{}' ({} backend): {}", staging.location,
                            backend.name(), parts.error().message()));
  }
  staging.parts = *parts;

  // Leg 2: the engine reads it back.
  auto reader = state_->driver->read_staging(staging);
  std::vector<std::string> seen;
  Status read = reader ? Status() : Status(std::unexpected(reader.error()));
  while (read && reader) {
    std::shared_ptr<arrow::RecordBatch> batch;
    if (auto st = (*reader)->ReadNext(&batch); !st.ok()) {
      read = fail(detail::from_arrow_status(st, "reading the probe"));
      break;
    }
    if (!batch) break;
    auto values = batch->GetColumnByName("probe");
    auto strings = std::dynamic_pointer_cast<arrow::StringArray>(values);
    if (!strings) {
      read = fail(ErrorCode::schema_mismatch, "the probe came back without its 'probe' column");
      break;
    }
    for (std::int64_t i = 0; i < strings->length(); ++i) seen.emplace_back(strings->GetView(i));
  }
  cleanup();
  if (!read)
    return fail(ErrorCode::driver_read, std::format("verify: the {} engine could not read the probe the client wrote to "
                                                    "'{}': {}",
                                                    state_->driver->name(), staging.location, read.error().message()));
  // Leg 3: both saw the same object.
  if (seen.size() != 1 || seen.front() != token)
    return fail(ErrorCode::uri_mismatch,
                std::format("verify: the {} engine read {} row(s) from '{}' but not the probe the client wrote there",
                            state_->driver->name(), seen.size(), staging.location));
  state_->log(LogLevel::info, "verify passed", {{"backend", std::string(backend.name())}, {"uri", backend.root_uri()}});
  return {};
}

Result<CleanupReport> Client::cleanup_staging(std::chrono::seconds older_than, const ProgressFn& progress) const {
  LAKE_RETURN_IF_ERROR(check_open());
  if (older_than.count() < 0)
    return fail(ErrorCode::invalid_argument, std::format("cleanup_staging: older_than is negative ({} s)", older_than.count()));
  Backend& backend = *state_->backend;
  auto prefixes = staging::list_prefixes(backend);
  LAKE_RETURN_IF_ERROR(prefixes);
  const auto cutoff = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()) - older_than;
  CleanupReport report;
  const auto total = static_cast<std::int64_t>(prefixes->size());
  for (const auto& [prefix, ingest_id] : *prefixes) {
    ++report.scanned;
    if (ingest_id && ingest_id->time() < cutoff) {
      if (auto removed = backend.remove_prefix(prefix); removed)
        report.deleted.push_back(backend.uri_of(prefix));
      else
        report.failed.push_back(backend.uri_of(prefix));
    }
    if (progress) progress({.step = "staging prefixes scanned", .done = report.scanned, .total = total});
  }
  state_->log(LogLevel::info, "staging cleaned up",
              {{"scanned", std::to_string(report.scanned)},
               {"deleted", std::to_string(report.deleted.size())},
               {"failed", std::to_string(report.failed.size())}});
  return report;
}

Status Client::ping() const {
  LAKE_RETURN_IF_ERROR(check_open());
  return state_->driver->ping();
}

Status Client::close() {
  if (state_->closed()) return {};
  state_->close_and_drain();
  return state_->driver->close();
}

// ---- maintenance ----------------------------------------------------------------------------

Maintenance Client::maintain() const { return Maintenance(*this); }

Result<OptimizeReport> Maintenance::optimize(std::string_view table, const OptimizeOptions& options) {
  LAKE_RETURN_IF_ERROR(client_.check_open());
  auto report = client_.state_->driver->optimize(client_.table_ref(table), options);
  if (report)
    client_.state_->log(LogLevel::info, "optimized",
                        {{"table", std::string(table)}, {"files_removed", std::to_string(report->files_removed)},
                         {"files_added", std::to_string(report->files_added)}});
  return report;
}

Result<VacuumReport> Maintenance::vacuum(std::string_view table, const VacuumOptions& options) {
  LAKE_RETURN_IF_ERROR(client_.check_open());
  auto report = client_.state_->driver->vacuum(client_.table_ref(table), options);
  if (report)
    client_.state_->log(LogLevel::info, options.dry_run ? "vacuum dry run" : "vacuumed",
                        {{"table", std::string(table)}, {"files", std::to_string(report->files.size())},
                         {"bytes", std::to_string(report->bytes)}});
  return report;
}

Result<TableStats> Maintenance::stats(std::string_view table) {
  LAKE_RETURN_IF_ERROR(client_.check_open());
  return client_.state_->driver->stats(client_.table_ref(table));
}

Result<std::vector<HistoryEntry>> Maintenance::history(std::string_view table, std::optional<std::size_t> limit) {
  LAKE_RETURN_IF_ERROR(client_.check_open());
  return client_.state_->driver->history(client_.table_ref(table), limit);
}

}  // namespace lake

// The embedded driver: DuckDB for SQL, the dialect's native table format
// for every write, and a cache of table handles so each statement and
// write starts from the table's latest snapshot without reading its
// metadata from the start. Nothing here knows which format it serves.
#include <arrow/compute/api.h>
#include <arrow/table.h>

#include <atomic>
#include <format>
#include <map>
#include <mutex>

#include "core/propagate.hpp"
#include "drivers/duckdb/engine.hpp"
#include "formats/time_travel.hpp"
#include "lake/arrow/detail/status.hpp"
#include "lake/dialect.hpp"
#include "migrate/ddl_statement.hpp"
#include "storage/staging.hpp"

namespace lake::duckdb {
namespace {

namespace cp = arrow::compute;

// Handles by table location, refreshed on use. A handle is not
// thread-safe, so callers get their own clone.
class TableCache {
 public:
  TableCache(std::shared_ptr<Backend> backend, std::shared_ptr<const formats::NativeFormat> format,
             formats::HandleOptions options)
      : backend_(std::move(backend)), format_(std::move(format)), options_(options) {}

  [[nodiscard]] const formats::NativeFormat& format() const noexcept { return *format_; }
  [[nodiscard]] const formats::HandleOptions& options() const noexcept { return options_; }

  // The table at its latest snapshot; null when there is none.
  Result<std::unique_ptr<formats::FormatTable>> latest(const TableRef& table) {
    std::unique_ptr<formats::FormatTable> handle;
    {
      std::scoped_lock lock(mutex_);
      if (auto it = tables_.find(table.location); it != tables_.end()) handle = it->second->clone();
    }
    if (handle) {
      if (auto refreshed = handle->refresh(); !refreshed) {
        if (refreshed.error().code() != ErrorCode::not_found) return std::unexpected(refreshed.error());
        forget(table.location);  // dropped behind our back
        return std::unique_ptr<formats::FormatTable>();
      }
    } else {
      auto opened = format_->open(backend_, table, options_);
      LAKE_RETURN_IF_ERROR(opened);
      if (!*opened) return std::unique_ptr<formats::FormatTable>();
      handle = std::move(*opened);
    }
    remember(table.location, *handle);
    return handle;
  }

  // Keeps a copy of `table` unless the cache holds a newer snapshot.
  void remember(const std::string& location, const formats::FormatTable& table) {
    std::scoped_lock lock(mutex_);
    auto& kept = tables_[location];
    if (!kept || kept->metadata().snapshot.sequence_number < table.metadata().snapshot.sequence_number)
      kept = table.clone();
  }

  void forget(const std::string& location) {
    std::scoped_lock lock(mutex_);
    tables_.erase(location);
  }

 private:
  std::shared_ptr<Backend> backend_;
  std::shared_ptr<const formats::NativeFormat> format_;
  formats::HandleOptions options_;
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<formats::FormatTable>> tables_;
};

// A write's second phase: the format's prepared commit, committed or
// aborted; the staging goes either way.
class EngineFinalizer final : public Finalizer {
 public:
  EngineFinalizer(std::unique_ptr<formats::FormatTable> table, std::unique_ptr<formats::PreparedCommit> prepared,
                  std::shared_ptr<TableCache> cache, std::string location, std::shared_ptr<Backend> backend,
                  std::optional<std::string> staging_prefix)
      : table_(std::move(table)),
        prepared_(std::move(prepared)),
        cache_(std::move(cache)),
        location_(std::move(location)),
        backend_(std::move(backend)),
        staging_prefix_(std::move(staging_prefix)) {}
  ~EngineFinalizer() override {
    if (state_ == State::pending) (void)abort();
  }

  Result<WriteResult> commit() override {
    if (state_ == State::committed) return result_;
    if (state_ == State::aborted) return fail(ErrorCode::invalid_argument, "the write was aborted");
    auto landed = prepared_->commit();
    LAKE_RETURN_IF_ERROR(landed);
    result_ = *landed;
    state_ = State::committed;
    if (result_.committed) cache_->remember(location_, *table_);
    remove_staging();
    return result_;
  }

  Status abort() override {
    if (state_ == State::committed) return fail(ErrorCode::already_committed, "the write was already committed");
    if (state_ == State::aborted) return {};
    state_ = State::aborted;
    prepared_->abort();
    remove_staging();
    return {};
  }

 private:
  void remove_staging() {
    if (staging_prefix_) (void)backend_->remove_prefix(*staging_prefix_);
    staging_prefix_.reset();
  }

  enum class State { pending, committed, aborted };
  std::unique_ptr<formats::FormatTable> table_;  // declared first: outlives the prepared commit
  std::unique_ptr<formats::PreparedCommit> prepared_;
  std::shared_ptr<TableCache> cache_;
  std::string location_;
  std::shared_ptr<Backend> backend_;
  std::optional<std::string> staging_prefix_;
  State state_ = State::pending;
  WriteResult result_;
};

// Keeps the rows for which `filter` is true.
Result<std::shared_ptr<arrow::RecordBatchReader>> filtered(std::shared_ptr<arrow::RecordBatchReader> rows,
                                                          const cp::Expression& filter) {
  auto bound = filter.Bind(*rows->schema());
  if (!bound.ok()) return fail(lake::detail::from_arrow_status(bound.status(), "binding the merge filter"));
  std::vector<std::shared_ptr<arrow::RecordBatch>> kept;
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    if (auto st = rows->ReadNext(&batch); !st.ok()) return fail(lake::detail::from_arrow_status(st, "reading rows"));
    if (!batch) break;
    auto mask = cp::ExecuteScalarExpression(*bound, cp::ExecBatch(*batch));
    if (!mask.ok()) return fail(lake::detail::from_arrow_status(mask.status(), "evaluating the merge filter"));
    auto selected = cp::Filter(batch, *mask);
    if (!selected.ok()) return fail(lake::detail::from_arrow_status(selected.status(), "applying the merge filter"));
    kept.push_back(selected->record_batch());
  }
  auto reader = arrow::RecordBatchReader::Make(std::move(kept), rows->schema());
  if (!reader.ok()) return fail(lake::detail::from_arrow_status(reader.status(), "merge source"));
  return *reader;
}

class EmbeddedDriver final : public Driver {
 public:
  explicit EmbeddedDriver(EngineOptions options) : engine_options_(std::move(options)) {}

  std::string_view name() const noexcept override { return "duckdb"; }

  Status attach(DriverContext context) override {
    if (engine_) return fail(ErrorCode::invalid_argument, "the embedded driver is already attached to a client");
    if (!context.backend || !context.dialect || !context.location_of)
      return fail(ErrorCode::invalid_argument, "the embedded driver needs a backend, a dialect and table locations");
    auto format = context.dialect->native_format();
    if (!format)
      return fail(ErrorCode::unsupported,
                  std::format("the embedded driver reads and writes tables through a native implementation of their "
                              "format, and this build has none for '{}'; use a driver whose engine implements it "
                              "(lake::spark::driver)",
                              context.dialect->name()));
    context_ = std::move(context);
    cache_ = std::make_shared<TableCache>(context_.backend, std::move(format),
                                          formats::HandleOptions{.retry = context_.write_retry,
                                                                 .row_changes = context_.row_changes,
                                                                 .writer_threads = context_.writer_threads});
    EngineOptions options = engine_options_;
    options.max_connections = context_.session_pool_size;
    auto engine = Engine::open(
        [cache = cache_, location_of = context_.location_of](
            std::string_view text) -> Result<std::unique_ptr<formats::FormatTable>> {
          auto travel = formats::parse_time_travel(text);
          LAKE_RETURN_IF_ERROR(travel);
          if (!is_valid_identifier(travel->table)) return std::unique_ptr<formats::FormatTable>();
          auto table = cache->latest(TableRef{travel->table, location_of(travel->table)});
          if (!table || !*table || !travel->at) return table;
          return (*table)->at(*travel->at);
        },
        options);
    LAKE_RETURN_IF_ERROR(engine);
    engine_ = std::move(*engine);
    return {};
  }

  Result<std::shared_ptr<arrow::RecordBatchReader>> query(std::string_view sql,
                                                          std::span<const SqlValue> params) override {
    LAKE_RETURN_IF_ERROR(check_open());
    return engine_->query(sql, params);
  }

  Result<std::int64_t> exec(std::string_view sql, std::span<const SqlValue> params) override {
    LAKE_RETURN_IF_ERROR(check_open());
    return engine_->exec(sql, params);
  }

  Result<std::shared_ptr<DriverSession>> open_session() override {
    LAKE_RETURN_IF_ERROR(check_open());
    auto session = engine_->session();
    LAKE_RETURN_IF_ERROR(session);
    return std::shared_ptr<DriverSession>(std::move(*session));
  }

  // DuckDB's plans live inside this process only.
  Result<std::string> native_plan(std::string_view, std::span<const SqlValue>) override {
    return fail(ErrorCode::unsupported,
                "the embedded engine has no plan to hand out: its queries are SQL text run in this process");
  }

  std::string quote_identifier(std::string_view name) const override {
    std::string quoted = "\"";
    for (char c : name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
  }

  // Phase one prepares the format's change (data files written, nothing
  // visible); the finalizer commits or aborts it.
  Result<Execution> execute(WritePlan plan) override {
    auto table = existing(plan.table);
    LAKE_RETURN_IF_ERROR(table);
    std::optional<std::string> staging_prefix;
    std::shared_ptr<arrow::RecordBatchReader> rows = plan.rows;
    if (plan.staging) {
      staging_prefix = plan.staging->prefix;
      auto staged = read_staged_parts(context_.backend, plan.staging->parts);
      if (!staged)
        return fail(ErrorCode::driver_read, std::format("the embedded engine could not read staging '{}': {}",
                                                        plan.staging->location, staged.error().message()));
      rows = std::move(*staged);
    }
    auto change = row_change(plan, std::move(rows));
    LAKE_RETURN_IF_ERROR(change);
    auto prepared = (*table)->prepare(std::move(*change), formats::CommitOptions{plan.ingest_id, plan.idempotency});
    LAKE_RETURN_IF_ERROR(prepared);
    return Execution{std::make_unique<EngineFinalizer>(std::move(*table), std::move(*prepared), cache_,
                                                       plan.table.location, context_.backend,
                                                       std::move(staging_prefix))};
  }

  // The native formats stream an append's rows into data files (and a
  // merge's into its key index), removing what they wrote on failure.
  bool streams_rows() const noexcept override { return true; }

  Result<std::shared_ptr<arrow::RecordBatchReader>> read_staging(const StagingRef& staging) override {
    LAKE_RETURN_IF_ERROR(check_open());
    return read_staged_parts(context_.backend, staging.parts);
  }

  Status create_table(const TableRef& table, const Schema& schema,
                      const std::map<std::string, std::string>& properties) override {
    LAKE_RETURN_IF_ERROR(check_open());
    auto created = cache_->format().create(
        context_.backend, table, formats::CreateTable{.schema = &schema, .properties = properties, .if_not_exists = true},
        cache_->options());
    LAKE_RETURN_IF_ERROR(created);
    cache_->remember(table.location, **created);
    return {};
  }

  // The statements as the format's changes, in one commit: a statement
  // outside the subset lake-orm writes is refused before anything runs.
  Status alter_table(const TableRef& table, std::span<const std::string> statements) override {
    std::vector<formats::TableChange> changes;
    for (const auto& sql : statements) {
      auto statement = migrate::parse_ddl(sql);
      LAKE_RETURN_IF_ERROR(statement);
      if (migrate::table_of(*statement) != table.name)
        return fail(ErrorCode::invalid_argument,
                    std::format("'{}' changes table '{}', not '{}'", sql, migrate::table_of(*statement), table.name));
      auto change = migrate::table_change(*statement);
      LAKE_RETURN_IF_ERROR(change);
      if (!*change)
        return fail(ErrorCode::invalid_argument, std::format("'{}' is not an ALTER or REPLACE TABLE statement", sql));
      changes.push_back(std::move(**change));
    }
    auto found = existing(table);
    LAKE_RETURN_IF_ERROR(found);
    LAKE_RETURN_IF_ERROR((*found)->alter(changes));
    cache_->remember(table.location, **found);
    return {};
  }

  Status drop_table(const TableRef& table) override {
    LAKE_RETURN_IF_ERROR(check_open());
    cache_->forget(table.location);
    return cache_->format().drop(context_.backend, table);
  }

  Result<std::optional<TableInfo>> describe(const TableRef& table) override {
    LAKE_RETURN_IF_ERROR(check_open());
    auto found = cache_->latest(table);
    LAKE_RETURN_IF_ERROR(found);
    if (!*found) return std::optional<TableInfo>{};
    return std::optional<TableInfo>(formats::table_info(table, **found));
  }

  Result<TableStats> stats(const TableRef& table) override {
    auto found = existing(table);
    LAKE_RETURN_IF_ERROR(found);
    return (*found)->stats();
  }

  Result<std::vector<HistoryEntry>> history(const TableRef& table, std::optional<std::size_t> limit) override {
    auto found = existing(table);
    LAKE_RETURN_IF_ERROR(found);
    return (*found)->history(limit);
  }

  Result<OptimizeReport> optimize(const TableRef& table, const OptimizeOptions& options) override {
    auto found = existing(table);
    LAKE_RETURN_IF_ERROR(found);
    auto report = (*found)->optimize(options);
    if (report) cache_->remember(table.location, **found);
    return report;
  }

  Result<VacuumReport> vacuum(const TableRef& table, const VacuumOptions& options) override {
    auto found = existing(table);
    LAKE_RETURN_IF_ERROR(found);
    return (*found)->vacuum(options);
  }

  Status ping() override {
    LAKE_RETURN_IF_ERROR(check_open());
    return engine_->ping();
  }

  Status close() override {
    closed_ = true;
    return {};
  }

 private:
  Status check_open() const {
    if (!engine_) return fail(ErrorCode::invalid_argument, "the embedded driver is not attached to a client");
    if (closed_) return fail(ErrorCode::closed, "the embedded driver is closed");
    return {};
  }

  // The plan as the format's row change; a merge's source filter applied.
  static Result<formats::RowChange> row_change(const WritePlan& plan, std::shared_ptr<arrow::RecordBatchReader> rows) {
    switch (plan.kind) {
      case PlanKind::append:
        if (!rows) return fail(ErrorCode::invalid_argument, "an append plan needs rows or staging");
        return formats::Append{std::move(rows)};
      case PlanKind::merge:
        if (!rows) return fail(ErrorCode::invalid_argument, "a merge plan needs rows or staging");
        if (plan.source_filter) {
          auto kept = filtered(rows, *plan.source_filter);
          LAKE_RETURN_IF_ERROR(kept);
          rows = std::move(*kept);
        }
        return formats::Merge{std::move(rows), plan.keys, plan.on_match, plan.on_no_match};
      case PlanKind::delete_where:
        if (!plan.predicate) return fail(ErrorCode::invalid_argument, "a delete plan needs a predicate");
        return formats::DeleteWhere{*plan.predicate};
      case PlanKind::replace_where:
        if (!plan.predicate || !rows) return fail(ErrorCode::invalid_argument, "a replace plan needs a predicate and rows");
        return formats::ReplaceWhere{*plan.predicate, std::move(rows)};
    }
    return fail(ErrorCode::invalid_argument, "unknown plan kind");
  }

  Result<std::unique_ptr<formats::FormatTable>> existing(const TableRef& table) {
    LAKE_RETURN_IF_ERROR(check_open());
    auto found = cache_->latest(table);
    LAKE_RETURN_IF_ERROR(found);
    if (!*found) return std::unexpected(formats::missing_table(table, *context_.backend));
    return std::move(*found);
  }

  EngineOptions engine_options_;
  DriverContext context_;
  std::shared_ptr<TableCache> cache_;
  std::unique_ptr<Engine> engine_;
  std::atomic<bool> closed_ = false;
};

}  // namespace

std::shared_ptr<Driver> driver(EngineOptions options) { return std::make_shared<EmbeddedDriver>(std::move(options)); }

}  // namespace lake::duckdb

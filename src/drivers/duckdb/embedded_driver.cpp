// The embedded driver: DuckDB for SQL, lake-orm's Delta implementation for
// every write, and a cache of table handles so each statement and write
// starts from the table's latest version without replaying its log.
#include <arrow/compute/api.h>
#include <arrow/table.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <sstream>
#include <format>
#include <map>
#include <mutex>

#include "drivers/delta_metadata.hpp"
#include "lake/arrow/detail/status.hpp"
#include "lake/dialect.hpp"
#include "lake/drivers/duckdb.hpp"
#include "lake/storage/staged_parts.hpp"

namespace lake::duckdb {
namespace {

namespace cp = arrow::compute;

// Handles by table location, refreshed on use. delta::Table is not
// thread-safe, so callers get their own copy.
class TableCache {
 public:
  TableCache(std::shared_ptr<Backend> backend, delta::TableOptions options)
      : backend_(std::move(backend)), options_(options) {}

  [[nodiscard]] const delta::TableOptions& options() const noexcept { return options_; }

  // The table at its latest version; nullopt when there is none.
  Result<std::optional<delta::Table>> latest(const std::string& location) {
    std::optional<delta::Table> handle;
    {
      std::scoped_lock lock(mutex_);
      if (auto it = tables_.find(location); it != tables_.end()) handle = it->second;
    }
    if (handle) {
      if (auto refreshed = handle->refresh(); !refreshed) {
        if (refreshed.error().code() != ErrorCode::not_found) return std::unexpected(refreshed.error());
        forget(location);  // dropped behind our back
        return std::optional<delta::Table>{};
      }
    } else {
      auto opened = delta::Table::open(backend_, location, options_);
      if (!opened) {
        if (opened.error().code() == ErrorCode::not_found) return std::optional<delta::Table>{};
        return std::unexpected(opened.error());
      }
      handle = std::move(*opened);
    }
    remember(location, *handle);
    return handle;
  }

  void remember(const std::string& location, const delta::Table& table) {
    std::scoped_lock lock(mutex_);
    auto [it, inserted] = tables_.try_emplace(location, table);
    if (!inserted && it->second.version() < table.version()) it->second = table;
  }

  void forget(const std::string& location) {
    std::scoped_lock lock(mutex_);
    tables_.erase(location);
  }

 private:
  std::shared_ptr<Backend> backend_;
  delta::TableOptions options_;
  std::mutex mutex_;
  std::map<std::string, delta::Table> tables_;
};

// "users@v12" (a version) or "users@2026-11-21T10:00:00Z" (a moment).
struct TimeTravel {
  std::string name;
  std::optional<std::int64_t> version;
  std::optional<timestamp> moment;
};

Result<TimeTravel> parse_time_travel(std::string_view text) {
  auto at = text.rfind('@');
  if (at == std::string_view::npos) return TimeTravel{std::string(text), std::nullopt, std::nullopt};
  TimeTravel travel{std::string(text.substr(0, at)), std::nullopt, std::nullopt};
  std::string_view spec = text.substr(at + 1);
  if (spec.size() > 1 && (spec[0] == 'v' || spec[0] == 'V')) {
    std::int64_t version = 0;
    auto [end, ec] = std::from_chars(spec.data() + 1, spec.data() + spec.size(), version);
    if (ec == std::errc() && end == spec.data() + spec.size() && version >= 0) {
      travel.version = version;
      return travel;
    }
  }
  std::istringstream in{std::string(spec)};
  std::chrono::sys_time<std::chrono::microseconds> moment;
  in >> std::chrono::parse("%FT%T%Ez", moment);
  if (in.fail()) {
    in.clear();
    in.str(std::string(spec));
    in >> std::chrono::parse("%FT%TZ", moment);
  }
  if (in.fail())
    return fail(ErrorCode::invalid_argument,
                std::format("'{}': time travel is name@v<version> or name@<ISO 8601 time>, e.g. users@v3 or "
                            "users@2026-11-21T10:00:00Z",
                            text));
  travel.moment = moment;
  return travel;
}

WriteResult write_result_of(const delta::CommitResult& commit, const IngestId& ingest_id) {
  return WriteResult{.ingest_id = ingest_id,
                     .path = WritePath::direct,
                     .version = commit.version,
                     .committed = commit.committed,
                     .skipped_as_duplicate = commit.skipped_as_duplicate,
                     .rows_inserted = commit.rows_inserted,
                     .rows_updated = commit.rows_updated,
                     .rows_deleted = commit.rows_deleted,
                     .bytes_staged = 0,
                     .attempts = commit.attempts};
}

// A write's second phase: `land` commits what the first phase prepared,
// `discard` undoes it; the staging goes either way.
class DeltaFinalizer final : public Finalizer {
 public:
  DeltaFinalizer(std::function<Result<WriteResult>()> land, std::function<void()> discard,
                 std::shared_ptr<Backend> backend, std::optional<std::string> staging_prefix)
      : land_(std::move(land)),
        discard_(std::move(discard)),
        backend_(std::move(backend)),
        staging_prefix_(std::move(staging_prefix)) {}
  ~DeltaFinalizer() override {
    if (state_ == State::pending) (void)abort();
  }

  Result<WriteResult> commit() override {
    if (state_ == State::committed) return result_;
    if (state_ == State::aborted) return fail(ErrorCode::invalid_argument, "the write was aborted");
    auto landed = land_();
    if (!landed) return std::unexpected(landed.error());
    result_ = *landed;
    state_ = State::committed;
    remove_staging();
    return result_;
  }

  Status abort() override {
    if (state_ == State::committed)
      return fail(ErrorCode::already_committed, "the write was already committed");
    if (state_ == State::aborted) return {};
    state_ = State::aborted;
    if (discard_) discard_();
    remove_staging();
    return {};
  }

 private:
  void remove_staging() {
    if (staging_prefix_) (void)backend_->remove_prefix(*staging_prefix_);
    staging_prefix_.reset();
  }

  enum class State { pending, committed, aborted };
  std::function<Result<WriteResult>()> land_;
  std::function<void()> discard_;
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

delta::WhenMatched when_matched(OnMatch on_match) {
  switch (on_match) {
    case OnMatch::update: return delta::WhenMatched::update;
    case OnMatch::remove: return delta::WhenMatched::remove;
    case OnMatch::skip: return delta::WhenMatched::ignore;
    case OnMatch::fail: return delta::WhenMatched::fail;
  }
  return delta::WhenMatched::update;
}

class EmbeddedDriver final : public Driver {
 public:
  explicit EmbeddedDriver(EngineOptions options) : engine_options_(std::move(options)) {}

  std::string_view name() const noexcept override { return "duckdb"; }

  Status attach(DriverContext context) override {
    if (engine_) return fail(ErrorCode::invalid_argument, "the embedded driver is already attached to a client");
    if (!context.backend || !context.dialect || !context.location_of)
      return fail(ErrorCode::invalid_argument, "the embedded driver needs a backend, a dialect and table locations");
    if (context.dialect->name() != "delta")
      return fail(ErrorCode::unsupported,
                  std::format("the embedded driver writes Delta tables natively; the '{}' dialect needs another driver",
                              context.dialect->name()));
    context_ = std::move(context);
    cache_ = std::make_shared<TableCache>(context_.backend,
                                          delta::TableOptions{.max_commit_attempts = context_.write_retry.max_attempts,
                                                              .commit_backoff = context_.write_retry.initial_backoff,
                                                              .max_commit_backoff = context_.write_retry.max_backoff});
    EngineOptions options = engine_options_;
    options.max_connections = context_.session_pool_size;
    auto engine = Engine::open(
        [cache = cache_, location_of = context_.location_of](std::string_view text)
            -> Result<std::optional<delta::Table>> {
          auto travel = parse_time_travel(text);
          if (!travel) return std::unexpected(travel.error());
          if (!is_valid_identifier(travel->name)) return std::optional<delta::Table>{};
          auto table = cache->latest(location_of(travel->name));
          if (!table || !*table || (!travel->version && !travel->moment)) return table;
          auto past = travel->version ? (*table)->as_of(*travel->version) : (*table)->as_of(*travel->moment);
          if (!past) return std::unexpected(past.error());
          return std::optional<delta::Table>(std::move(*past));
        },
        options);
    if (!engine) return std::unexpected(engine.error());
    engine_ = std::move(*engine);
    return {};
  }

  Result<std::shared_ptr<arrow::RecordBatchReader>> query(std::string_view sql,
                                                          std::span<const SqlValue> params) override {
    if (auto open = check_open(); !open) return std::unexpected(open.error());
    return engine_->query(sql, params);
  }

  Result<std::int64_t> exec(std::string_view sql, std::span<const SqlValue> params) override {
    if (auto open = check_open(); !open) return std::unexpected(open.error());
    return engine_->exec(sql, params);
  }

  Result<Execution> execute(WritePlan plan) override {
    if (auto open = check_open(); !open) return std::unexpected(open.error());
    auto found = existing(plan.table);
    if (!found) return std::unexpected(found.error());
    auto table = std::make_shared<delta::Table>(std::move(*found));

    delta::WriteOptions write;
    write.user_metadata = detail::delta_commit_metadata(plan.ingest_id);
    if (plan.idempotency) {
      auto txn = detail::delta_idempotency(table->snapshot(), *plan.idempotency);
      if (txn.duplicate) return duplicate(*table, plan);
      write.idempotency = delta::Idempotency{std::move(txn.app_id), txn.version};
    }

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
    const IngestId ingest_id = plan.ingest_id;
    auto finalizer = [&](std::function<Result<WriteResult>()> land, std::function<void()> discard) {
      return Execution{std::make_unique<DeltaFinalizer>(std::move(land), std::move(discard), context_.backend,
                                                        staging_prefix)};
    };

    switch (plan.kind) {
      case PlanKind::append: {
        if (!rows) return fail(ErrorCode::invalid_argument, "an append plan needs rows or staging");
        // Phase one writes the data files; the commit adds them.
        auto files = table->write_files(*rows);
        if (!files) return std::unexpected(files.error());
        auto written = std::make_shared<std::vector<delta::Add>>(std::move(*files));
        return finalizer(
            [this, table, written, write, ingest_id, location = plan.table.location]() -> Result<WriteResult> {
              auto committed = table->append_files(*written, write);
              if (!committed) return std::unexpected(committed.error());
              if (committed->skipped_as_duplicate) table->discard_files(*written);
              cache_->remember(location, *table);
              return write_result_of(*committed, ingest_id);
            },
            [table, written] { table->discard_files(*written); });
      }
      case PlanKind::merge: {
        if (!rows) return fail(ErrorCode::invalid_argument, "a merge plan needs rows or staging");
        if (plan.source_filter) {
          auto kept = filtered(rows, *plan.source_filter);
          if (!kept) return std::unexpected(kept.error());
          rows = std::move(*kept);
        }
        // A Delta merge reads and rewrites in one step and commits it.
        delta::MergeOptions options{.keys = plan.keys,
                                    .when_matched = when_matched(plan.on_match),
                                    .when_not_matched = plan.on_no_match == OnNoMatch::insert
                                                            ? delta::WhenNotMatched::insert
                                                            : delta::WhenNotMatched::ignore,
                                    .target_filter = std::nullopt,
                                    .write = write};
        auto merged = table->merge(*rows, options);
        if (!merged) return std::unexpected(merged.error());
        cache_->remember(plan.table.location, *table);
        return finalizer([result = write_result_of(*merged, ingest_id)] { return Result<WriteResult>(result); }, {});
      }
      case PlanKind::delete_where: {
        if (!plan.predicate) return fail(ErrorCode::invalid_argument, "a delete plan needs a predicate");
        auto deleted = table->delete_where(*plan.predicate, write);
        if (!deleted) return std::unexpected(deleted.error());
        cache_->remember(plan.table.location, *table);
        return finalizer([result = write_result_of(*deleted, ingest_id)] { return Result<WriteResult>(result); }, {});
      }
    }
    return fail(ErrorCode::invalid_argument, "unknown plan kind");
  }

  Result<std::shared_ptr<arrow::RecordBatchReader>> read_staging(const StagingRef& staging) override {
    if (auto open = check_open(); !open) return std::unexpected(open.error());
    return read_staged_parts(context_.backend, staging.parts);
  }

  Status create_table(const TableRef& table, const Schema& schema,
                      const std::map<std::string, std::string>& properties) override {
    if (auto open = check_open(); !open) return open;
    auto created = delta::Table::create(context_.backend, table.location, schema,
                                        {.properties = properties, .description = std::nullopt, .if_not_exists = true},
                                        cache_->options());
    if (!created) return std::unexpected(created.error());
    cache_->remember(table.location, *created);
    return {};
  }

  Result<std::optional<TableInfo>> describe(const TableRef& table) override {
    if (auto open = check_open(); !open) return std::unexpected(open.error());
    auto found = cache_->latest(table.location);
    if (!found) return std::unexpected(found.error());
    if (!*found) return std::optional<TableInfo>{};
    return std::optional<TableInfo>(lake::detail::delta_table_info(table, (*found)->snapshot()));
  }

  Result<TableStats> stats(const TableRef& table) override {
    auto found = existing(table);
    if (!found) return std::unexpected(found.error());
    auto stats = found->stats();
    if (!stats) return std::unexpected(stats.error());
    return lake::detail::delta_table_stats(*stats);
  }

  Result<std::vector<HistoryEntry>> history(const TableRef& table, std::optional<std::size_t> limit) override {
    auto found = existing(table);
    if (!found) return std::unexpected(found.error());
    auto commits = found->history(limit);
    if (!commits) return std::unexpected(commits.error());
    return lake::detail::delta_history(*commits);
  }

  Result<OptimizeReport> optimize(const TableRef& table, const OptimizeOptions& options) override {
    auto found = existing(table);
    if (!found) return std::unexpected(found.error());
    auto report = found->optimize({.where = options.where,
                                   .target_file_bytes = options.target_file_bytes,
                                   .zorder_by = options.zorder_by,
                                   .sort_by = {},
                                   .progress = options.progress});
    if (!report) return std::unexpected(report.error());
    cache_->remember(table.location, *found);
    return OptimizeReport{.version = report->version,
                          .files_removed = report->files_removed,
                          .files_added = report->files_added,
                          .bytes_removed = report->bytes_removed,
                          .bytes_added = report->bytes_added};
  }

  Result<VacuumReport> vacuum(const TableRef& table, const VacuumOptions& options) override {
    auto found = existing(table);
    if (!found) return std::unexpected(found.error());
    delta::VacuumOptions vacuum_options{.retention = std::nullopt,
                                        .allow_short_retention = options.allow_short_retention,
                                        .dry_run = options.dry_run,
                                        .progress = options.progress};
    if (options.retention) vacuum_options.retention = std::chrono::duration_cast<std::chrono::milliseconds>(*options.retention);
    auto report = found->vacuum(vacuum_options);
    if (!report) return std::unexpected(report.error());
    return VacuumReport{.files = std::move(report->files), .bytes = report->bytes, .dry_run = report->dry_run};
  }

  Status ping() override {
    if (auto open = check_open(); !open) return open;
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

  Result<delta::Table> existing(const TableRef& table) {
    if (auto open = check_open(); !open) return std::unexpected(open.error());
    auto found = cache_->latest(table.location);
    if (!found) return std::unexpected(found.error());
    if (!*found)
      return fail(ErrorCode::not_found,
                  std::format("table '{}' does not exist at '{}' (migrate it first)", table.name,
                              context_.backend->uri_of(table.location)));
    return std::move(**found);
  }

  Result<Execution> duplicate(const delta::Table& table, const WritePlan& plan) {
    WriteResult result{.ingest_id = plan.ingest_id, .version = table.version(), .skipped_as_duplicate = true};
    std::optional<std::string> prefix;
    if (plan.staging) prefix = plan.staging->prefix;
    return Execution{std::make_unique<DeltaFinalizer>([result] { return Result<WriteResult>(result); },
                                                      std::function<void()>{}, context_.backend, prefix)};
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

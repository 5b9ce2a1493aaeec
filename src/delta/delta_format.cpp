// The Delta implementation of the table-format contract: each contract
// operation is the native Table's, its results in the client's types.
#include "delta/delta_format.hpp"

#include <format>

#include "core/propagate.hpp"
#include "delta/commit_records.hpp"
#include "delta/table_alter.hpp"
#include "lake/delta/table.hpp"

namespace lake::delta {
namespace {

WriteResult write_result_of(const CommitResult& commit, const IngestId& ingest_id) {
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

WhenMatched when_matched(OnMatch on_match) {
  switch (on_match) {
    case OnMatch::update: return WhenMatched::update;
    case OnMatch::remove: return WhenMatched::remove;
    case OnMatch::skip: return WhenMatched::ignore;
    case OnMatch::fail: return WhenMatched::fail;
  }
  return WhenMatched::update;
}

TableOptions table_options(const formats::HandleOptions& options) {
  return TableOptions{.max_commit_attempts = options.retry.max_attempts,
                      .writer_threads = options.writer_threads,
                      .row_changes = options.row_changes,
                      .commit_backoff = options.retry.initial_backoff,
                      .max_commit_backoff = options.retry.max_backoff};
}

formats::TableMetadata metadata_of(const Snapshot& snapshot) {
  formats::TableMetadata metadata{
      .format = "delta",
      .snapshot = {.id = snapshot.version(), .sequence_number = snapshot.version(),
                   .committed_at = snapshot.committed_at()},
      .columns = {},
      .partitioning = {},
      .properties = {snapshot.metadata().configuration.begin(), snapshot.metadata().configuration.end()}};
  metadata.columns.reserve(snapshot.columns().size());
  for (const Field& field : snapshot.columns()) metadata.columns.push_back({.field = field});
  for (const std::string& column : snapshot.partition_columns())
    metadata.partitioning.push_back({.source_column = column, .transform = formats::Transform::identity});
  return metadata;
}

// An append: its files are written; the commit adds them.
class AppendCommit final : public formats::PreparedCommit {
 public:
  AppendCommit(std::shared_ptr<Table> table, std::vector<Add> written, WriteOptions write, IngestId ingest_id)
      : table_(std::move(table)), written_(std::move(written)), write_(std::move(write)), ingest_id_(ingest_id) {}
  ~AppendCommit() override { abort(); }

  Result<WriteResult> commit() override {
    auto committed = table_->append_files(written_, write_);
    if (!committed) {
      abort();
      return std::unexpected(committed.error());
    }
    if (committed->skipped_as_duplicate) table_->discard_files(written_);
    written_.clear();
    return write_result_of(*committed, ingest_id_);
  }
  void abort() override {
    if (!written_.empty()) table_->discard_files(written_);
    written_.clear();
  }

 private:
  std::shared_ptr<Table> table_;
  std::vector<Add> written_;
  WriteOptions write_;
  IngestId ingest_id_;
};

// A delete, update or merge prepared by the Table.
class RowChangeCommit final : public formats::PreparedCommit {
 public:
  RowChangeCommit(std::shared_ptr<Table> table, PreparedWrite prepared, IngestId ingest_id)
      : table_(std::move(table)), prepared_(std::move(prepared)), ingest_id_(ingest_id) {}

  Result<WriteResult> commit() override {
    auto committed = prepared_.commit();
    LAKE_RETURN_IF_ERROR(committed);
    return write_result_of(*committed, ingest_id_);
  }
  void abort() override { prepared_.abort(); }

 private:
  std::shared_ptr<Table> table_;  // declared first: the prepared write points into it
  PreparedWrite prepared_;
  IngestId ingest_id_;
};

// A write whose idempotency key the table already applied.
class DuplicateCommit final : public formats::PreparedCommit {
 public:
  DuplicateCommit(std::int64_t version, IngestId ingest_id) : version_(version), ingest_id_(ingest_id) {}
  Result<WriteResult> commit() override {
    return WriteResult{.ingest_id = ingest_id_, .version = version_, .skipped_as_duplicate = true};
  }
  void abort() override {}

 private:
  std::int64_t version_;
  IngestId ingest_id_;
};

class DeltaFormatTable final : public formats::FormatTable {
 public:
  explicit DeltaFormatTable(Table table) : table_(std::make_shared<Table>(std::move(table))) {}

  std::unique_ptr<formats::FormatTable> clone() const override {
    return std::make_unique<DeltaFormatTable>(*table_);
  }

  const formats::TableMetadata& metadata() const override {
    if (!metadata_ || metadata_->snapshot.id != table_->version()) metadata_ = metadata_of(table_->snapshot());
    return *metadata_;
  }
  std::shared_ptr<arrow::Schema> arrow_schema() const override { return table_->arrow_schema(); }

  Status refresh() override { return table_->refresh(); }

  Result<std::unique_ptr<formats::FormatTable>> at(formats::SnapshotSelector which) const override {
    auto past = std::holds_alternative<std::int64_t>(which) ? table_->as_of(std::get<std::int64_t>(which))
                                                             : table_->as_of(std::get<timestamp>(which));
    LAKE_RETURN_IF_ERROR(past);
    return std::unique_ptr<formats::FormatTable>(std::make_unique<DeltaFormatTable>(std::move(*past)));
  }

  Result<std::vector<HistoryEntry>> history(std::optional<std::size_t> limit) const override {
    auto commits = table_->history(limit);
    LAKE_RETURN_IF_ERROR(commits);
    std::vector<HistoryEntry> entries;
    entries.reserve(commits->size());
    for (const auto& commit : *commits)
      entries.push_back({commit.version, commit.committed_at, commit.operation, commit.parameters});
    return entries;
  }

  Result<TableStats> stats() const override { return table_->stats(); }

  Result<formats::ScanPlan> plan_scan(const std::optional<formats::Predicate>& predicate) const override {
    auto files = table_->files(predicate);
    LAKE_RETURN_IF_ERROR(files);
    formats::ScanPlan plan{.files = {}, .files_total = static_cast<std::int64_t>(table_->snapshot().files().size())};
    plan.files.reserve(files->size());
    for (const Add& add : *files) {
      const auto key = add.key();
      plan.files.push_back({.path = key.path, .deletes = key.deletion_vector_id, .size_bytes = add.size});
    }
    return plan;
  }

  Result<std::shared_ptr<arrow::RecordBatchReader>> read(const formats::ScanPlan& plan,
                                                         const formats::ScanOptions& options) const override {
    const auto& live = table_->snapshot().files();
    std::vector<Add> files;
    files.reserve(plan.files.size());
    for (const auto& file : plan.files) {
      auto it = live.find(LogicalFileKey{file.path, file.deletes});
      if (it == live.end())
        return fail(ErrorCode::invalid_argument, std::format("'{}' is not a live file of Delta table '{}' at version {}",
                                                             file.path, table_->root(), table_->version()));
      files.push_back(it->second);
    }
    return table_->scan(std::move(files),
                        ReadOptions{.columns = options.columns,
                                    .filter = options.row_filter,
                                    .batch_rows = options.batch_rows,
                                    .threads = options.threads});
  }

  Result<std::unique_ptr<formats::PreparedCommit>> prepare(formats::RowChange change,
                                                           const formats::CommitOptions& options) override {
    WriteOptions write{.idempotency = std::nullopt, .user_metadata = commit_metadata(options.ingest_id)};
    if (options.idempotency) {
      auto record = idempotency_record(table_->snapshot(), *options.idempotency);
      if (record.duplicate) return prepared(std::make_unique<DuplicateCommit>(table_->version(), options.ingest_id));
      write.idempotency = Idempotency{std::move(record.app_id), record.version};
    }
    const IngestId id = options.ingest_id;
    if (auto* append = std::get_if<formats::Append>(&change)) {
      if (!append->rows) return fail(ErrorCode::invalid_argument, "an append needs rows");
      auto files = table_->write_files(*append->rows);
      LAKE_RETURN_IF_ERROR(files);
      return prepared(std::make_unique<AppendCommit>(table_, std::move(*files), std::move(write), id));
    }
    Result<PreparedWrite> write_prepared = fail(ErrorCode::invalid_argument, "unknown row change");
    if (auto* merge = std::get_if<formats::Merge>(&change)) {
      if (!merge->rows) return fail(ErrorCode::invalid_argument, "a merge needs rows");
      write_prepared = table_->prepare_merge(
          *merge->rows, MergeOptions{.keys = merge->keys,
                                     .when_matched = when_matched(merge->on_match),
                                     .when_not_matched = merge->on_no_match == OnNoMatch::insert
                                                             ? WhenNotMatched::insert
                                                             : WhenNotMatched::ignore,
                                     .target_filter = std::nullopt,
                                     .write = std::move(write)});
    } else if (auto* removal = std::get_if<formats::DeleteWhere>(&change)) {
      write_prepared = table_->prepare_delete_where(removal->predicate, std::move(write));
    } else if (auto* update = std::get_if<formats::UpdateWhere>(&change)) {
      write_prepared = table_->prepare_update_where(update->predicate, update->assignments, std::move(write));
    } else if (auto* replace = std::get_if<formats::ReplaceWhere>(&change)) {
      if (!replace->rows) return fail(ErrorCode::invalid_argument, "a replace needs rows");
      write_prepared = table_->prepare_replace_where(replace->predicate, *replace->rows, std::move(write));
    }
    LAKE_RETURN_IF_ERROR(write_prepared);
    return prepared(std::make_unique<RowChangeCommit>(table_, std::move(*write_prepared), id));
  }

  Status alter(std::span<const formats::TableChange> changes) override {
    auto altered = delta::alter(*table_, changes);
    LAKE_RETURN_IF_ERROR(altered);
    return {};
  }

  Status evolve_to(const Schema& schema) override {
    auto evolved = table_->evolve_to(schema);
    LAKE_RETURN_IF_ERROR(evolved);
    return {};
  }

  Result<OptimizeReport> optimize(const OptimizeOptions& options) override { return table_->optimize(options); }

  Result<VacuumReport> vacuum(const VacuumOptions& options) override { return table_->vacuum(options); }

 private:
  static Result<std::unique_ptr<formats::PreparedCommit>> prepared(std::unique_ptr<formats::PreparedCommit> commit) {
    return commit;
  }

  std::shared_ptr<Table> table_;
  mutable std::optional<formats::TableMetadata> metadata_;
};

class DeltaFormat final : public formats::NativeFormat {
 public:
  std::string_view name() const noexcept override { return "delta"; }

  Result<std::unique_ptr<formats::FormatTable>> open(std::shared_ptr<Backend> backend, const TableRef& table,
                                                     const formats::HandleOptions& options) const override {
    auto opened = Table::open(std::move(backend), table.location, table_options(options));
    if (!opened) {
      if (opened.error().code() == ErrorCode::not_found) return std::unique_ptr<formats::FormatTable>();
      return std::unexpected(opened.error());
    }
    return std::unique_ptr<formats::FormatTable>(std::make_unique<DeltaFormatTable>(std::move(*opened)));
  }

  Result<std::unique_ptr<formats::FormatTable>> create(std::shared_ptr<Backend> backend, const TableRef& table,
                                                       const formats::CreateTable& request,
                                                       const formats::HandleOptions& options) const override {
    if (request.schema == nullptr) return fail(ErrorCode::invalid_argument, "creating a Delta table needs a schema");
    auto created = Table::create(std::move(backend), table.location, *request.schema,
                                 CreateOptions{.properties = request.properties,
                                               .description = std::nullopt,
                                               .if_not_exists = request.if_not_exists},
                                 table_options(options));
    LAKE_RETURN_IF_ERROR(created);
    return std::unique_ptr<formats::FormatTable>(std::make_unique<DeltaFormatTable>(std::move(*created)));
  }

  Status drop(std::shared_ptr<Backend> backend, const TableRef& table) const override {
    // The log first: a reader that lists the folder meanwhile finds no
    // table rather than a log naming files already gone.
    auto log = backend->remove_prefix(table.location + "/_delta_log/");
    LAKE_RETURN_IF_ERROR(log);
    auto removed = backend->remove_prefix(table.location + "/");
    LAKE_RETURN_IF_ERROR(removed);
    return {};
  }

  std::map<std::string, std::string> idempotency_properties(std::chrono::seconds ttl) const override {
    // Delta keeps an application's txn (our idempotency record) until a
    // checkpoint drops it past this retention.
    return {{"delta.setTransactionRetentionDuration", std::format("interval {} seconds", ttl.count())}};
  }
};

}  // namespace

std::shared_ptr<const formats::NativeFormat> native_format() {
  static const auto format = std::make_shared<const DeltaFormat>();
  return format;
}

}  // namespace lake::delta

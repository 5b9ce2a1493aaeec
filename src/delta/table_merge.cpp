// Merge on Delta: the keyed row change behind upsert, update and remove by
// key and key-checked inserts. Matching and the per-row rules are
// formats/merge_planner's (shared with Iceberg); here are the Delta parts:
// candidate files from the snapshot's stats, matched rows taken out of
// their files (a rewrite as remove + add, or a deletion vector), the
// commit with its metrics.
//
// Concurrency. A merge commits with its keys (formats/write_keys.hpp)
// instead of a read predicate: when it loses the commit race, the rows
// the winners added are checked for its keys, and it commits on top of
// them unless one really collides. A collision, or a winner that removed
// a file the merge read or rewrote, makes it run again against the newer
// version (with a jittered pause), so every merge ends as if the merges
// had run one after the other: insert-if-absent fails naming the keys
// taken in between, skip skips them, update replaces the winners' rows.
// All attempts of one merge count against TableOptions::
// max_commit_attempts; only running out of them is a conflict the caller
// sees.
#include <arrow/compute/api.h>
#include <arrow/table.h>

#include <format>

#include <nlohmann/json.hpp>

#include "core/propagate.hpp"
#include "delta/conform.hpp"
#include "delta/add_file_set.hpp"
#include "delta/prepared_write.hpp"
#include "delta/row_deletions.hpp"
#include "delta/table_properties.hpp"
#include "delta/table_writer.hpp"
#include "formats/lake_properties.hpp"
#include "formats/merge_planner.hpp"
#include "formats/row_ops.hpp"
#include "lake/arrow/convert.hpp"
#include "lake/ingest_id.hpp"

namespace lake::delta {
namespace {

using formats::KeyIndex;
using formats::MergeSource;

Error arrow_error(const arrow::Status& status, std::string_view context) {
  return lake::detail::from_arrow_status(status, context);
}

// The merge source conformed to the table's current schema, its keys indexed.
Result<MergeSource> prepare_source(const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches,
                                   const TableLayout& layout, const std::vector<std::string>& key_names) {
  const auto& schema = layout.arrow_schema;
  std::vector<std::shared_ptr<arrow::RecordBatch>> conformed;
  conformed.reserve(batches.size());
  for (const auto& batch : batches) {
    auto fitted = conform_input_batch(*batch, schema);
    if (!fitted) return std::unexpected(fitted.error().with_context("merge source"));
    conformed.push_back(std::move(*fitted));
  }
  auto combined = arrow::Table::FromRecordBatches(schema, conformed);
  if (!combined.ok()) return fail(arrow_error(combined.status(), "merge source"));
  auto rows = (*combined)->CombineChunksToBatch();
  if (!rows.ok()) return fail(arrow_error(rows.status(), "merge source"));
  return MergeSource::make(std::move(*rows), key_names);
}

OnMatch on_match(WhenMatched when) {
  switch (when) {
    case WhenMatched::update: return OnMatch::update;
    case WhenMatched::remove: return OnMatch::remove;
    case WhenMatched::ignore: return OnMatch::skip;
    case WhenMatched::fail: return OnMatch::fail;
  }
  return OnMatch::update;
}

// The Delta side of a merge: candidate files from the snapshot's stats;
// matched rows leave their files as remove + add of the rewritten file
// (copy-on-write) or as a new deletion vector (merge-on-read, when the
// writer deletes by vector); inserted rows are new files. Rewrites run on
// several threads, each into its file's slot; collect() moves them into
// the attempt in file order.
class DeltaMergeTarget final : public formats::MergeTarget {
 public:
  DeltaMergeTarget(Backend& backend, const TableWriter& writer, const TableLayout& layout, std::vector<Add> files,
                   PlannedCommit& attempt)
      : backend_(backend), file_options_(writer.file_options()), layout_(layout), files_(files),
        set_(backend, layout, std::move(files)), attempt_(attempt), rewrites_(files_.size()) {
    if (writer.deletes_by_vector()) deletions_.emplace(backend, layout);
  }

  const formats::DataFileSet& files() const override { return set_; }
  Result<std::int64_t> remove_rows(std::size_t file, std::shared_ptr<const arrow::BooleanArray> gone) override {
    Rewrite& slot = rewrites_[file];
    if (deletions_) {
      slot.deleted_rows = std::move(gone);
      return 0;
    }
    LAKE_ASSIGN_OR_RETURN(auto rows, delta::read_whole(backend_, layout_, files_[file]));
    LAKE_ASSIGN_OR_RETURN(auto kept, formats::select_rows(rows, *gone, false));
    rows.reset();
    LAKE_ASSIGN_OR_RETURN(slot.written, write_rows(backend_, layout_, {kept}, file_options_));
    slot.removed = true;
    return kept->num_rows();
  }
  void depends_on(std::size_t file) override { attempt_.pending.read_files.insert(files_[file].key()); }
  Status insert(std::shared_ptr<arrow::RecordBatch> rows) override {
    collect();
    LAKE_ASSIGN_OR_RETURN(auto added, write_rows(backend_, layout_, {std::move(rows)}, file_options_));
    attempt_.written.insert(attempt_.written.end(), added.begin(), added.end());
    return {};
  }

  // The rewritten files into the attempt, in file order: their removes,
  // and the files written in their place (so that a failed merge can
  // discard them). Called whether or not the merge succeeded; once.
  void collect() {
    if (collected_) return;
    collected_ = true;
    for (std::size_t file = 0; file < rewrites_.size(); ++file) {
      Rewrite& slot = rewrites_[file];
      attempt_.written.insert(attempt_.written.end(), slot.written.begin(), slot.written.end());
      if (!slot.removed) continue;
      attempt_.pending.actions.emplace_back(remove_of(files_[file]));
      ++files_removed_;
    }
  }

  // After a successful merge: the deletion vectors it made (if any) into
  // the attempt, and the files it removed (rewritten, or every row
  // deleted) into its result.
  Status finish() {
    collect();
    if (deletions_) {
      for (std::size_t file = 0; file < rewrites_.size(); ++file)
        if (rewrites_[file].deleted_rows) LAKE_RETURN_IF_ERROR(deletions_->mark(files_[file], *rewrites_[file].deleted_rows));
      if (!deletions_->empty()) {
        LAKE_ASSIGN_OR_RETURN(auto added, deletions_->add_to(attempt_.pending));
        attempt_.written_vectors.push_back(std::move(added.vector_file));
        attempt_.result.deletion_vectors_added = added.vectors;
        files_removed_ += added.files_removed;
      }
    }
    attempt_.result.files_removed = files_removed_;
    return {};
  }

 private:
  // What the merge did to one candidate file.
  struct Rewrite {
    bool removed = false;                                      // copy-on-write: the file goes
    std::vector<Add> written;                                  // ... and these take its place
    std::shared_ptr<const arrow::BooleanArray> deleted_rows;  // merge-on-read: its rows to delete
  };

  Backend& backend_;
  const DataFileOptions file_options_;
  const TableLayout& layout_;
  std::vector<Add> files_;
  AddFileSet set_;
  PlannedCommit& attempt_;
  std::optional<RowDeletions> deletions_;
  std::vector<Rewrite> rewrites_;  // per file of files_
  bool collected_ = false;
  std::int64_t files_removed_ = 0;
};

class MergePlanner {
 public:
  MergePlanner(Backend& backend, const TableWriter& writer, const TableLayout& layout, const MergeSource& source,
               const MergeOptions& options)
      : backend_(backend), writer_(writer), layout_(layout), source_(source), options_(options) {}

  // The attempt, or nullopt when the merge changes nothing.
  Result<std::optional<PlannedCommit>> plan() {
    attempt_.pending = PendingCommit{
        .operation = "MERGE",
        .parameters = {{"predicate", nlohmann::json(source_.keys->columns()).dump()},
                       {"matchedPredicates", options_.when_matched == WhenMatched::update   ? "update"
                                             : options_.when_matched == WhenMatched::remove ? "delete"
                                                                                            : "none"},
                       {"notMatchedPredicates", options_.when_not_matched == WhenNotMatched::insert ? "insert" : "none"}},
        .user_metadata = options_.write.user_metadata,
        .write_keys = source_.keys,
        .txn = txn_of(options_.write)};
    auto counts = run();
    if (!counts) {
      writer_.discard(attempt_.written, attempt_.written_vectors);
      return std::unexpected(counts.error());
    }
    if (attempt_.written.empty() && counts->files_rewritten == 0) return std::optional<PlannedCommit>{};
    for (const auto& add : attempt_.written) attempt_.pending.actions.emplace_back(add);
    auto& result = attempt_.result;
    result.files_added = static_cast<std::int64_t>(attempt_.written.size());
    result.rows_inserted = counts->rows_inserted;
    result.rows_updated = counts->rows_updated;
    result.rows_deleted = counts->rows_deleted;
    result.rows_copied = counts->rows_copied;
    attempt_.pending.metrics = {{"numTargetFilesRemoved", result.files_removed},
                                {"numTargetFilesAdded", result.files_added},
                                {"numTargetDeletionVectorsAdded", result.deletion_vectors_added},
                                {"numTargetRowsUpdated", result.rows_updated},
                                {"numTargetRowsDeleted", result.rows_deleted},
                                {"numTargetRowsInserted", result.rows_inserted},
                                {"numTargetRowsCopied", result.rows_copied},
                                {"numSourceRows", source_.rows->num_rows()}};
    return std::optional<PlannedCommit>(std::move(attempt_));
  }

 private:
  Result<formats::MergeCounts> run() {
    std::vector<Add> files;
    if (!source_.keys->empty()) {
      std::optional<Predicate> read_predicate = options_.target_filter;
      if (auto range = source_.key_range())
        read_predicate = read_predicate ? arrow::compute::and_(*read_predicate, *range) : *range;
      LAKE_ASSIGN_OR_RETURN(files, candidates(writer_.snapshot(), layout_, read_predicate));
    }
    DeltaMergeTarget target(backend_, writer_, layout_, std::move(files), attempt_);
    auto counts =
        formats::merge_into(source_,
                            {.on_match = on_match(options_.when_matched),
                             .on_no_match = options_.when_not_matched == WhenNotMatched::insert ? OnNoMatch::insert
                                                                                                : OnNoMatch::skip,
                             .target_filter = options_.target_filter,
                             .threads = writer_.file_options().writer_threads},
                            target);
    target.collect();  // what it wrote, for plan() to discard on error
    LAKE_RETURN_IF_ERROR(counts);
    LAKE_RETURN_IF_ERROR(target.finish());
    return counts;
  }

  Backend& backend_;
  const TableWriter& writer_;
  const TableLayout& layout_;
  const MergeSource& source_;
  const MergeOptions& options_;
  PlannedCommit attempt_;
};

// The source whole, a missing _ingest_id filled with one fresh id for the
// write (the same on every attempt).
Result<std::vector<std::shared_ptr<arrow::RecordBatch>>> read_source(arrow::RecordBatchReader& source,
                                                                     const arrow::Schema& table_schema) {
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  const std::string ingest_id = IngestId::generate().to_string();
  const bool has_ingest_id = table_schema.GetFieldIndex(std::string(kIngestIdColumn)) >= 0;
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    if (auto st = source.ReadNext(&batch); !st.ok()) return fail(arrow_error(st, "reading the merge source"));
    if (batch == nullptr) break;
    if (has_ingest_id && batch->schema()->GetFieldIndex(std::string(kIngestIdColumn)) < 0) {
      auto ids = lake::detail::constant_string_array(ingest_id, batch->num_rows(), arrow::default_memory_pool());
      LAKE_RETURN_IF_ERROR(ids);
      auto with_id = batch->AddColumn(batch->num_columns(), std::string(kIngestIdColumn), *ids);
      if (!with_id.ok()) return fail(arrow_error(with_id.status(), "merge source"));
      batch = *with_id;
    }
    batches.push_back(std::move(batch));
  }
  return batches;
}

}  // namespace

Result<PreparedWrite> Table::prepare_merge(arrow::RecordBatchReader& source, MergeOptions options) {
  const bool removes = options.when_matched == WhenMatched::update || options.when_matched == WhenMatched::remove;
  LAKE_RETURN_IF_ERROR(snapshot_.check_writable(removes));
  std::vector<std::string> key_names = options.keys;
  const auto& properties = snapshot_.metadata().configuration;
  if (key_names.empty()) key_names = formats::list_property(properties, formats::kMergeKeysProperty);
  if (key_names.empty()) key_names = formats::list_property(properties, formats::kPrimaryKeysProperty);
  if (key_names.empty())
    return fail(ErrorCode::invalid_argument, "merge: no key columns given and the table declares no merge or primary keys");
  auto read = read_source(source, *arrow_schema());
  LAKE_RETURN_IF_ERROR(read);
  auto batches = std::make_shared<const std::vector<std::shared_ptr<arrow::RecordBatch>>>(std::move(*read));

  // One planning against the handle's version: match, rewrite, write.
  auto plan = [this, batches, key_names, options]() -> Result<std::optional<PlannedCommit>> {
    TableWriter writer(*this);
    auto layout = writer.layout();
    LAKE_RETURN_IF_ERROR(layout);
    auto prepared = prepare_source(*batches, *layout, key_names);
    LAKE_RETURN_IF_ERROR(prepared);
    return MergePlanner(*backend_, writer, *layout, *prepared, options).plan();
  };
  auto first = plan();
  LAKE_RETURN_IF_ERROR(first);
  auto state = std::make_unique<PreparedWriteState>();
  state->table = this;
  state->operation = "merge";
  state->planned = std::move(*first);
  state->read_version = version();
  // A collision with a winner's keys: plan again on the newer version, so
  // the merge's rules see the winner's rows.
  state->replan = [this, plan, removes]() -> Result<std::optional<PlannedCommit>> {
    LAKE_RETURN_IF_ERROR(refresh());
    LAKE_RETURN_IF_ERROR(snapshot_.check_writable(removes));
    return plan();
  };
  return PreparedWrite(std::move(state));
}

Result<CommitResult> Table::merge(arrow::RecordBatchReader& source, MergeOptions options) {
  auto prepared = prepare_merge(source, std::move(options));
  LAKE_RETURN_IF_ERROR(prepared);
  return prepared->commit();
}

}  // namespace lake::delta

// Merge: the keyed row change behind upsert, update and remove by key and
// key-checked inserts. Source rows are matched to table rows on key
// columns; only files whose stats may hold a source key are looked at,
// and of those only the key columns are read, unless a file has a match
// that must be rewritten (copy-on-write).
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
#include "formats/filter.hpp"
#include "delta/prepared_write.hpp"
#include "formats/row_ops.hpp"
#include "delta/table_properties.hpp"
#include "delta/table_writer.hpp"
#include "formats/lake_properties.hpp"
#include "formats/write_keys.hpp"
#include "lake/arrow/convert.hpp"
#include "lake/duplicate_keys.hpp"
#include "lake/ingest_id.hpp"

namespace lake::delta {
namespace {

namespace cp = arrow::compute;
using formats::KeyIndex;
using formats::WriteKeys;

Error arrow_error(const arrow::Status& status, std::string_view context) {
  return lake::detail::from_arrow_status(status, context);
}

// The merge source in the table's current schema, its keys indexed.
struct Source {
  std::shared_ptr<arrow::RecordBatch> rows;
  std::shared_ptr<const WriteKeys> keys;
  std::vector<int> key_indexes;  // the key columns in `rows` (and in the table's schema)
};

Result<Source> prepare_source(const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches,
                              const TableLayout& layout, const std::vector<std::string>& key_names) {
  const auto& schema = layout.arrow_schema;
  auto key_indexes = column_indexes(*schema, key_names, "merge key");
  LAKE_RETURN_IF_ERROR(key_indexes);
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
  auto keys = WriteKeys::make(**rows, key_names);
  if (!keys) return std::unexpected(keys.error().with_context("merge source"));
  return Source{*rows, std::make_shared<const WriteKeys>(std::move(*keys)), std::move(*key_indexes)};
}

// The source's key range as a pruning predicate: files whose stats put
// every key column outside it cannot match any source row.
std::optional<Predicate> key_range(const arrow::RecordBatch& source, const std::vector<int>& keys) {
  std::vector<Predicate> terms;
  for (int k : keys) {
    auto min_max = cp::MinMax(source.column(k));
    if (!min_max.ok()) continue;  // types without an order (e.g. nested) just do not prune
    const auto& pair = min_max->scalar_as<arrow::StructScalar>();
    if (!pair.value[0]->is_valid || !pair.value[1]->is_valid) continue;
    auto field = cp::field_ref(source.schema()->field(k)->name());
    terms.push_back(cp::greater_equal(field, cp::literal(pair.value[0])));
    terms.push_back(cp::less_equal(field, cp::literal(pair.value[1])));
  }
  if (terms.empty()) return std::nullopt;
  return cp::and_(terms);
}

// Per row of `rows` (in the table's schema): the source row with its key,
// or KeyIndex::kNoRow.
Result<std::vector<std::int64_t>> source_rows_of(const Source& source, const arrow::RecordBatch& rows) {
  auto keys = rows.SelectColumns(source.key_indexes);
  if (!keys.ok()) return fail(arrow_error(keys.status(), "merge"));
  return source.keys->find_all(**keys);
}

Result<std::shared_ptr<arrow::BooleanArray>> mask_of(const std::vector<bool>& values) {
  arrow::BooleanBuilder builder;
  if (auto st = builder.Reserve(static_cast<std::int64_t>(values.size())); !st.ok()) return fail(arrow_error(st, "merge"));
  for (bool value : values) builder.UnsafeAppend(value);
  std::shared_ptr<arrow::BooleanArray> mask;
  if (auto st = builder.Finish(&mask); !st.ok()) return fail(arrow_error(st, "merge"));
  return mask;
}

class MergePlanner {
 public:
  MergePlanner(Backend& backend, const TableWriter& writer, const TableLayout& layout, const Source& source,
               const MergeOptions& options)
      : backend_(backend), writer_(writer), layout_(layout), source_(source), options_(options),
        source_matched_(static_cast<std::size_t>(source.rows->num_rows()), false) {}

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
    if (auto matched = match_table(); !matched) return failed(matched.error());
    if (duplicates_.count > 0)
      return failed(Error(ErrorCode::already_exists,
                          std::format("the table already has {} of the merge's keys, e.g. ({}); nothing was written",
                                      duplicates_.count, duplicates_.sample.front()),
                          std::make_shared<DuplicateKeys>(source_.keys->columns(), duplicates_.sample, duplicates_.count)));
    if (auto written = write_source_rows(); !written) return failed(written.error());
    if (attempt_.written.empty() && attempt_.result.files_removed == 0) return std::optional<PlannedCommit>{};
    for (const auto& add : attempt_.written) attempt_.pending.actions.emplace_back(add);
    auto& result = attempt_.result;
    result.files_added = static_cast<std::int64_t>(attempt_.written.size());
    attempt_.pending.metrics = {{"numTargetFilesRemoved", result.files_removed},
                                {"numTargetFilesAdded", result.files_added},
                                {"numTargetRowsUpdated", result.rows_updated},
                                {"numTargetRowsDeleted", result.rows_deleted},
                                {"numTargetRowsInserted", result.rows_inserted},
                                {"numTargetRowsCopied", result.rows_copied},
                                {"numSourceRows", source_.rows->num_rows()}};
    return std::optional<PlannedCommit>(std::move(attempt_));
  }

 private:
  std::unexpected<Error> failed(const Error& error) {
    writer_.discard(attempt_.written);
    return std::unexpected(error);
  }

  // Finds the table rows with a source key, file by file, and rewrites the
  // files whose matches the merge changes.
  Status match_table() {
    if (source_.keys->empty()) return {};
    std::optional<Predicate> read_predicate = options_.target_filter;
    if (auto range = key_range(*source_.rows, source_.key_indexes))
      read_predicate = read_predicate ? cp::and_(*read_predicate, *range) : *range;
    auto files = candidates(writer_.snapshot(), layout_, read_predicate);
    LAKE_RETURN_IF_ERROR(files);
    if (options_.target_filter) {
      auto bound = formats::bind_filter(*options_.target_filter, *layout_.arrow_schema);
      LAKE_RETURN_IF_ERROR(bound);
      target_filter_ = std::move(*bound);
    }
    AddFileSet set(backend_, layout_, *files);
    for (std::size_t i = 0; i < set.size(); ++i) {
      if (!source_.keys->may_hold_any(set, i)) continue;
      auto visited = target_filter_ ? visit_whole((*files)[i]) : visit_keys(set, i, (*files)[i]);
      if (!visited) return visited;
    }
    return {};
  }

  // A file looked at through its key columns; read whole only when a
  // match must be rewritten.
  Status visit_keys(const AddFileSet& set, std::size_t i, const Add& file) {
    auto found = source_.keys->find_in_file(set, i);
    LAKE_RETURN_IF_ERROR(found);
    auto matched = record_matches(*found, nullptr, file);
    LAKE_RETURN_IF_ERROR(matched);
    if (*matched == 0 || !rewrites()) return {};
    auto rows = read_whole(backend_, layout_, file);
    LAKE_RETURN_IF_ERROR(rows);
    auto again = source_rows_of(source_, **rows);
    LAKE_RETURN_IF_ERROR(again);
    return rewrite(file, *rows, *again, nullptr);
  }

  // A file read whole (the merge has a target filter to evaluate).
  Status visit_whole(const Add& file) {
    auto rows = read_whole(backend_, layout_, file);
    LAKE_RETURN_IF_ERROR(rows);
    auto found = source_rows_of(source_, **rows);
    LAKE_RETURN_IF_ERROR(found);
    auto in_scope = formats::evaluate_mask(**rows, *target_filter_);
    LAKE_RETURN_IF_ERROR(in_scope);
    auto matched = record_matches(*found, in_scope->get(), file);
    LAKE_RETURN_IF_ERROR(matched);
    if (*matched == 0 || !rewrites()) return {};
    return rewrite(file, *rows, *found, in_scope->get());
  }

  bool rewrites() const {
    return options_.when_matched == WhenMatched::update || options_.when_matched == WhenMatched::remove;
  }

  // Marks the source rows a file matches; the number of its rows matched.
  Result<std::int64_t> record_matches(const std::vector<std::int64_t>& found, const arrow::BooleanArray* in_scope,
                                      const Add& file) {
    std::int64_t matched = 0;
    for (std::size_t row = 0; row < found.size(); ++row) {
      const std::int64_t source_row = found[row];
      if (source_row == KeyIndex::kNoRow || (in_scope && !in_scope->Value(static_cast<std::int64_t>(row)))) continue;
      auto seen = source_matched_[static_cast<std::size_t>(source_row)];
      if (seen)
        return fail(ErrorCode::invalid_argument,
                    std::format("merge: the table has more than one row with key ({}); a merge source row must match "
                                "at most one table row",
                                source_.keys->describe(source_row)));
      source_matched_[static_cast<std::size_t>(source_row)] = true;
      ++matched;
      if (options_.when_matched == WhenMatched::fail) {
        if (duplicates_.sample.size() < DuplicateKeys::kSampleSize)
          duplicates_.sample.push_back(source_.keys->describe(source_row));
        ++duplicates_.count;
      }
    }
    // What the merge decided here depends on this file's rows even when it
    // does not rewrite it (a key skipped because it is here): a winner
    // removing the file makes the merge run again.
    if (matched > 0) attempt_.pending.read_files.insert(file.key());
    return matched;
  }

  Status rewrite(const Add& file, const std::shared_ptr<arrow::RecordBatch>& rows,
                 const std::vector<std::int64_t>& found, const arrow::BooleanArray* in_scope) {
    std::vector<bool> hit(found.size(), false);
    std::int64_t matched = 0;
    for (std::size_t row = 0; row < found.size(); ++row) {
      hit[row] = found[row] != KeyIndex::kNoRow && (!in_scope || in_scope->Value(static_cast<std::int64_t>(row)));
      matched += hit[row];
    }
    auto mask = mask_of(hit);
    LAKE_RETURN_IF_ERROR(mask);
    auto kept = formats::select_rows(rows, **mask, false);
    LAKE_RETURN_IF_ERROR(kept);
    auto added = write_rows(backend_, layout_, {*kept}, writer_.file_options());
    LAKE_RETURN_IF_ERROR(added);
    auto& result = attempt_.result;
    attempt_.pending.actions.emplace_back(remove_of(file));
    ++result.files_removed;
    result.rows_copied += (*kept)->num_rows();
    (options_.when_matched == WhenMatched::update ? result.rows_updated : result.rows_deleted) += matched;
    attempt_.written.insert(attempt_.written.end(), added->begin(), added->end());
    return {};
  }

  // Writes the source rows that go into the table: the new values of
  // matched rows (update) and the unmatched ones (insert).
  Status write_source_rows() {
    const auto& src = source_.rows;
    std::vector<bool> take(static_cast<std::size_t>(src->num_rows()), false);
    std::int64_t taken = 0;
    for (std::size_t row = 0; row < take.size(); ++row) {
      const bool was_matched = source_matched_[row];
      take[row] = was_matched ? options_.when_matched == WhenMatched::update
                              : options_.when_not_matched == WhenNotMatched::insert;
      taken += take[row];
      if (!was_matched && take[row]) ++attempt_.result.rows_inserted;
    }
    if (taken == 0) return {};
    auto mask = mask_of(take);
    LAKE_RETURN_IF_ERROR(mask);
    auto chosen = formats::select_rows(src, **mask, true);
    LAKE_RETURN_IF_ERROR(chosen);
    auto added = write_rows(backend_, layout_, {*chosen}, writer_.file_options());
    LAKE_RETURN_IF_ERROR(added);
    attempt_.written.insert(attempt_.written.end(), added->begin(), added->end());
    return {};
  }

  Backend& backend_;
  const TableWriter& writer_;
  const TableLayout& layout_;
  const Source& source_;
  const MergeOptions& options_;
  std::optional<cp::Expression> target_filter_;
  std::vector<bool> source_matched_;
  formats::KeyCollisions duplicates_;
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

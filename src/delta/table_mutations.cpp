// Copy-on-write row changes: delete, update and merge. Each reads only the
// files that may hold affected rows (partition values and stats), rewrites
// only files with an actual match, and commits the removes and adds as one
// version. The files read and the predicate go into the commit, so a
// concurrent writer that removed or rewrote them makes this a conflict
// rather than a lost update.
#include <arrow/compute/api.h>
#include <arrow/table.h>

#include <format>
#include <functional>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "delta/conform.hpp"
#include "delta/filter.hpp"
#include "delta/key_index.hpp"
#include "delta/row_ops.hpp"
#include "delta/scan.hpp"
#include "delta/table_properties.hpp"
#include "delta/table_writer.hpp"
#include "lake/arrow/convert.hpp"
#include "lake/ingest_id.hpp"

namespace lake::delta {
namespace {

namespace cp = arrow::compute;

Remove remove_of(const Add& file) {
  return Remove{file.path, now_ms(), true, true, file.partition_values, file.size};
}

Result<std::shared_ptr<arrow::RecordBatch>> read_whole(Backend& backend, const TableLayout& layout, const Add& file) {
  auto table = read_data_file(backend, layout, file);
  if (!table) return std::unexpected(table.error());
  auto batch = (*table)->CombineChunksToBatch();
  if (!batch.ok()) return fail(lake::detail::from_arrow_status(batch.status(), std::format("reading '{}'", file.path)));
  return *batch;
}

// Writes rows (already in the table's schema) as new data files.
Result<std::vector<Add>> write_rows(Backend& backend, const TableLayout& layout,
                                    const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches,
                                    const DataFileOptions& options) {
  std::vector<std::shared_ptr<arrow::RecordBatch>> non_empty;
  for (const auto& b : batches)
    if (b->num_rows() > 0) non_empty.push_back(b);
  if (non_empty.empty()) return std::vector<Add>{};
  auto reader = arrow::RecordBatchReader::Make(non_empty, layout.arrow_schema);
  if (!reader.ok()) return fail(lake::detail::from_arrow_status(reader.status(), "writing rows"));
  return write_data_files(backend, layout, **reader, options);
}

// The files a row change must look at.
Result<std::vector<Add>> candidates(const Snapshot& snapshot, const TableLayout& layout,
                                    const std::optional<Predicate>& filter) {
  std::vector<Add> all;
  all.reserve(snapshot.files().size());
  for (const auto& [path, add] : snapshot.files()) all.push_back(add);
  return prune_files(layout, all, filter);
}

void append_all(std::vector<Add>& to, const std::vector<Add>& from) { to.insert(to.end(), from.begin(), from.end()); }

// Column indexes of named columns; ErrorCode::schema_mismatch for unknown.
Result<std::vector<int>> column_indexes(const arrow::Schema& schema, const std::vector<std::string>& names,
                                        std::string_view what) {
  std::vector<int> indexes;
  for (const auto& name : names) {
    int i = schema.GetFieldIndex(name);
    if (i < 0)
      return fail(ErrorCode::schema_mismatch,
                  std::format("{} column '{}' is not in the table (columns: {})", what, name,
                              lake::detail::column_list(schema)));
    indexes.push_back(i);
  }
  return indexes;
}

std::string describe_key(const arrow::RecordBatch& rows, const std::vector<int>& keys, std::int64_t row) {
  std::string text;
  for (int k : keys) {
    if (!text.empty()) text += ", ";
    auto scalar = rows.column(k)->GetScalar(row);
    text += std::format("{}={}", rows.schema()->field(k)->name(), scalar.ok() ? (*scalar)->ToString() : "?");
  }
  return text;
}

// A source key range as a pruning predicate: key columns between the
// source's min and max (files outside cannot match any source row).
Result<std::optional<Predicate>> key_range(const arrow::RecordBatch& source, const std::vector<int>& keys) {
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
  if (terms.empty()) return std::optional<Predicate>{};
  return std::optional<Predicate>(cp::and_(terms));
}

// What a row change makes of one file with matching rows: the rows to
// write in its place (all of them kept, changed or dropped as the change
// decides).
using RowRewrite = std::function<Result<std::shared_ptr<arrow::RecordBatch>>(
    const std::shared_ptr<arrow::RecordBatch>& rows, const arrow::BooleanArray& matches)>;

// The copy-on-write core of delete and update: reads each candidate file,
// and every file with at least one row matching `bound` is removed and its
// rewritten rows are written as new files. Records the files read and
// removed in `pending`, the counts in `result` (matching rows go to
// `rows_changed`, the others to rows_copied), and returns the files
// written; on error they are removed again.
Result<std::vector<Add>> rewrite_matching_files(Backend& backend, const TableWriter& writer,
                                                const TableLayout& layout, const std::vector<Add>& files,
                                                const cp::Expression& bound, const RowRewrite& rewrite,
                                                PendingCommit& pending, CommitResult& result,
                                                std::int64_t& rows_changed) {
  std::vector<Add> written;
  const auto file_options = writer.file_options();
  auto failed = [&](const Error& error) {
    writer.discard(written);
    return std::unexpected(error);
  };
  for (const auto& file : files) {
    auto rows = read_whole(backend, layout, file);
    if (!rows) return failed(rows.error());
    auto mask = evaluate_mask(**rows, bound);
    if (!mask) return failed(mask.error());
    const std::int64_t matched = count_true(**mask);
    if (matched == 0) continue;
    auto replacement = rewrite(*rows, **mask);
    if (!replacement) return failed(replacement.error());
    auto added = write_rows(backend, layout, {*replacement}, file_options);
    if (!added) return failed(added.error());
    pending.read_files.insert(file.path);
    pending.actions.emplace_back(remove_of(file));
    ++result.files_removed;
    rows_changed += matched;
    result.rows_copied += (*rows)->num_rows() - matched;
    append_all(written, *added);
  }
  return written;
}

// Commits a delete or update: nothing when no file had a match.
Result<CommitResult> commit_rewrite(TableWriter& writer, PendingCommit pending, const std::vector<Add>& written,
                                    CommitResult result, std::string_view changed_metric,
                                    std::int64_t rows_changed) {
  if (result.files_removed == 0) {
    result.version = writer.snapshot().version();
    return result;
  }
  for (const auto& add : written) pending.actions.emplace_back(add);
  result.files_added = static_cast<std::int64_t>(written.size());
  pending.metrics = {{"numRemovedFiles", result.files_removed},
                     {"numAddedFiles", result.files_added},
                     {std::string(changed_metric), rows_changed},
                     {"numCopiedRows", result.rows_copied}};
  return writer.commit(std::move(pending), written, result);
}

}  // namespace

Result<CommitResult> Table::delete_where(const Predicate& predicate, WriteOptions options) {
  if (auto writable = snapshot_.check_writable(true); !writable) return std::unexpected(writable.error());
  TableWriter writer(*this);
  auto layout = writer.layout();
  if (!layout) return std::unexpected(layout.error());
  auto bound = bind_filter(predicate, *layout->arrow_schema);
  if (!bound) return std::unexpected(bound.error());
  auto files = candidates(snapshot_, *layout, predicate);
  if (!files) return std::unexpected(files.error());

  CommitResult result;
  PendingCommit pending{.operation = "DELETE",
                        .parameters = {{"predicate", nlohmann::json::array({predicate.ToString()}).dump()}},
                        .user_metadata = options.user_metadata,
                        .read_predicate = predicate,
                        .txn = txn_of(options)};
  // Rows that match go; a file all of whose rows match is only removed.
  auto written = rewrite_matching_files(
      *backend_, writer, *layout, *files, *bound,
      [](const std::shared_ptr<arrow::RecordBatch>& rows, const arrow::BooleanArray& matches) {
        return select_rows(rows, matches, false);
      },
      pending, result, result.rows_deleted);
  if (!written) return std::unexpected(written.error());
  return commit_rewrite(writer, std::move(pending), *written, result, "numDeletedRows", result.rows_deleted);
}

Result<CommitResult> Table::update_where(const Predicate& predicate,
                                         const std::map<std::string, cp::Expression>& assignments,
                                         WriteOptions options) {
  if (auto writable = snapshot_.check_writable(true); !writable) return std::unexpected(writable.error());
  if (assignments.empty()) return fail(ErrorCode::invalid_argument, "update_where: no columns to set");
  TableWriter writer(*this);
  auto layout = writer.layout();
  if (!layout) return std::unexpected(layout.error());
  auto bound = bind_filter(predicate, *layout->arrow_schema);
  if (!bound) return std::unexpected(bound.error());
  std::vector<std::pair<int, cp::Expression>> bound_assignments;
  nlohmann::json set = nlohmann::json::object();
  for (const auto& [column, expression] : assignments) {
    int index = layout->arrow_schema->GetFieldIndex(column);
    if (index < 0)
      return fail(ErrorCode::schema_mismatch,
                  std::format("update_where: column '{}' is not in the table (columns: {})", column,
                              lake::detail::column_list(*layout->arrow_schema)));
    // (A partition column may be set: the rewrite files rows into their new
    // partition directories.) _ingest_id is the row's provenance.
    if (column == kIngestIdColumn)
      return fail(ErrorCode::invalid_argument, "update_where: the _ingest_id system column cannot be set");
    auto bound_value = bind_value(expression, *layout->arrow_schema);
    if (!bound_value) return std::unexpected(bound_value.error());
    bound_assignments.emplace_back(index, std::move(*bound_value));
    set[column] = expression.ToString();
  }
  auto files = candidates(snapshot_, *layout, predicate);
  if (!files) return std::unexpected(files.error());

  CommitResult result;
  PendingCommit pending{.operation = "UPDATE",
                        .parameters = {{"predicate", nlohmann::json::array({predicate.ToString()}).dump()},
                                       {"set", set.dump()}},
                        .user_metadata = options.user_metadata,
                        .read_predicate = predicate,
                        .txn = txn_of(options)};
  auto written = rewrite_matching_files(
      *backend_, writer, *layout, *files, *bound,
      [&](const std::shared_ptr<arrow::RecordBatch>& rows, const arrow::BooleanArray& matches) {
        return assign_columns(rows, matches, bound_assignments);
      },
      pending, result, result.rows_updated);
  if (!written) return std::unexpected(written.error());
  return commit_rewrite(writer, std::move(pending), *written, result, "numUpdatedRows", result.rows_updated);
}

Result<CommitResult> Table::merge(arrow::RecordBatchReader& source, MergeOptions options) {
  const bool removes = options.when_matched == WhenMatched::update || options.when_matched == WhenMatched::remove;
  if (auto writable = snapshot_.check_writable(removes); !writable) return std::unexpected(writable.error());
  TableWriter writer(*this);
  auto layout = writer.layout();
  if (!layout) return std::unexpected(layout.error());
  const arrow::Schema& schema = *layout->arrow_schema;

  std::vector<std::string> key_names = options.keys;
  if (key_names.empty()) key_names = list_property(snapshot_.metadata(), "lake.mergeKeys");
  if (key_names.empty()) key_names = list_property(snapshot_.metadata(), "lake.primaryKeys");
  if (key_names.empty()) {
      return fail(ErrorCode::invalid_argument,
                  "merge: no key columns given and the table declares no merge or primary keys");
  }
  auto keys = column_indexes(schema, key_names, "merge key");
  if (!keys) return std::unexpected(keys.error());

  // The source, whole and in the table's schema (a missing _ingest_id is
  // one fresh id for the write).
  std::vector<std::shared_ptr<arrow::RecordBatch>> source_batches;
  const std::string ingest_id = IngestId::generate().to_string();
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    if (auto st = source.ReadNext(&batch); !st.ok())
      return fail(lake::detail::from_arrow_status(st, "reading the merge source"));
    if (batch == nullptr) break;
    if (schema.GetFieldIndex(std::string(kIngestIdColumn)) >= 0 &&
        batch->schema()->GetFieldIndex(std::string(kIngestIdColumn)) < 0) {
      auto ids = lake::detail::constant_string_array(ingest_id, batch->num_rows(), arrow::default_memory_pool());
      if (!ids) return std::unexpected(ids.error());
      auto with_id = batch->AddColumn(batch->num_columns(), std::string(kIngestIdColumn), *ids);
      if (!with_id.ok()) return fail(lake::detail::from_arrow_status(with_id.status(), "merge source"));
      batch = *with_id;
    }
    auto conformed = conform_input_batch(*batch, layout->arrow_schema);
    if (!conformed) return std::unexpected(conformed.error().with_context("merge source"));
    source_batches.push_back(std::move(*conformed));
  }
  auto combined = arrow::Table::FromRecordBatches(layout->arrow_schema, source_batches);
  if (!combined.ok()) return fail(lake::detail::from_arrow_status(combined.status(), "merge source"));
  auto source_rows = (*combined)->CombineChunksToBatch();
  if (!source_rows.ok()) return fail(lake::detail::from_arrow_status(source_rows.status(), "merge source"));
  const auto& src = *source_rows;

  // Source keys must be unique: two source rows for one target row would
  // make the result depend on their order.
  std::int64_t duplicate = KeyIndex::kNoRow;
  auto source_index = KeyIndex::build(*src, *keys, duplicate);
  if (!source_index) return std::unexpected(source_index.error());
  if (duplicate != KeyIndex::kNoRow)
    return fail(ErrorCode::invalid_argument,
                std::format("merge source has more than one row with key ({})", describe_key(*src, *keys, duplicate)));

  std::optional<Predicate> read_predicate = options.target_filter;
  auto range = key_range(*src, *keys);
  if (!range) return std::unexpected(range.error());
  if (*range) read_predicate = read_predicate ? cp::and_(*read_predicate, **range) : **range;
  std::optional<cp::Expression> bound_filter;
  if (options.target_filter) {
    auto bound = bind_filter(*options.target_filter, schema);
    if (!bound) return std::unexpected(bound.error());
    bound_filter = std::move(*bound);
  }
  auto files = source_index->empty() ? Result<std::vector<Add>>(std::vector<Add>{})
                                    : candidates(snapshot_, *layout, read_predicate);
  if (!files) return std::unexpected(files.error());

  CommitResult result;
  PendingCommit pending{.operation = "MERGE",
                        .parameters = {{"predicate", nlohmann::json(key_names).dump()},
                                       {"matchedPredicates", options.when_matched == WhenMatched::update   ? "update"
                                                             : options.when_matched == WhenMatched::remove ? "delete"
                                                                                                           : "none"},
                                       {"notMatchedPredicates",
                                        options.when_not_matched == WhenNotMatched::insert ? "insert" : "none"}},
                        .user_metadata = options.write.user_metadata,
                        .read_predicate = read_predicate.value_or(cp::literal(true)),
                        .txn = txn_of(options.write)};
  std::vector<bool> source_matched(static_cast<std::size_t>(src->num_rows()), false);
  std::vector<Add> written;
  const auto file_options = writer.file_options();
  for (const auto& file : *files) {
    auto rows = read_whole(*backend_, *layout, file);
    if (!rows) return writer.discard(written), std::unexpected(rows.error());
    auto found = source_index->find_all(**rows);
    if (!found) return writer.discard(written), std::unexpected(found.error());
    std::shared_ptr<arrow::BooleanArray> in_scope;
    if (bound_filter) {
      auto mask = evaluate_mask(**rows, *bound_filter);
      if (!mask) return writer.discard(written), std::unexpected(mask.error());
      in_scope = *mask;
    }
    arrow::BooleanBuilder matched_builder;
    std::int64_t matched = 0;
    if (auto st = matched_builder.Reserve((*rows)->num_rows()); !st.ok())
      return writer.discard(written), fail(lake::detail::from_arrow_status(st, "merge"));
    for (std::int64_t row = 0; row < (*rows)->num_rows(); ++row) {
      const std::int64_t source_row = (*found)[static_cast<std::size_t>(row)];
      bool hit = false;
      if (source_row != KeyIndex::kNoRow && (!in_scope || in_scope->Value(row))) {
        if (source_matched[static_cast<std::size_t>(source_row)])
          return writer.discard(written),
                 fail(ErrorCode::invalid_argument,
                      std::format("merge: the table has more than one row with key ({}); a merge source row must "
                                  "match at most one table row",
                                  describe_key(*src, *keys, source_row)));
        if (options.when_matched == WhenMatched::fail)
          return writer.discard(written),
                 fail(ErrorCode::already_exists,
                      std::format("the table already has a row with key ({})", describe_key(*src, *keys, source_row)));
        source_matched[static_cast<std::size_t>(source_row)] = true;
        hit = true;
        ++matched;
      }
      matched_builder.UnsafeAppend(hit);
    }
    if (matched == 0 || options.when_matched == WhenMatched::ignore) continue;  // (fail never gets here with a match)
    std::shared_ptr<arrow::BooleanArray> matched_mask;
    if (auto st = matched_builder.Finish(&matched_mask); !st.ok())
      return writer.discard(written), fail(lake::detail::from_arrow_status(st, "merge"));
    auto kept = select_rows(*rows, *matched_mask, false);
    if (!kept) return writer.discard(written), std::unexpected(kept.error());
    auto added = write_rows(*backend_, *layout, {*kept}, file_options);
    if (!added) return writer.discard(written), std::unexpected(added.error());
    pending.read_files.insert(file.path);
    pending.actions.emplace_back(remove_of(file));
    ++result.files_removed;
    result.rows_copied += (*kept)->num_rows();
    (options.when_matched == WhenMatched::update ? result.rows_updated : result.rows_deleted) += matched;
    append_all(written, *added);
  }

  // Source rows to write: the matched ones (their new values) and the
  // unmatched ones (inserts).
  arrow::BooleanBuilder take_builder;
  std::int64_t taken = 0;
  if (auto st = take_builder.Reserve(src->num_rows()); !st.ok())
    return writer.discard(written), fail(lake::detail::from_arrow_status(st, "merge"));
  for (std::int64_t row = 0; row < src->num_rows(); ++row) {
    const bool was_matched = source_matched[static_cast<std::size_t>(row)];
    const bool take = was_matched ? options.when_matched == WhenMatched::update
                                  : options.when_not_matched == WhenNotMatched::insert;
    take_builder.UnsafeAppend(take);
    if (take) ++taken;
    if (!was_matched && take) ++result.rows_inserted;
  }
  if (taken > 0) {
    std::shared_ptr<arrow::BooleanArray> take_mask;
    if (auto st = take_builder.Finish(&take_mask); !st.ok())
      return writer.discard(written), fail(lake::detail::from_arrow_status(st, "merge"));
    auto chosen = select_rows(src, *take_mask, true);
    if (!chosen) return writer.discard(written), std::unexpected(chosen.error());
    auto added = write_rows(*backend_, *layout, {*chosen}, file_options);
    if (!added) return writer.discard(written), std::unexpected(added.error());
    append_all(written, *added);
  }
  if (written.empty() && result.files_removed == 0) {
    result.version = version();
    return result;
  }
  for (const auto& add : written) pending.actions.emplace_back(add);
  result.files_added = static_cast<std::int64_t>(written.size());
  // Even a merge that only inserted read the target (to decide its rows
  // were new), so the key range stays its read predicate: a concurrent
  // update or merge adding rows in that range conflicts. Concurrent blind
  // appends are ordered after the merge (WriteSerializable).
  pending.metrics = {{"numTargetFilesRemoved", result.files_removed},
                     {"numTargetFilesAdded", result.files_added},
                     {"numTargetRowsUpdated", result.rows_updated},
                     {"numTargetRowsDeleted", result.rows_deleted},
                     {"numTargetRowsInserted", result.rows_inserted},
                     {"numTargetRowsCopied", result.rows_copied},
                     {"numSourceRows", src->num_rows()}};
  return writer.commit(std::move(pending), written, result);
}

}  // namespace lake::delta

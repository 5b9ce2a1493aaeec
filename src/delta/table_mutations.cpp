// Copy-on-write row changes by predicate: delete and update. Each reads
// only the files that may hold affected rows (partition values and stats),
// rewrites only files with an actual match, and commits the removes and
// adds as one version. The files read and the predicate go into the
// commit, so a concurrent writer that removed or rewrote them makes this a
// conflict rather than a lost update. (Merge, the keyed change, is in
// table_merge.cpp.)
#include <arrow/compute/api.h>
#include <arrow/table.h>

#include <format>
#include <functional>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "core/propagate.hpp"
#include "delta/conform.hpp"
#include "formats/filter.hpp"
#include "delta/prepared_write.hpp"
#include "formats/row_ops.hpp"
#include "delta/scan.hpp"
#include "delta/table_properties.hpp"
#include "delta/table_writer.hpp"
#include "lake/arrow/convert.hpp"
#include "lake/ingest_id.hpp"

namespace lake::delta {
namespace {

namespace cp = arrow::compute;

void append_all(std::vector<Add>& to, const std::vector<Add>& from) { to.insert(to.end(), from.begin(), from.end()); }

// Where a change by predicate starts: the table's write layout, the
// predicate bound to its columns, and the files that may hold matching
// rows (by partition values and stats).
struct PredicateScope {
  TableLayout layout;
  cp::Expression bound;
  std::vector<Add> files;
};
Result<PredicateScope> scope_of(const TableWriter& writer, const Snapshot& snapshot, const Predicate& predicate) {
  LAKE_ASSIGN_OR_RETURN(auto layout, writer.layout());
  LAKE_ASSIGN_OR_RETURN(auto bound, formats::bind_filter(predicate, *layout.arrow_schema));
  LAKE_ASSIGN_OR_RETURN(auto files, candidates(snapshot, layout, predicate));
  return PredicateScope{.layout = std::move(layout), .bound = std::move(bound), .files = std::move(files)};
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
    auto mask = formats::evaluate_mask(**rows, bound);
    if (!mask) return failed(mask.error());
    const std::int64_t matched = formats::count_true(**mask);
    if (matched == 0) continue;
    auto replacement = rewrite(*rows, **mask);
    if (!replacement) return failed(replacement.error());
    auto added = write_rows(backend, layout, {*replacement}, file_options);
    if (!added) return failed(added.error());
    pending.read_files.insert(file.key());
    pending.actions.emplace_back(remove_of(file));
    ++result.files_removed;
    rows_changed += matched;
    result.rows_copied += (*rows)->num_rows() - matched;
    append_all(written, *added);
  }
  return written;
}

// Delete's rewrite (and replace's first half): rows that match go; a file
// all of whose rows match is only removed.
Result<std::vector<Add>> remove_matching_rows(Backend& backend, const TableWriter& writer, const TableLayout& layout,
                                              const std::vector<Add>& files, const cp::Expression& bound,
                                              PendingCommit& pending, CommitResult& result) {
  return rewrite_matching_files(
      backend, writer, layout, files, bound,
      [](const std::shared_ptr<arrow::RecordBatch>& rows, const arrow::BooleanArray& matches) {
        return formats::select_rows(rows, matches, false);
      },
      pending, result, result.rows_deleted);
}

// The prepared delete, update or replace: nothing to commit when no file
// had a match and no row is added.
PreparedWrite prepared_rewrite(Table& table, std::string operation, PendingCommit pending,
                               const std::vector<Add>& written, CommitResult result, std::string_view changed_metric,
                               std::int64_t rows_changed) {
  auto state = std::make_unique<PreparedWriteState>();
  state->table = &table;
  state->operation = std::move(operation);
  state->read_version = table.version();
  if (result.files_removed > 0 || !written.empty()) {
    for (const auto& add : written) pending.actions.emplace_back(add);
    result.files_added = static_cast<std::int64_t>(written.size());
    pending.metrics = {{"numRemovedFiles", result.files_removed},
                       {"numAddedFiles", result.files_added},
                       {std::string(changed_metric), rows_changed},
                       {"numCopiedRows", result.rows_copied}};
    state->planned = PlannedCommit{std::move(pending), written, result};
  }
  return PreparedWrite(std::move(state));
}

}  // namespace

Result<CommitResult> Table::delete_where(const Predicate& predicate, WriteOptions options) {
  auto prepared = prepare_delete_where(predicate, std::move(options));
  LAKE_RETURN_IF_ERROR(prepared);
  return prepared->commit();
}

Result<CommitResult> Table::replace_where(const Predicate& predicate, arrow::RecordBatchReader& rows,
                                          WriteOptions options) {
  auto prepared = prepare_replace_where(predicate, rows, std::move(options));
  LAKE_RETURN_IF_ERROR(prepared);
  return prepared->commit();
}

Result<CommitResult> Table::update_where(const Predicate& predicate,
                                         const std::map<std::string, cp::Expression>& assignments,
                                         WriteOptions options) {
  auto prepared = prepare_update_where(predicate, assignments, std::move(options));
  LAKE_RETURN_IF_ERROR(prepared);
  return prepared->commit();
}

Result<PreparedWrite> Table::prepare_delete_where(const Predicate& predicate, WriteOptions options) {
  LAKE_RETURN_IF_ERROR(snapshot_.check_writable(true));
  TableWriter writer(*this);
  LAKE_ASSIGN_OR_RETURN(auto scope, scope_of(writer, snapshot_, predicate));

  CommitResult result;
  PendingCommit pending{.operation = "DELETE",
                        .parameters = {{"predicate", nlohmann::json::array({predicate.ToString()}).dump()}},
                        .user_metadata = options.user_metadata,
                        .read_predicate = predicate,
                        .txn = txn_of(options)};
  auto written = remove_matching_rows(*backend_, writer, scope.layout, scope.files, scope.bound, pending, result);
  LAKE_RETURN_IF_ERROR(written);
  return prepared_rewrite(*this, "delete", std::move(pending), *written, result, "numDeletedRows", result.rows_deleted);
}

Result<PreparedWrite> Table::prepare_replace_where(const Predicate& predicate, arrow::RecordBatchReader& rows,
                                                  WriteOptions options) {
  LAKE_RETURN_IF_ERROR(snapshot_.check_writable(true));
  TableWriter writer(*this);
  LAKE_ASSIGN_OR_RETURN(auto scope, scope_of(writer, snapshot_, predicate));
  // The new rows are checked before anything is written.
  auto batches = formats::rows_within(rows, predicate);
  LAKE_RETURN_IF_ERROR(batches);

  CommitResult result;
  // What Spark's replaceWhere commits: a WRITE in mode Overwrite whose
  // predicate is read (concurrent changes to its files conflict).
  PendingCommit pending{.operation = "WRITE",
                        .parameters = {{"mode", "\"Overwrite\""},
                                       {"predicate", nlohmann::json::array({predicate.ToString()}).dump()}},
                        .user_metadata = options.user_metadata,
                        .read_predicate = predicate,
                        .txn = txn_of(options)};
  auto written = remove_matching_rows(*backend_, writer, scope.layout, scope.files, scope.bound, pending, result);
  LAKE_RETURN_IF_ERROR(written);
  if (!batches->empty()) {
    auto reader = arrow::RecordBatchReader::Make(*batches, rows.schema());
    if (!reader.ok()) return writer.discard(*written), fail(ErrorCode::internal, reader.status().ToString());
    auto added = write_files(**reader);
    if (!added) return writer.discard(*written), std::unexpected(added.error());
    for (const auto& batch : *batches) result.rows_inserted += batch->num_rows();
    append_all(*written, *added);
  }
  return prepared_rewrite(*this, "replace", std::move(pending), *written, result, "numDeletedRows", result.rows_deleted);
}

Result<PreparedWrite> Table::prepare_update_where(const Predicate& predicate,
                                                 const std::map<std::string, cp::Expression>& assignments,
                                                 WriteOptions options) {
  LAKE_RETURN_IF_ERROR(snapshot_.check_writable(true));
  if (assignments.empty()) return fail(ErrorCode::invalid_argument, "update_where: no columns to set");
  TableWriter writer(*this);
  LAKE_ASSIGN_OR_RETURN(auto scope, scope_of(writer, snapshot_, predicate));
  const arrow::Schema& columns = *scope.layout.arrow_schema;
  std::vector<std::pair<int, cp::Expression>> bound_assignments;
  nlohmann::json set = nlohmann::json::object();
  for (const auto& [column, expression] : assignments) {
    int index = columns.GetFieldIndex(column);
    if (index < 0)
      return fail(ErrorCode::schema_mismatch,
                  std::format("update_where: column '{}' is not in the table (columns: {})", column,
                              lake::detail::column_list(columns)));
    // (A partition column may be set: the rewrite files rows into their new
    // partition directories.) _ingest_id is the row's provenance.
    if (column == kIngestIdColumn)
      return fail(ErrorCode::invalid_argument, "update_where: the _ingest_id system column cannot be set");
    auto bound_value = formats::bind_value(expression, columns);
    LAKE_RETURN_IF_ERROR(bound_value);
    bound_assignments.emplace_back(index, std::move(*bound_value));
    set[column] = expression.ToString();
  }

  CommitResult result;
  PendingCommit pending{.operation = "UPDATE",
                        .parameters = {{"predicate", nlohmann::json::array({predicate.ToString()}).dump()},
                                       {"set", set.dump()}},
                        .user_metadata = options.user_metadata,
                        .read_predicate = predicate,
                        .txn = txn_of(options)};
  auto written = rewrite_matching_files(
      *backend_, writer, scope.layout, scope.files, scope.bound,
      [&](const std::shared_ptr<arrow::RecordBatch>& rows, const arrow::BooleanArray& matches) {
        return formats::assign_columns(rows, matches, bound_assignments);
      },
      pending, result, result.rows_updated);
  LAKE_RETURN_IF_ERROR(written);
  return prepared_rewrite(*this, "update", std::move(pending), *written, result, "numUpdatedRows", result.rows_updated);
}

}  // namespace lake::delta

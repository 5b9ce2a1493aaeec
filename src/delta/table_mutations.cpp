// Row changes by predicate: delete, update and replace. Each reads only
// the files that may hold affected rows (partition values and stats) and
// changes only files with an actual match: copy-on-write rewrites them,
// merge-on-read (tables with deletion vectors, row_deletions.hpp) records
// the rows in their deletion vectors; the removes and adds commit as one
// version. The files read and the predicate go into the
// commit, so a concurrent writer that removed or rewrote them makes this a
// conflict rather than a lost update. (Merge, the keyed change, is in
// table_merge.cpp.)
#include <arrow/compute/api.h>
#include <arrow/table.h>

#include <algorithm>
#include <format>
#include <functional>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "core/parallel_for.hpp"
#include "core/propagate.hpp"
#include "delta/conform.hpp"
#include "formats/filter.hpp"
#include "delta/prepared_write.hpp"
#include "delta/row_deletions.hpp"
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
// predicate on the columns it reads (a file is probed through those), and
// the files that may hold matching rows (by partition values and stats).
struct PredicateScope {
  TableLayout layout;
  formats::NarrowFilter probe;
  std::vector<Add> files;
};
Result<PredicateScope> scope_of(const TableWriter& writer, const Snapshot& snapshot, const Predicate& predicate) {
  LAKE_ASSIGN_OR_RETURN(auto layout, writer.layout());
  LAKE_ASSIGN_OR_RETURN(auto probe, formats::narrow_filter(predicate, *layout.arrow_schema));
  LAKE_ASSIGN_OR_RETURN(auto files, candidates(snapshot, layout, predicate));
  return PredicateScope{.layout = std::move(layout), .probe = std::move(probe), .files = std::move(files)};
}

// What a row change makes of one file's rows, given the rows that match:
// copy-on-write, the rows to write in the file's place (all of them kept,
// changed or dropped as the change decides); merge-on-read, the changed
// rows' new values (none for a delete).
using RowRewrite = std::function<Result<std::shared_ptr<arrow::RecordBatch>>(
    const std::shared_ptr<arrow::RecordBatch>& rows, const arrow::BooleanArray& matches)>;

struct RowChange {
  RowRewrite copy_on_write;
  RowRewrite changed_rows;  // unset: the change only deletes
};

// What a change by predicate produced before its commit.
struct ChangedFiles {
  std::vector<Add> written;      // new data files
  std::string vector_file;       // its deletion vectors' file ("" without)
};

// What a change by predicate found and wrote for one candidate file.
struct FileChange {
  std::shared_ptr<arrow::BooleanArray> matches;  // null or no row set: the file stays as it is
  std::int64_t matched = 0;
  std::int64_t rows = 0;
  std::vector<Add> written;  // the rows written in its place (copy-on-write) or its changed rows
};

// The core of delete and update: every candidate file with at least one
// row matching the predicate loses those rows. Copy-on-write removes the
// file and writes change.copy_on_write's rows in its place; merge-on-read
// (when the writer deletes by vector) records the matching rows in the
// file's deletion vector and writes only change.changed_rows. A file is
// read first through the predicate's columns alone, and whole only when
// a row matches and the change needs its other columns. Files are read
// and rewritten several at once (the writer threads); what they produced
// is recorded in file order: the files read and removed in `pending`, the
// counts in `result` (matching rows go to `rows_changed`, rewritten
// unchanged ones to rows_copied). On error what it wrote is removed again.
Result<ChangedFiles> change_matching_rows(Backend& backend, const TableWriter& writer, const PredicateScope& scope,
                                          const RowChange& change, PendingCommit& pending,
                                          CommitResult& result, std::int64_t& rows_changed) {
  const TableLayout& layout = scope.layout;
  const auto file_options = writer.file_options();
  std::optional<RowDeletions> deletions;
  if (writer.deletes_by_vector()) deletions.emplace(backend, layout);
  const RowRewrite& rewrite = deletions ? change.changed_rows : change.copy_on_write;
  // The probe: the predicate's columns only (all of them when it reads none).
  const std::vector<std::string>& columns = scope.probe.columns;

  std::vector<FileChange> changes(scope.files.size());
  auto change_one = [&](std::size_t i) -> Status {
    const Add& file = scope.files[i];
    FileChange& out = changes[i];
    LAKE_ASSIGN_OR_RETURN(auto probed, read_whole(backend, layout, file, columns));
    LAKE_ASSIGN_OR_RETURN(out.matches, formats::evaluate_mask(*probed, scope.probe.bound));
    out.matched = formats::count_true(*out.matches);
    out.rows = probed->num_rows();
    if (out.matched == 0 || !rewrite) return {};
    auto rows = std::move(probed);
    if (!columns.empty()) {
      LAKE_ASSIGN_OR_RETURN(rows, read_whole(backend, layout, file));
      if (rows->num_rows() != out.rows)
        return fail(ErrorCode::internal, std::format("'{}' gave {} rows read whole and {} read through columns {}",
                                                     file.path, rows->num_rows(), out.rows,
                                                     nlohmann::json(columns).dump()));
    }
    LAKE_ASSIGN_OR_RETURN(auto replacement, rewrite(rows, *out.matches));
    rows.reset();
    LAKE_ASSIGN_OR_RETURN(out.written, write_rows(backend, layout, {replacement}, file_options));
    return {};
  };
  auto done = lake::detail::parallel_for(changes.size(), file_options.writer_threads, change_one);

  ChangedFiles out;
  for (const auto& changed : changes) append_all(out.written, changed.written);
  auto failed = [&](const Error& error) {
    writer.discard(out.written);
    return std::unexpected(error);
  };
  if (!done) return failed(done.error());
  for (std::size_t i = 0; i < changes.size(); ++i) {
    const FileChange& changed = changes[i];
    if (changed.matched == 0) continue;
    const Add& file = scope.files[i];
    pending.read_files.insert(file.key());
    rows_changed += changed.matched;
    if (deletions) {
      if (auto marked = deletions->mark(file, *changed.matches); !marked) return failed(marked.error());
    } else {
      pending.actions.emplace_back(remove_of(file));
      ++result.files_removed;
      result.rows_copied += changed.rows - changed.matched;
    }
  }
  if (deletions && !deletions->empty()) {
    auto added = deletions->add_to(pending);
    if (!added) return failed(added.error());
    out.vector_file = std::move(added->vector_file);
    result.deletion_vectors_added = added->vectors;
    result.files_removed += added->files_removed;
  }
  return out;
}

// Delete's change (and replace's first half): rows that match go.
Result<ChangedFiles> remove_matching_rows(Backend& backend, const TableWriter& writer, const PredicateScope& scope,
                                          PendingCommit& pending, CommitResult& result) {
  const RowChange change{.copy_on_write = [](const std::shared_ptr<arrow::RecordBatch>& rows,
                                             const arrow::BooleanArray& matches) {
                           return formats::select_rows(rows, matches, false);
                         },
                         .changed_rows = {}};
  return change_matching_rows(backend, writer, scope, change, pending, result, result.rows_deleted);
}

// The prepared delete, update or replace: nothing to commit when no file
// had a match and no row is added.
PreparedWrite prepared_rewrite(Table& table, std::string operation, PendingCommit pending, ChangedFiles changed,
                               CommitResult result, std::string_view changed_metric, std::int64_t rows_changed) {
  auto state = std::make_unique<PreparedWriteState>();
  state->table = &table;
  state->operation = std::move(operation);
  state->read_version = table.version();
  if (result.files_removed > 0 || result.deletion_vectors_added > 0 || !changed.written.empty()) {
    for (const auto& add : changed.written) pending.actions.emplace_back(add);
    result.files_added = static_cast<std::int64_t>(changed.written.size());
    pending.metrics = {{"numRemovedFiles", result.files_removed},
                       {"numAddedFiles", result.files_added},
                       {"numDeletionVectorsAdded", result.deletion_vectors_added},
                       {std::string(changed_metric), rows_changed},
                       {"numCopiedRows", result.rows_copied}};
    state->planned = PlannedCommit{.pending = std::move(pending),
                                   .written = std::move(changed.written),
                                   .written_vectors = {std::move(changed.vector_file)},
                                   .result = result};
  } else {
    TableWriter(table).discard(changed.written, {changed.vector_file});
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
  auto changed = remove_matching_rows(*backend_, writer, scope, pending, result);
  LAKE_RETURN_IF_ERROR(changed);
  return prepared_rewrite(*this, "delete", std::move(pending), std::move(*changed), result, "numDeletedRows",
                          result.rows_deleted);
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
  auto changed = remove_matching_rows(*backend_, writer, scope, pending, result);
  LAKE_RETURN_IF_ERROR(changed);
  if (!batches->empty()) {
    auto undo = [&] { writer.discard(changed->written, {changed->vector_file}); };
    auto reader = arrow::RecordBatchReader::Make(*batches, rows.schema());
    if (!reader.ok()) return undo(), fail(ErrorCode::internal, reader.status().ToString());
    auto added = write_files(**reader);
    if (!added) return undo(), std::unexpected(added.error());
    for (const auto& batch : *batches) result.rows_inserted += batch->num_rows();
    append_all(changed->written, *added);
  }
  return prepared_rewrite(*this, "replace", std::move(pending), std::move(*changed), result, "numDeletedRows",
                          result.rows_deleted);
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
  const RowChange change{
      .copy_on_write =
          [&](const std::shared_ptr<arrow::RecordBatch>& rows, const arrow::BooleanArray& matches) {
            return formats::assign_columns(rows, matches, bound_assignments);
          },
      .changed_rows = [&](const std::shared_ptr<arrow::RecordBatch>& rows,
                          const arrow::BooleanArray& matches) -> Result<std::shared_ptr<arrow::RecordBatch>> {
        LAKE_ASSIGN_OR_RETURN(auto assigned, formats::assign_columns(rows, matches, bound_assignments));
        return formats::select_rows(assigned, matches, true);
      }};
  auto changed = change_matching_rows(*backend_, writer, scope, change, pending, result, result.rows_updated);
  LAKE_RETURN_IF_ERROR(changed);
  return prepared_rewrite(*this, "update", std::move(pending), std::move(*changed), result, "numUpdatedRows",
                          result.rows_updated);
}

}  // namespace lake::delta

#include "iceberg/row_changes.hpp"

#include <arrow/api.h>

#include <format>

#include "core/parallel_for.hpp"
#include "core/propagate.hpp"
#include "formats/filter.hpp"
#include "formats/row_ops.hpp"
#include "lake/arrow/detail/status.hpp"

namespace lake::iceberg {
namespace {

using lake::detail::from_arrow_status;

// The change's new data files, from rows in the table's schema.
Result<std::vector<ContentFile>> write_rows(const ChangeBase& base,
                                            const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches,
                                            const std::shared_ptr<arrow::Schema>& schema) {
  auto reader = arrow::RecordBatchReader::Make(batches, schema);
  if (!reader.ok()) return fail(from_arrow_status(reader.status(), "writing rows"));
  return write_data_files(*base.backend, *base.table, **reader, base.files);
}

Result<std::shared_ptr<arrow::RecordBatch>> read_all(arrow::RecordBatchReader& reader, std::string_view what) {
  auto table = reader.ToTable();
  if (!table.ok()) return fail(from_arrow_status(table.status(), what));
  auto batch = (*table)->CombineChunksToBatch();
  if (!batch.ok()) return fail(from_arrow_status(batch.status(), what));
  return *batch;
}

// Per batch of a file: the batch the file keeps and how many of its rows
// the change touched.
struct Rewritten {
  std::shared_ptr<arrow::RecordBatch> rows;
  std::int64_t touched = 0;
};
using BatchRewrite = std::function<Result<Rewritten>(const std::shared_ptr<arrow::RecordBatch>&)>;

// A change's predicate on the columns it reads: a file is first read
// through those alone, and read whole only when one of its rows matches
// (every planned file is read whole when the predicate reads no column).
using Probe = formats::NarrowFilter;

// Does any row of the file match the probe?
Result<bool> any_match(const ChangeBase& base, const PlannedFile& file, const Probe& probe) {
  LAKE_ASSIGN_OR_RETURN(auto reader, read_files(base.backend, base.table->current_schema(), {file}, probe.columns));
  for (;;) {
    std::shared_ptr<arrow::RecordBatch> batch;
    if (auto status = reader->ReadNext(&batch); !status.ok())
      return fail(from_arrow_status(status, std::format("reading '{}'", file.file.path)));
    if (!batch) return false;
    LAKE_ASSIGN_OR_RETURN(auto mask, formats::evaluate_mask(*batch, probe.bound));
    if (formats::count_true(*mask) > 0) return true;
  }
}

// What a change did to one planned file.
struct FileRewrite {
  std::int64_t touched = 0;  // > 0: the file is removed
  std::vector<ContentFile> written;
};

// Rewrites the planned files the change touches (copy-on-write), several
// at once on the writer threads: a file with no touched row stays
// (usually known from the probe's columns alone); another is removed and
// its rewritten rows, if any, written anew. The changes are recorded in
// file order, what was written also when a file failed (so that it is
// discarded). The number of rows touched.
Result<std::int64_t> rewrite_files(const ChangeBase& base, const ScanPlanning& planned, const Probe& probe,
                                   const BatchRewrite& rewrite, PlannedChange& out) {
  LAKE_ASSIGN_OR_RETURN(auto schema, to_arrow(base.table->current_schema()));
  std::vector<FileRewrite> rewrites(planned.files.size());
  auto rewrite_one = [&](std::size_t i) -> Status {
    const PlannedFile& file = planned.files[i];
    if (!probe.columns.empty()) {
      LAKE_ASSIGN_OR_RETURN(const bool touched, any_match(base, file, probe));
      if (!touched) return {};
    }
    LAKE_ASSIGN_OR_RETURN(auto reader, read_files(base.backend, base.table->current_schema(), {file}, {}));
    std::vector<std::shared_ptr<arrow::RecordBatch>> kept;
    std::int64_t in_file = 0;
    for (;;) {
      std::shared_ptr<arrow::RecordBatch> batch;
      if (auto status = reader->ReadNext(&batch); !status.ok())
        return fail(from_arrow_status(status, std::format("reading '{}'", file.file.path)));
      if (!batch) break;
      LAKE_ASSIGN_OR_RETURN(auto done, rewrite(batch));
      in_file += done.touched;
      if (done.rows->num_rows() > 0) kept.push_back(std::move(done.rows));
    }
    if (in_file == 0) return {};
    rewrites[i].touched = in_file;
    if (kept.empty()) return {};
    LAKE_ASSIGN_OR_RETURN(rewrites[i].written, write_rows(base, kept, schema));
    return {};
  };
  auto done = lake::detail::parallel_for(rewrites.size(), base.files.writer_threads, rewrite_one);
  std::int64_t touched = 0;
  for (std::size_t i = 0; i < rewrites.size(); ++i) {
    auto& rewritten = rewrites[i];
    out.changes.added.insert(out.changes.added.end(), rewritten.written.begin(), rewritten.written.end());
    if (rewritten.touched == 0) continue;
    touched += rewritten.touched;
    out.changes.removed.push_back(planned.files[i].file);
  }
  LAKE_RETURN_IF_ERROR(done);
  return touched;
}

// Runs `plan` on a fresh PlannedChange; on error, removes what it wrote.
template <typename Plan>
Result<PlannedChange> planned(const ChangeBase& base, Plan plan) {
  PlannedChange out;
  if (auto done = plan(out); !done) {
    discard(*base.backend, out.changes);
    return std::unexpected(done.error());
  }
  return out;
}

const Snapshot* current_of(const ChangeBase& base) { return base.table->current_snapshot(); }

// The merge's table side on Iceberg: candidates with manifest metrics,
// rewrites as removed + added files. Rewrites run on several threads, each
// into its file's slot; collect() moves them into the change in file
// order.
class IcebergMergeTarget final : public formats::MergeTarget {
 public:
  IcebergMergeTarget(const ChangeBase& base, ContentFileSet files, std::shared_ptr<arrow::Schema> schema,
                     PlannedChange& out)
      : base_(base), files_(std::move(files)), schema_(std::move(schema)), out_(out), rewrites_(files_.size()) {}

  const formats::DataFileSet& files() const override { return files_; }
  // Copy-on-write: the file goes, its other rows are written anew.
  Result<std::int64_t> remove_rows(std::size_t file, std::shared_ptr<const arrow::BooleanArray> gone) override {
    Rewrite& slot = rewrites_[file];
    LAKE_ASSIGN_OR_RETURN(auto rows, files_.read_whole(file));
    LAKE_ASSIGN_OR_RETURN(auto kept, formats::select_rows(rows, *gone, false));
    rows.reset();
    if (kept->num_rows() > 0) {
      LAKE_ASSIGN_OR_RETURN(slot.written, write_rows(base_, {kept}, schema_));
    }
    slot.removed = true;
    return kept->num_rows();
  }
  void depends_on(std::size_t file) override { out_.changes.depends_on.insert(files_.file(file).file.path); }
  Status insert(std::shared_ptr<arrow::RecordBatch> rows) override {
    collect();
    LAKE_ASSIGN_OR_RETURN(auto added, write_rows(base_, {std::move(rows)}, schema_));
    out_.changes.added.insert(out_.changes.added.end(), added.begin(), added.end());
    return {};
  }

  // The rewritten files into the change, in file order (also when the
  // merge failed, so that what it wrote is discarded). Once.
  void collect() {
    if (collected_) return;
    collected_ = true;
    for (std::size_t file = 0; file < rewrites_.size(); ++file) {
      Rewrite& slot = rewrites_[file];
      if (slot.removed) out_.changes.removed.push_back(files_.file(file).file);
      out_.changes.added.insert(out_.changes.added.end(), slot.written.begin(), slot.written.end());
    }
  }

 private:
  struct Rewrite {
    bool removed = false;
    std::vector<ContentFile> written;
  };

  const ChangeBase& base_;
  ContentFileSet files_;
  std::shared_ptr<arrow::Schema> schema_;
  PlannedChange& out_;
  std::vector<Rewrite> rewrites_;  // per file of files_
  bool collected_ = false;
};

}  // namespace

void discard(Backend& backend, const FileChanges& changes) {
  for (const auto& file : changes.added)
    if (auto key = key_of(backend, file.path)) (void)backend.remove(*key);
}

Result<PlannedChange> plan_append(const ChangeBase& base, arrow::RecordBatchReader& rows) {
  return planned(base, [&](PlannedChange& out) -> Status {
    LAKE_ASSIGN_OR_RETURN(out.changes.added, write_data_files(*base.backend, *base.table, rows, base.files));
    for (const auto& f : out.changes.added) out.rows_inserted += f.record_count;
    out.changes.operation = "append";
    return {};
  });
}

// The copy-on-write removal of the rows for which `predicate` is true,
// into `out` (delete and replace).
Status remove_rows(const ChangeBase& base, const arrow::compute::Expression& predicate, PlannedChange& out) {
  const Snapshot* current = current_of(base);
  if (!current) return {};
  LAKE_ASSIGN_OR_RETURN(auto schema, to_arrow(base.table->current_schema()));
  LAKE_ASSIGN_OR_RETURN(auto bound, formats::bind_filter(predicate, *schema));
  LAKE_ASSIGN_OR_RETURN(auto probe, formats::narrow_filter(predicate, *schema));
  LAKE_ASSIGN_OR_RETURN(auto files, plan_files(*base.backend, *base.table, *current, predicate, &base.table->current_schema()));
  LAKE_ASSIGN_OR_RETURN(
      out.rows_deleted,
      rewrite_files(base, files, probe,
                    [&](const std::shared_ptr<arrow::RecordBatch>& batch) -> Result<Rewritten> {
                      LAKE_ASSIGN_OR_RETURN(auto mask, formats::evaluate_mask(*batch, bound));
                      const std::int64_t hits = formats::count_true(*mask);
                      if (hits == 0) return Rewritten{batch, 0};
                      LAKE_ASSIGN_OR_RETURN(auto rest, formats::select_rows(batch, *mask, false));
                      return Rewritten{std::move(rest), hits};
                    },
                    out));
  return {};
}

Result<PlannedChange> plan_delete(const ChangeBase& base, const arrow::compute::Expression& predicate) {
  return planned(base, [&](PlannedChange& out) -> Status {
    LAKE_RETURN_IF_ERROR(remove_rows(base, predicate, out));
    // Only removals: a "delete"; files rewritten too: an "overwrite".
    out.changes.operation = out.changes.added.empty() ? "delete" : "overwrite";
    return {};
  });
}

Result<PlannedChange> plan_replace(const ChangeBase& base, const arrow::compute::Expression& predicate,
                                   arrow::RecordBatchReader& rows) {
  // The new rows are checked before anything is written.
  LAKE_ASSIGN_OR_RETURN(auto batches, formats::rows_within(rows, predicate));
  return planned(base, [&](PlannedChange& out) -> Status {
    out.changes.operation = "overwrite";
    LAKE_RETURN_IF_ERROR(remove_rows(base, predicate, out));
    if (batches.empty()) return {};
    LAKE_ASSIGN_OR_RETURN(auto added, write_rows(base, batches, rows.schema()));
    for (const auto& f : added) out.rows_inserted += f.record_count;
    out.changes.added.insert(out.changes.added.end(), added.begin(), added.end());
    return {};
  });
}

Result<PlannedChange> plan_update(const ChangeBase& base, const arrow::compute::Expression& predicate,
                                  const std::map<std::string, arrow::compute::Expression>& assignments) {
  return planned(base, [&](PlannedChange& out) -> Status {
    out.changes.operation = "overwrite";
    LAKE_ASSIGN_OR_RETURN(auto schema, to_arrow(base.table->current_schema()));
    LAKE_ASSIGN_OR_RETURN(auto bound, formats::bind_filter(predicate, *schema));
    std::vector<std::pair<int, arrow::compute::Expression>> bound_assignments;
    for (const auto& [column, expression] : assignments) {
      const int index = schema->GetFieldIndex(column);
      if (index < 0)
        return fail(ErrorCode::schema_mismatch, std::format("update assigns column '{}', which the table lacks", column));
      LAKE_ASSIGN_OR_RETURN(auto value, formats::bind_value(expression, *schema));
      bound_assignments.emplace_back(index, std::move(value));
    }
    if (bound_assignments.empty()) return fail(ErrorCode::invalid_argument, "an update needs at least one assignment");
    const Snapshot* current = current_of(base);
    if (!current) return {};
    LAKE_ASSIGN_OR_RETURN(auto probe, formats::narrow_filter(predicate, *schema));
    LAKE_ASSIGN_OR_RETURN(auto files, plan_files(*base.backend, *base.table, *current, predicate, &base.table->current_schema()));
    LAKE_ASSIGN_OR_RETURN(
        out.rows_updated,
        rewrite_files(base, files, probe,
                      [&](const std::shared_ptr<arrow::RecordBatch>& batch) -> Result<Rewritten> {
                        LAKE_ASSIGN_OR_RETURN(auto mask, formats::evaluate_mask(*batch, bound));
                        const std::int64_t hits = formats::count_true(*mask);
                        if (hits == 0) return Rewritten{batch, 0};
                        LAKE_ASSIGN_OR_RETURN(auto changed, formats::assign_columns(batch, *mask, bound_assignments));
                        return Rewritten{std::move(changed), hits};
                      },
                      out));
    return {};
  });
}

Result<PlannedChange> plan_merge(const ChangeBase& base, const formats::MergeSource& source,
                                 const formats::MergeRules& rules) {
  return planned(base, [&](PlannedChange& out) -> Status {
    out.changes.operation = "overwrite";
    LAKE_ASSIGN_OR_RETURN(auto schema, to_arrow(base.table->current_schema()));
    std::vector<PlannedFile> candidates;
    if (const Snapshot* current = current_of(base); current && !source.keys->empty()) {
      std::optional<arrow::compute::Expression> filter = rules.target_filter;
      if (auto range = source.key_range()) filter = filter ? arrow::compute::and_(*filter, *range) : *range;
      LAKE_ASSIGN_OR_RETURN(auto files, plan_files(*base.backend, *base.table, *current, filter, &base.table->current_schema()));
      candidates = std::move(files.files);
    }
    IcebergMergeTarget target(base, ContentFileSet(base.backend, *base.table, std::move(candidates)), schema, out);
    formats::MergeRules on_writer_threads = rules;
    on_writer_threads.threads = base.files.writer_threads;
    auto merged = formats::merge_into(source, on_writer_threads, target);
    target.collect();  // what it wrote, for planned() to discard on error
    LAKE_ASSIGN_OR_RETURN(auto counts, std::move(merged));
    out.rows_inserted = counts.rows_inserted;
    out.rows_updated = counts.rows_updated;
    out.rows_deleted = counts.rows_deleted;
    if (out.changes.removed.empty()) out.changes.operation = "append";
    return {};
  });
}

ContentFileSet::ContentFileSet(std::shared_ptr<Backend> backend, const TableMetadata& table,
                               std::vector<PlannedFile> files)
    : backend_(std::move(backend)), table_(table), files_(std::move(files)) {
  auto schema = to_arrow(table.current_schema());
  schema_ = schema ? *schema : arrow::schema({});
}

formats::ColumnBounds ContentFileSet::bounds(std::size_t file, const std::string& column) const {
  auto field = schema_->GetFieldByName(column);
  if (!field) return {};
  auto facts = facts_of(files_[file], table_)(arrow::FieldPath{}, *field);
  if (!facts) return {};
  if (facts->exact) {
    if (!facts->exact->is_valid) return {.min = nullptr, .max = nullptr, .all_null = true};
    return {.min = facts->exact, .max = facts->exact};
  }
  const bool all_null = facts->null_count && facts->value_count && *facts->null_count == *facts->value_count;
  return {.min = facts->min, .max = facts->max, .all_null = all_null};
}

Result<std::shared_ptr<arrow::RecordBatchReader>> ContentFileSet::read(std::size_t file,
                                                                       const std::vector<std::string>& columns) const {
  return read_files(backend_, table_.current_schema(), {files_[file]}, columns);
}

Result<std::shared_ptr<arrow::RecordBatch>> ContentFileSet::read_whole(std::size_t file) const {
  LAKE_ASSIGN_OR_RETURN(auto reader, read(file, {}));
  return read_all(*reader, files_[file].file.path);
}

}  // namespace lake::iceberg

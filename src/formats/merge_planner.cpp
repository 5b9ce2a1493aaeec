// The format-neutral part of merge: matching source rows to table rows by
// key and deciding, row by row, what stays, what is replaced and what is
// inserted. See merge_planner.hpp.
#include "formats/merge_planner.hpp"

#include <arrow/api.h>
#include <arrow/compute/api.h>

#include <algorithm>
#include <format>
#include <numeric>

#include "core/parallel_for.hpp"
#include "core/propagate.hpp"
#include "formats/compute.hpp"
#include "formats/filter.hpp"
#include "formats/row_ops.hpp"
#include "lake/arrow/convert.hpp"
#include "lake/arrow/detail/status.hpp"
#include "lake/duplicate_keys.hpp"

namespace lake::formats {
namespace {

namespace cp = arrow::compute;

Error arrow_error(const arrow::Status& status, std::string_view context) {
  return lake::detail::from_arrow_status(status, context);
}

Result<std::shared_ptr<arrow::BooleanArray>> mask_of(const std::vector<bool>& values) {
  arrow::BooleanBuilder builder;
  if (auto st = builder.Reserve(static_cast<std::int64_t>(values.size())); !st.ok()) return fail(arrow_error(st, "merge"));
  for (bool value : values) builder.UnsafeAppend(value);
  std::shared_ptr<arrow::BooleanArray> mask;
  if (auto st = builder.Finish(&mask); !st.ok()) return fail(arrow_error(st, "merge"));
  return mask;
}

// The rows of one file that match a source row (and the target filter):
// their positions in the file and the source rows they match, in file
// order.
struct FileMatches {
  std::int64_t rows = 0;  // the file's rows
  std::vector<std::int64_t> file_rows;
  std::vector<std::int64_t> source_rows;
};

class Merge {
 public:
  Merge(const MergeSource& source, const MergeRules& rules, MergeTarget& target)
      : source_(source), rules_(rules), target_(target),
        source_matched_(static_cast<std::size_t>(source.rows->num_rows()), false) {}

  Result<MergeCounts> run() {
    LAKE_RETURN_IF_ERROR(match_table());
    if (duplicates_.count > 0)
      return fail(ErrorCode::already_exists,
                  std::format("the table already has {} of the merge's keys, e.g. ({}); nothing was written",
                              duplicates_.count, duplicates_.sample.front()),
                  std::make_shared<DuplicateKeys>(source_.keys->columns(), duplicates_.sample, duplicates_.count));
    LAKE_RETURN_IF_ERROR(insert_source_rows());
    return counts_;
  }

 private:
  Status match_table() {
    if (source_.keys->empty()) return {};
    LAKE_RETURN_IF_ERROR(plan_reads());
    const DataFileSet& files = target_.files();
    std::vector<std::size_t> candidates;
    for (std::size_t i = 0; i < files.size(); ++i)
      if (source_.keys->may_hold_any(files, i)) candidates.push_back(i);

    std::vector<FileMatches> matches(candidates.size());
    LAKE_RETURN_IF_ERROR(lake::detail::parallel_for(candidates.size(), rules_.threads, [&](std::size_t c) -> Status {
      LAKE_ASSIGN_OR_RETURN(matches[c], find_matches(candidates[c]));
      return {};
    }));

    // What the merge decides, file by file in order, on this thread.
    std::vector<std::pair<std::size_t, std::shared_ptr<const arrow::BooleanArray>>> rewrites;
    for (std::size_t c = 0; c < candidates.size(); ++c) {
      LAKE_RETURN_IF_ERROR(record_matches(matches[c], candidates[c]));
      if (matches[c].file_rows.empty() || !rewrites_files()) continue;
      LAKE_ASSIGN_OR_RETURN(auto gone, gone_mask(matches[c]));
      (rules_.on_match == OnMatch::update ? counts_.rows_updated : counts_.rows_deleted) +=
          static_cast<std::int64_t>(matches[c].file_rows.size());
      rewrites.emplace_back(candidates[c], std::move(gone));
      matches[c] = {};
    }

    std::vector<std::int64_t> copied(rewrites.size(), 0);
    LAKE_RETURN_IF_ERROR(lake::detail::parallel_for(rewrites.size(), rules_.threads, [&](std::size_t r) -> Status {
      LAKE_ASSIGN_OR_RETURN(copied[r], target_.remove_rows(rewrites[r].first, rewrites[r].second));
      return {};
    }));
    counts_.files_rewritten += static_cast<std::int64_t>(rewrites.size());
    for (std::int64_t n : copied) counts_.rows_copied += n;
    return {};
  }

  // The columns each file is read through: the keys, then the target
  // filter's other columns; and the filter bound to them.
  Status plan_reads() {
    read_columns_ = source_.keys->columns();
    if (!rules_.target_filter) return {};
    LAKE_ASSIGN_OR_RETURN(auto narrow,
                          narrow_filter(*rules_.target_filter, *source_.rows->schema(), std::move(read_columns_)));
    read_columns_ = std::move(narrow.columns);
    target_filter_ = std::move(narrow.bound);
    return {};
  }

  // The rows of a file that match a source row, read through the key
  // columns (and the filter's). Runs on several threads at once: it
  // reads only what the merge set up before.
  Result<FileMatches> find_matches(std::size_t file) const {
    const DataFileSet& files = target_.files();
    FileMatches found;
    if (!target_filter_) {
      LAKE_ASSIGN_OR_RETURN(auto per_row, source_.keys->find_in_file(files, file));
      found.rows = static_cast<std::int64_t>(per_row.size());
      for (std::size_t row = 0; row < per_row.size(); ++row) add_match(found, static_cast<std::int64_t>(row), per_row[row]);
      return found;
    }
    const auto context = [&] { return std::format("reading '{}'", files.name(file)); };
    auto reader = files.read(file, read_columns_);
    if (!reader) return std::unexpected(reader.error().with_context(context()));
    std::vector<int> key_columns(source_.key_indexes.size());
    std::iota(key_columns.begin(), key_columns.end(), 0);
    while (true) {
      std::shared_ptr<arrow::RecordBatch> batch;
      if (auto st = (*reader)->ReadNext(&batch); !st.ok()) return fail(arrow_error(st, context()));
      if (!batch) break;
      auto keys = batch->SelectColumns(key_columns);
      if (!keys.ok()) return fail(arrow_error(keys.status(), context()));
      LAKE_ASSIGN_OR_RETURN(auto per_row, source_.keys->find_all(**keys));
      LAKE_ASSIGN_OR_RETURN(auto in_scope, evaluate_mask(*batch, *target_filter_));
      for (std::int64_t row = 0; row < batch->num_rows(); ++row)
        if (in_scope->Value(row)) add_match(found, found.rows + row, per_row[static_cast<std::size_t>(row)]);
      found.rows += batch->num_rows();
    }
    return found;
  }

  static void add_match(FileMatches& found, std::int64_t file_row, std::int64_t source_row) {
    if (source_row == KeyIndex::kNoRow) return;
    found.file_rows.push_back(file_row);
    found.source_rows.push_back(source_row);
  }

  bool rewrites_files() const { return rules_.on_match == OnMatch::update || rules_.on_match == OnMatch::remove; }

  // Marks the source rows a file matches.
  Status record_matches(const FileMatches& found, std::size_t file) {
    for (const std::int64_t source_row : found.source_rows) {
      if (source_matched_[static_cast<std::size_t>(source_row)])
        return fail(ErrorCode::invalid_argument,
                    std::format("merge: the table has more than one row with key ({}); a merge source row must match "
                                "at most one table row",
                                source_.keys->describe(source_row)));
      source_matched_[static_cast<std::size_t>(source_row)] = true;
      if (rules_.on_match == OnMatch::fail) {
        if (duplicates_.sample.size() < DuplicateKeys::kSampleSize)
          duplicates_.sample.push_back(source_.keys->describe(source_row));
        ++duplicates_.count;
      }
    }
    // What the merge decided here depends on this file's rows even when it
    // does not rewrite it (a key skipped because it is here).
    if (!found.source_rows.empty()) target_.depends_on(file);
    return {};
  }

  // One entry per row of the file: does the merge take it out?
  static Result<std::shared_ptr<const arrow::BooleanArray>> gone_mask(const FileMatches& found) {
    std::vector<bool> hit(static_cast<std::size_t>(found.rows), false);
    for (const std::int64_t row : found.file_rows) hit[static_cast<std::size_t>(row)] = true;
    LAKE_ASSIGN_OR_RETURN(auto mask, mask_of(hit));
    return std::shared_ptr<const arrow::BooleanArray>(std::move(mask));
  }

  // The source rows that go into the table: the new values of matched rows
  // (update) and the unmatched ones (insert).
  Status insert_source_rows() {
    const auto& src = source_.rows;
    std::vector<bool> take(static_cast<std::size_t>(src->num_rows()), false);
    std::int64_t taken = 0;
    for (std::size_t row = 0; row < take.size(); ++row) {
      const bool was_matched = source_matched_[row];
      take[row] = was_matched ? rules_.on_match == OnMatch::update : rules_.on_no_match == OnNoMatch::insert;
      taken += take[row];
      if (!was_matched && take[row]) ++counts_.rows_inserted;
    }
    if (taken == 0) return {};
    LAKE_ASSIGN_OR_RETURN(auto mask, mask_of(take));
    LAKE_ASSIGN_OR_RETURN(auto chosen, select_rows(src, *mask, true));
    return target_.insert(std::move(chosen));
  }

  const MergeSource& source_;
  const MergeRules& rules_;
  MergeTarget& target_;
  std::vector<std::string> read_columns_;
  std::optional<cp::Expression> target_filter_;  // bound to read_columns_
  std::vector<bool> source_matched_;
  KeyCollisions duplicates_;
  MergeCounts counts_;
};

}  // namespace

Result<MergeSource> MergeSource::make(std::shared_ptr<arrow::RecordBatch> rows,
                                      const std::vector<std::string>& key_names) {
  // key_range() and the row selections use Arrow compute.
  LAKE_RETURN_IF_ERROR(ensure_compute_initialized());
  std::vector<int> key_indexes;
  for (const auto& name : key_names) {
    const int i = rows->schema()->GetFieldIndex(name);
    if (i < 0)
      return fail(ErrorCode::schema_mismatch, std::format("merge key column '{}' is not in the table (columns: {})",
                                                          name, lake::detail::column_list(*rows->schema())));
    key_indexes.push_back(i);
  }
  auto keys = WriteKeys::make(*rows, key_names);
  if (!keys) return std::unexpected(keys.error().with_context("merge source"));
  return MergeSource{std::move(rows), std::make_shared<const WriteKeys>(std::move(*keys)), std::move(key_indexes)};
}

std::optional<arrow::compute::Expression> MergeSource::key_range() const {
  std::vector<cp::Expression> terms;
  for (int k : key_indexes) {
    auto min_max = cp::MinMax(rows->column(k));
    if (!min_max.ok()) continue;  // types without an order (e.g. nested) just do not prune
    const auto& pair = min_max->scalar_as<arrow::StructScalar>();
    if (!pair.value[0]->is_valid || !pair.value[1]->is_valid) continue;
    auto field = cp::field_ref(rows->schema()->field(k)->name());
    terms.push_back(cp::greater_equal(field, cp::literal(pair.value[0])));
    terms.push_back(cp::less_equal(field, cp::literal(pair.value[1])));
  }
  if (terms.empty()) return std::nullopt;
  return cp::and_(terms);
}

Result<MergeCounts> merge_into(const MergeSource& source, const MergeRules& rules, MergeTarget& target) {
  return Merge(source, rules, target).run();
}

}  // namespace lake::formats

// The format-neutral part of merge: matching source rows to table rows by
// key and deciding, row by row, what stays, what is replaced and what is
// inserted. See merge_planner.hpp.
#include "formats/merge_planner.hpp"

#include <arrow/api.h>
#include <arrow/compute/api.h>

#include <format>

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
    if (rules_.target_filter) {
      LAKE_ASSIGN_OR_RETURN(auto bound, bind_filter(*rules_.target_filter, *source_.rows->schema()));
      target_filter_ = std::move(bound);
    }
    const DataFileSet& files = target_.files();
    for (std::size_t i = 0; i < files.size(); ++i) {
      if (!source_.keys->may_hold_any(files, i)) continue;
      LAKE_RETURN_IF_ERROR(target_filter_ ? visit_whole(i) : visit_keys(i));
    }
    return {};
  }

  // A file looked at through its key columns; read whole only when a
  // match must be rewritten.
  Status visit_keys(std::size_t file) {
    LAKE_ASSIGN_OR_RETURN(auto found, source_.keys->find_in_file(target_.files(), file));
    LAKE_ASSIGN_OR_RETURN(auto matched, record_matches(found, nullptr, file));
    if (matched == 0 || !rewrites()) return {};
    return remove_matched(file, nullptr, found, nullptr);
  }

  // A file read whole (the merge has a target filter to evaluate).
  Status visit_whole(std::size_t file) {
    LAKE_ASSIGN_OR_RETURN(auto rows, target_.read_whole(file));
    LAKE_ASSIGN_OR_RETURN(auto found, source_rows_of(*rows));
    LAKE_ASSIGN_OR_RETURN(auto in_scope, evaluate_mask(*rows, *target_filter_));
    LAKE_ASSIGN_OR_RETURN(auto matched, record_matches(found, in_scope.get(), file));
    if (matched == 0 || !rewrites()) return {};
    return remove_matched(file, rows, found, in_scope.get());
  }

  bool rewrites() const { return rules_.on_match == OnMatch::update || rules_.on_match == OnMatch::remove; }

  // Per row of `rows` (in the table's schema): the source row with its
  // key, or KeyIndex::kNoRow.
  Result<std::vector<std::int64_t>> source_rows_of(const arrow::RecordBatch& rows) const {
    auto keys = rows.SelectColumns(source_.key_indexes);
    if (!keys.ok()) return fail(arrow_error(keys.status(), "merge"));
    return source_.keys->find_all(**keys);
  }

  // Marks the source rows a file matches; the number of its rows matched.
  Result<std::int64_t> record_matches(const std::vector<std::int64_t>& found, const arrow::BooleanArray* in_scope,
                                      std::size_t file) {
    std::int64_t matched = 0;
    for (std::size_t row = 0; row < found.size(); ++row) {
      const std::int64_t source_row = found[row];
      if (source_row == KeyIndex::kNoRow || (in_scope && !in_scope->Value(static_cast<std::int64_t>(row)))) continue;
      if (source_matched_[static_cast<std::size_t>(source_row)])
        return fail(ErrorCode::invalid_argument,
                    std::format("merge: the table has more than one row with key ({}); a merge source row must match "
                                "at most one table row",
                                source_.keys->describe(source_row)));
      source_matched_[static_cast<std::size_t>(source_row)] = true;
      ++matched;
      if (rules_.on_match == OnMatch::fail) {
        if (duplicates_.sample.size() < DuplicateKeys::kSampleSize)
          duplicates_.sample.push_back(source_.keys->describe(source_row));
        ++duplicates_.count;
      }
    }
    // What the merge decided here depends on this file's rows even when it
    // does not rewrite it (a key skipped because it is here).
    if (matched > 0) target_.depends_on(file);
    return matched;
  }

  // The matched rows leave the file (their new values, if any, are
  // inserted with the source rows). `rows`: the file read whole, or null.
  Status remove_matched(std::size_t file, const std::shared_ptr<arrow::RecordBatch>& rows,
                        const std::vector<std::int64_t>& found, const arrow::BooleanArray* in_scope) {
    std::vector<bool> hit(found.size(), false);
    std::int64_t matched = 0;
    for (std::size_t row = 0; row < found.size(); ++row) {
      hit[row] = found[row] != KeyIndex::kNoRow && (!in_scope || in_scope->Value(static_cast<std::int64_t>(row)));
      matched += hit[row];
    }
    LAKE_ASSIGN_OR_RETURN(auto mask, mask_of(hit));
    LAKE_ASSIGN_OR_RETURN(auto copied, target_.remove_rows(file, *mask, rows));
    ++counts_.files_rewritten;
    counts_.rows_copied += copied;
    (rules_.on_match == OnMatch::update ? counts_.rows_updated : counts_.rows_deleted) += matched;
    return {};
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
  std::optional<cp::Expression> target_filter_;
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

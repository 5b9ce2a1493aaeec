// Row-level operations every format's copy-on-write paths (delete,
// update, merge) and optimize share: evaluating predicates and assignments
// on a batch, selecting rows.
#pragma once

#include <arrow/compute/expression.h>
#include <arrow/record_batch.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lake/error.hpp"

namespace lake::formats {

// A value expression (an update's assignment) bound to `schema`; an
// unknown column or a type mismatch is ErrorCode::schema_mismatch naming
// it. Predicates are bound with bind_filter (filter.hpp).
[[nodiscard]] Result<arrow::compute::Expression> bind_value(const arrow::compute::Expression& expression,
                                                         const arrow::Schema& schema);

// Per row: does the (bound) predicate hold? NULL counts as false.
[[nodiscard]] Result<std::shared_ptr<arrow::BooleanArray>> evaluate_mask(const arrow::RecordBatch& rows,
                                                                         const arrow::compute::Expression& bound);
[[nodiscard]] std::int64_t count_true(const arrow::BooleanArray& mask);

// The rows where mask is true (keep = true) or false (keep = false).
[[nodiscard]] Result<std::shared_ptr<arrow::RecordBatch>> select_rows(const std::shared_ptr<arrow::RecordBatch>& rows,
                                                                      const arrow::BooleanArray& mask, bool keep);

// `rows` with each assigned column replaced, on the rows where mask is
// true, by its (bound) expression's value cast to the column's type.
[[nodiscard]] Result<std::shared_ptr<arrow::RecordBatch>> assign_columns(
    const std::shared_ptr<arrow::RecordBatch>& rows, const arrow::BooleanArray& mask,
    const std::vector<std::pair<int, arrow::compute::Expression>>& assignments);

// The rows of a replace_where, read whole and each checked against the
// condition whose rows they replace: a row outside it is
// ErrorCode::invalid_argument naming the row and the condition, before
// anything is written (it would otherwise land where the next replace of
// the same range could not find it).
[[nodiscard]] Result<std::vector<std::shared_ptr<arrow::RecordBatch>>> rows_within(
    arrow::RecordBatchReader& rows, const arrow::compute::Expression& predicate);

}  // namespace lake::formats

#include "formats/row_ops.hpp"

#include <arrow/array.h>
#include <arrow/compute/api.h>
#include <arrow/compute/cast.h>

#include <cstring>
#include <format>

#include "core/propagate.hpp"
#include "formats/compute.hpp"
#include "formats/filter.hpp"
#include "lake/arrow/convert.hpp"

namespace lake::formats {
namespace {

namespace cp = arrow::compute;

Error arrow_error(const arrow::Status& status, std::string_view context) {
  return lake::detail::from_arrow_status(status, context);
}

}  // namespace

Result<cp::Expression> bind_value(const cp::Expression& expression, const arrow::Schema& schema) {
  LAKE_RETURN_IF_ERROR(formats::ensure_compute_initialized());
  auto bound = expression.Bind(schema);
  if (!bound.ok())
    return fail(ErrorCode::schema_mismatch,
                std::format("expression {} does not fit the table's columns ({}): {}", expression.ToString(),
                            lake::detail::column_list(schema), bound.status().message()));
  return *bound;
}

Result<std::shared_ptr<arrow::BooleanArray>> evaluate_mask(const arrow::RecordBatch& rows,
                                                           const cp::Expression& bound) {
  LAKE_RETURN_IF_ERROR(ensure_compute_initialized());
  if (bound.type() == nullptr || bound.type()->id() != arrow::Type::BOOL)
    return fail(ErrorCode::invalid_argument,
                std::format("predicate {} is not a boolean expression", bound.ToString()));
  auto value = cp::ExecuteScalarExpression(bound, *rows.schema(), arrow::Datum(rows.Slice(0)));
  if (!value.ok()) return fail(arrow_error(value.status(), "evaluating a predicate"));
  // SQL semantics: NULL is not true.
  auto filled = cp::CallFunction("coalesce", {*value, arrow::Datum(false)});
  if (!filled.ok()) return fail(arrow_error(filled.status(), "evaluating a predicate"));
  std::shared_ptr<arrow::Array> array;
  if (filled->is_scalar()) {
    auto made = arrow::MakeArrayFromScalar(*filled->scalar(), rows.num_rows());
    if (!made.ok()) return fail(arrow_error(made.status(), "evaluating a predicate"));
    array = *made;
  } else {
    array = filled->make_array();
  }
  return std::static_pointer_cast<arrow::BooleanArray>(array);
}

std::int64_t count_true(const arrow::BooleanArray& mask) { return mask.true_count(); }

Result<std::shared_ptr<arrow::RecordBatch>> select_rows(const std::shared_ptr<arrow::RecordBatch>& rows,
                                                        const arrow::BooleanArray& mask, bool keep) {
  LAKE_RETURN_IF_ERROR(ensure_compute_initialized());
  arrow::Datum selection = mask.Slice(0);
  if (!keep) {
    auto inverted = cp::Invert(selection);
    if (!inverted.ok()) return fail(arrow_error(inverted.status(), "selecting rows"));
    selection = *inverted;
  }
  auto filtered = cp::Filter(rows, selection);
  if (!filtered.ok()) return fail(arrow_error(filtered.status(), "selecting rows"));
  return filtered->record_batch();
}

Result<std::shared_ptr<arrow::RecordBatch>> assign_columns(
    const std::shared_ptr<arrow::RecordBatch>& rows, const arrow::BooleanArray& mask,
    const std::vector<std::pair<int, cp::Expression>>& assignments) {
  LAKE_RETURN_IF_ERROR(ensure_compute_initialized());
  std::vector<std::shared_ptr<arrow::Array>> columns = rows->columns();
  for (const auto& [index, expression] : assignments) {
    const auto& field = rows->schema()->field(index);
    auto value = cp::ExecuteScalarExpression(expression, *rows->schema(), arrow::Datum(rows));
    if (!value.ok()) return fail(arrow_error(value.status(), std::format("computing column '{}'", field->name())));
    auto cast = cp::Cast(*value, cp::CastOptions::Safe(field->type()));
    if (!cast.ok())
      return fail(ErrorCode::schema_mismatch,
                  std::format("the new value of column '{}' ({}) cannot be stored as {}: {}", field->name(),
                              value->type()->ToString(), field->type()->ToString(), cast.status().message()));
    auto chosen = cp::IfElse(mask.Slice(0), *cast, rows->column(index));
    if (!chosen.ok()) return fail(arrow_error(chosen.status(), std::format("updating column '{}'", field->name())));
    auto array = chosen->make_array();
    if (!field->nullable() && array->null_count() > 0)
      return fail(ErrorCode::schema_mismatch,
                  std::format("the update sets NULL in non-nullable column '{}'", field->name()));
    columns[static_cast<std::size_t>(index)] = std::move(array);
  }
  return arrow::RecordBatch::Make(rows->schema(), rows->num_rows(), std::move(columns));
}

Result<std::vector<std::shared_ptr<arrow::RecordBatch>>> rows_within(arrow::RecordBatchReader& rows,
                                                                     const cp::Expression& predicate) {
  LAKE_ASSIGN_OR_RETURN(auto bound, bind_filter(predicate, *rows.schema()));
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  std::int64_t seen = 0;
  for (;;) {
    std::shared_ptr<arrow::RecordBatch> batch;
    if (auto st = rows.ReadNext(&batch); !st.ok()) return fail(arrow_error(st, "reading the replacing rows"));
    if (!batch) break;
    LAKE_ASSIGN_OR_RETURN(auto mask, evaluate_mask(*batch, bound));
    if (mask->true_count() != batch->num_rows()) {
      std::int64_t row = 0;
      while (mask->Value(row)) ++row;
      return fail(ErrorCode::invalid_argument,
                  std::format("replace_where: row {} is outside the condition {} whose rows it replaces", seen + row,
                              predicate.ToString()));
    }
    seen += batch->num_rows();
    if (batch->num_rows() > 0) batches.push_back(std::move(batch));
  }
  return batches;
}

}  // namespace lake::formats

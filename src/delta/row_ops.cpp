#include "delta/row_ops.hpp"

#include <arrow/array.h>
#include <arrow/compute/api.h>
#include <arrow/compute/cast.h>

#include <cstring>
#include <format>

#include "delta/compute.hpp"
#include "lake/arrow/convert.hpp"

namespace lake::delta {
namespace {

namespace cp = arrow::compute;

Error arrow_error(const arrow::Status& status, std::string_view context) {
  return lake::detail::from_arrow_status(status, context);
}

void append_fixed(std::string& key, const arrow::Array& array, std::int64_t row, int byte_width) {
  const auto* values = array.data()->GetValues<char>(1, 0);
  key.append(values + (array.offset() + row) * byte_width, static_cast<std::size_t>(byte_width));
}

// Length-prefixed, so ("ab", "c") and ("a", "bc") stay distinct.
void append_bytes(std::string& key, std::string_view bytes) {
  const auto size = static_cast<std::uint64_t>(bytes.size());
  key.append(reinterpret_cast<const char*>(&size), sizeof size);
  key.append(bytes);
}

template <class BinaryArray>
void append_binary(std::string& key, const arrow::Array& array, std::int64_t row) {
  append_bytes(key, static_cast<const BinaryArray&>(array).GetView(row));
}

}  // namespace

Result<cp::Expression> bind_value(const cp::Expression& expression, const arrow::Schema& schema) {
  if (auto ready = ensure_compute_initialized(); !ready) return std::unexpected(ready.error());
  auto bound = expression.Bind(schema);
  if (!bound.ok())
    return fail(ErrorCode::schema_mismatch,
                std::format("expression {} does not fit the table's columns ({}): {}", expression.ToString(),
                            lake::detail::column_list(schema), bound.status().message()));
  return *bound;
}

Result<std::shared_ptr<arrow::BooleanArray>> evaluate_mask(const arrow::RecordBatch& rows,
                                                           const cp::Expression& bound) {
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

Result<std::vector<std::optional<std::string>>> encode_keys(const arrow::RecordBatch& rows,
                                                           const std::vector<int>& columns) {
  const auto n = rows.num_rows();
  std::vector<std::optional<std::string>> keys(static_cast<std::size_t>(n), std::string());
  for (int c : columns) {
    const arrow::Array& array = *rows.column(c);
    const auto& type = *array.type();
    for (std::int64_t row = 0; row < n; ++row) {
      auto& key = keys[static_cast<std::size_t>(row)];
      if (!key) continue;
      if (array.IsNull(row)) {
        key.reset();
        continue;
      }
      switch (type.id()) {
        case arrow::Type::BOOL:
          key->push_back(static_cast<const arrow::BooleanArray&>(array).Value(row) ? '\1' : '\0');
          break;
        case arrow::Type::STRING: append_binary<arrow::StringArray>(*key, array, row); break;
        case arrow::Type::LARGE_STRING: append_binary<arrow::LargeStringArray>(*key, array, row); break;
        case arrow::Type::BINARY: append_binary<arrow::BinaryArray>(*key, array, row); break;
        case arrow::Type::LARGE_BINARY: append_binary<arrow::LargeBinaryArray>(*key, array, row); break;
        default:
          if (arrow::is_fixed_width(type.id()) && type.bit_width() % 8 == 0 && type.bit_width() > 0) {
            append_fixed(*key, array, row, type.bit_width() / 8);
          } else {
            auto scalar = array.GetScalar(row);
            if (!scalar.ok()) return fail(arrow_error(scalar.status(), "encoding key values"));
            append_bytes(*key, (*scalar)->ToString());
          }
      }
    }
  }
  return keys;
}

}  // namespace lake::delta

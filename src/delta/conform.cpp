#include "delta/conform.hpp"

#include <arrow/array/array_nested.h>
#include <arrow/compute/api_scalar.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/cast.h>

#include <format>

#include "core/propagate.hpp"
#include "lake/arrow/convert.hpp"

namespace lake::delta {
namespace {

using arrow::Type;

using arrow::is_integer;
using arrow::is_signed_integer;
using arrow::is_unsigned_integer;

int integer_bits(Type::type id) {
  switch (id) {
    case Type::INT8: case Type::UINT8: return 8;
    case Type::INT16: case Type::UINT16: return 16;
    case Type::INT32: case Type::UINT32: return 32;
    default: return 64;
  }
}
// Decimal digits needed for every value of an integer type.
int integer_digits(Type::type id) {
  switch (id) {
    case Type::INT8: case Type::UINT8: return 3;
    case Type::INT16: case Type::UINT16: return 5;
    case Type::INT32: case Type::UINT32: return 10;
    case Type::INT64: return 19;
    default: return 20;  // uint64
  }
}

// Whether every value of `from` has an equal value in `to`, so a cast can
// never change or reject data. Decided on types alone: an int64 column is
// refused for an int32 table column even when today's values would fit,
// because tomorrow's would not.
bool widens_without_loss(const arrow::DataType& from, const arrow::DataType& to) {
  if (from.Equals(to)) return true;
  if (from.id() == Type::NA) return true;  // all NULL; the nullability check decides
  if (from.id() == Type::DICTIONARY)
    return widens_without_loss(*static_cast<const arrow::DictionaryType&>(from).value_type(), to);
  const Type::type f = from.id();
  switch (to.id()) {
    case Type::INT8: case Type::INT16: case Type::INT32: case Type::INT64:
      return (is_signed_integer(f) && integer_bits(f) <= integer_bits(to.id())) ||
             (is_unsigned_integer(f) && integer_bits(f) < integer_bits(to.id()));
    case Type::FLOAT: return is_integer(f) && integer_bits(f) <= 16;
    case Type::DOUBLE: return f == Type::FLOAT || (is_integer(f) && integer_bits(f) <= 32);
    case Type::STRING: return f == Type::LARGE_STRING || f == Type::STRING_VIEW;
    case Type::BINARY:
      return f == Type::LARGE_BINARY || f == Type::BINARY_VIEW || f == Type::FIXED_SIZE_BINARY;
    case Type::DECIMAL128: {
      const auto& t = static_cast<const arrow::DecimalType&>(to);
      if (is_integer(f)) return integer_digits(f) <= t.precision() - t.scale();
      if (f != Type::DECIMAL128 && f != Type::DECIMAL256 && f != Type::DECIMAL64 && f != Type::DECIMAL32) return false;
      const auto& d = static_cast<const arrow::DecimalType&>(from);
      return t.scale() >= d.scale() && t.precision() - t.scale() >= d.precision() - d.scale();
    }
    case Type::TIMESTAMP:
      // A date widened to timestamp_ntz (Delta's type widening) reads as
      // its midnight.
      if (f == Type::DATE32) return static_cast<const arrow::TimestampType&>(to).timezone().empty();
      // Any zone: Arrow timestamps with a zone are UTC instants already;
      // zone-less ones are read as UTC, as Arrow's own cast does.
      return f == Type::TIMESTAMP &&
             static_cast<const arrow::TimestampType&>(from).unit() != arrow::TimeUnit::NANO;
    case Type::LIST:
      if (f != Type::LIST && f != Type::LARGE_LIST && f != Type::FIXED_SIZE_LIST) return false;
      return widens_without_loss(*static_cast<const arrow::BaseListType&>(from).value_type(),
                                 *static_cast<const arrow::ListType&>(to).value_type());
    case Type::MAP: {
      if (f != Type::MAP) return false;
      const auto& m = static_cast<const arrow::MapType&>(from);
      const auto& t = static_cast<const arrow::MapType&>(to);
      return widens_without_loss(*m.key_type(), *t.key_type()) && widens_without_loss(*m.item_type(), *t.item_type());
    }
    case Type::STRUCT: {
      if (f != Type::STRUCT || from.num_fields() != to.num_fields()) return false;
      const auto& s = static_cast<const arrow::StructType&>(from);
      for (const auto& field : to.fields()) {
        auto match = s.GetFieldByName(field->name());
        if (!match || !widens_without_loss(*match->type(), *field->type())) return false;
      }
      return true;
    }
    default: return false;
  }
}

// `array` restricted to the rows where `parent` is valid, so NULLs below
// a NULL struct (which mean nothing) are not counted against the child.
Result<std::shared_ptr<arrow::Array>> rows_under_valid_parent(const std::shared_ptr<arrow::Array>& array,
                                                              const arrow::Array& parent) {
  if (parent.null_count() == 0) return array;
  auto valid = arrow::compute::IsValid(parent);
  if (!valid.ok()) return fail(lake::detail::from_arrow_status(valid.status(), "checking NULLs"));
  auto kept = arrow::compute::Filter(array, *valid);
  if (!kept.ok()) return fail(lake::detail::from_arrow_status(kept.status(), "checking NULLs"));
  return kept->make_array();
}

// The first place `array` holds a NULL that `field` forbids, as a dotted
// column name; nullopt when there is none.
Result<std::optional<std::string>> forbidden_null(const std::shared_ptr<arrow::Array>& array, const arrow::Field& field,
                                                  const std::string& name) {
  if (!field.nullable() && array->null_count() > 0) return name;
  switch (array->type_id()) {
    case Type::STRUCT: {
      const auto& s = static_cast<const arrow::StructArray&>(*array);
      for (int i = 0; i < s.num_fields(); ++i) {
        auto child = rows_under_valid_parent(s.field(i), s);
        LAKE_RETURN_IF_ERROR(child);
        const auto& child_field = *s.struct_type()->field(i);
        auto found = forbidden_null(*child, child_field, name + "." + child_field.name());
        if (!found || *found) return found;
      }
      return std::nullopt;
    }
    case Type::LIST: case Type::MAP: {
      // Flatten() yields the elements of the non-NULL lists only.
      auto elements = static_cast<const arrow::ListArray&>(*array).Flatten();
      if (!elements.ok()) return fail(lake::detail::from_arrow_status(elements.status(), "checking NULLs"));
      const auto& element_field = *static_cast<const arrow::BaseListType&>(*array->type()).value_field();
      std::string element_name = array->type_id() == Type::MAP ? name : name + ".element";
      return forbidden_null(*elements, element_field, element_name);
    }
    default: return std::nullopt;
  }
}

Status check_nulls(const std::shared_ptr<arrow::Array>& array, const arrow::Field& field, std::string_view context) {
  auto found = forbidden_null(array, field, field.name());
  LAKE_RETURN_IF_ERROR(found);
  if (*found)
    return fail(ErrorCode::schema_mismatch,
                std::format("{}column '{}' is not nullable, but {} holds NULLs", context, **found,
                            context.empty() ? "the input" : "the file"));
  return {};
}

}  // namespace

Result<std::shared_ptr<arrow::RecordBatch>> conform_input_batch(const arrow::RecordBatch& input,
                                                               const std::shared_ptr<arrow::Schema>& table) {
  const arrow::Schema& given = *input.schema();
  for (const auto& field : given.fields()) {
    if (table->GetFieldIndex(field->name()) < 0)
      return fail(ErrorCode::schema_mismatch,
                  std::format("the input has column '{}', which the table does not have; the table has columns: {}",
                              field->name(), lake::detail::column_list(*table)));
    if (auto n = given.GetAllFieldIndices(field->name()).size(); n > 1)
      return fail(ErrorCode::schema_mismatch, std::format("column '{}' appears {} times in the input", field->name(), n));
  }
  std::vector<std::shared_ptr<arrow::Array>> columns;
  columns.reserve(static_cast<std::size_t>(table->num_fields()));
  for (const auto& field : table->fields()) {
    int index = given.GetFieldIndex(field->name());
    if (index < 0)
      return fail(ErrorCode::schema_mismatch,
                  std::format("the input lacks column '{}'; it has columns: {}", field->name(),
                              lake::detail::column_list(given)));
    std::shared_ptr<arrow::Array> column = input.column(index);
    if (!column->type()->Equals(*field->type())) {
      if (!widens_without_loss(*column->type(), *field->type()))
        return fail(ErrorCode::schema_mismatch,
                    std::format("column '{}' is {} in the input, which does not convert to the table's {} without "
                                "loss",
                                field->name(), column->type()->ToString(), field->type()->ToString()));
      auto cast = arrow::compute::Cast(*column, field->type(), arrow::compute::CastOptions::Safe());
      if (!cast.ok())
        return fail(ErrorCode::schema_mismatch,
                    std::format("column '{}' cannot be converted from {} to {}: {}", field->name(),
                                column->type()->ToString(), field->type()->ToString(), cast.status().message()));
      column = std::move(*cast);
    }
    LAKE_RETURN_IF_ERROR(check_nulls(column, *field, ""));
    columns.push_back(std::move(column));
  }
  return arrow::RecordBatch::Make(table, input.num_rows(), std::move(columns));
}

Result<std::shared_ptr<arrow::Array>> conform_file_column(const std::shared_ptr<arrow::Array>& column,
                                                         const arrow::Field& field, std::string_view file) {
  std::shared_ptr<arrow::Array> out = column;
  if (!column->type()->Equals(*field.type())) {
    auto options = arrow::compute::CastOptions::Safe(field.type());
    options.allow_time_truncate = true;  // nanosecond files into the table's microseconds
    auto cast = arrow::compute::Cast(*column, options);
    if (!cast.ok())
      return fail(ErrorCode::schema_mismatch,
                  std::format("data file '{}': column '{}' is {} in the file and cannot be read as the table's {}: {}",
                              file, field.name(), column->type()->ToString(), field.type()->ToString(),
                              cast.status().message()));
    out = cast->make_array();
  }
  if (auto nulls = check_nulls(out, field, std::format("data file '{}': ", file)); !nulls)
    return std::unexpected(nulls.error());
  return out;
}

}  // namespace lake::delta

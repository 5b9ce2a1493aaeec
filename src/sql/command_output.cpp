#include "sql/command_output.hpp"

#include <arrow/scalar.h>

#include <string>

namespace lake::spark_sql {
namespace {

std::int64_t as_int(const std::shared_ptr<arrow::Scalar>& scalar) {
  if (!scalar || !scalar->is_valid) return 0;
  auto cast = scalar->CastTo(arrow::int64());
  return cast.ok() ? std::static_pointer_cast<arrow::Int64Scalar>(*cast)->value : 0;
}

std::shared_ptr<arrow::Scalar> first_cell(const std::shared_ptr<arrow::Table>& output, std::string_view column) {
  if (!output || output->num_rows() == 0) return nullptr;
  auto chunks = output->GetColumnByName(std::string(column));
  if (!chunks || chunks->num_chunks() == 0) return nullptr;
  auto scalar = chunks->GetScalar(0);
  return scalar.ok() ? *scalar : nullptr;
}

}  // namespace

std::int64_t output_count(const std::shared_ptr<arrow::Table>& output, std::string_view column) {
  return as_int(first_cell(output, column));
}

std::int64_t output_field(const std::shared_ptr<arrow::Table>& output, std::string_view column,
                          std::initializer_list<std::string_view> path) {
  std::shared_ptr<arrow::Scalar> at = first_cell(output, column);
  for (std::string_view name : path) {
    if (!at || !at->is_valid || at->type->id() != arrow::Type::STRUCT) return 0;
    auto field = static_cast<const arrow::StructScalar&>(*at).field(std::string(name));
    if (!field.ok()) return 0;
    at = *field;
  }
  return as_int(at);
}

}  // namespace lake::spark_sql

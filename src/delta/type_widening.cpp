#include "delta/type_widening.hpp"

#include <format>

#include <nlohmann/json.hpp>

#include "core/propagate.hpp"
#include "delta/schema_json.hpp"

namespace lake::delta {
namespace {

int integer_rank(TypeId id) {
  switch (id) {
    case TypeId::int8: return 1;
    case TypeId::int16: return 2;
    case TypeId::int32: return 3;
    case TypeId::int64: return 4;
    default: return 0;
  }
}

}  // namespace

bool widens(const DataType& from, const DataType& to) {
  if (const int a = integer_rank(from.id), b = integer_rank(to.id); a > 0 && b > 0) return a < b;
  if (from.id == TypeId::float32) return to.id == TypeId::float64;
  if (from.id == TypeId::date) return to.id == TypeId::timestamp_ntz;
  if (from.id == TypeId::decimal && to.id == TypeId::decimal)
    return to.scale >= from.scale && to.precision - to.scale >= from.precision - from.scale &&
           (to.precision != from.precision || to.scale != from.scale);
  return false;
}

Result<SchemaEdit> schema_with_type_change(const Metadata& metadata, std::string_view column, const DataType& to) {
  auto schema = nlohmann::json::parse(metadata.schema_string, nullptr, false);
  if (!schema.is_object() || !schema.contains("fields") || !schema["fields"].is_array())
    return fail(ErrorCode::invalid_argument, "the table's schemaString is not a struct");
  auto columns = parse_schema_string(metadata.schema_string);
  LAKE_RETURN_IF_ERROR(columns);
  auto& fields = schema["fields"];
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].value("name", "") != column) continue;
    const DataType& from = (*columns)[i].type;
    if (from.is_nested())
      return fail(ErrorCode::schema_mismatch,
                  std::format("column '{}' is {}; lake-orm widens top-level primitive columns only", column,
                              from.to_string()));
    if (!widens(from, to))
      return fail(ErrorCode::schema_mismatch,
                  std::format("column '{}' cannot change from {} to {}: lake-orm widens integers to wider integers, "
                              "float to double, decimals to ones with no fewer integer digits and no smaller "
                              "scale, and date to timestamp_ntz (Delta's type widening)",
                              column, from.to_string(), to.to_string()));
    auto& field = fields[i];
    field["type"] = primitive_type_name(to);
    auto& field_metadata = field["metadata"];
    if (!field_metadata.is_object()) field_metadata = nlohmann::json::object();
    auto& changes = field_metadata[std::string(kTypeChanges)];
    if (!changes.is_array()) changes = nlohmann::json::array();
    changes.push_back({{"fromType", primitive_type_name(from)}, {"toType", primitive_type_name(to)}});
    auto configuration = metadata.configuration;
    configuration[std::string(kEnableTypeWidening)] = "true";
    return SchemaEdit{.schema_string = schema.dump(), .configuration = std::move(configuration)};
  }
  return fail(ErrorCode::schema_mismatch, std::format("the table has no column '{}'", column));
}

}  // namespace lake::delta

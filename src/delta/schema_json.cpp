#include <algorithm>
#include "delta/schema_json.hpp"
#include "core/propagate.hpp"

#include <charconv>
#include <format>

#include <nlohmann/json.hpp>

namespace lake::delta {
namespace {

using nlohmann::json;

json type_json(const DataType& type);

json field_json(const std::string& name, const DataType& type, bool nullable) {
  return {{"name", name}, {"type", type_json(type)}, {"nullable", nullable}, {"metadata", json::object()}};
}

json type_json(const DataType& type) {
  switch (type.id) {
    case TypeId::list:
      return {{"type", "array"},
              {"elementType", type_json(type.children[0].type)},
              {"containsNull", type.children[0].nullable}};
    case TypeId::map:
      return {{"type", "map"},
              {"keyType", type_json(type.children[0].type)},
              {"valueType", type_json(type.children[1].type)},
              {"valueContainsNull", type.children[1].nullable}};
    case TypeId::structure: {
      json fields = json::array();
      for (const auto& c : type.children) fields.push_back(field_json(c.name, c.type, c.nullable));
      return {{"type", "struct"}, {"fields", fields}};
    }
    default: return primitive_type_name(type);
  }
}

Result<DataType> parse_type(const json& j, std::string_view where);

Result<Column> parse_child(const json& type, bool nullable, std::string name, std::string_view where) {
  auto t = parse_type(type, where);
  LAKE_RETURN_IF_ERROR(t);
  return Column{std::move(name), std::move(*t), nullable};
}

Result<DataType> parse_primitive(std::string_view name, std::string_view where) {
  struct Entry {
    std::string_view name;
    TypeId id;
  };
  static constexpr Entry kPrimitives[] = {
      {"boolean", TypeId::boolean}, {"byte", TypeId::int8},       {"short", TypeId::int16},
      {"integer", TypeId::int32},   {"long", TypeId::int64},      {"float", TypeId::float32},
      {"double", TypeId::float64},  {"string", TypeId::string},   {"binary", TypeId::binary},
      {"timestamp", TypeId::timestamp}, {"timestamp_ntz", TypeId::timestamp_ntz}, {"date", TypeId::date},
  };
  for (const auto& e : kPrimitives)
    if (e.name == name) return DataType(e.id);
  if (name.starts_with("decimal(") && name.ends_with(")")) {
    auto inner = name.substr(8, name.size() - 9);
    auto comma = inner.find(',');
    int p = 0, s = 0;
    auto trim = [](std::string_view v) {
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
      return v;
    };
    auto ps = trim(inner.substr(0, comma)), ss = comma == std::string_view::npos ? "" : trim(inner.substr(comma + 1));
    if (std::from_chars(ps.data(), ps.data() + ps.size(), p).ec == std::errc{} &&
        std::from_chars(ss.data(), ss.data() + ss.size(), s).ec == std::errc{} && p >= 1 && p <= 38 && s >= 0 &&
        s <= p)
      return DataType::decimal(static_cast<std::uint8_t>(p), static_cast<std::uint8_t>(s));
  }
  // variant, interval... are types we do not read.
  return fail(ErrorCode::unsupported, std::format("{}: Delta type '{}' is not supported", where, name));
}

Result<DataType> parse_type(const json& j, std::string_view where) {
  if (j.is_string()) return parse_primitive(j.get<std::string>(), where);
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string())
    return fail(ErrorCode::invalid_argument, std::format("{}: malformed type {}", where, j.dump()));
  std::string kind = j["type"];
  if (kind == "array") {
    auto element = parse_child(j.value("elementType", json()), j.value("containsNull", true), "element", where);
    LAKE_RETURN_IF_ERROR(element);
    DataType t(TypeId::list);
    t.children.push_back(std::move(*element));
    return t;
  }
  if (kind == "map") {
    auto key = parse_child(j.value("keyType", json()), false, "key", where);
    LAKE_RETURN_IF_ERROR(key);
    auto value = parse_child(j.value("valueType", json()), j.value("valueContainsNull", true), "value", where);
    LAKE_RETURN_IF_ERROR(value);
    DataType t(TypeId::map);
    t.children.push_back(std::move(*key));
    t.children.push_back(std::move(*value));
    return t;
  }
  if (kind == "struct") {
    DataType t(TypeId::structure);
    for (const auto& f : j.value("fields", json::array())) {
      if (!f.is_object() || !f.contains("name") || !f["name"].is_string())
        return fail(ErrorCode::invalid_argument, std::format("{}: malformed struct field {}", where, f.dump()));
      auto child = parse_child(f.value("type", json()), f.value("nullable", true), f["name"].get<std::string>(), where);
      LAKE_RETURN_IF_ERROR(child);
      t.children.push_back(std::move(*child));
    }
    return t;
  }
  return fail(ErrorCode::unsupported, std::format("{}: Delta type '{}' is not supported", where, kind));
}

}  // namespace

std::string primitive_type_name(const DataType& type) {
  switch (type.id) {
    case TypeId::boolean: return "boolean";
    case TypeId::int8: return "byte";
    case TypeId::int16: return "short";
    case TypeId::int32: return "integer";
    case TypeId::int64: return "long";
    case TypeId::float32: return "float";
    case TypeId::float64: return "double";
    case TypeId::string: return "string";
    case TypeId::binary: return "binary";
    case TypeId::timestamp: return "timestamp";
    case TypeId::timestamp_ntz: return "timestamp_ntz";
    case TypeId::date: return "date";
    case TypeId::decimal: return std::format("decimal({},{})", type.precision, type.scale);
    default: return type_json(type).dump();
  }
}

std::string to_schema_string(const std::vector<Field>& columns) {
  json fields = json::array();
  for (const auto& f : columns) fields.push_back(field_json(f.column, f.type, f.nullable));
  return json{{"type", "struct"}, {"fields", fields}}.dump();
}

std::string to_schema_string(const Schema& schema) { return to_schema_string(table_columns(schema)); }

std::vector<Field> table_columns(const Schema& schema) {
  std::vector<Field> columns = schema.fields;
  Field ingest_id;
  ingest_id.column = std::string(kIngestIdColumn);
  ingest_id.type = DataType(TypeId::string);
  columns.push_back(std::move(ingest_id));
  return columns;
}

Result<std::vector<Field>> parse_schema_string(std::string_view text) {
  auto doc = json::parse(text, nullptr, false);
  if (doc.is_discarded())
    return fail(ErrorCode::invalid_argument, "the table's schemaString is not valid JSON");
  auto type = parse_type(doc, "schemaString");
  LAKE_RETURN_IF_ERROR(type);
  if (type->id != TypeId::structure)
    return fail(ErrorCode::invalid_argument, "the table's schemaString is not a struct");
  std::vector<Field> fields;
  for (auto& c : type->children) {
    Field f;
    f.column = std::move(c.name);
    f.type = std::move(c.type);
    f.nullable = c.nullable;
    fields.push_back(std::move(f));
  }
  return fields;
}

namespace {
bool type_uses_ntz(const DataType& type) {
  return type.id == TypeId::timestamp_ntz ||
         std::ranges::any_of(type.children, [](const Column& child) { return type_uses_ntz(child.type); });
}
}  // namespace

bool uses_timestamp_ntz(const std::vector<Field>& columns) {
  return std::ranges::any_of(columns, [](const Field& field) { return type_uses_ntz(field.type); });
}

}  // namespace lake::delta

#include "iceberg/schema.hpp"

#include <arrow/util/key_value_metadata.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <format>
#include <set>

#include <nlohmann/json.hpp>

#include "core/propagate.hpp"

namespace lake::iceberg {
namespace {

using nlohmann::json;

constexpr std::string_view kFieldIdKey = "PARQUET:field_id";

// The primitives of format versions 1 and 2 this reader maps to Arrow.
// (v3's variant, geometry, geography and unknown are refused by name.)
bool known_primitive(std::string_view name) {
  static constexpr std::string_view kNames[] = {"boolean", "int",         "long",         "float",
                                                "double",  "date",        "time",         "timestamp",
                                                "timestamptz", "timestamp_ns", "timestamptz_ns", "string",
                                                "uuid",    "binary"};
  if (std::ranges::find(kNames, name) != std::end(kNames)) return true;
  return name.starts_with("decimal(") || name.starts_with("fixed[");
}

// "decimal(P, S)" (the spec allows a space) -> P, S.
std::optional<std::pair<int, int>> decimal_parts(std::string_view name) {
  if (!name.starts_with("decimal(") || !name.ends_with(")")) return std::nullopt;
  std::string_view inner = name.substr(8, name.size() - 9);
  const auto comma = inner.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  auto number = [](std::string_view text) -> std::optional<int> {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    int value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
  };
  auto precision = number(inner.substr(0, comma));
  auto scale = number(inner.substr(comma + 1));
  if (!precision || !scale || *precision < 1 || *precision > 38 || *scale < 0 || *scale > *precision)
    return std::nullopt;
  return std::pair{*precision, *scale};
}

std::optional<int> fixed_length(std::string_view name) {
  if (!name.starts_with("fixed[") || !name.ends_with("]")) return std::nullopt;
  int length = 0;
  auto [end, error] = std::from_chars(name.data() + 6, name.data() + name.size() - 1, length);
  if (error != std::errc{} || end != name.data() + name.size() - 1 || length < 1) return std::nullopt;
  return length;
}

Error malformed(std::string_view what) {
  return Error(ErrorCode::invalid_argument, std::format("Iceberg schema: {}", what));
}

Result<std::shared_ptr<const Type>> parse_type(const json& j, std::string_view where);

Result<NestedField> parse_field(const json& j, std::string_view where) {
  if (!j.is_object() || !j.contains("id") || !j["id"].is_number_integer() || !j.contains("name") ||
      !j["name"].is_string() || !j.contains("type"))
    return fail(malformed(std::format("{}: a field needs an integer id, a name and a type", where)));
  NestedField field{.id = j["id"].get<std::int32_t>(), .name = j["name"].get<std::string>()};
  field.required = j.value("required", false);
  if (auto doc = j.find("doc"); doc != j.end() && doc->is_string()) field.doc = doc->get<std::string>();
  // A default is what a reader must produce for a file without the column:
  // reading NULL instead would return wrong rows, so such fields are refused.
  for (const char* key : {"initial-default", "write-default"})
    if (j.contains(key))
      return fail(ErrorCode::unsupported,
                  std::format("Iceberg field '{}' has an {} (format version 3 default values)", field.name, key));
  LAKE_ASSIGN_OR_RETURN(field.type, parse_type(j["type"], field.name));
  return field;
}

Result<std::shared_ptr<const Type>> parse_type(const json& j, std::string_view where) {
  auto type = std::make_shared<Type>();
  if (j.is_string()) {
    type->primitive = j.get<std::string>();
    if (!known_primitive(type->primitive))
      return fail(ErrorCode::unsupported, std::format("Iceberg field '{}' has type '{}', which this reader does not know",
                                                      where, type->primitive));
    if (type->primitive.starts_with("decimal(") && !decimal_parts(type->primitive))
      return fail(malformed(std::format("field '{}': bad decimal type '{}'", where, type->primitive)));
    if (type->primitive.starts_with("fixed[") && !fixed_length(type->primitive))
      return fail(malformed(std::format("field '{}': bad fixed type '{}'", where, type->primitive)));
    return type;
  }
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string())
    return fail(malformed(std::format("field '{}': a type is a string or an object with a \"type\"", where)));
  const std::string kind = j["type"].get<std::string>();
  if (kind == "struct") {
    type->kind = Type::Kind::structure;
    if (!j.contains("fields") || !j["fields"].is_array())
      return fail(malformed(std::format("struct '{}' has no fields array", where)));
    for (const auto& f : j["fields"]) {
      LAKE_ASSIGN_OR_RETURN(auto field, parse_field(f, where));
      type->fields.push_back(std::move(field));
    }
    return type;
  }
  auto child = [&](const char* id_key, const char* type_key, bool required, std::string name) -> Result<NestedField> {
    if (!j.contains(id_key) || !j[id_key].is_number_integer() || !j.contains(type_key))
      return fail(malformed(std::format("{} '{}' needs {} and {}", kind, where, id_key, type_key)));
    NestedField field{.id = j[id_key].get<std::int32_t>(), .name = std::move(name), .required = required};
    LAKE_ASSIGN_OR_RETURN(field.type, parse_type(j[type_key], std::format("{}.{}", where, field.name)));
    return field;
  };
  if (kind == "list") {
    type->kind = Type::Kind::list;
    LAKE_ASSIGN_OR_RETURN(auto element, child("element-id", "element", j.value("element-required", false), "element"));
    type->fields.push_back(std::move(element));
    return type;
  }
  if (kind == "map") {
    type->kind = Type::Kind::map;
    LAKE_ASSIGN_OR_RETURN(auto key, child("key-id", "key", true, "key"));
    LAKE_ASSIGN_OR_RETURN(auto value, child("value-id", "value", j.value("value-required", false), "value"));
    type->fields.push_back(std::move(key));
    type->fields.push_back(std::move(value));
    return type;
  }
  return fail(ErrorCode::unsupported, std::format("Iceberg field '{}' has type '{}', which this reader does not know",
                                                  where, kind));
}

json type_json(const Type& type);

json field_json(const NestedField& field) {
  json j = {{"id", field.id}, {"name", field.name}, {"required", field.required}, {"type", type_json(*field.type)}};
  if (!field.doc.empty()) j["doc"] = field.doc;
  return j;
}

json type_json(const Type& type) {
  switch (type.kind) {
    case Type::Kind::primitive: return type.primitive;
    case Type::Kind::structure: {
      json fields = json::array();
      for (const auto& f : type.fields) fields.push_back(field_json(f));
      return {{"type", "struct"}, {"fields", std::move(fields)}};
    }
    case Type::Kind::list:
      return {{"type", "list"},
              {"element-id", type.fields[0].id},
              {"element", type_json(*type.fields[0].type)},
              {"element-required", type.fields[0].required}};
    case Type::Kind::map:
      return {{"type", "map"},
              {"key-id", type.fields[0].id},
              {"key", type_json(*type.fields[0].type)},
              {"value-id", type.fields[1].id},
              {"value", type_json(*type.fields[1].type)},
              {"value-required", type.fields[1].required}};
  }
  return nullptr;
}

void collect_ids(const std::vector<NestedField>& fields, std::vector<std::int32_t>& ids) {
  for (const auto& f : fields) {
    ids.push_back(f.id);
    collect_ids(f.type->fields, ids);
  }
}

const NestedField* find_in(const std::vector<NestedField>& fields, std::int32_t id) {
  for (const auto& f : fields) {
    if (f.id == id) return &f;
    if (const NestedField* inner = find_in(f.type->fields, id)) return inner;
  }
  return nullptr;
}

std::shared_ptr<const arrow::KeyValueMetadata> id_metadata(std::int32_t id) {
  return arrow::key_value_metadata({std::string(kFieldIdKey)}, {std::to_string(id)});
}

Result<std::shared_ptr<arrow::Field>> arrow_field(const NestedField& field) {
  LAKE_ASSIGN_OR_RETURN(auto type, to_arrow(*field.type));
  return arrow::field(field.name, std::move(type), !field.required, id_metadata(field.id));
}

}  // namespace

std::shared_ptr<const Type> Type::of(std::string primitive) {
  auto type = std::make_shared<Type>();
  type->primitive = std::move(primitive);
  return type;
}

std::string Type::to_string() const { return type_json(*this).dump(); }

namespace {

// (precision, scale) of "decimal(P, S)".
std::optional<std::pair<int, int>> decimal_of(std::string_view primitive) {
  int precision = 0, scale = 0;
  // %d skips the blank the spec's form has after the comma.
  if (std::sscanf(std::string(primitive).c_str(), "decimal(%d,%d)", &precision, &scale) != 2) return std::nullopt;
  return std::pair{precision, scale};
}

}  // namespace

bool promotes_to(const Type& from, const Type& to) {
  if (from.kind != Type::Kind::primitive || to.kind != Type::Kind::primitive) return false;
  if (from.primitive == "int" && to.primitive == "long") return true;
  if (from.primitive == "float" && to.primitive == "double") return true;
  const auto a = decimal_of(from.primitive), b = decimal_of(to.primitive);
  return a && b && a->second == b->second && b->first > a->first;
}

const NestedField* Schema::find(std::int32_t id) const noexcept { return find_in(fields, id); }

const NestedField* Schema::find(std::string_view name) const noexcept {
  auto it = std::ranges::find(fields, name, &NestedField::name);
  return it == fields.end() ? nullptr : &*it;
}

std::int32_t Schema::highest_field_id() const noexcept {
  std::vector<std::int32_t> ids;
  collect_ids(fields, ids);
  return ids.empty() ? 0 : std::ranges::max(ids);
}

Result<Schema> parse_schema(const json& j) {
  if (!j.is_object() || j.value("type", std::string()) != "struct" || !j.contains("fields") || !j["fields"].is_array())
    return fail(malformed("a schema is a struct with a fields array"));
  Schema schema;
  schema.schema_id = j.value("schema-id", 0);
  for (const auto& f : j["fields"]) {
    LAKE_ASSIGN_OR_RETURN(auto field, parse_field(f, "schema"));
    schema.fields.push_back(std::move(field));
  }
  if (auto ids = j.find("identifier-field-ids"); ids != j.end() && ids->is_array())
    schema.identifier_field_ids = ids->get<std::vector<std::int32_t>>();
  std::vector<std::int32_t> ids;
  collect_ids(schema.fields, ids);
  std::ranges::sort(ids);
  if (auto twice = std::ranges::adjacent_find(ids); twice != ids.end())
    return fail(malformed(std::format("field id {} is used twice in schema {}", *twice, schema.schema_id)));
  return schema;
}

json to_json(const Schema& schema) {
  json fields = json::array();
  for (const auto& f : schema.fields) fields.push_back(field_json(f));
  json j = {{"type", "struct"}, {"schema-id", schema.schema_id}, {"fields", std::move(fields)}};
  if (!schema.identifier_field_ids.empty()) j["identifier-field-ids"] = schema.identifier_field_ids;
  return j;
}

Result<std::shared_ptr<arrow::DataType>> to_arrow(const Type& type) {
  switch (type.kind) {
    case Type::Kind::structure: {
      arrow::FieldVector fields;
      for (const auto& f : type.fields) {
        LAKE_ASSIGN_OR_RETURN(auto field, arrow_field(f));
        fields.push_back(std::move(field));
      }
      return arrow::struct_(std::move(fields));
    }
    case Type::Kind::list: {
      LAKE_ASSIGN_OR_RETURN(auto element, arrow_field(type.fields[0]));
      return arrow::list(std::move(element));
    }
    case Type::Kind::map: {
      LAKE_ASSIGN_OR_RETURN(auto key, arrow_field(type.fields[0]));
      LAKE_ASSIGN_OR_RETURN(auto value, arrow_field(type.fields[1]));
      return std::make_shared<arrow::MapType>(std::move(key), std::move(value));
    }
    case Type::Kind::primitive: break;
  }
  const std::string& p = type.primitive;
  if (p == "boolean") return arrow::boolean();
  if (p == "int") return arrow::int32();
  if (p == "long") return arrow::int64();
  if (p == "float") return arrow::float32();
  if (p == "double") return arrow::float64();
  if (p == "date") return arrow::date32();
  if (p == "time") return arrow::time64(arrow::TimeUnit::MICRO);
  if (p == "timestamp") return arrow::timestamp(arrow::TimeUnit::MICRO);
  if (p == "timestamptz") return arrow::timestamp(arrow::TimeUnit::MICRO, "UTC");
  if (p == "timestamp_ns") return arrow::timestamp(arrow::TimeUnit::NANO);
  if (p == "timestamptz_ns") return arrow::timestamp(arrow::TimeUnit::NANO, "UTC");
  if (p == "string") return arrow::utf8();
  if (p == "uuid") return arrow::fixed_size_binary(16);
  if (p == "binary") return arrow::binary();
  if (auto decimal = decimal_parts(p)) return arrow::decimal128(decimal->first, decimal->second);
  if (auto length = fixed_length(p)) return arrow::fixed_size_binary(*length);
  return fail(ErrorCode::unsupported, std::format("Iceberg type '{}' has no Arrow type here", p));
}

Result<std::shared_ptr<arrow::Schema>> to_arrow(const Schema& schema) {
  arrow::FieldVector fields;
  for (const auto& f : schema.fields) {
    LAKE_ASSIGN_OR_RETURN(auto field, arrow_field(f));
    fields.push_back(std::move(field));
  }
  return arrow::schema(std::move(fields));
}

std::optional<std::int32_t> field_id_of(const arrow::Field& field) {
  const auto& metadata = field.metadata();
  if (!metadata) return std::nullopt;
  const int index = metadata->FindKey(std::string(kFieldIdKey));
  if (index < 0) return std::nullopt;
  const std::string& text = metadata->value(index);
  std::int32_t id = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return id;
}

Result<DataType> to_lake_type(const Type& type, std::string_view column) {
  auto child = [&](const NestedField& f) -> Result<Column> {
    LAKE_ASSIGN_OR_RETURN(auto t, to_lake_type(*f.type, std::format("{}.{}", column, f.name)));
    return Column{f.name, std::move(t), !f.required};
  };
  switch (type.kind) {
    case Type::Kind::structure:
    case Type::Kind::list:
    case Type::Kind::map: {
      DataType out(type.kind == Type::Kind::structure ? TypeId::structure
                   : type.kind == Type::Kind::list    ? TypeId::list
                                                      : TypeId::map);
      for (const auto& f : type.fields) {
        LAKE_ASSIGN_OR_RETURN(auto c, child(f));
        out.children.push_back(std::move(c));
      }
      return out;
    }
    case Type::Kind::primitive: break;
  }
  const std::string& p = type.primitive;
  if (p == "boolean") return DataType(TypeId::boolean);
  if (p == "int") return DataType(TypeId::int32);
  if (p == "long") return DataType(TypeId::int64);
  if (p == "float") return DataType(TypeId::float32);
  if (p == "double") return DataType(TypeId::float64);
  if (p == "date") return DataType(TypeId::date);
  if (p == "timestamptz") return DataType(TypeId::timestamp);
  if (p == "timestamp") return DataType(TypeId::timestamp_ntz);
  if (p == "string") return DataType(TypeId::string);
  if (p == "binary") return DataType(TypeId::binary);
  if (auto decimal = decimal_parts(p))
    return DataType::decimal(static_cast<std::uint8_t>(decimal->first), static_cast<std::uint8_t>(decimal->second));
  return fail(ErrorCode::unsupported,
              std::format("Iceberg column '{}' has type '{}', which lake cannot hold as it is", column, p));
}

namespace {

std::shared_ptr<const Type> lake_to_type(const DataType& type, std::int32_t& next_id);

// Java's assignment order: a struct's own fields first, then what they
// contain, so a table's top-level columns get the ids 1..n.
std::vector<NestedField> lake_fields(const std::vector<Column>& columns, std::int32_t& next_id) {
  std::vector<NestedField> fields;
  for (const auto& c : columns) fields.push_back({.id = next_id++, .name = c.name, .required = !c.nullable});
  for (std::size_t i = 0; i < columns.size(); ++i) fields[i].type = lake_to_type(columns[i].type, next_id);
  return fields;
}

std::string primitive_of(const DataType& type) {
  switch (type.id) {
    case TypeId::boolean: return "boolean";
    case TypeId::int8:
    case TypeId::int16:
    case TypeId::int32: return "int";  // Iceberg has no narrower integers
    case TypeId::int64: return "long";
    case TypeId::float32: return "float";
    case TypeId::float64: return "double";
    case TypeId::string: return "string";
    case TypeId::binary: return "binary";
    case TypeId::timestamp: return "timestamptz";
    case TypeId::timestamp_ntz: return "timestamp";
    case TypeId::date: return "date";
    case TypeId::decimal: return std::format("decimal({}, {})", type.precision, type.scale);
    case TypeId::list:
    case TypeId::structure:
    case TypeId::map: break;
  }
  return {};
}

std::shared_ptr<const Type> lake_to_type(const DataType& type, std::int32_t& next_id) {
  if (!type.is_nested()) return Type::of(primitive_of(type));
  auto out = std::make_shared<Type>();
  out->kind = type.id == TypeId::structure ? Type::Kind::structure
              : type.id == TypeId::list    ? Type::Kind::list
                                           : Type::Kind::map;
  out->fields = lake_fields(type.children, next_id);
  if (out->kind == Type::Kind::map) out->fields[0].required = true;  // map keys are never null
  return out;
}

}  // namespace

Schema from_lake(const lake::Schema& schema, bool with_ingest_id) {
  std::vector<Column> columns;
  for (const auto& f : schema.fields) columns.push_back({f.column, f.type, f.nullable});
  if (with_ingest_id) columns.push_back({std::string(kIngestIdColumn), DataType(TypeId::string), false});
  std::int32_t next_id = 1;
  Schema out{.schema_id = 0, .fields = lake_fields(columns, next_id)};
  for (std::size_t key : schema.primary_keys) out.identifier_field_ids.push_back(out.fields[key].id);
  return out;
}

}  // namespace lake::iceberg

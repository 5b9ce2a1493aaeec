#include "delta/column_mapping.hpp"

#include <arrow/array/data.h>
#include <arrow/util/key_value_metadata.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <format>

#include <nlohmann/json.hpp>

#include "core/propagate.hpp"
#include "delta/schema_json.hpp"
#include "lake/arrow/detail/status.hpp"
#include "lake/ingest_id.hpp"

namespace lake::delta {
namespace {

using nlohmann::json;

// The Parquet field id Arrow's Parquet writer takes from field metadata.
constexpr std::string_view kParquetFieldId = "PARQUET:field_id";

std::shared_ptr<arrow::DataType> physical_type(const std::shared_ptr<arrow::DataType>& type, const PhysicalField& p);

std::shared_ptr<arrow::Field> physical_arrow_field(const arrow::Field& field, const PhysicalField& p,
                                                   const std::string& name) {
  std::shared_ptr<const arrow::KeyValueMetadata> metadata;
  if (p.id) metadata = arrow::key_value_metadata({std::string(kParquetFieldId)}, {std::to_string(*p.id)});
  return arrow::field(name, physical_type(field.type(), p), field.nullable(), std::move(metadata));
}

std::shared_ptr<arrow::DataType> physical_type(const std::shared_ptr<arrow::DataType>& type, const PhysicalField& p) {
  switch (type->id()) {
    case arrow::Type::STRUCT: {
      if (p.children.size() != static_cast<std::size_t>(type->num_fields())) return type;
      arrow::FieldVector fields;
      for (int i = 0; i < type->num_fields(); ++i) {
        const PhysicalField& child = p.children[static_cast<std::size_t>(i)];
        fields.push_back(physical_arrow_field(*type->field(i), child, child.name));
      }
      return arrow::struct_(std::move(fields));
    }
    case arrow::Type::LIST: {
      if (p.children.size() != 1) return type;
      const auto& element = static_cast<const arrow::ListType&>(*type).value_field();
      return arrow::list(element->WithType(physical_type(element->type(), p.children[0])));
    }
    case arrow::Type::MAP: {
      if (p.children.size() != 2) return type;
      const auto& map = static_cast<const arrow::MapType&>(*type);
      return std::make_shared<arrow::MapType>(map.key_field()->WithType(physical_type(map.key_type(), p.children[0])),
                                              map.item_field()->WithType(physical_type(map.item_type(), p.children[1])),
                                              map.keys_sorted());
    }
    default: return type;
  }
}

// The same array data under `type` (which differs only in field names and
// metadata), children included.
std::shared_ptr<arrow::ArrayData> retyped(const std::shared_ptr<arrow::ArrayData>& data,
                                          const std::shared_ptr<arrow::DataType>& type) {
  auto out = std::make_shared<arrow::ArrayData>(*data);
  out->type = type;
  for (std::size_t i = 0; i < out->child_data.size() && std::cmp_less(i, type->num_fields()); ++i)
    out->child_data[i] = retyped(data->child_data[i], type->field(static_cast<int>(i))->type());
  return out;
}

bool same_name(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

Result<json> schema_json(const std::string& text) {
  auto schema = json::parse(text, nullptr, false);
  if (!schema.is_object() || !schema.contains("fields") || !schema["fields"].is_array())
    return fail(ErrorCode::invalid_argument, "the table's schemaString is not a struct");
  return schema;
}

// The largest id a field of `type` (or the field itself) carries.
std::int64_t largest_id(const json& node) {
  std::int64_t largest = 0;
  if (node.is_object()) {
    if (auto metadata = node.find("metadata"); metadata != node.end() && metadata->is_object())
      if (auto id = metadata->find(std::string(kColumnMappingId)); id != metadata->end() && id->is_number_integer())
        largest = id->get<std::int64_t>();
    for (const auto& [key, value] : node.items())
      if (value.is_structured()) largest = std::max(largest, largest_id(value));
  } else if (node.is_array()) {
    for (const auto& value : node) largest = std::max(largest, largest_id(value));
  }
  return largest;
}

std::int64_t max_column_id(const Metadata& metadata, const json& schema) {
  std::int64_t max_id = largest_id(schema);
  if (auto it = metadata.configuration.find(std::string(kColumnMappingMaxId)); it != metadata.configuration.end()) {
    std::int64_t stated = 0;
    if (std::from_chars(it->second.data(), it->second.data() + it->second.size(), stated).ec == std::errc{})
      max_id = std::max(max_id, stated);
  }
  return max_id;
}

// Gives a field, and the fields nested in its type, a physical name and
// an id where they have none: a fresh "col-<uuid>" name, or (fresh_names
// false) the field's own name.
void assign_field(json& field, std::int64_t& max_id, bool fresh_names);

void assign_type(json& type, std::int64_t& max_id, bool fresh_names) {
  if (!type.is_object()) return;
  const std::string kind = type.value("type", "");
  if (kind == "struct") {
    for (auto& child : type["fields"]) assign_field(child, max_id, fresh_names);
  } else if (kind == "array") {
    assign_type(type["elementType"], max_id, fresh_names);
  } else if (kind == "map") {
    assign_type(type["keyType"], max_id, fresh_names);
    assign_type(type["valueType"], max_id, fresh_names);
  }
}

void assign_field(json& field, std::int64_t& max_id, bool fresh_names) {
  json& metadata = field["metadata"];
  if (!metadata.is_object()) metadata = json::object();
  if (!metadata.contains(std::string(kPhysicalName)))
    metadata[std::string(kPhysicalName)] =
        fresh_names ? "col-" + IngestId::generate().to_string() : field.value("name", std::string());
  if (!metadata.contains(std::string(kColumnMappingId))) metadata[std::string(kColumnMappingId)] = ++max_id;
  assign_type(field["type"], max_id, fresh_names);
}

Result<json> field_json_of(const Field& column) {
  LAKE_ASSIGN_OR_RETURN(auto schema, schema_json(to_schema_string(std::vector<Field>{column})));
  return schema["fields"].at(0);
}

SchemaEdit edit_of(const json& schema, std::map<std::string, std::string> configuration) {
  return SchemaEdit{.schema_string = schema.dump(), .configuration = std::move(configuration)};
}

Status check_mapped(ColumnMapping mapping, std::string_view what) {
  if (mapping != ColumnMapping::none) return {};
  return fail(ErrorCode::unsupported,
              std::format("{} needs column mapping (the data files name columns by their names); enable it first "
                          "(Table::enable_column_mapping, or Spark's ALTER TABLE ... SET TBLPROPERTIES "
                          "('delta.columnMapping.mode' = 'name'))",
                          what));
}

}  // namespace

Result<ColumnMapping> column_mapping_of(const std::map<std::string, std::string>& configuration) {
  auto it = configuration.find(std::string(kColumnMappingMode));
  if (it == configuration.end() || it->second == "none") return ColumnMapping::none;
  if (it->second == "name") return ColumnMapping::name;
  if (it->second == "id") return ColumnMapping::id;
  return fail(ErrorCode::unsupported, std::format("table property {} is '{}'; the protocol knows none, name and id",
                                                  kColumnMappingMode, it->second));
}

std::shared_ptr<arrow::Schema> physical_schema(const TableLayout& layout,
                                               const std::shared_ptr<arrow::Schema>& logical) {
  if (layout.mapping == ColumnMapping::none) return logical;
  arrow::FieldVector fields;
  for (const auto& field : logical->fields()) {
    const PhysicalField* p = layout.physical_field(field->name());
    fields.push_back(p ? physical_arrow_field(*field, *p, p->name) : field);
  }
  return arrow::schema(std::move(fields));
}

Result<std::shared_ptr<arrow::RecordBatch>> relabelled(const std::shared_ptr<arrow::RecordBatch>& rows,
                                                      const std::shared_ptr<arrow::Schema>& physical) {
  // (Field ids alone do not matter here: the writer takes them from its schema.)
  if (rows->schema()->Equals(*physical, false)) return rows;
  if (rows->num_columns() != physical->num_fields())
    return fail(ErrorCode::internal, std::format("{} columns to write under a schema of {}", rows->num_columns(),
                                                 physical->num_fields()));
  std::vector<std::shared_ptr<arrow::ArrayData>> columns;
  for (int i = 0; i < rows->num_columns(); ++i)
    columns.push_back(retyped(rows->column_data(i), physical->field(i)->type()));
  return arrow::RecordBatch::Make(physical, rows->num_rows(), std::move(columns));
}

Result<SchemaEdit> schema_with_columns(const Metadata& metadata, const std::vector<Field>& columns) {
  LAKE_ASSIGN_OR_RETURN(auto mapping, column_mapping_of(metadata.configuration));
  LAKE_ASSIGN_OR_RETURN(auto schema, schema_json(metadata.schema_string));
  std::int64_t max_id = max_column_id(metadata, schema);
  json fields = json::array();
  for (const Field& column : columns) {
    auto old = std::ranges::find_if(schema["fields"], [&](const json& f) { return f.value("name", "") == column.column; });
    if (old != schema["fields"].end()) {
      json kept = *old;
      kept["nullable"] = column.nullable;
      fields.push_back(std::move(kept));
      continue;
    }
    LAKE_ASSIGN_OR_RETURN(auto added, field_json_of(column));
    if (mapping != ColumnMapping::none) assign_field(added, max_id, true);
    fields.push_back(std::move(added));
  }
  schema["fields"] = std::move(fields);
  auto configuration = metadata.configuration;
  if (mapping != ColumnMapping::none) configuration[std::string(kColumnMappingMaxId)] = std::to_string(max_id);
  return edit_of(schema, std::move(configuration));
}

Result<SchemaEdit> schema_with_rename(const Metadata& metadata, std::string_view from, std::string_view to) {
  LAKE_ASSIGN_OR_RETURN(auto mapping, column_mapping_of(metadata.configuration));
  LAKE_RETURN_IF_ERROR(check_mapped(mapping, std::format("renaming column '{}'", from)));
  LAKE_ASSIGN_OR_RETURN(auto schema, schema_json(metadata.schema_string));
  json* renamed = nullptr;
  for (auto& field : schema["fields"]) {
    const std::string name = field.value("name", "");
    if (name == from) renamed = &field;
    else if (same_name(name, to))
      return fail(ErrorCode::schema_mismatch, std::format("renaming '{}': the table already has a column '{}'", from, name));
  }
  if (renamed == nullptr)
    return fail(ErrorCode::schema_mismatch, std::format("renaming '{}': the table has no such column", from));
  (*renamed)["name"] = std::string(to);
  return edit_of(schema, metadata.configuration);
}

Result<SchemaEdit> schema_without(const Metadata& metadata, std::string_view column) {
  LAKE_ASSIGN_OR_RETURN(auto mapping, column_mapping_of(metadata.configuration));
  LAKE_RETURN_IF_ERROR(check_mapped(mapping, std::format("dropping column '{}'", column)));
  LAKE_ASSIGN_OR_RETURN(auto schema, schema_json(metadata.schema_string));
  auto& fields = schema["fields"];
  auto it = std::ranges::find_if(fields, [&](const json& f) { return f.value("name", "") == column; });
  if (it == fields.end())
    return fail(ErrorCode::schema_mismatch, std::format("dropping '{}': the table has no such column", column));
  fields.erase(it);
  return edit_of(schema, metadata.configuration);
}

Result<SchemaEdit> schema_with_mapping(const Metadata& metadata, ColumnMapping mode) {
  LAKE_ASSIGN_OR_RETURN(auto current, column_mapping_of(metadata.configuration));
  if (current != ColumnMapping::none)
    return fail(ErrorCode::invalid_argument, std::format("the table already maps columns ({} = {})", kColumnMappingMode,
                                                         metadata.configuration.at(std::string(kColumnMappingMode))));
  LAKE_ASSIGN_OR_RETURN(auto schema, schema_json(metadata.schema_string));
  std::int64_t max_id = 0;
  for (auto& field : schema["fields"]) assign_field(field, max_id, false);
  auto configuration = metadata.configuration;
  configuration[std::string(kColumnMappingMode)] = mode == ColumnMapping::id ? "id" : "name";
  configuration[std::string(kColumnMappingMaxId)] = std::to_string(max_id);
  return edit_of(schema, std::move(configuration));
}

Result<SchemaEdit> new_table_schema(const std::string& schema_string, std::map<std::string, std::string> configuration,
                                    ColumnMapping mode) {
  LAKE_ASSIGN_OR_RETURN(auto schema, schema_json(schema_string));
  if (mode == ColumnMapping::none) return edit_of(schema, std::move(configuration));
  std::int64_t max_id = 0;
  for (auto& field : schema["fields"]) assign_field(field, max_id, true);
  configuration[std::string(kColumnMappingMaxId)] = std::to_string(max_id);
  return edit_of(schema, std::move(configuration));
}

}  // namespace lake::delta

// The data-file view of a snapshot, and how add paths become backend keys.
#include "delta/table_layout.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <format>

#include <nlohmann/json.hpp>

#include "core/propagate.hpp"
#include "delta/column_mapping.hpp"
#include "delta/liquid_clustering.hpp"
#include "lake/arrow/convert.hpp"

namespace lake::delta {
namespace {

constexpr std::string_view kNumIndexedColsKey = "delta.dataSkippingNumIndexedCols";
constexpr int kDefaultStatsColumns = 32;

// RFC 3986 scheme: a letter, then letters, digits, '+', '-' or '.', then ':'.
// A relative path whose first segment holds a ':' must be written "./a:b",
// so a leading scheme-like run always means an absolute URI.
bool has_uri_scheme(std::string_view path) {
  if (path.empty() || !std::isalpha(static_cast<unsigned char>(path.front()))) return false;
  for (char c : path) {
    if (c == ':') return true;
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return false;
  }
  return false;
}

Result<int> stats_columns_of(const Metadata& metadata) {
  auto it = metadata.configuration.find(std::string(kNumIndexedColsKey));
  if (it == metadata.configuration.end()) return kDefaultStatsColumns;
  int n = 0;
  const std::string& text = it->second;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || end != text.data() + text.size() || n < -1)
    return fail(ErrorCode::invalid_argument,
                std::format("table property {} is '{}'; it must be an integer >= -1", kNumIndexedColsKey, text));
  return n;
}

Result<PhysicalField> physical_of_type(const nlohmann::json& type, std::string_view where);

// A struct field's physical identity: its metadata's physical name and
// id, then its type's nested fields.
Result<PhysicalField> physical_of_field(const nlohmann::json& field, ColumnMapping mapping, std::string_view where) {
  if (!field.is_object() || !field.contains("name") || !field["name"].is_string())
    return fail(ErrorCode::invalid_argument, std::format("{}: malformed field {}", where, field.dump()));
  const std::string name = field["name"];
  const auto metadata = field.value("metadata", nlohmann::json::object());
  auto physical = metadata.find(std::string(kPhysicalName));
  if (physical == metadata.end() || !physical->is_string())
    return fail(ErrorCode::invalid_argument,
                std::format("{}: field '{}' has no {} although the table maps columns", where, name, kPhysicalName));
  LAKE_ASSIGN_OR_RETURN(auto out, physical_of_type(field.value("type", nlohmann::json()), where));
  out.name = physical->get<std::string>();
  if (auto id = metadata.find(std::string(kColumnMappingId)); id != metadata.end() && id->is_number_integer())
    out.id = id->get<std::int32_t>();
  if (mapping == ColumnMapping::id && !out.id)
    return fail(ErrorCode::invalid_argument,
                std::format("{}: field '{}' has no {} in id mode", where, name, kColumnMappingId));
  return out;
}

// The nested fields of a type (none for a primitive).
Result<PhysicalField> physical_of_type(const nlohmann::json& type, std::string_view where) {
  PhysicalField out;
  if (!type.is_object()) return out;
  const std::string kind = type.value("type", "");
  // The mode matters only for fields, which always carry both.
  constexpr ColumnMapping any = ColumnMapping::name;
  if (kind == "struct") {
    for (const auto& field : type.value("fields", nlohmann::json::array())) {
      LAKE_ASSIGN_OR_RETURN(auto child, physical_of_field(field, any, where));
      out.children.push_back(std::move(child));
    }
  } else if (kind == "array") {
    LAKE_ASSIGN_OR_RETURN(auto element, physical_of_type(type.value("elementType", nlohmann::json()), where));
    out.children.push_back(std::move(element));
  } else if (kind == "map") {
    LAKE_ASSIGN_OR_RETURN(auto key, physical_of_type(type.value("keyType", nlohmann::json()), where));
    LAKE_ASSIGN_OR_RETURN(auto value, physical_of_type(type.value("valueType", nlohmann::json()), where));
    out.children.push_back(std::move(key));
    out.children.push_back(std::move(value));
  }
  return out;
}

}  // namespace

const PhysicalField* TableLayout::physical_field(std::string_view column) const {
  for (std::size_t i = 0; i < columns.size() && i < physical.size(); ++i)
    if (columns[i].column == column) return &physical[i];
  return nullptr;
}

std::string_view TableLayout::physical_name(std::string_view column) const {
  const PhysicalField* field = physical_field(column);
  return field ? std::string_view(field->name) : column;
}

std::vector<std::string> TableLayout::physical_path(std::span<const int> indices) const {
  std::vector<std::string> names;
  if (indices.empty()) return names;
  const auto top = static_cast<std::size_t>(indices.front());
  if (physical.empty()) {
    // No mapping: the logical names (from the Arrow schema, which holds nested ones).
    const arrow::Field* current = nullptr;
    for (int index : indices) {
      current = current == nullptr ? arrow_schema->field(index).get() : current->type()->field(index).get();
      names.push_back(current->name());
    }
    return names;
  }
  const PhysicalField* current = &physical.at(top);
  names.push_back(current->name);
  for (int index : indices.subspan(1)) {
    current = &current->children.at(static_cast<std::size_t>(index));
    names.push_back(current->name);
  }
  return names;
}

Result<std::string> TableLayout::key_of(const std::string& add_path) const {
  if (has_uri_scheme(add_path) || add_path.starts_with('/'))
    return fail(ErrorCode::unsupported,
                std::format("data file '{}' has an absolute path; lake-orm only reads files under the table root "
                            "(relative paths)",
                            add_path));
  auto path = decode_path(add_path);
  LAKE_RETURN_IF_ERROR(path);
  if (auto valid = check_key(*path); !valid)
    return fail(valid.error().with_context(std::format("data file '{}'", add_path)));
  return root.empty() ? *path : root + "/" + *path;
}

Status check_partition_column(const Field& column) {
  if (column.type.is_nested())
    return fail(ErrorCode::unsupported,
                std::format("partition column '{}' has nested type {}", column.column, column.type.to_string()));
  // Writers disagree on how binary partition values are spelled (raw bytes
  // vs "\uXXXX" escapes), so no reading of them could be trusted.
  if (column.type.id == TypeId::binary)
    return fail(ErrorCode::unsupported, std::format("partition column '{}' is binary; lake-orm does not read or "
                                                    "write binary partition values",
                                                    column.column));
  return {};
}

Result<TableLayout> layout_of(const std::string& root, const Snapshot& snapshot) {
  TableLayout layout;
  layout.root = root;
  while (layout.root.ends_with('/')) layout.root.pop_back();
  layout.columns = snapshot.columns();
  layout.partition_columns = snapshot.partition_columns();
  for (const auto& name : layout.partition_columns) {
    auto column = std::ranges::find(layout.columns, name, &Field::column);
    if (column == layout.columns.end())
      return fail(ErrorCode::invalid_argument,
                  std::format("partition column '{}' is not a column of the table", name));
    LAKE_RETURN_IF_ERROR(check_partition_column(*column));
  }
  Schema columns;
  columns.fields = layout.columns;
  layout.arrow_schema = to_arrow_schema(columns, false);
  auto stats_columns = stats_columns_of(snapshot.metadata());
  LAKE_RETURN_IF_ERROR(stats_columns);
  layout.stats_columns = *stats_columns;
  LAKE_ASSIGN_OR_RETURN(layout.mapping, column_mapping_of(snapshot.metadata().configuration));
  if (layout.mapping != ColumnMapping::none) {
    const auto schema = nlohmann::json::parse(snapshot.metadata().schema_string, nullptr, false);
    if (!schema.is_object() || !schema.contains("fields") || !schema["fields"].is_array())
      return fail(ErrorCode::invalid_argument, "the table's schemaString is not a struct");
    for (const auto& field : schema["fields"]) {
      LAKE_ASSIGN_OR_RETURN(auto physical, physical_of_field(field, layout.mapping, "the table's schema"));
      layout.physical.push_back(std::move(physical));
    }
    if (layout.physical.size() != layout.columns.size())
      return fail(ErrorCode::internal, "the table's schema and its columns disagree");
  }
  LAKE_ASSIGN_OR_RETURN(layout.clustering_columns, clustering_columns(snapshot, layout));
  return layout;
}

}  // namespace lake::delta

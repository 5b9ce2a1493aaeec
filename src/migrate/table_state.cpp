#include "migrate/table_state.hpp"

#include <algorithm>
#include <format>

#include <nlohmann/json.hpp>

#include "core/propagate.hpp"

namespace lake::migrate {
namespace {

using ordered = nlohmann::ordered_json;

// Types: a primitive is its name ("int64"); a decimal {"decimal":[p,s]};
// nested types name their kind and hold their children as columns.
ordered type_json(const DataType& type);

ordered child_json(const Column& column) {
  return ordered{{"name", column.name}, {"type", type_json(column.type)}, {"nullable", column.nullable}};
}

ordered type_json(const DataType& type) {
  auto children = [&] {
    ordered out = ordered::array();
    for (const Column& child : type.children) out.push_back(child_json(child));
    return out;
  };
  switch (type.id) {
    case TypeId::decimal: return ordered{{"decimal", ordered::array({type.precision, type.scale})}};
    case TypeId::list: return ordered{{"list", children()}};
    case TypeId::map: return ordered{{"map", children()}};
    case TypeId::structure: return ordered{{"struct", children()}};
    default: return std::string(to_string(type.id));
  }
}

Error malformed(std::string_view what) {
  return Error(ErrorCode::invalid_argument, std::format("State-JSON: {}", what));
}

Result<DataType> parse_type(const nlohmann::json& j, std::string_view where);

Result<Column> parse_child(const nlohmann::json& j, std::string_view where) {
  if (!j.is_object() || !j.contains("name") || !j["name"].is_string() || !j.contains("type"))
    return std::unexpected(malformed(std::format("a child of {} needs a name and a type", where)));
  Column column;
  column.name = j["name"].get<std::string>();
  LAKE_ASSIGN_OR_RETURN(column.type, parse_type(j["type"], column.name));
  column.nullable = j.value("nullable", false);
  return column;
}

Result<DataType> parse_type(const nlohmann::json& j, std::string_view where) {
  if (j.is_string()) {
    const auto name = j.get<std::string>();
    for (TypeId id : {TypeId::boolean, TypeId::int8, TypeId::int16, TypeId::int32, TypeId::int64, TypeId::float32,
                      TypeId::float64, TypeId::string, TypeId::binary, TypeId::timestamp, TypeId::date,
                      TypeId::timestamp_ntz})
      if (to_string(id) == name) return DataType(id);
    return std::unexpected(malformed(std::format("column {} has an unknown type \"{}\"", where, name)));
  }
  if (j.is_object() && j.size() == 1) {
    // The object's one member, through an iterator that outlives the uses
    // (items() would hand out a reference into a temporary).
    const auto member = j.begin();
    const std::string& kind = member.key();
    const nlohmann::json& value = member.value();
    if (kind == "decimal" && value.is_array() && value.size() == 2 && value[0].is_number_unsigned() &&
        value[1].is_number_unsigned() && value[0].get<unsigned>() <= 38 && value[1] <= value[0])
      return DataType::decimal(value[0].get<std::uint8_t>(), value[1].get<std::uint8_t>());
    const TypeId id = kind == "list" ? TypeId::list : kind == "map" ? TypeId::map : TypeId::structure;
    if ((kind == "list" || kind == "map" || kind == "struct") && value.is_array()) {
      DataType type(id);
      for (const auto& child : value) {
        LAKE_ASSIGN_OR_RETURN(auto column, parse_child(child, where));
        type.children.push_back(std::move(column));
      }
      if ((id == TypeId::list && type.children.size() != 1) || (id == TypeId::map && type.children.size() != 2))
        return std::unexpected(malformed(std::format("column {} has a malformed {}", where, kind)));
      return type;
    }
  }
  return std::unexpected(malformed(std::format("column {} has a malformed type {}", where, j.dump())));
}

Result<std::vector<std::string>> string_list(const nlohmann::json& j, std::string_view key, std::string_view table) {
  std::vector<std::string> out;
  if (!j.contains(key)) return out;
  if (!j[key].is_array()) return std::unexpected(malformed(std::format("table {}: {} is not a list", table, key)));
  for (const auto& item : j[key]) {
    if (!item.is_string()) return std::unexpected(malformed(std::format("table {}: {} holds a non-string", table, key)));
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::string_view partition_kind_name(PartitionKind kind) { return to_string(kind); }

Result<PartitionKind> parse_partition_kind(std::string_view name, std::string_view table) {
  for (PartitionKind kind : {PartitionKind::raw, PartitionKind::bucket, PartitionKind::truncate})
    if (to_string(kind) == name) return kind;
  return std::unexpected(malformed(std::format("table {}: unknown partition kind \"{}\"", table, name)));
}

Result<TableState> parse_table(const std::string& name, const nlohmann::json& j) {
  if (!j.is_object()) return std::unexpected(malformed(std::format("table {} is not an object", name)));
  TableState table;
  table.name = name;
  if (!j.contains("columns") || !j["columns"].is_array())
    return std::unexpected(malformed(std::format("table {} has no columns list", name)));
  for (const auto& c : j["columns"]) {
    if (!c.is_object() || !c.contains("name") || !c["name"].is_string() || !c.contains("type"))
      return std::unexpected(malformed(std::format("table {}: a column needs a name and a type", name)));
    ColumnState column;
    column.name = c["name"].get<std::string>();
    LAKE_ASSIGN_OR_RETURN(column.type, parse_type(c["type"], std::format("{}.{}", name, column.name)));
    column.nullable = c.value("nullable", false);
    column.indexed = c.value("indexed", false);
    column.sortable = c.value("sortable", false);
    table.columns.push_back(std::move(column));
  }
  if (j.contains("partitions")) {
    if (!j["partitions"].is_array()) return std::unexpected(malformed(std::format("table {}: partitions", name)));
    for (const auto& p : j["partitions"]) {
      if (!p.is_object() || !p.contains("column") || !p["column"].is_string() || !p.contains("kind") ||
          !p["kind"].is_string())
        return std::unexpected(malformed(std::format("table {}: a partition needs a column and a kind", name)));
      PartitionState partition;
      partition.column = p["column"].get<std::string>();
      LAKE_ASSIGN_OR_RETURN(partition.kind, parse_partition_kind(p["kind"].get<std::string>(), name));
      partition.param = p.value("param", std::int64_t{0});
      table.partitions.push_back(std::move(partition));
    }
  }
  LAKE_ASSIGN_OR_RETURN(table.primary_keys, string_list(j, "primary_keys", name));
  LAKE_ASSIGN_OR_RETURN(table.merge_keys, string_list(j, "merge_keys", name));
  LAKE_ASSIGN_OR_RETURN(table.features, string_list(j, "features", name));
  if (j.contains("properties")) {
    if (!j["properties"].is_object()) return std::unexpected(malformed(std::format("table {}: properties", name)));
    for (const auto& [key, value] : j["properties"].items()) {
      if (!value.is_string())
        return std::unexpected(malformed(std::format("table {}: property {} is not a string", name, key)));
      table.properties[key] = value.get<std::string>();
    }
  }
  return table;
}

}  // namespace

const ColumnState* TableState::find(std::string_view column) const noexcept {
  for (const auto& c : columns)
    if (c.name == column) return &c;
  return nullptr;
}

bool TableState::has_feature(std::string_view feature) const noexcept {
  return std::ranges::find(features, feature) != features.end();
}

void TableState::add_feature(std::string_view feature) {
  if (has_feature(feature)) return;
  features.emplace_back(feature);
  std::ranges::sort(features);
}

std::string to_json(const State& state) {
  ordered tables = ordered::object();
  for (const auto& [name, table] : state.tables) {
    ordered columns = ordered::array();
    for (const auto& c : table.columns) {
      ordered column{{"name", c.name}, {"type", type_json(c.type)}, {"nullable", c.nullable}};
      if (c.indexed) column["indexed"] = true;
      if (c.sortable) column["sortable"] = true;
      columns.push_back(std::move(column));
    }
    ordered t{{"columns", std::move(columns)}};
    if (!table.partitions.empty()) {
      ordered partitions = ordered::array();
      for (const auto& p : table.partitions) {
        ordered partition{{"column", p.column}, {"kind", partition_kind_name(p.kind)}};
        if (p.param != 0) partition["param"] = p.param;
        partitions.push_back(std::move(partition));
      }
      t["partitions"] = std::move(partitions);
    }
    if (!table.primary_keys.empty()) t["primary_keys"] = table.primary_keys;
    if (!table.merge_keys.empty()) t["merge_keys"] = table.merge_keys;
    if (!table.properties.empty()) {
      ordered properties = ordered::object();
      for (const auto& [key, value] : table.properties) properties[key] = value;  // std::map: sorted
      t["properties"] = std::move(properties);
    }
    if (!table.features.empty()) t["features"] = table.features;
    tables[name] = std::move(t);
  }
  return ordered{{"version", 1}, {"format", state.format}, {"tables", std::move(tables)}}.dump();
}

Result<State> parse_state(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::unexpected(malformed("not a JSON object"));
  if (j.value("version", 0) != 1)
    return std::unexpected(malformed(std::format("version {} is not one this lake-orm reads (1)",
                                                 j.contains("version") ? j["version"].dump() : "(none)")));
  State state;
  if (!j.contains("format") || !j["format"].is_string()) return std::unexpected(malformed("no format"));
  state.format = j["format"].get<std::string>();
  if (!j.contains("tables") || !j["tables"].is_object()) return std::unexpected(malformed("no tables object"));
  for (const auto& [name, table] : j["tables"].items()) {
    LAKE_ASSIGN_OR_RETURN(auto parsed, parse_table(name, table));
    state.tables.emplace(name, std::move(parsed));
  }
  return state;
}

TableState declared_state(const Schema& schema, std::map<std::string, std::string> properties) {
  TableState table;
  table.name = schema.table_name;
  for (const Field& field : schema.fields)
    table.columns.push_back({.name = field.column,
                             .type = field.type,
                             .nullable = field.nullable,
                             .indexed = field.indexed,
                             .sortable = field.sortable,
                             .renamed_from = field.renamed_from});
  for (const PartitionSpec& spec : schema.partitions)
    table.partitions.push_back({schema.fields[spec.field].column, spec.kind, spec.param});
  for (std::size_t i : schema.primary_keys) table.primary_keys.push_back(schema.fields[i].column);
  for (std::size_t i : schema.merge_keys) table.merge_keys.push_back(schema.fields[i].column);
  table.properties = std::move(properties);
  return table;
}

}  // namespace lake::migrate

// Run-time pieces of schema_of<T>(): table-name overrides and the checks
// that need the finished field list.
#include <format>
#include <map>
#include <mutex>
#include <set>

#include "lake/schema/reflect.hpp"

namespace lake::detail {
namespace {

struct Registry {
  std::mutex mutex;
  std::map<std::string, std::string, std::less<>> table_names;
  std::set<std::string, std::less<>> built;
};

Registry& registry() {
  static Registry instance;
  return instance;
}

}  // namespace

std::optional<std::string> table_name_override(std::string_view type_name) {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  if (auto it = r.table_names.find(type_name); it != r.table_names.end()) return it->second;
  return std::nullopt;
}

void mark_schema_built(std::string_view type_name) {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  r.built.emplace(type_name);
}

Status register_table_name(std::string_view type_name, std::string_view table_name) {
  if (!is_valid_identifier(table_name))
    return fail(ErrorCode::invalid_argument,
                std::format("table name \"{}\" for {} is empty or contains a character engines reject", table_name,
                            type_name));
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  if (r.built.contains(type_name))
    return fail(ErrorCode::invalid_argument,
                std::format("the schema of {} is already in use; set its table name before first use", type_name));
  r.table_names.insert_or_assign(std::string(type_name), std::string(table_name));
  return {};
}

Schema finish_schema(Schema schema, std::span<const StructPartition> struct_partitions) {
  for (const auto& p : struct_partitions) {
    // The compile-time check guarantees the column exists and is not
    // partitioned twice.
    if (auto index = schema.column_index(p.column)) schema.partitions.push_back({*index, p.kind, p.param});
  }
  for (std::size_t i = 0; i < schema.fields.size(); ++i) {
    if (schema.fields[i].primary_key) schema.primary_keys.push_back(i);
    if (schema.fields[i].merge_key) schema.merge_keys.push_back(i);
  }
  return schema;
}

}  // namespace lake::detail

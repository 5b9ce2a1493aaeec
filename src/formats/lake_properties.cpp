#include "formats/lake_properties.hpp"

namespace lake::formats {

std::vector<std::string> list_property(const std::map<std::string, std::string>& properties, std::string_view key) {
  std::vector<std::string> items;
  auto it = properties.find(std::string(key));
  if (it == properties.end()) return items;
  std::string_view rest = it->second;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    if (comma != 0) items.emplace_back(rest.substr(0, comma));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return items;
}

std::string list_value(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ',';
    out += item;
  }
  return out;
}

std::map<std::string, std::string> key_properties(const Schema& schema, const std::vector<std::string>& cluster_by) {
  auto names = [&](const std::vector<std::size_t>& fields) {
    std::vector<std::string> columns;
    columns.reserve(fields.size());
    for (std::size_t field : fields) columns.push_back(schema.fields[field].column);
    return list_value(columns);
  };
  std::map<std::string, std::string> properties;
  if (!schema.primary_keys.empty()) properties[std::string(kPrimaryKeysProperty)] = names(schema.primary_keys);
  if (!schema.merge_keys.empty()) properties[std::string(kMergeKeysProperty)] = names(schema.merge_keys);
  if (!cluster_by.empty()) properties[std::string(kClusterByProperty)] = list_value(cluster_by);
  return properties;
}

}  // namespace lake::formats

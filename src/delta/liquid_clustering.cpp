#include "delta/liquid_clustering.hpp"

#include <algorithm>
#include <format>

#include <nlohmann/json.hpp>

#include "core/propagate.hpp"

namespace lake::delta {

bool is_clustered_table(const Snapshot& snapshot) {
  return std::ranges::contains(snapshot.protocol().writer_features, std::string_view("clustering"));
}

Result<std::vector<std::string>> clustering_columns(const Snapshot& snapshot, const TableLayout& layout) {
  std::vector<std::string> out;
  const DomainMetadata* domain = snapshot.domain(kClusteringDomain);
  if (domain == nullptr) return out;
  auto bad = [&](std::string_view why) {
    return fail(ErrorCode::invalid_argument,
                std::format("the {} domain {}: {}", kClusteringDomain, why, domain->configuration));
  };
  const auto doc = nlohmann::json::parse(domain->configuration, nullptr, false);
  if (!doc.is_object() || !doc.contains("clusteringColumns") || !doc["clusteringColumns"].is_array())
    return bad("has no clusteringColumns list");
  for (const auto& entry : doc["clusteringColumns"]) {
    std::vector<std::string> path;
    if (entry.is_string()) {
      path.push_back(entry.get<std::string>());
    } else if (entry.is_array() && !entry.empty() && std::ranges::all_of(entry, &nlohmann::json::is_string)) {
      for (const auto& part : entry) path.push_back(part.get<std::string>());
    } else {
      return bad("names a column neither as a string nor as a path");
    }
    if (path.size() > 1)
      return fail(ErrorCode::unsupported,
                  std::format("the table clusters by nested field '{}'; lake-orm clusters by top-level columns only",
                              path.front() + "." + path.back()));
    auto column = std::ranges::find_if(layout.columns, [&](const Field& field) {
      return layout.physical_name(field.column) == path.front();
    });
    if (column == layout.columns.end()) return bad(std::format("names '{}', which is not a column", path.front()));
    out.push_back(column->column);
  }
  return out;
}

Result<DomainMetadata> clustering_domain(const std::vector<std::string>& columns, const TableLayout& layout) {
  nlohmann::json names = nlohmann::json::array();
  for (const auto& name : columns) {
    auto column = std::ranges::find(layout.columns, name, &Field::column);
    if (column == layout.columns.end())
      return fail(ErrorCode::invalid_argument, std::format("clustering column '{}' is not a column of the table", name));
    if (column->type.is_nested())
      return fail(ErrorCode::invalid_argument,
                  std::format("clustering column '{}' has nested type {}; clustering needs a primitive column", name,
                              column->type.to_string()));
    if (std::ranges::count(columns, name) > 1)
      return fail(ErrorCode::invalid_argument, std::format("clustering column '{}' is named twice", name));
    names.push_back(nlohmann::json::array({std::string(layout.physical_name(name))}));
  }
  return DomainMetadata{std::string(kClusteringDomain),
                        nlohmann::json{{"clusteringColumns", names}, {"domainName", kClusteringDomain}}.dump(), false};
}

}  // namespace lake::delta

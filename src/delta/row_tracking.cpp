#include "delta/row_tracking.hpp"

#include <algorithm>
#include <format>
#include <map>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "core/propagate.hpp"
#include "delta/log_replay.hpp"
#include "delta/table_properties.hpp"

namespace lake::delta {
namespace {

constexpr std::string_view kDomain = "delta.rowTracking";

// The live add of each data file (at most one per path).
std::map<std::string, const Add*, std::less<>> adds_by_path(const Snapshot& snapshot) {
  std::map<std::string, const Add*, std::less<>> out;
  for (const auto& [key, add] : snapshot.files()) out.emplace(key.path, &add);
  return out;
}

}  // namespace

bool assigns_row_ids(const Snapshot& snapshot) {
  return std::ranges::contains(snapshot.protocol().writer_features, std::string_view("rowTracking")) &&
         !property_is(snapshot.metadata().configuration, "delta.rowTrackingSuspended", "true");
}

Result<std::int64_t> row_id_high_water_mark(const Snapshot& snapshot) {
  const DomainMetadata* domain = snapshot.domain(kDomain);
  if (domain == nullptr) return -1;
  auto doc = nlohmann::json::parse(domain->configuration, nullptr, false);
  if (!doc.is_object() || !doc.contains("rowIdHighWaterMark") || !doc["rowIdHighWaterMark"].is_number_integer())
    return fail(ErrorCode::invalid_argument,
                std::format("the {} domain has no integer rowIdHighWaterMark: {}", kDomain, domain->configuration));
  return doc["rowIdHighWaterMark"].get<std::int64_t>();
}

Result<std::vector<Action>> with_row_ids(std::vector<Action> actions, const Snapshot& current, std::int64_t version) {
  LAKE_ASSIGN_OR_RETURN(const std::int64_t mark, row_id_high_water_mark(current));
  const auto live = adds_by_path(current);
  std::int64_t next = mark + 1;
  for (auto& action : actions) {
    if (auto* add = std::get_if<Add>(&action)) {
      if (auto it = live.find(add->path); it != live.end()) {
        // The same data file again (a new deletion vector): its rows keep
        // their ids and commit versions.
        add->base_row_id = it->second->base_row_id;
        add->default_row_commit_version = it->second->default_row_commit_version;
        continue;
      }
      auto rows = records_in_stats(add->stats);
      if (!rows)
        return fail(ErrorCode::invalid_argument,
                    std::format("data file '{}' has no numRecords in its stats; the table tracks row ids "
                                "(rowTracking), which needs each new file's row count",
                                add->path));
      add->base_row_id = next;
      add->default_row_commit_version = version;
      next += *rows;
    } else if (auto* remove = std::get_if<Remove>(&action)) {
      if (auto it = live.find(remove->path); it != live.end()) {
        remove->base_row_id = it->second->base_row_id;
        remove->default_row_commit_version = it->second->default_row_commit_version;
      }
    } else if (const auto* domain = std::get_if<DomainMetadata>(&action); domain && domain->domain == kDomain) {
      return fail(ErrorCode::invalid_argument,
                  std::format("a commit may not set the {} domain itself; row ids are assigned at commit", kDomain));
    }
  }
  if (next - 1 > mark)
    // With the domain's name inside, as Spark writes it.
    actions.emplace_back(DomainMetadata{
        std::string(kDomain), nlohmann::json{{"rowIdHighWaterMark", next - 1}, {"domainName", kDomain}}.dump(), false});
  return actions;
}

bool preserves_row_ids(const std::vector<Action>& actions) {
  std::set<std::string_view> removed, added;
  for (const auto& action : actions) {
    if (const auto* remove = std::get_if<Remove>(&action)) removed.insert(remove->path);
    if (const auto* add = std::get_if<Add>(&action)) added.insert(add->path);
  }
  // Nothing removed: only new rows. Otherwise only new deletion vectors
  // for the same files (no row moved to another file) keep every id.
  return removed.empty() || std::ranges::includes(removed, added);
}

}  // namespace lake::delta

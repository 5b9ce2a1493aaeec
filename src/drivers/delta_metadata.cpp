#include "drivers/delta_metadata.hpp"

#include <chrono>
#include <format>

namespace lake::detail {

std::string delta_commit_metadata(const IngestId& ingest_id) {
  return std::format("{{\"ingest_id\":\"{}\"}}", ingest_id.to_string());
}

DeltaIdempotency delta_idempotency(const delta::Snapshot& snapshot, const IdempotencyKey& key) {
  DeltaIdempotency out{.app_id = "lake-orm:" + key.key};
  const auto& txns = snapshot.transactions();
  if (auto it = txns.find(out.app_id); it != txns.end()) {
    const auto recorded = std::chrono::milliseconds(it->second.last_updated.value_or(0));
    const auto age = std::chrono::system_clock::now().time_since_epoch() - recorded;
    out.duplicate = age < key.ttl;
    out.version = it->second.version + 1;
  }
  return out;
}

TableInfo delta_table_info(const TableRef& table, const delta::Snapshot& snapshot) {
  return TableInfo{.table = table,
                   .format = "delta",
                   .version = snapshot.version(),
                   .columns = snapshot.columns(),
                   .partition_columns = snapshot.partition_columns(),
                   .properties = {snapshot.metadata().configuration.begin(), snapshot.metadata().configuration.end()}};
}

TableStats delta_table_stats(const delta::TableStats& stats) {
  return TableStats{.version = stats.version,
                    .rows = stats.rows,
                    .files = stats.files,
                    .bytes = stats.bytes,
                    .versions = stats.versions,
                    .last_commit = stats.last_commit,
                    .partition_columns = stats.partition_columns};
}

std::vector<HistoryEntry> delta_history(const std::vector<delta::CommitSummary>& commits) {
  std::vector<HistoryEntry> entries;
  entries.reserve(commits.size());
  for (const auto& commit : commits)
    entries.push_back({commit.version, commit.committed_at, commit.operation, commit.parameters});
  return entries;
}

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

}  // namespace lake::detail

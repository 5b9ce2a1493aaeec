#include "iceberg/snapshot_commit.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <format>
#include <random>
#include <thread>

#include "core/propagate.hpp"
#include "iceberg/scan.hpp"
#include "lake/ingest_id.hpp"

namespace lake::iceberg {
namespace {

std::mt19937_64& random_engine() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return engine;
}

// A positive id no snapshot of the table has.
std::int64_t new_snapshot_id(const TableMetadata& table) {
  for (;;) {
    const auto id = static_cast<std::int64_t>(random_engine()() >> 1);
    if (id != 0 && !table.snapshot(id)) return id;
  }
}

struct Totals {
  std::int64_t files = 0;
  std::int64_t records = 0;
  std::int64_t bytes = 0;
};

Totals totals_of(const std::vector<ContentFile>& files) {
  Totals t{.files = static_cast<std::int64_t>(files.size())};
  for (const auto& f : files) t.records += f.record_count, t.bytes += f.file_size_in_bytes;
  return t;
}

// A snapshot's summary: Iceberg's added-* and deleted-* counts, the totals
// when the parent has them, and the caller's entries.
std::map<std::string, std::string> snapshot_summary(const TableMetadata& base, const FileChanges& changes) {
  const Totals added = totals_of(changes.added), removed = totals_of(changes.removed);
  std::map<std::string, std::string> summary = changes.summary;
  summary["operation"] = changes.operation;
  if (added.files > 0) {
    summary["added-data-files"] = std::to_string(added.files);
    summary["added-records"] = std::to_string(added.records);
    summary["added-files-size"] = std::to_string(added.bytes);
  }
  if (removed.files > 0) {
    summary["deleted-data-files"] = std::to_string(removed.files);
    summary["deleted-records"] = std::to_string(removed.records);
    summary["removed-files-size"] = std::to_string(removed.bytes);
  }
  const Snapshot* parent = base.current_snapshot();
  auto total = [&](const char* key, std::int64_t change) {
    std::int64_t before = 0;
    if (parent) {
      auto it = parent->summary.find(key);
      if (it == parent->summary.end() ||
          std::from_chars(it->second.data(), it->second.data() + it->second.size(), before).ec != std::errc{})
        return;
    }
    summary[key] = std::to_string(before + change);
  };
  total("total-records", added.records - removed.records);
  total("total-data-files", added.files - removed.files);
  total("total-files-size", added.bytes - removed.bytes);
  return summary;
}

// Writes `entries` as a manifest of `spec_id` under the table's metadata.
Result<ManifestFile> put_manifest(Backend& backend, const TableMetadata& table, std::int32_t spec_id,
                                  std::int64_t snapshot_id, const std::vector<ManifestEntry>& entries,
                                  std::vector<std::string>& written) {
  LAKE_ASSIGN_OR_RETURN(auto manifest,
                        write_manifest({.table = &table, .spec_id = spec_id, .snapshot_id = snapshot_id}, entries));
  manifest.file.path = std::format("{}/metadata/{}-m0.avro", table.location, IngestId::generate().to_string());
  LAKE_ASSIGN_OR_RETURN(auto key, key_of(backend, manifest.file.path));
  LAKE_RETURN_IF_ERROR(backend.put(key, manifest.bytes, PutMode::create));
  written.push_back(std::move(key));
  return std::move(manifest.file);
}

// The manifests of the change's snapshot on top of `on`: the table's
// manifests, those holding a removed file rewritten with it marked
// deleted, and `ours` (the added files). nullopt when a removed or
// depended-on file is no longer live there.
Result<std::optional<std::vector<ManifestFile>>> manifests_on(Backend& backend, const TableMetadata& on,
                                                              const FileChanges& changes, std::int64_t snapshot_id,
                                                              const std::optional<ManifestFile>& ours,
                                                              std::vector<std::string>& attempt_written) {
  std::vector<ManifestFile> out;
  if (const Snapshot* current = on.current_snapshot()) {
    LAKE_ASSIGN_OR_RETURN(auto manifests, load_manifest_list(backend, *current));
    std::set<std::string> removed;
    for (const auto& f : changes.removed) removed.insert(f.path);
    std::size_t found_removed = 0, found_needed = 0;
    for (auto& manifest : manifests) {
      if (manifest.content != ManifestContent::data || (removed.empty() && changes.depends_on.empty())) {
        out.push_back(std::move(manifest));
        continue;
      }
      LAKE_ASSIGN_OR_RETURN(auto entries, load_manifest(backend, on, manifest));
      bool touched = false;
      for (const auto& e : entries) {
        if (e.status == EntryStatus::deleted) continue;
        touched = touched || removed.contains(e.file.path);
        found_needed += changes.depends_on.contains(e.file.path);
      }
      if (!touched) {
        out.push_back(std::move(manifest));
        continue;
      }
      std::vector<ManifestEntry> rewritten;
      for (auto& entry : entries) {
        if (entry.status == EntryStatus::deleted) continue;  // the previous snapshot's news
        if (removed.contains(entry.file.path)) {
          ++found_removed;
          entry.status = EntryStatus::deleted;
          entry.snapshot_id = snapshot_id;
        } else {
          entry.status = EntryStatus::existing;
        }
        rewritten.push_back(std::move(entry));
      }
      LAKE_ASSIGN_OR_RETURN(auto file, put_manifest(backend, on, manifest.spec_id, snapshot_id, rewritten,
                                                    attempt_written));
      out.push_back(std::move(file));
    }
    if (found_removed != removed.size() || found_needed != changes.depends_on.size()) return std::nullopt;
  } else if (!changes.removed.empty() || !changes.depends_on.empty()) {
    return std::nullopt;
  }
  if (ours) out.push_back(*ours);
  return out;
}

}  // namespace

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void back_off(const WriteRetryPolicy& retry, int losses) {
  const auto cap = std::min<std::int64_t>(retry.max_backoff.count(),
                                          retry.initial_backoff.count() << std::clamp(losses - 1, 0, 20));
  std::uniform_int_distribution<std::int64_t> wait(0, std::max<std::int64_t>(cap, 1));
  std::this_thread::sleep_for(std::chrono::milliseconds(wait(random_engine())));
}

Result<std::vector<LiveFile>> live_files(Backend& backend, const TableMetadata& table, const Snapshot& snapshot) {
  LAKE_ASSIGN_OR_RETURN(auto manifests, load_manifest_list(backend, snapshot));
  std::vector<LiveFile> live;
  for (const auto& manifest : manifests) {
    if (manifest.content != ManifestContent::data) continue;
    LAKE_ASSIGN_OR_RETURN(auto entries, load_manifest(backend, table, manifest));
    for (auto& entry : entries)
      if (entry.status != EntryStatus::deleted) live.push_back({std::move(entry), manifest.spec_id});
  }
  return live;
}

std::set<std::int64_t> snapshots_after(const TableMetadata& table, std::optional<std::int64_t> since) {
  std::set<std::int64_t> out;
  for (const Snapshot* s = table.current_snapshot(); s && (!since || s->snapshot_id != *since);
       s = s->parent_snapshot_id ? table.snapshot(*s->parent_snapshot_id) : nullptr)
    out.insert(s->snapshot_id);
  return out;
}

Result<CommitOutcome> commit_changes(Catalog& catalog, Backend& backend, const std::string& table,
                                     CurrentMetadata base, const FileChanges& changes, const RaceJudge& judge,
                                     const WriteRetryPolicy& retry, int& attempts) {
  std::int64_t snapshot_id = new_snapshot_id(base.metadata);
  const std::string name = IngestId::generate().to_string();
  std::vector<std::string> written;  // this call's files that outlive an attempt: the added-files manifest
  auto abandon = [&](Error error) -> Result<CommitOutcome> {
    for (const auto& key : written) (void)backend.remove(key);
    return std::unexpected(std::move(error));
  };
  auto give_up = [&](Rebase how, CurrentMetadata on) -> Result<CommitOutcome> {
    for (const auto& key : written) (void)backend.remove(key);
    return CommitOutcome{how, std::move(on)};
  };
  LAKE_ASSIGN_OR_RETURN(auto table_key, key_of(backend, base.metadata.location));
  std::optional<ManifestFile> ours;
  if (!changes.added.empty()) {
    std::vector<ManifestEntry> entries;
    for (const auto& f : changes.added) entries.push_back({.status = EntryStatus::added, .file = f});
    auto put = put_manifest(backend, base.metadata, base.metadata.default_spec_id, snapshot_id, entries, written);
    if (!put) return abandon(put.error());
    ours = std::move(*put);
  }
  std::optional<std::int64_t> judged_through = base.metadata.current_snapshot_id;

  for (;;) {
    ++attempts;
    std::vector<std::string> attempt_written;
    auto lose_attempt = [&] {
      for (const auto& key : attempt_written) (void)backend.remove(key);
    };
    auto manifests = manifests_on(backend, base.metadata, changes, snapshot_id, ours, attempt_written);
    if (!manifests || !*manifests) {
      lose_attempt();
      if (!manifests) return abandon(manifests.error());
      return give_up(Rebase::plan_again, std::move(base));
    }
    const std::int64_t sequence_number = base.metadata.last_sequence_number + 1;
    auto list = write_manifest_list({.snapshot_id = snapshot_id,
                                     .parent_snapshot_id = base.metadata.current_snapshot_id,
                                     .sequence_number = sequence_number},
                                    std::move(**manifests));
    if (!list) {
      lose_attempt();
      return abandon(list.error());
    }
    const std::string list_location =
        std::format("{}/metadata/snap-{}-{}-{}.avro", base.metadata.location, snapshot_id, attempts, name);
    const std::string list_key = table_key + list_location.substr(base.metadata.location.size());
    if (auto put = backend.put(list_key, *list, PutMode::create); !put) {
      lose_attempt();
      return abandon(put.error());
    }
    attempt_written.push_back(list_key);

    TableMetadata next = base.metadata;
    const std::int64_t now = std::max(now_ms(), base.metadata.last_updated_ms);
    next.snapshots.push_back(Snapshot{.snapshot_id = snapshot_id,
                                      .parent_snapshot_id = base.metadata.current_snapshot_id,
                                      .sequence_number = sequence_number,
                                      .timestamp_ms = now,
                                      .manifest_list = list_location,
                                      .summary = snapshot_summary(base.metadata, changes),
                                      .schema_id = base.metadata.current_schema_id});
    next.current_snapshot_id = snapshot_id;
    next.refs["main"] = SnapshotRef{.snapshot_id = snapshot_id};
    next.last_sequence_number = sequence_number;
    next.last_updated_ms = now;
    next.snapshot_log.push_back({now, snapshot_id});
    next.metadata_log.push_back({base.metadata.last_updated_ms, base.location});

    auto committed = catalog.commit(table, &base, next);
    if (committed) return CommitOutcome{Rebase::commit_on_top, CurrentMetadata{std::move(*committed), std::move(next)}};
    lose_attempt();
    if (committed.error().code() != ErrorCode::conflict) return abandon(committed.error());
    if (attempts >= retry.max_attempts)
      return abandon(committed.error().with_context(std::format("after {} attempts", attempts)));
    back_off(retry, attempts);
    auto reloaded = catalog.load(table);
    if (!reloaded) return abandon(reloaded.error());
    if (!*reloaded) return abandon(Error(ErrorCode::not_found, std::format("Iceberg table '{}' was dropped", table)));
    base = std::move(**reloaded);
    if (base.metadata.snapshot(snapshot_id))
      return abandon(Error(ErrorCode::internal, "another commit took this change's snapshot id"));
    if (judge) {
      std::vector<PlannedFile> added_since;
      const auto newer = snapshots_after(base.metadata, judged_through);
      if (const Snapshot* current = base.metadata.current_snapshot(); current && !newer.empty()) {
        auto live = live_files(backend, base.metadata, *current);
        if (!live) return abandon(live.error());
        for (auto& f : *live)
          if (newer.contains(f.entry.snapshot_id)) added_since.push_back({std::move(f.entry.file), f.spec_id});
      }
      judged_through = base.metadata.current_snapshot_id;
      auto verdict = judge(base, added_since);
      if (!verdict) return abandon(verdict.error());
      if (*verdict != Rebase::commit_on_top) return give_up(*verdict, std::move(base));
    }
  }
}

}  // namespace lake::iceberg

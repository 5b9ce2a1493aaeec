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

// Manifest merging, as Iceberg's fast appends do it: once a spec has
// commit.manifest.min-count-to-merge data manifests (100 by default;
// commit.manifest-merge.enabled = false turns it off), its manifests
// smaller than commit.manifest.target-size-bytes (8 MiB) are packed into
// manifests of about that size, their live entries kept as "existing"
// with their numbers (the deletes older snapshots recorded are those
// snapshots' news and are dropped). Without it every append adds a
// manifest and every scan reads them all.
Result<std::vector<ManifestFile>> merged(Backend& backend, const TableMetadata& on, std::vector<ManifestFile> manifests,
                                         std::int64_t snapshot_id, std::vector<std::string>& attempt_written) {
  if (auto it = on.properties.find("commit.manifest-merge.enabled"); it != on.properties.end() && it->second == "false")
    return manifests;
  const std::int64_t min_count = on.numeric_property("commit.manifest.min-count-to-merge", 100);
  const std::int64_t target = on.numeric_property("commit.manifest.target-size-bytes", 8LL << 20);
  std::map<std::int32_t, std::vector<std::size_t>> small_by_spec;
  std::map<std::int32_t, std::int64_t> count_by_spec;
  for (std::size_t i = 0; i < manifests.size(); ++i) {
    if (manifests[i].content != ManifestContent::data) continue;
    ++count_by_spec[manifests[i].spec_id];
    if (manifests[i].length < target) small_by_spec[manifests[i].spec_id].push_back(i);
  }
  std::vector<bool> replaced(manifests.size(), false);
  std::vector<ManifestFile> added;
  for (const auto& [spec_id, small] : small_by_spec) {
    if (count_by_spec[spec_id] < min_count || small.size() < 2) continue;
    // Bins of consecutive manifests up to the target size.
    std::vector<std::vector<std::size_t>> bins(1);
    std::int64_t bin_bytes = 0;
    for (std::size_t i : small) {
      if (!bins.back().empty() && bin_bytes + manifests[i].length > target) bins.emplace_back(), bin_bytes = 0;
      bins.back().push_back(i);
      bin_bytes += manifests[i].length;
    }
    for (const auto& bin : bins) {
      if (bin.size() < 2) continue;
      std::vector<ManifestEntry> entries;
      for (std::size_t i : bin) {
        LAKE_ASSIGN_OR_RETURN(auto loaded, load_manifest(backend, on, manifests[i]));
        for (auto& entry : loaded) {
          if (entry.status == EntryStatus::deleted) continue;
          entry.status = EntryStatus::existing;
          entries.push_back(std::move(entry));
        }
        replaced[i] = true;
      }
      LAKE_ASSIGN_OR_RETURN(auto file, put_manifest(backend, on, spec_id, snapshot_id, entries, attempt_written));
      added.push_back(std::move(file));
    }
  }
  if (added.empty()) return manifests;
  std::vector<ManifestFile> out = std::move(added);
  for (std::size_t i = 0; i < manifests.size(); ++i)
    if (!replaced[i]) out.push_back(std::move(manifests[i]));
  return out;
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
  LAKE_ASSIGN_OR_RETURN(out, merged(backend, on, std::move(out), snapshot_id, attempt_written));
  if (ours) out.push_back(*ours);
  return out;
}

// The live data files the snapshots `by` added, from the current
// snapshot's manifests that one of them wrote (an entry added by a
// snapshot is in a manifest that snapshot or a later one wrote).
Result<std::vector<PlannedFile>> files_added_by(Backend& backend, const TableMetadata& table,
                                                const std::set<std::int64_t>& by) {
  std::vector<PlannedFile> out;
  const Snapshot* current = table.current_snapshot();
  if (!current || by.empty()) return out;
  LAKE_ASSIGN_OR_RETURN(auto manifests, load_manifest_list(backend, *current));
  for (const auto& manifest : manifests) {
    if (manifest.content != ManifestContent::data || !by.contains(manifest.added_snapshot_id)) continue;
    LAKE_ASSIGN_OR_RETURN(auto entries, load_manifest(backend, table, manifest));
    for (auto& entry : entries)
      if (entry.status != EntryStatus::deleted && by.contains(entry.snapshot_id))
        out.push_back({std::move(entry.file), manifest.spec_id});
  }
  return out;
}

}  // namespace

void log_previous(TableMetadata& next, const CurrentMetadata& previous) {
  next.metadata_log.push_back({previous.metadata.last_updated_ms, previous.location});
  const auto keep = static_cast<std::size_t>(
      std::max<std::int64_t>(1, previous.metadata.numeric_property("write.metadata.previous-versions-max", 100)));
  if (next.metadata_log.size() > keep)
    next.metadata_log.erase(next.metadata_log.begin(),
                            next.metadata_log.begin() + static_cast<std::ptrdiff_t>(next.metadata_log.size() - keep));
}

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
  for (const Snapshot* s = table.current_snapshot(); s && (!since || s->snapshot_id != *since); s = table.parent_of(*s))
    out.insert(s->snapshot_id);
  return out;
}

Result<CommitOutcome> commit_changes(Catalog& catalog, Backend& backend, const std::string& table,
                                     CurrentMetadata base, const FileChanges& changes, const RaceJudge& judge,
                                     const WriteRetryPolicy& retry, int& attempts) {
  LAKE_RETURN_IF_ERROR(check_writable(base.metadata, table));
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
    log_previous(next, base);

    auto committed = catalog.commit(table, &base, next);
    if (committed) return CommitOutcome{Rebase::commit_on_top, std::move(*committed)};
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
      const auto newer = snapshots_after(base.metadata, judged_through);
      auto added_since = files_added_by(backend, base.metadata, newer);
      if (!added_since) return abandon(added_since.error());
      judged_through = base.metadata.current_snapshot_id;
      auto verdict = judge(base, *added_since);
      if (!verdict) return abandon(verdict.error());
      if (*verdict != Rebase::commit_on_top) return give_up(*verdict, std::move(base));
    }
  }
}

}  // namespace lake::iceberg

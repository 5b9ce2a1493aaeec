#include "iceberg/commits.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <format>
#include <functional>
#include <random>
#include <set>
#include <thread>

#include "core/propagate.hpp"
#include "formats/filter.hpp"
#include "formats/row_ops.hpp"
#include "iceberg/scan.hpp"
#include "lake/arrow/detail/status.hpp"
#include "lake/ingest_id.hpp"

namespace lake::iceberg {
namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

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

void back_off(const WriteRetryPolicy& retry, int losses) {
  const auto cap = std::min<std::int64_t>(retry.max_backoff.count(),
                                          retry.initial_backoff.count() << std::clamp(losses - 1, 0, 20));
  std::uniform_int_distribution<std::int64_t> wait(0, std::max<std::int64_t>(cap, 1));
  std::this_thread::sleep_for(std::chrono::milliseconds(wait(random_engine())));
}

struct Removed {
  std::size_t files = 0;
  std::int64_t records = 0;
  std::int64_t bytes = 0;
};

// A snapshot's summary: Iceberg's added-* and deleted-* counts, the totals
// when the parent has them, and the caller's entries.
std::map<std::string, std::string> snapshot_summary(const TableMetadata& base, const std::vector<ContentFile>& files,
                                                  Removed removed, const std::map<std::string, std::string>& extra) {
  std::int64_t records = 0, bytes = 0;
  for (const auto& f : files) records += f.record_count, bytes += f.file_size_in_bytes;
  std::map<std::string, std::string> summary = extra;
  summary["operation"] = "append";
  summary["added-data-files"] = std::to_string(files.size());
  summary["added-records"] = std::to_string(records);
  summary["added-files-size"] = std::to_string(bytes);
  if (removed.files > 0) {
    summary["deleted-data-files"] = std::to_string(removed.files);
    summary["deleted-records"] = std::to_string(removed.records);
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
  total("total-records", records - removed.records);
  total("total-data-files", static_cast<std::int64_t>(files.size()) - static_cast<std::int64_t>(removed.files));
  total("total-files-size", bytes - removed.bytes);
  return summary;
}

}  // namespace

Result<CurrentMetadata> create_table(Catalog& catalog, const std::string& table, const NewTable& definition) {
  TableMetadata m;
  m.table_uuid = IngestId::generate().to_string();
  m.location = catalog.default_location(table);
  m.last_updated_ms = now_ms();
  m.schemas = {definition.schema};
  m.schemas.front().schema_id = 0;
  m.last_column_id = definition.schema.highest_field_id();
  m.specs = {definition.spec};
  m.specs.front().spec_id = 0;
  m.last_partition_id = 999;
  for (const auto& f : definition.spec.fields) m.last_partition_id = std::max(m.last_partition_id, f.field_id);
  m.sort_orders = {SortOrder{}};
  m.properties = definition.properties;
  // What the spec's table needs checked: partition sources exist and the
  // transforms apply to them.
  LAKE_RETURN_IF_ERROR(partition_types(m.specs.front(), m));
  LAKE_ASSIGN_OR_RETURN(auto location, catalog.commit(table, nullptr, m));
  return CurrentMetadata{std::move(location), std::move(m)};
}

namespace {

// One snapshot being committed: what it adds to the summary, and how its
// manifests come out on top of a given base (ErrorCode::conflict when the
// change no longer applies there). Everything it writes is in `written`
// (removed unless the commit lands) or, per attempt, in `attempt_written`
// (removed when that attempt loses).
struct SnapshotChange {
  std::int64_t snapshot_id = 0;
  std::string name;  // unique part of the file names
  std::function<std::map<std::string, std::string>(const TableMetadata& base)> summary{};
  std::function<Result<std::vector<ManifestFile>>(const CurrentMetadata& base, std::vector<std::string>& attempt_written)>
      manifests{};
  std::vector<std::string> written{};
};

Result<std::vector<ManifestFile>> current_manifests(Backend& backend, const TableMetadata& table) {
  const Snapshot* current = table.current_snapshot();
  if (!current) return std::vector<ManifestFile>{};
  return load_manifest_list(backend, *current);
}

Result<CurrentMetadata> commit_snapshot(Catalog& catalog, Backend& backend, const std::string& table,
                                        CurrentMetadata base, SnapshotChange& change, const WriteRetryPolicy& retry) {
  auto abandon = [&](Error error) -> Result<CurrentMetadata> {
    for (const auto& key : change.written) (void)backend.remove(key);
    return std::unexpected(std::move(error));
  };
  LAKE_ASSIGN_OR_RETURN(auto table_key, key_of(backend, base.metadata.location));
  for (int attempt = 1;; ++attempt) {
    std::vector<std::string> attempt_written;
    auto lose_attempt = [&] {
      for (const auto& key : attempt_written) (void)backend.remove(key);
    };
    auto manifests = change.manifests(base, attempt_written);
    if (!manifests) {
      lose_attempt();
      return abandon(manifests.error());
    }
    const std::int64_t sequence_number = base.metadata.last_sequence_number + 1;
    auto list = write_manifest_list({.snapshot_id = change.snapshot_id,
                                     .parent_snapshot_id = base.metadata.current_snapshot_id,
                                     .sequence_number = sequence_number},
                                    std::move(*manifests));
    if (!list) {
      lose_attempt();
      return abandon(list.error());
    }
    const std::string list_location = std::format("{}/metadata/snap-{}-{}-{}.avro", base.metadata.location,
                                                  change.snapshot_id, attempt, change.name);
    const std::string list_key = table_key + list_location.substr(base.metadata.location.size());
    if (auto put = backend.put(list_key, *list, PutMode::create); !put) {
      lose_attempt();
      return abandon(put.error());
    }
    attempt_written.push_back(list_key);

    TableMetadata next = base.metadata;
    const std::int64_t now = std::max(now_ms(), base.metadata.last_updated_ms);
    next.snapshots.push_back(Snapshot{.snapshot_id = change.snapshot_id,
                                      .parent_snapshot_id = base.metadata.current_snapshot_id,
                                      .sequence_number = sequence_number,
                                      .timestamp_ms = now,
                                      .manifest_list = list_location,
                                      .summary = change.summary(base.metadata),
                                      .schema_id = base.metadata.current_schema_id});
    next.current_snapshot_id = change.snapshot_id;
    next.refs["main"] = SnapshotRef{.snapshot_id = change.snapshot_id};
    next.last_sequence_number = sequence_number;
    next.last_updated_ms = now;
    next.snapshot_log.push_back({now, change.snapshot_id});
    next.metadata_log.push_back({base.metadata.last_updated_ms, base.location});

    auto committed = catalog.commit(table, &base, next);
    if (committed) return CurrentMetadata{std::move(*committed), std::move(next)};
    lose_attempt();
    if (committed.error().code() != ErrorCode::conflict) return abandon(committed.error());
    if (attempt >= retry.max_attempts)
      return abandon(committed.error().with_context(std::format("after {} attempts", attempt)));
    back_off(retry, attempt);
    auto reloaded = catalog.load(table);
    if (!reloaded) return abandon(reloaded.error());
    if (!*reloaded) return abandon(Error(ErrorCode::not_found, std::format("Iceberg table '{}' was dropped", table)));
    base = std::move(**reloaded);
    if (base.metadata.snapshot(change.snapshot_id))
      return abandon(Error(ErrorCode::internal, "another commit took this change's snapshot id"));
  }
}

Result<CurrentMetadata> load_existing(Catalog& catalog, const std::string& table) {
  LAKE_ASSIGN_OR_RETURN(auto loaded, catalog.load(table));
  if (!loaded) return fail(ErrorCode::not_found, std::format("there is no Iceberg table '{}'", table));
  return std::move(*loaded);
}

// Writes `entries` as a manifest of `spec_id` under the table's metadata.
Result<ManifestFile> put_manifest(Backend& backend, const CurrentMetadata& base, std::int32_t spec_id,
                                  std::int64_t snapshot_id, const std::vector<ManifestEntry>& entries,
                                  std::vector<std::string>& written) {
  LAKE_ASSIGN_OR_RETURN(auto manifest,
                        write_manifest({.table = &base.metadata, .spec_id = spec_id, .snapshot_id = snapshot_id}, entries));
  manifest.file.path = std::format("{}/metadata/{}-m0.avro", base.metadata.location, IngestId::generate().to_string());
  LAKE_ASSIGN_OR_RETURN(auto key, key_of(backend, manifest.file.path));
  LAKE_RETURN_IF_ERROR(backend.put(key, manifest.bytes, PutMode::create));
  written.push_back(std::move(key));
  return std::move(manifest.file);
}

}  // namespace

Result<CurrentMetadata> append(Catalog& catalog, Backend& backend, const std::string& table,
                               arrow::RecordBatchReader& rows, const AppendOptions& options) {
  LAKE_ASSIGN_OR_RETURN(auto base, load_existing(catalog, table));
  LAKE_ASSIGN_OR_RETURN(auto table_key, key_of(backend, base.metadata.location));
  const TableFiles files{.key_prefix = table_key + "/", .location = base.metadata.location};
  LAKE_ASSIGN_OR_RETURN(auto data, write_data_files(backend, files, base.metadata, rows, options.files));

  SnapshotChange change{.snapshot_id = new_snapshot_id(base.metadata), .name = IngestId::generate().to_string()};
  for (const auto& f : data) change.written.push_back(table_key + f.path.substr(files.location.size()));
  change.summary = [&](const TableMetadata& on) { return snapshot_summary(on, data, {}, options.summary); };
  std::vector<ManifestEntry> entries;
  for (const auto& f : data) entries.push_back({.status = EntryStatus::added, .file = f});
  auto ours = put_manifest(backend, base, base.metadata.default_spec_id, change.snapshot_id, entries, change.written);
  if (!ours) {
    for (const auto& key : change.written) (void)backend.remove(key);
    return std::unexpected(ours.error());
  }
  // An append commutes with anything: the base's manifests, then ours
  // (whose entries inherit whichever commit lands it).
  change.manifests = [&](const CurrentMetadata& on, std::vector<std::string>&) -> Result<std::vector<ManifestFile>> {
    LAKE_ASSIGN_OR_RETURN(auto manifests, current_manifests(backend, on.metadata));
    manifests.push_back(*ours);
    return manifests;
  };
  return commit_snapshot(catalog, backend, table, std::move(base), change, options.retry);
}

Result<CurrentMetadata> delete_where(Catalog& catalog, std::shared_ptr<Backend> backend, const std::string& table,
                                     const arrow::compute::Expression& predicate, const DeleteOptions& options) {
  LAKE_ASSIGN_OR_RETURN(auto base, load_existing(catalog, table));
  const Snapshot* current = base.metadata.current_snapshot();
  if (!current) return base;
  LAKE_ASSIGN_OR_RETURN(auto table_key, key_of(*backend, base.metadata.location));
  LAKE_ASSIGN_OR_RETURN(auto planned, plan_files(*backend, base.metadata, *current, predicate));
  LAKE_ASSIGN_OR_RETURN(auto schema, to_arrow(base.metadata.current_schema()));
  LAKE_ASSIGN_OR_RETURN(auto bound, formats::bind_filter(predicate, *schema));

  // Which files go, and the rows of those that only partly go.
  std::set<std::string> removed;
  std::int64_t removed_records = 0, removed_bytes = 0;
  std::vector<std::shared_ptr<arrow::RecordBatch>> kept_rows;
  for (auto& file : planned.files) {
    auto reader = read_files(backend, base.metadata.current_schema(), {file}, {});
    LAKE_RETURN_IF_ERROR(reader);
    std::vector<std::shared_ptr<arrow::RecordBatch>> kept;
    std::int64_t matched = 0;
    for (;;) {
      std::shared_ptr<arrow::RecordBatch> batch;
      if (auto status = (*reader)->ReadNext(&batch); !status.ok())
        return fail(lake::detail::from_arrow_status(status, std::format("reading '{}'", file.file.path)));
      if (!batch) break;
      LAKE_ASSIGN_OR_RETURN(auto mask, formats::evaluate_mask(*batch, bound));
      const std::int64_t hits = formats::count_true(*mask);
      matched += hits;
      if (hits == batch->num_rows()) continue;
      if (hits == 0) {
        kept.push_back(batch);
      } else {
        LAKE_ASSIGN_OR_RETURN(auto rest, formats::select_rows(batch, *mask, false));
        kept.push_back(std::move(rest));
      }
    }
    if (matched == 0) continue;
    removed.insert(file.file.path);
    removed_records += file.file.record_count;
    removed_bytes += file.file.file_size_in_bytes;
    kept_rows.insert(kept_rows.end(), kept.begin(), kept.end());
  }
  if (removed.empty()) return base;

  SnapshotChange change{.snapshot_id = new_snapshot_id(base.metadata), .name = IngestId::generate().to_string()};
  std::vector<ContentFile> added;
  if (!kept_rows.empty()) {
    auto reader = arrow::RecordBatchReader::Make(kept_rows, schema);
    if (!reader.ok()) return fail(lake::detail::from_arrow_status(reader.status(), "rewriting files"));
    const TableFiles files{.key_prefix = table_key + "/", .location = base.metadata.location};
    LAKE_ASSIGN_OR_RETURN(added, write_data_files(*backend, files, base.metadata, **reader, options.files));
    for (const auto& f : added) change.written.push_back(table_key + f.path.substr(files.location.size()));
  }
  change.summary = [&](const TableMetadata& on) {
    auto summary = snapshot_summary(on, added, {removed.size(), removed_records, removed_bytes}, options.summary);
    summary["operation"] = added.empty() ? "delete" : "overwrite";
    return summary;
  };
  std::optional<ManifestFile> ours;
  if (!added.empty()) {
    std::vector<ManifestEntry> entries;
    for (const auto& f : added) entries.push_back({.status = EntryStatus::added, .file = f});
    auto put = put_manifest(*backend, base, base.metadata.default_spec_id, change.snapshot_id, entries, change.written);
    if (!put) {
      for (const auto& key : change.written) (void)backend->remove(key);
      return std::unexpected(put.error());
    }
    ours = std::move(*put);
  }
  // On top of a base: every removed file must still be live there (else a
  // concurrent delete or rewrite took it: a conflict); manifests holding
  // one are rewritten with it marked deleted, the others kept as they are.
  change.manifests = [&](const CurrentMetadata& on,
                         std::vector<std::string>& attempt_written) -> Result<std::vector<ManifestFile>> {
    LAKE_ASSIGN_OR_RETURN(auto manifests, current_manifests(*backend, on.metadata));
    std::vector<ManifestFile> out;
    std::size_t found = 0;
    for (auto& manifest : manifests) {
      if (manifest.content != ManifestContent::data) {
        out.push_back(std::move(manifest));
        continue;
      }
      LAKE_ASSIGN_OR_RETURN(auto entries, load_manifest(*backend, on.metadata, manifest));
      const bool touched = std::ranges::any_of(entries, [&](const ManifestEntry& e) {
        return e.status != EntryStatus::deleted && removed.contains(e.file.path);
      });
      if (!touched) {
        out.push_back(std::move(manifest));
        continue;
      }
      std::vector<ManifestEntry> rewritten;
      for (auto& entry : entries) {
        if (entry.status == EntryStatus::deleted) continue;  // the previous snapshot's news
        if (removed.contains(entry.file.path)) {
          ++found;
          entry.status = EntryStatus::deleted;
          entry.snapshot_id = change.snapshot_id;
        } else {
          entry.status = EntryStatus::existing;
        }
        rewritten.push_back(std::move(entry));
      }
      LAKE_ASSIGN_OR_RETURN(auto file, put_manifest(*backend, on, manifest.spec_id, change.snapshot_id, rewritten,
                                                    attempt_written));
      out.push_back(std::move(file));
    }
    if (found != removed.size())
      return fail(ErrorCode::conflict,
                  std::format("Iceberg table '{}': a concurrent commit deleted or rewrote files this delete rewrites",
                              table));
    if (ours) out.push_back(*ours);
    return out;
  };
  return commit_snapshot(catalog, *backend, table, std::move(base), change, options.retry);
}

namespace {

// The files one snapshot reaches: its manifest list, its manifests, and
// the data files their entries name (live ones apart).
struct Reached {
  std::set<std::string> metadata;  // manifest lists and manifests
  std::set<std::string> live;      // data files the snapshot holds
  std::set<std::string> named;     // every data file an entry names
};

Status reach(Backend& backend, const TableMetadata& table, const Snapshot& snapshot, Reached& out) {
  out.metadata.insert(snapshot.manifest_list);
  LAKE_ASSIGN_OR_RETURN(auto manifests, load_manifest_list(backend, snapshot));
  for (const auto& manifest : manifests) {
    out.metadata.insert(manifest.path);
    LAKE_ASSIGN_OR_RETURN(auto entries, load_manifest(backend, table, manifest));
    for (const auto& entry : entries) {
      out.named.insert(entry.file.path);
      if (entry.status != EntryStatus::deleted) out.live.insert(entry.file.path);
    }
  }
  return {};
}

}  // namespace

Result<ExpireReport> expire_snapshots(Catalog& catalog, std::shared_ptr<Backend> backend, const std::string& table,
                                      const ExpireOptions& options) {
  for (int attempt = 1;; ++attempt) {
    LAKE_ASSIGN_OR_RETURN(auto base, load_existing(catalog, table));
    const TableMetadata& m = base.metadata;
    std::set<std::int64_t> keep;
    for (const auto& [name, ref] : m.refs) keep.insert(ref.snapshot_id);
    const Snapshot* ancestor = m.current_snapshot();
    for (int i = 0; ancestor && i < options.retain_last; ++i) {
      keep.insert(ancestor->snapshot_id);
      ancestor = ancestor->parent_snapshot_id ? m.snapshot(*ancestor->parent_snapshot_id) : nullptr;
    }
    for (const auto& snapshot : m.snapshots)
      if (snapshot.timestamp_ms >= options.older_than_ms) keep.insert(snapshot.snapshot_id);
    std::vector<Snapshot> expired, retained;
    for (const auto& snapshot : m.snapshots) (keep.contains(snapshot.snapshot_id) ? retained : expired).push_back(snapshot);
    if (expired.empty()) return ExpireReport{};

    TableMetadata next = m;
    next.snapshots = retained;
    std::erase_if(next.snapshot_log, [&](const SnapshotLogEntry& e) { return !keep.contains(e.snapshot_id); });
    next.last_updated_ms = std::max(now_ms(), m.last_updated_ms);
    next.metadata_log.push_back({m.last_updated_ms, base.location});
    auto committed = catalog.commit(table, &base, next);
    if (!committed) {
      if (committed.error().code() != ErrorCode::conflict || attempt >= options.retry.max_attempts)
        return std::unexpected(committed.error());
      back_off(options.retry, attempt);
      continue;
    }

    // What the retained snapshots need stays; what only the expired ones
    // reached goes.
    Reached needed, candidates;
    for (const auto& snapshot : retained) LAKE_RETURN_IF_ERROR(reach(*backend, m, snapshot, needed));
    for (const auto& snapshot : expired) LAKE_RETURN_IF_ERROR(reach(*backend, m, snapshot, candidates));
    std::vector<std::string> doomed;
    for (const auto& location : candidates.metadata)
      if (!needed.metadata.contains(location)) doomed.push_back(location);
    for (const auto& location : candidates.named)
      if (!needed.live.contains(location)) doomed.push_back(location);
    ExpireReport report{.snapshots_expired = static_cast<std::int64_t>(expired.size()), .files_deleted = 0};
    for (const auto& location : doomed) {
      LAKE_ASSIGN_OR_RETURN(auto key, key_of(*backend, location));
      LAKE_RETURN_IF_ERROR(backend->remove(key));
      ++report.files_deleted;
    }
    return report;
  }
}

}  // namespace lake::iceberg

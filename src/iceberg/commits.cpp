#include "iceberg/commits.hpp"

#include <optional>

#include <chrono>
#include <format>
#include <set>

#include "core/propagate.hpp"
#include "iceberg/row_changes.hpp"
#include "iceberg/scan.hpp"
#include "iceberg/snapshot_commit.hpp"
#include "lake/ingest_id.hpp"

namespace lake::iceberg {

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
  return catalog.commit(table, nullptr, m);
}

namespace {

Result<CurrentMetadata> load_existing(Catalog& catalog, const std::string& table) {
  LAKE_ASSIGN_OR_RETURN(auto loaded, catalog.load(table));
  if (!loaded) return fail(ErrorCode::not_found, std::format("there is no Iceberg table '{}'", table));
  return std::move(*loaded);
}

}  // namespace

Result<CurrentMetadata> append(Catalog& catalog, std::shared_ptr<Backend> backend, const std::string& table,
                               arrow::RecordBatchReader& rows, const AppendOptions& options) {
  LAKE_ASSIGN_OR_RETURN(auto base, load_existing(catalog, table));
  LAKE_ASSIGN_OR_RETURN(auto change, plan_append({backend, &base.metadata, options.files}, rows));
  change.changes.summary = options.summary;
  int attempts = 0;
  // An append commutes with anything: no judge.
  auto outcome = commit_changes(catalog, *backend, table, std::move(base), change.changes, nullptr, options.retry,
                                attempts);
  if (!outcome) discard(*backend, change.changes);
  LAKE_RETURN_IF_ERROR(outcome);
  return std::move(outcome->table);
}

Result<CurrentMetadata> delete_where(Catalog& catalog, std::shared_ptr<Backend> backend, const std::string& table,
                                     const arrow::compute::Expression& predicate, const DeleteOptions& options) {
  LAKE_ASSIGN_OR_RETURN(auto base, load_existing(catalog, table));
  LAKE_ASSIGN_OR_RETURN(auto change, plan_delete({backend, &base.metadata, options.files}, predicate));
  if (change.empty()) return base;
  change.changes.summary = options.summary;
  int attempts = 0;
  auto outcome = commit_changes(catalog, *backend, table, std::move(base), change.changes, nullptr, options.retry,
                                attempts);
  if (!outcome || outcome->how != Rebase::commit_on_top) discard(*backend, change.changes);
  LAKE_RETURN_IF_ERROR(outcome);
  if (outcome->how != Rebase::commit_on_top)
    return fail(ErrorCode::conflict,
                std::format("Iceberg table '{}': a concurrent commit deleted or rewrote files this delete rewrites",
                            table));
  return std::move(outcome->table);
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
      ancestor = m.parent_of(*ancestor);
    }
    for (const auto& snapshot : m.snapshots)
      if (snapshot.timestamp_ms >= options.older_than_ms) keep.insert(snapshot.snapshot_id);
    std::vector<Snapshot> expired, retained;
    for (const auto& snapshot : m.snapshots) (keep.contains(snapshot.snapshot_id) ? retained : expired).push_back(snapshot);
    if (expired.empty() && !options.remove_orphans) return ExpireReport{};

    // The metadata this expiry commits: referenced, whatever its file's
    // time says (a file system stamps files with a coarse clock, so one
    // written just now can look older than a cutoff of "now").
    std::optional<CurrentMetadata> committed_table;
    if (!expired.empty() && !options.dry_run) {
      LAKE_RETURN_IF_ERROR(check_writable(m, table));
      TableMetadata next = m;
      next.snapshots = retained;
      std::erase_if(next.snapshot_log, [&](const SnapshotLogEntry& e) { return !keep.contains(e.snapshot_id); });
      next.last_updated_ms = std::max(now_ms(), m.last_updated_ms);
      log_previous(next, base);
      auto committed = catalog.commit(table, &base, next);
      if (!committed) {
        if (committed.error().code() != ErrorCode::conflict || attempt >= options.retry.max_attempts)
          return std::unexpected(committed.error());
        back_off(options.retry, attempt);
        continue;
      }
      committed_table = std::move(*committed);
    }

    // What the retained snapshots need stays; what only the expired ones
    // reached goes.
    Reached needed, candidates;
    for (const auto& snapshot : retained) LAKE_RETURN_IF_ERROR(reach(*backend, m, snapshot, needed));
    for (const auto& snapshot : expired) LAKE_RETURN_IF_ERROR(reach(*backend, m, snapshot, candidates));
    std::set<std::string> doomed;
    for (const auto& location : candidates.metadata)
      if (!needed.metadata.contains(location)) doomed.insert(location);
    for (const auto& location : candidates.named)
      if (!needed.live.contains(location)) doomed.insert(location);
    std::set<std::string> doomed_keys;
    for (const auto& location : doomed) {
      LAKE_ASSIGN_OR_RETURN(auto key, key_of(*backend, location));
      doomed_keys.insert(std::move(key));
    }

    LAKE_ASSIGN_OR_RETURN(auto table_key, key_of(*backend, m.location));
    LAKE_ASSIGN_OR_RETURN(auto listed, backend->list(table_key + "/"));
    if (options.remove_orphans) {
      // Files under data/ and metadata/ that nothing references (what a
      // crashed or abandoned write left), once older than the cutoff: a
      // write in flight is younger.
      std::set<std::string> referenced;
      for (const auto* set : {&needed.metadata, &needed.live})
        for (const auto& location : *set)
          if (auto key = key_of(*backend, location)) referenced.insert(std::move(*key));
      for (const auto& metadata_file : m.metadata_log)
        if (auto key = key_of(*backend, metadata_file.metadata_file)) referenced.insert(std::move(*key));
      if (auto key = key_of(*backend, base.location)) referenced.insert(std::move(*key));
      if (committed_table) {
        if (auto key = key_of(*backend, committed_table->location)) referenced.insert(std::move(*key));
        for (const auto& metadata_file : committed_table->metadata.metadata_log)
          if (auto key = key_of(*backend, metadata_file.metadata_file)) referenced.insert(std::move(*key));
      }
      const timestamp cutoff{std::chrono::milliseconds(options.older_than_ms)};
      for (const auto& object : listed) {
        const std::string_view rest = std::string_view(object.key).substr(table_key.size() + 1);
        const bool ours = rest.starts_with("data/") ||
                          (rest.starts_with("metadata/") && rest != "metadata/version-hint.text");
        if (ours && !referenced.contains(object.key) && object.modified < cutoff) doomed_keys.insert(object.key);
      }
    }
    std::map<std::string, std::int64_t> sizes;
    for (const auto& object : listed) sizes[object.key] = object.size;
    ExpireReport report{.snapshots_expired = static_cast<std::int64_t>(expired.size())};
    for (const auto& key : doomed_keys) {
      if (!options.dry_run) LAKE_RETURN_IF_ERROR(backend->remove(key));
      ++report.files_deleted;
      report.bytes += sizes.contains(key) ? sizes[key] : 0;
      report.files.push_back(key);
    }
    return report;
  }
}

}  // namespace lake::iceberg

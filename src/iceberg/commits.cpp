#include "iceberg/commits.hpp"

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

// The snapshot summary of an append: Iceberg's added-* counts, the totals
// when the parent has them, and the caller's entries.
std::map<std::string, std::string> append_summary(const TableMetadata& base, const std::vector<ContentFile>& files,
                                                  const std::map<std::string, std::string>& extra) {
  std::int64_t records = 0, bytes = 0;
  for (const auto& f : files) records += f.record_count, bytes += f.file_size_in_bytes;
  std::map<std::string, std::string> summary = extra;
  summary["operation"] = "append";
  summary["added-data-files"] = std::to_string(files.size());
  summary["added-records"] = std::to_string(records);
  summary["added-files-size"] = std::to_string(bytes);
  const Snapshot* parent = base.current_snapshot();
  auto total = [&](const char* key, std::int64_t added) {
    if (!parent) {
      summary[key] = std::to_string(added);
      return;
    }
    auto it = parent->summary.find(key);
    std::int64_t before = 0;
    if (it == parent->summary.end() || std::from_chars(it->second.data(), it->second.data() + it->second.size(), before).ec != std::errc{})
      return;
    summary[key] = std::to_string(before + added);
  };
  total("total-records", records);
  total("total-data-files", static_cast<std::int64_t>(files.size()));
  total("total-files-size", bytes);
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

Result<CurrentMetadata> append(Catalog& catalog, Backend& backend, const std::string& table,
                               arrow::RecordBatchReader& rows, const AppendOptions& options) {
  LAKE_ASSIGN_OR_RETURN(auto loaded, catalog.load(table));
  if (!loaded) return fail(ErrorCode::not_found, std::format("there is no Iceberg table '{}'", table));
  CurrentMetadata base = std::move(*loaded);
  LAKE_ASSIGN_OR_RETURN(auto table_key, key_of(backend, base.metadata.location));
  const TableFiles files{.key_prefix = table_key + "/", .location = base.metadata.location};
  auto key_of_location = [&](const std::string& location) { return table_key + location.substr(files.location.size()); };

  LAKE_ASSIGN_OR_RETURN(auto data, write_data_files(backend, files, base.metadata, rows, options.files));
  // From here on, what this append wrote goes away again unless it commits.
  std::vector<std::string> written;
  for (const auto& f : data) written.push_back(key_of_location(f.path));
  auto abandon = [&](Error error) -> Result<CurrentMetadata> {
    for (const auto& key : written) (void)backend.remove(key);
    return std::unexpected(std::move(error));
  };

  const std::int64_t snapshot_id = new_snapshot_id(base.metadata);
  const std::string name = IngestId::generate().to_string();
  auto summary = append_summary(base.metadata, data, options.summary);
  std::vector<ManifestEntry> entries;
  for (auto& f : data) entries.push_back({.status = EntryStatus::added, .file = std::move(f)});
  auto manifest = write_manifest(
      {.table = &base.metadata, .spec_id = base.metadata.default_spec_id, .snapshot_id = snapshot_id}, entries);
  if (!manifest) return abandon(manifest.error());
  manifest->file.path = std::format("{}/metadata/{}-m0.avro", files.location, name);
  written.push_back(key_of_location(manifest->file.path));
  if (auto put = backend.put(written.back(), manifest->bytes, PutMode::create); !put) return abandon(put.error());

  for (int attempt = 1;; ++attempt) {
    // The manifests of the snapshot this attempt builds on, then ours.
    std::vector<ManifestFile> manifests;
    if (const Snapshot* parent = base.metadata.current_snapshot()) {
      auto list_key = key_of(backend, parent->manifest_list);
      if (!list_key) return abandon(list_key.error());
      auto list_bytes = backend.get(*list_key);
      if (!list_bytes) return abandon(list_bytes.error());
      auto listed = read_manifest_list(*list_bytes, parent->manifest_list);
      if (!listed) return abandon(listed.error());
      manifests = std::move(*listed);
    }
    manifests.push_back(manifest->file);
    const std::int64_t sequence_number = base.metadata.last_sequence_number + 1;
    auto list = write_manifest_list({.snapshot_id = snapshot_id,
                                     .parent_snapshot_id = base.metadata.current_snapshot_id,
                                     .sequence_number = sequence_number},
                                    std::move(manifests));
    if (!list) return abandon(list.error());
    const std::string list_location =
        std::format("{}/metadata/snap-{}-{}-{}.avro", files.location, snapshot_id, attempt, name);
    const std::string list_key = key_of_location(list_location);
    if (auto put = backend.put(list_key, *list, PutMode::create); !put) return abandon(put.error());

    TableMetadata next = base.metadata;
    const std::int64_t now = std::max(now_ms(), base.metadata.last_updated_ms);
    next.snapshots.push_back(Snapshot{.snapshot_id = snapshot_id,
                                      .parent_snapshot_id = base.metadata.current_snapshot_id,
                                      .sequence_number = sequence_number,
                                      .timestamp_ms = now,
                                      .manifest_list = list_location,
                                      .summary = summary,
                                      .schema_id = base.metadata.current_schema_id});
    next.current_snapshot_id = snapshot_id;
    next.refs["main"] = SnapshotRef{.snapshot_id = snapshot_id};
    next.last_sequence_number = sequence_number;
    next.last_updated_ms = now;
    next.snapshot_log.push_back({now, snapshot_id});
    next.metadata_log.push_back({base.metadata.last_updated_ms, base.location});

    auto committed = catalog.commit(table, &base, next);
    if (committed) return CurrentMetadata{std::move(*committed), std::move(next)};
    (void)backend.remove(list_key);
    if (committed.error().code() != ErrorCode::conflict) return abandon(committed.error());
    if (attempt >= options.retry.max_attempts)
      return abandon(committed.error().with_context(std::format("after {} attempts", attempt)));
    back_off(options.retry, attempt);
    auto reloaded = catalog.load(table);
    if (!reloaded) return abandon(reloaded.error());
    if (!*reloaded) return abandon(Error(ErrorCode::not_found, std::format("Iceberg table '{}' was dropped", table)));
    base = std::move(**reloaded);
    if (base.metadata.snapshot(snapshot_id))
      return abandon(Error(ErrorCode::internal, "another commit took this append's snapshot id"));
    // The totals follow the newer parent.
    summary = append_summary(base.metadata, [&] {
      std::vector<ContentFile> files_of;
      for (const auto& e : entries) files_of.push_back(e.file);
      return files_of;
    }(), options.summary);
  }
}

}  // namespace lake::iceberg

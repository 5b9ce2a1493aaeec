// Table maintenance: optimize (compaction, optionally clustering rows by a
// Z-order curve or a sort, and purging deletion vectors), vacuum (deleting files no version inside the
// retention window references) and table statistics.
#include <arrow/compute/api.h>
#include <arrow/table.h>

#include <algorithm>
#include <bit>
#include <format>
#include <map>
#include <numeric>
#include <set>

#include <nlohmann/json.hpp>

#include "core/propagate.hpp"
#include "delta/deletion_vectors.hpp"
#include "delta/log_replay.hpp"
#include "delta/liquid_clustering.hpp"
#include "formats/clustering.hpp"
#include "formats/filter.hpp"
#include "formats/row_ops.hpp"
#include "delta/scan.hpp"
#include "delta/table_properties.hpp"
#include "delta/table_writer.hpp"
#include "formats/lake_properties.hpp"
#include "lake/arrow/convert.hpp"

namespace lake::delta {
namespace {

namespace cp = arrow::compute;

// Marks files an optimize clustered, so running it again leaves a
// partition alone while its files still carry the same clustering.
constexpr std::string_view kClusteredTag = "lake.clusteredBy";

Error arrow_error(const arrow::Status& status, std::string_view context) {
  return lake::detail::from_arrow_status(status, context);
}

}  // namespace

Result<OptimizeReport> Table::optimize(OptimizeOptions options) {
  LAKE_RETURN_IF_ERROR(snapshot_.check_writable(false));
  TableWriter writer(*this);
  auto layout = writer.layout();
  LAKE_RETURN_IF_ERROR(layout);
  const arrow::Schema& schema = *layout->arrow_schema;
  // A clustered table (liquid clustering) clusters on its domain's
  // columns, as Spark's OPTIMIZE does, and takes no other order; other
  // tables on lake.clusterBy unless the options say otherwise.
  const bool liquid = is_clustered_table(snapshot_);
  if (liquid && (!options.zorder_by.empty() || !options.sort_by.empty()))
    return fail(ErrorCode::invalid_argument,
                std::format("optimize: table '{}' is clustered by [{}] (liquid clustering); it takes no Z-order or "
                            "sort columns (change them with cluster_by)",
                            root_, join(layout->clustering_columns, ", ")));
  const std::vector<std::string> clustered_by =
      liquid ? layout->clustering_columns
             : formats::list_property(snapshot_.metadata().configuration, formats::kClusterByProperty);
  LAKE_ASSIGN_OR_RETURN(auto clustering,
                        formats::clustering_of(options, clustered_by, schema, layout->partition_columns));
  const std::string cluster_tag = clustering.tag();
  const auto& zorder = clustering.kind == formats::Clustering::Kind::zorder ? clustering.columns
                                                                            : std::vector<std::string>{};

  // The where-clause selects partitions: it may name partition columns only.
  std::optional<Predicate> where = options.where;
  if (where) {
    arrow::FieldVector partition_fields;
    for (const auto& column : layout->partition_columns) partition_fields.push_back(schema.GetFieldByName(column));
    if (auto bound = formats::bind_filter(*where, arrow::Schema(partition_fields)); !bound)
      return fail(ErrorCode::invalid_argument,
                  std::format("optimize: the where-clause may only use partition columns: {}", bound.error().message()));
  }
  std::vector<Add> live;
  for (const auto& [key, add] : snapshot_.files()) live.push_back(add);
  auto selected = prune_files(*layout, live, where);
  LAKE_RETURN_IF_ERROR(selected);

  const auto file_options = writer.file_options(options.target_file_bytes);
  std::map<PartitionValues, std::vector<Add>> partitions;
  for (auto& file : *selected) partitions[file.partition_values].push_back(std::move(file));

  OptimizeReport report;
  report.partitions_optimized = 0;
  PendingCommit pending{.operation = "OPTIMIZE",
                        .parameters = {{"predicate", nlohmann::json::array({where ? where->ToString() : ""}).dump()},
                                       {"zOrderBy", nlohmann::json(zorder).dump()},
                                       {"sortBy", nlohmann::json(options.sort_by).dump()}}};
  std::vector<Add> written;
  std::int64_t partitions_seen = 0;
  auto report_progress = [&] {
    ++partitions_seen;
    if (options.progress)
      options.progress({.step = "partitions processed", .done = partitions_seen,
                        .total = static_cast<std::int64_t>(partitions.size())});
  };
  for (auto& [values, files] : partitions) {
    std::vector<Add> inputs;
    if (cluster_tag.empty()) {
      // Small files are compacted; a file with a deletion vector is
      // rewritten whatever its size, without its deleted rows (Spark's
      // REORG ... APPLY (PURGE)): readers stop paying for the vector, and
      // the deleted rows' bytes can be vacuumed.
      bool purges = false;
      for (const auto& file : files) {
        if (file.deletion_vector) purges = true;
        if (file.size < file_options.target_file_bytes || file.deletion_vector) inputs.push_back(file);
      }
      if (inputs.size() < 2 && !purges) {
        report_progress();
        continue;
      }
    } else {
      // On a clustered table, files another clustering implementation
      // clustered are its to recluster, not ours (PROTOCOL.md "Writer
      // Requirements for Clustered Table").
      if (liquid)
        std::erase_if(files, [](const Add& f) {
          return f.clustering_provider && *f.clustering_provider != kClusteringProvider;
        });
      const bool clustered = std::ranges::all_of(files, [&](const Add& f) {
        auto tag = f.tags.find(std::string(kClusteredTag));
        return tag != f.tags.end() && tag->second == cluster_tag;
      });
      if (clustered) {
        report_progress();
        continue;
      }
      inputs = files;
    }
    std::vector<std::shared_ptr<arrow::Table>> parts;
    for (const auto& file : inputs) {
      auto rows = read_data_file(*backend_, *layout, file);
      if (!rows) return writer.discard(written), std::unexpected(rows.error());
      parts.push_back(std::move(*rows));
    }
    auto all = arrow::ConcatenateTables(parts);
    if (!all.ok()) return writer.discard(written), fail(arrow_error(all.status(), "optimize"));
    std::shared_ptr<arrow::Table> rows = *all;
    auto ordered = formats::clustered(rows, clustering);
    if (!ordered) return writer.discard(written), std::unexpected(ordered.error());
    rows = std::move(*ordered);
    arrow::TableBatchReader reader(*rows);
    reader.set_chunksize(file_options.row_group_rows);
    auto added = write_data_files(*backend_, *layout, reader, file_options);
    if (!added) return writer.discard(written), std::unexpected(added.error());
    for (auto& add : *added) {
      add.data_change = false;
      if (!cluster_tag.empty()) add.tags[std::string(kClusteredTag)] = cluster_tag;
      if (liquid && !cluster_tag.empty()) add.clustering_provider = std::string(kClusteringProvider);
      report.bytes_added += add.size;
      written.push_back(std::move(add));
    }
    for (const auto& file : inputs) {
      pending.actions.emplace_back(remove_of(file, false));
      pending.read_files.insert(file.key());
      report.bytes_removed += file.size;
      ++report.files_removed;
    }
    ++report.partitions_optimized;
    report_progress();
  }
  if (report.files_removed == 0) return report;
  for (const auto& add : written) pending.actions.emplace_back(add);
  report.files_added = static_cast<std::int64_t>(written.size());
  pending.metrics = {{"numRemovedFiles", report.files_removed},
                     {"numAddedFiles", report.files_added},
                     {"numRemovedBytes", report.bytes_removed},
                     {"numAddedBytes", report.bytes_added}};
  auto committed = writer.commit(std::move(pending), written, CommitResult{});
  LAKE_RETURN_IF_ERROR(committed);
  report.version = committed->version;
  return report;
}

Result<VacuumReport> Table::vacuum(VacuumOptions options) {
  auto table_retention = deleted_file_retention(snapshot_.metadata());
  LAKE_RETURN_IF_ERROR(table_retention);
  const auto retention = options.retention.value_or(*table_retention);
  if (retention < *table_retention && !options.allow_short_retention)
    return fail(ErrorCode::invalid_argument,
                std::format("vacuum: a retention of {} is shorter than the table's "
                            "delta.deletedFileRetentionDuration ({}); readers of older versions could lose files. "
                            "Set allow_short_retention to do it anyway",
                            retention, *table_retention));
  if (retention.count() < 0) return fail(ErrorCode::invalid_argument, "vacuum: the retention is negative");
  // Work on the latest version: a stale handle must not delete files a
  // newer version references.
  LAKE_RETURN_IF_ERROR(refresh());
  auto layout = layout_of(root_, snapshot_);
  LAKE_RETURN_IF_ERROR(layout);

  const timestamp cutoff = now() - std::chrono::duration_cast<std::chrono::microseconds>(retention);
  const std::int64_t cutoff_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(cutoff.time_since_epoch()).count();
  // Every file a retained version reads: the live data files, those
  // removed inside the window (time travel may open their versions), and
  // the deletion-vector files of both.
  std::set<std::string> keep;
  auto keep_file = [&](const std::string& path, const std::optional<DeletionVector>& dv) -> Status {
    auto key = layout->key_of(path);
    LAKE_RETURN_IF_ERROR(key);
    keep.insert(*key);
    if (!dv || dv->storage_type == 'i') return {};
    // An absolute ('p') path is refused here as for data files: vacuum
    // only decides about files it can place under the table root.
    auto dv_key = deletion_vector_key(*layout, *dv);
    if (!dv_key) return std::unexpected(dv_key.error().with_context(std::format("the deletion vector of '{}'", path)));
    keep.insert(*dv_key);
    return {};
  };
  for (const auto& [file, add] : snapshot_.files())
    LAKE_RETURN_IF_ERROR(keep_file(file.path, add.deletion_vector));
  for (const auto& [file, remove] : snapshot_.tombstones()) {
    if (remove.deletion_timestamp && *remove.deletion_timestamp < cutoff_ms) continue;
    LAKE_RETURN_IF_ERROR(keep_file(file.path, remove.deletion_vector));
  }

  const std::string prefix = root_.empty() ? std::string() : root_ + "/";
  auto objects = backend_->list(prefix);
  LAKE_RETURN_IF_ERROR(objects);
  VacuumReport report;
  report.dry_run = options.dry_run;
  for (const auto& object : *objects) {
    std::string_view relative = std::string_view(object.key).substr(prefix.size());
    // The log, and anything hidden (names starting with '_' or '.', such as
    // staging areas) in any directory, belong to others.
    bool hidden = false;
    for (std::size_t start = 0; start < relative.size();) {
      auto end = relative.find('/', start);
      std::string_view segment = relative.substr(start, end == std::string_view::npos ? end : end - start);
      if (segment.starts_with('_') || segment.starts_with('.')) {
        // A partition directory may start with '_' when its column does.
        if (segment.find('=') == std::string_view::npos) hidden = true;
      }
      if (end == std::string_view::npos) break;
      start = end + 1;
    }
    if (hidden || keep.contains(object.key)) continue;
    // Newer files may belong to a write that has not committed yet.
    if (object.modified > cutoff) continue;
    report.files.push_back(object.key);
    report.bytes += object.size;
  }
  if (options.dry_run) return report;
  std::int64_t deleted = 0;
  for (const auto& key : report.files) {
    if (auto removed = backend_->remove(key); !removed) return std::unexpected(removed.error().with_context("vacuum"));
    if (options.progress)
      options.progress({.step = "files deleted", .done = ++deleted, .total = static_cast<std::int64_t>(report.files.size())});
  }
  return report;
}

Result<TableStats> Table::stats() const {
  auto listing = list_log(*backend_, root_);
  LAKE_RETURN_IF_ERROR(listing);
  TableStats stats;
  stats.version = snapshot_.version();
  stats.rows = snapshot_.num_records();
  stats.files = static_cast<std::int64_t>(snapshot_.files().size());
  stats.bytes = snapshot_.total_bytes();
  stats.versions = static_cast<std::int64_t>(listing->commits.size());
  stats.oldest_version = listing->commits.empty() ? snapshot_.version() : listing->commits.front().version;
  stats.last_commit = snapshot_.committed_at();
  stats.partition_columns = snapshot_.partition_columns();
  return stats;
}

}  // namespace lake::delta

// What table maintenance takes and reports, the same for every engine and
// table format: a table's stats and history, optimize (compaction with
// Z-order or sort clustering) and vacuum (Delta's VACUUM, Iceberg's
// snapshot expiry). The Client's maintain(), the drivers and the native
// Delta table all use these.
#pragma once

#include <arrow/compute/expression.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lake/progress.hpp"
#include "lake/types.hpp"

namespace lake {

struct TableStats {
  std::int64_t version = -1;  // the current version (Iceberg: snapshot id); -1 for none
  std::int64_t rows = 0;      // -1 when a file has no stats
  std::int64_t files = 0;
  std::int64_t bytes = 0;
  std::int64_t versions = 0;        // versions still in the log (seed: SnapshotCount)
  std::int64_t oldest_version = 0;  // the oldest of them (Iceberg: the oldest snapshot's id)
  timestamp last_commit{};
  std::vector<std::string> partition_columns{};
};

struct HistoryEntry {
  std::int64_t version = 0;
  timestamp committed_at{};
  std::string operation;
  std::string parameters;  // JSON
};

// seed: MaintenanceOptions{Filter, ZOrder}.
struct OptimizeOptions {
  std::optional<arrow::compute::Expression> where{};  // only partitions matching it (partition columns only)
  // Cluster rows on these columns (Z-order curve) or sort them by sort_by;
  // at most one of the two. Z-order defaults to the table's clustering
  // columns (lake.clusterBy). Engines that cannot sort (Spark) refuse
  // sort_by with ErrorCode::unsupported.
  std::vector<std::string> zorder_by{};
  std::optional<std::int64_t> target_file_bytes{};
  std::vector<std::string> sort_by{};
  ProgressFn progress{};
};

struct OptimizeReport {
  std::int64_t version = -1;  // -1: nothing needed rewriting
  std::int64_t files_removed = 0;
  std::int64_t files_added = 0;
  std::int64_t bytes_removed = 0;
  std::int64_t bytes_added = 0;
  std::int64_t partitions_optimized = -1;  // -1 when the engine does not say
};

// seed: VacuumOptions{RetentionHours}.
struct VacuumOptions {
  // Files unreferenced for longer than this are deleted. Default: the
  // table's own retention (Delta: delta.deletedFileRetentionDuration, 7
  // days; Iceberg: history.expire.max-snapshot-age-ms, 5 days).
  std::optional<std::chrono::milliseconds> retention{};
  // A retention shorter than the table's is refused (time travel and
  // concurrent readers depend on it) unless this is set.
  bool allow_short_retention = false;
  bool dry_run = false;
  ProgressFn progress{};
};

struct VacuumReport {
  std::vector<std::string> files{};  // keys deleted (or that would be, on a dry run)
  std::int64_t bytes = 0;
  bool dry_run = false;
};

}  // namespace lake

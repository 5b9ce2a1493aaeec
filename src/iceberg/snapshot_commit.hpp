// The commit of one snapshot: the data files it adds and removes become
// the table's next snapshot, atomically, through the catalog.
//
// Iceberg commits optimistically: everything is written first (data files,
// manifests, the manifest list, the metadata file) and the catalog's swap
// of the current metadata is the commit. A commit that finds the table
// moved on is judged against the newer table instead of failing outright:
//   - a file it removes, or whose rows it depended on, is no longer live:
//     a concurrent delete or rewrite took it; the change must be planned
//     again (a merge does) or is a conflict (a delete or update);
//   - otherwise the caller's judge looks at the data files other commits
//     added since (a keyed write checks them for its keys; a write with an
//     idempotency key checks their snapshots for it) and says whether to
//     commit on top, plan again, or stop as a duplicate.
// Committing on top reuses the manifest of added files (its entries carry
// no snapshot id or sequence number and inherit the committing
// snapshot's), so only the manifest list, rewritten manifests of removed
// files and the metadata file are written again.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "iceberg/catalog.hpp"
#include "iceberg/manifest.hpp"
#include "iceberg/scan.hpp"
#include "lake/driver.hpp"

namespace lake::iceberg {

// What one snapshot changes. Every file in `added` is already written
// (under the table's location); `removed` and `depends_on` are live data
// files of the base the change was planned on.
struct FileChanges {
  std::string operation = "append";  // the summary's: append, overwrite, delete, replace
  std::vector<ContentFile> added{};
  std::vector<ContentFile> removed{};
  std::set<std::string> depends_on{};  // paths of files whose rows the change read
  std::map<std::string, std::string> summary{};  // extra summary entries (lake.ingest_id, ...)
};

enum class Rebase { commit_on_top, plan_again, duplicate };

// Judges a lost race once the change's own files are known to be live:
// `newer` is the table now, `added_since` the live data files commits
// after the change's base added.
using RaceJudge = std::function<Result<Rebase>(const CurrentMetadata& newer,
                                               const std::vector<PlannedFile>& added_since)>;

struct CommitOutcome {
  // committed: `table` is ours. plan_again, duplicate: nothing of the
  // change's commit remains (its data files are the caller's); `table` is
  // the newer table that decided it.
  Rebase how = Rebase::commit_on_top;
  CurrentMetadata table;
};

// Commits `changes`, planned on `base`, on the main branch. `attempts`
// counts commit attempts (in and out: a change planned again keeps
// counting); ErrorCode::conflict once `retry.max_attempts` is spent.
// Whatever this call writes is removed unless it commits; the data files
// in `changes.added` are left to the caller on every path but success.
[[nodiscard]] Result<CommitOutcome> commit_changes(Catalog& catalog, Backend& backend, const std::string& table,
                                                   CurrentMetadata base, const FileChanges& changes,
                                                   const RaceJudge& judge, const WriteRetryPolicy& retry,
                                                   int& attempts);

// A live data file of a snapshot: its entry (with the snapshot that added
// it and its sequence numbers) and its manifest's partition spec.
struct LiveFile {
  ManifestEntry entry;
  std::int32_t spec_id = 0;
};
[[nodiscard]] Result<std::vector<LiveFile>> live_files(Backend& backend, const TableMetadata& table,
                                                       const Snapshot& snapshot);

// The ids of the main-branch snapshots committed after `since` (nullopt:
// all of them), newest first.
[[nodiscard]] std::set<std::int64_t> snapshots_after(const TableMetadata& table, std::optional<std::int64_t> since);

// Records `previous` (the metadata a commit replaces) in `next`'s metadata
// log, which keeps the newest write.metadata.previous-versions-max (100 by
// default) entries, as Iceberg's writers do; older metadata files are then
// unreferenced, and vacuum's orphan removal reclaims them.
void log_previous(TableMetadata& next, const CurrentMetadata& previous);

// Milliseconds since the epoch, as Iceberg's timestamps are.
[[nodiscard]] std::int64_t now_ms();
// A jittered pause after `losses` lost races.
void back_off(const WriteRetryPolicy& retry, int losses);

}  // namespace lake::iceberg

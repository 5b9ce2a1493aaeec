// Row tracking (PROTOCOL.md "Row Tracking"): on tables that support it,
// every row gets a fresh row id (its file's baseRowId plus its position in
// the file) and a row commit version (its file's defaultRowCommitVersion),
// and the table's highest row id is recorded in the delta.rowTracking
// domain. Both depend on the version a commit lands at and on the commits
// before it, so they are stamped on each commit attempt, against the
// snapshot it commits on top of. Internal to the Delta implementation.
#pragma once

#include <cstdint>
#include <vector>

#include "lake/delta/actions.hpp"
#include "lake/delta/snapshot.hpp"
#include "lake/error.hpp"

namespace lake::delta {

// True when writers must assign row ids: the table supports rowTracking
// and does not set delta.rowTrackingSuspended.
[[nodiscard]] bool assigns_row_ids(const Snapshot& snapshot);

// The delta.rowTracking domain's rowIdHighWaterMark (-1 when the table has
// assigned none). ErrorCode::invalid_argument when the domain is there
// and malformed.
[[nodiscard]] Result<std::int64_t> row_id_high_water_mark(const Snapshot& snapshot);

// `actions` as committed at `version` on top of `current`:
// - an add of a data file `current` does not hold gets fresh row ids
//   (baseRowId above the high water mark, numRecords ids each, which its
//   stats must give) and defaultRowCommitVersion = version;
// - an add or remove of a data file `current` holds (a new deletion
//   vector, a removal) carries that file's baseRowId and
//   defaultRowCommitVersion;
// - a delta.rowTracking domain action records the new high water mark
//   when ids were assigned.
// ErrorCode::invalid_argument when a new file's stats lack numRecords.
[[nodiscard]] Result<std::vector<Action>> with_row_ids(std::vector<Action> actions, const Snapshot& current,
                                                       std::int64_t version);

// Whether a commit's actions keep every row's stable id and commit
// version (commitInfo.tags["delta.rowTracking.preserved"]): lake-orm does
// not materialize row ids, so only commits that copy and update no rows
// do: appends, and deletes that only add deletion vectors.
[[nodiscard]] bool preserves_row_ids(const std::vector<Action>& actions);

}  // namespace lake::delta

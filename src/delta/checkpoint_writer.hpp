// Writing classic single-file Parquet checkpoints (PROTOCOL.md
// "Checkpoints", "Checkpoint Schema") and the _last_checkpoint hint, so
// readers (ours, delta-rs, Spark, DuckDB) can start from them instead of
// replaying every commit. Internal to the Delta implementation.
#pragma once

#include <chrono>
#include <string>

#include "lake/delta/snapshot.hpp"
#include "lake/storage/backend.hpp"

namespace lake::delta {

// Writes `<table>/_delta_log/<version>.checkpoint.parquet` for the
// snapshot's version (protocol, metaData, every live add, the tombstones
// still inside delta.deletedFileRetentionDuration of `now`, and every txn),
// then overwrites `_last_checkpoint`. The checkpoint object appears
// atomically (written in full, then published), so a crash leaves either no
// checkpoint or a complete one; a stale _last_checkpoint is harmless because
// readers list the log.
//
// Refused with ErrorCode::unsupported naming the feature when the table
// needs one this implementation cannot write (Snapshot::check_writable):
// a checkpoint must restate the actions of every feature the table uses.
// Txns last updated longer than delta.setTransactionRetentionDuration ago
// are dropped when the table sets that property, as Spark does.
[[nodiscard]] Status write_checkpoint(Backend& backend, const std::string& table, const Snapshot& snapshot,
                                      timestamp now);

// How long a removed file stays a tombstone: the table's
// delta.deletedFileRetentionDuration (Spark's interval syntax, e.g.
// "interval 1 week", "7 days", "168 hours"; months and years are refused),
// one week when unset. Checkpoints drop older tombstones; VACUUM must not
// delete a file removed more recently. ErrorCode::invalid_argument names
// the property when its value is not such an interval.
[[nodiscard]] Result<std::chrono::milliseconds> tombstone_retention(const Metadata& metadata);

}  // namespace lake::delta

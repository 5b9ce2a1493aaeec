// Writing classic single-file Parquet checkpoints (PROTOCOL.md
// "Checkpoints", "Checkpoint Schema") and the _last_checkpoint hint, so
// readers (ours, delta-rs, Spark, DuckDB) can start from them instead of
// replaying every commit. Internal to the Delta implementation.
#pragma once

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
// Also refused when the table sets delta.checkpoint.writeStatsAsStruct =
// true (typed stats_parsed / partitionValues_parsed columns are then
// required and not written here); delta.checkpoint.writeStatsAsJson =
// false leaves the stats out. Txns last updated longer than
// delta.setTransactionRetentionDuration ago are dropped when the table sets
// that property, as Spark does.
[[nodiscard]] Status write_checkpoint(Backend& backend, const std::string& table, const Snapshot& snapshot,
                                      timestamp now);

}  // namespace lake::delta

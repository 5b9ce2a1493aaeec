// Reading the _delta_log: which commits and checkpoints exist, and the
// replay that turns them into a Snapshot. Internal to the Delta
// implementation; all I/O goes through the Backend contract.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lake/delta/snapshot.hpp"

namespace lake::delta {

struct CommitFile {
  std::int64_t version;
  ObjectInfo object;
};

struct CheckpointFiles {
  std::int64_t version;
  int parts;                      // 1 for a classic single-file checkpoint
  std::vector<ObjectInfo> files;  // sorted by part
};

struct LogListing {
  std::vector<CommitFile> commits;           // by version
  std::vector<CheckpointFiles> checkpoints;  // complete ones only, by version
};

// The whole log (time travel, history, vacuum, stats).
[[nodiscard]] Result<LogListing> list_log(Backend& backend, const std::string& table);
// Only the entries of `version` and later (catching a snapshot up).
[[nodiscard]] Result<LogListing> list_log_from(Backend& backend, const std::string& table, std::int64_t version);
// What the latest snapshot needs: the entries from the checkpoint
// _last_checkpoint names on, as other Delta readers do, so opening a table
// with a long history lists a few entries instead of all of them. Without a
// usable hint (none, unreadable, or its checkpoint incomplete) the whole log.
[[nodiscard]] Result<LogListing> list_log_for_latest(Backend& backend, const std::string& table);

// Where the value of the top-level member `name` of the JSON object
// `text` starts; npos when it has none. A scan, not a parse: stats are
// read for every file of a table, and edited as text (parsing would turn
// decimal bounds into doubles).
[[nodiscard]] std::size_t top_level_member(std::string_view text, std::string_view name);

// numRecords from an add's stats JSON, if present.
[[nodiscard]] std::optional<std::int64_t> records_in_stats(const std::optional<std::string>& stats);

// Whether lake-orm reads / writes a table with this protocol (its
// versions and features; Snapshot::check_readable / check_writable check
// the table's properties and schema too). ErrorCode::unsupported naming
// the first feature it lacks.
[[nodiscard]] Status check_protocol_readable(const Protocol& protocol);
[[nodiscard]] Status check_protocol_writable(const Protocol& protocol);

// commitInfo.inCommitTimestamp among a commit's actions, when it records one.
[[nodiscard]] std::optional<std::int64_t> in_commit_timestamp_of(const std::vector<Action>& actions);
// The same, read from the commit file `key`.
[[nodiscard]] Result<std::optional<std::int64_t>> read_in_commit_timestamp(Backend& backend, const std::string& key);
// delta.enableInCommitTimestamps = true.
[[nodiscard]] bool in_commit_timestamps_enabled(const Metadata& metadata);

class LogReplay {
 public:
  // The snapshot at `target` (the latest when empty), starting from the
  // newest checkpoint at or before it.
  [[nodiscard]] Result<Snapshot> build(Backend& backend, const std::string& table, const LogListing& listing,
                                       std::optional<std::int64_t> target);
  // Applies one more commit on top of a snapshot (used by conflict checks
  // and incremental refresh).
  [[nodiscard]] Status apply_commit(Snapshot& snapshot, Backend& backend, const CommitFile& commit);
  // The same with the commit's actions already parsed.
  [[nodiscard]] Status apply_actions(Snapshot& snapshot, const CommitFile& commit, std::vector<Action> actions);

 private:
  void apply(Snapshot& snapshot, Action action);
  static void set_commit_time(Snapshot& snapshot, timestamp file_time, std::optional<std::int64_t> in_commit_timestamp);
  // ErrorCode::invalid_argument when two logical files of `path` are live.
  [[nodiscard]] static Status check_one_file_per_path(const Snapshot& snapshot, const std::string& path,
                                                      std::string_view where);
  // Loads a checkpoint's actions into an empty snapshot (checkpoint.cpp).
  [[nodiscard]] Status load_checkpoint(Snapshot& snapshot, Backend& backend, const CheckpointFiles& checkpoint);
};

}  // namespace lake::delta

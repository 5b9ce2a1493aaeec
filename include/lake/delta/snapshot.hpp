// A Delta table at one version: its protocol, metadata, schema, live data
// files, tombstones and application transaction versions, reconstructed
// from the log (PROTOCOL.md "Action Reconciliation").
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lake/delta/actions.hpp"
#include "lake/error.hpp"
#include "lake/schema/schema.hpp"
#include "lake/storage/backend.hpp"
#include "lake/types.hpp"

namespace lake::delta {

class Snapshot {
 public:
  [[nodiscard]] std::int64_t version() const noexcept { return version_; }
  // When this version was committed: its in-commit timestamp on tables
  // that record them, else the commit file's modification time.
  [[nodiscard]] timestamp committed_at() const noexcept { return committed_at_; }
  // The version's commitInfo.inCommitTimestamp (ms since the epoch), when
  // the table enables in-commit timestamps and the commit carries one.
  [[nodiscard]] std::optional<std::int64_t> in_commit_timestamp() const noexcept { return in_commit_timestamp_; }
  [[nodiscard]] const Protocol& protocol() const noexcept { return protocol_; }
  [[nodiscard]] const Metadata& metadata() const noexcept { return metadata_; }
  // The table's columns in schema order (including _ingest_id when the
  // table has it).
  [[nodiscard]] const std::vector<Field>& columns() const noexcept { return columns_; }
  [[nodiscard]] const std::vector<std::string>& partition_columns() const noexcept {
    return metadata_.partition_columns;
  }
  // The live logical files (a data file and its deletion vector, if any),
  // by their key. Replay keeps at most one per data file: a log that leaves
  // two live for one path is refused as invalid.
  [[nodiscard]] const std::map<LogicalFileKey, Add>& files() const noexcept { return files_; }
  // Logical files removed and not yet expired, for vacuum.
  [[nodiscard]] const std::map<LogicalFileKey, Remove>& tombstones() const noexcept { return tombstones_; }
  // The last version an application committed with a txn action.
  [[nodiscard]] std::optional<std::int64_t> app_version(const std::string& app_id) const;
  // Every application's latest txn action, by application id.
  [[nodiscard]] const std::map<std::string, Txn>& transactions() const noexcept { return txns_; }
  // The live domain metadata (tombstoned domains are gone), by domain.
  [[nodiscard]] const std::map<std::string, DomainMetadata, std::less<>>& domains() const noexcept {
    return domains_;
  }
  [[nodiscard]] const DomainMetadata* domain(std::string_view name) const;

  [[nodiscard]] std::int64_t num_records() const noexcept;  // -1 when a file has no stats
  [[nodiscard]] std::int64_t total_bytes() const noexcept;

  // ErrorCode::unsupported naming the feature when this implementation
  // cannot read the table correctly (a reader feature it lacks, column
  // mapping, a file with a deletion vector).
  [[nodiscard]] Status check_readable() const;
  // The same for writing (writer features, invariants, append-only for
  // operations that remove data).
  [[nodiscard]] Status check_writable(bool removes_data) const;

 private:
  friend class LogReplay;
  std::int64_t version_ = -1;
  timestamp committed_at_{};
  Protocol protocol_;
  Metadata metadata_;
  std::vector<Field> columns_;
  bool has_protocol_ = false;
  std::map<LogicalFileKey, Add> files_;
  std::map<LogicalFileKey, Remove> tombstones_;
  std::map<std::string, Txn> txns_;
  std::map<std::string, DomainMetadata, std::less<>> domains_;
  std::optional<std::int64_t> in_commit_timestamp_;
};

// One entry of the table's history.
struct CommitSummary {
  std::int64_t version = 0;
  timestamp committed_at{};
  std::string operation;   // from commitInfo, "" when absent
  std::string parameters;  // commitInfo.operationParameters as JSON, "{}" when absent
  std::string user_metadata{};  // commitInfo.userMetadata (lake-orm: {"ingest_id":...}), "" when absent
  std::string metrics{"{}"};     // commitInfo.operationMetrics as JSON (values are strings), "{}" when absent
};

// Log file naming (PROTOCOL.md "Delta Log Entries", "Checkpoints").
[[nodiscard]] std::string commit_key(const std::string& table, std::int64_t version);
[[nodiscard]] std::string log_prefix(const std::string& table);

}  // namespace lake::delta

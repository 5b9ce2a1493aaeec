// The actions of the Delta transaction log (PROTOCOL.md, "Actions"), as
// plain values, and their newline-delimited JSON form. This is protocol
// logic only: no I/O happens here.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "lake/error.hpp"

namespace lake::delta {

struct Protocol {
  int min_reader_version = 1;
  int min_writer_version = 2;
  std::vector<std::string> reader_features;  // only with reader version 3
  std::vector<std::string> writer_features;  // only with writer version 7
  friend bool operator==(const Protocol&, const Protocol&) = default;
};

struct Metadata {
  std::string id;  // a UUID, fixed for the life of the table
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::string schema_string;  // the Delta schema JSON
  std::vector<std::string> partition_columns;
  std::map<std::string, std::string> configuration;
  std::optional<std::int64_t> created_time;  // ms since the epoch
  friend bool operator==(const Metadata&, const Metadata&) = default;
};

// Partition values are strings (PROTOCOL.md "Partition Value
// Serialization"); a NULL partition value is std::nullopt.
using PartitionValues = std::map<std::string, std::optional<std::string>>;

struct Add {
  std::string path;  // URI-encoded, relative to the table root
  PartitionValues partition_values;
  std::int64_t size = 0;
  std::int64_t modification_time = 0;  // ms since the epoch
  bool data_change = true;
  std::optional<std::string> stats;  // JSON text
  std::map<std::string, std::string> tags;
  // Present when the file has a deletion vector; we refuse to read such
  // files rather than return deleted rows (see Snapshot::check_readable).
  bool has_deletion_vector = false;
  friend bool operator==(const Add&, const Add&) = default;
};

struct Remove {
  std::string path;
  std::optional<std::int64_t> deletion_timestamp;
  bool data_change = true;
  bool extended_file_metadata = false;
  PartitionValues partition_values;
  std::optional<std::int64_t> size;
  friend bool operator==(const Remove&, const Remove&) = default;
};

struct Txn {
  std::string app_id;
  std::int64_t version = 0;
  std::optional<std::int64_t> last_updated;
  friend bool operator==(const Txn&, const Txn&) = default;
};

// Provenance. Kept as raw JSON text so fields other writers put there
// survive a round trip; the fields lake-orm reads are parsed on demand.
struct CommitInfo {
  std::string json;  // the object after "commitInfo"
  friend bool operator==(const CommitInfo&, const CommitInfo&) = default;
};

using Action = std::variant<Protocol, Metadata, Add, Remove, Txn, CommitInfo>;

// One action as a single-line JSON document ({"add":{...}}).
[[nodiscard]] std::string to_json_line(const Action& action);
// A whole commit file: one line per action, each ending in '\n'.
[[nodiscard]] std::string to_commit_text(const std::vector<Action>& actions);

// Parses a commit file. Actions this implementation does not know (cdc,
// domainMetadata, sidecar, checkpointMetadata, ...) are skipped, as the
// protocol requires of readers; features that change how data must be read
// are caught from the protocol action instead. `where` names the file in
// errors.
[[nodiscard]] Result<std::vector<Action>> parse_commit_text(std::string_view text, std::string_view where);

// Percent-encoding of add/remove paths (RFC 2396, as Delta writers do it).
[[nodiscard]] std::string encode_path(std::string_view path);
[[nodiscard]] Result<std::string> decode_path(std::string_view uri);

}  // namespace lake::delta

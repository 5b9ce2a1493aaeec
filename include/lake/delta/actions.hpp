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

// Which rows of a data file are deleted (PROTOCOL.md "Deletion Vector
// Descriptor Schema"). lake-orm does not read the vectors yet: a table
// with a live one is refused (Snapshot::check_readable). The descriptor is
// kept whole because it is part of a file's identity in the log.
struct DeletionVector {
  // 'u': a file under the table root named from a UUID; 'i': inline in
  // the log; 'p': a file at an absolute path.
  char storage_type = 'u';
  std::string path_or_inline_dv;
  std::optional<std::int32_t> offset{};  // absent for 'i'; 0 when absent otherwise
  std::int32_t size_in_bytes = 0;
  std::int64_t cardinality = 0;  // rows it deletes
  friend bool operator==(const DeletionVector&, const DeletionVector&) = default;

  // <storageType><pathOrInlineDv>[@<offset>]: what tells two vectors of
  // one data file apart.
  [[nodiscard]] std::string unique_id() const;
  // Where an on-disk vector lives: for 'u' its path relative to the table
  // root ("<prefix>/deletion_vector_<uuid>.bin"), for 'p' the absolute
  // path as written. ErrorCode::invalid_argument for an inline vector or a
  // 'u' descriptor whose UUID is not valid Z85.
  [[nodiscard]] Result<std::string> file_path() const;
};

// The key of a logical file (PROTOCOL.md "Action Reconciliation"): a data
// file together with the deletion vector applied to it. The same data file
// with two different vectors is two logical files: a DELETE that adds a
// vector to a file commits an add of (path, vector) and a remove of
// (path, none), and the file stays in the table.
struct LogicalFileKey {
  std::string path;                  // as written in the log (URI-encoded)
  std::string deletion_vector_id{};  // DeletionVector::unique_id(), "" without one
  friend auto operator<=>(const LogicalFileKey&, const LogicalFileKey&) = default;
};

struct Add {
  std::string path;  // URI-encoded, relative to the table root
  PartitionValues partition_values;
  std::int64_t size = 0;
  std::int64_t modification_time = 0;  // ms since the epoch
  bool data_change = true;
  std::optional<std::string> stats;  // JSON text
  std::map<std::string, std::string> tags;
  std::optional<DeletionVector> deletion_vector{};
  // Row tracking (PROTOCOL.md "Row Tracking"): the fresh row id of the
  // file's first row and the version that committed its rows; kept by
  // every later add or remove of the same data file.
  std::optional<std::int64_t> base_row_id{};
  std::optional<std::int64_t> default_row_commit_version{};
  // The clustering implementation that clustered the file (PROTOCOL.md
  // "Clustered Table"); unset for files written unclustered.
  std::optional<std::string> clustering_provider{};
  friend bool operator==(const Add&, const Add&) = default;

  [[nodiscard]] LogicalFileKey key() const;
};

struct Remove {
  std::string path;
  std::optional<std::int64_t> deletion_timestamp;
  bool data_change = true;
  bool extended_file_metadata = false;
  PartitionValues partition_values;
  std::optional<std::int64_t> size;
  // The vector of the logical file removed (the remove of a data file that
  // had one names it, so that the right logical file goes).
  std::optional<DeletionVector> deletion_vector{};
  // The removed add's row tracking fields, as the protocol asks.
  std::optional<std::int64_t> base_row_id{};
  std::optional<std::int64_t> default_row_commit_version{};
  friend bool operator==(const Remove&, const Remove&) = default;

  [[nodiscard]] LogicalFileKey key() const;
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

// Named, JSON-configured table state (PROTOCOL.md "Domain Metadata"):
// system domains ("delta.*", e.g. delta.clustering, delta.rowTracking)
// belong to the features that define them; every domain is kept by
// writers, whether they know it or not. `removed` is a tombstone.
struct DomainMetadata {
  std::string domain;
  std::string configuration;  // JSON text
  bool removed = false;
  friend bool operator==(const DomainMetadata&, const DomainMetadata&) = default;
};

using Action = std::variant<Protocol, Metadata, Add, Remove, Txn, CommitInfo, DomainMetadata>;

// One action as a single-line JSON document ({"add":{...}}).
[[nodiscard]] std::string to_json_line(const Action& action);
// A whole commit file: one line per action, each ending in '\n'.
[[nodiscard]] std::string to_commit_text(const std::vector<Action>& actions);

// Parses a commit file. Actions this implementation does not know (cdc,
// sidecar, checkpointMetadata, ...) are skipped, as the
// protocol requires of readers; features that change how data must be read
// are caught from the protocol action instead. `where` names the file in
// errors.
[[nodiscard]] Result<std::vector<Action>> parse_commit_text(std::string_view text, std::string_view where);

// Percent-encoding of add/remove paths (RFC 2396, as Delta writers do it).
[[nodiscard]] std::string encode_path(std::string_view path);
[[nodiscard]] Result<std::string> decode_path(std::string_view uri);

}  // namespace lake::delta

// An Iceberg table's metadata file (the spec's "Table Metadata"): its
// schemas, partition specs and sort orders (each version kept, by id),
// snapshots with their manifest lists, branches and tags, the snapshot and
// metadata logs, and properties. Format versions 1 and 2 are read (v1's
// single schema / spec fields become the lists v2 has); version 2 is
// written. Version 3 is refused at parse with ErrorCode::unsupported:
// its deletion vectors, row lineage and default values change which rows a
// reader returns, and a reader that ignored them would return wrong rows.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "iceberg/schema.hpp"
#include "iceberg/transforms.hpp"
#include "lake/error.hpp"

namespace lake::iceberg {

struct PartitionSpecField {
  std::int32_t source_id = 0;
  std::int32_t field_id = 0;  // from 1000 up, unique across the table's specs
  std::string name;
  PartitionTransform transform;
};

struct PartitionSpec {
  std::int32_t spec_id = 0;
  std::vector<PartitionSpecField> fields;

  [[nodiscard]] bool unpartitioned() const;  // no fields, or only void ones
};

struct SortField {
  std::int32_t source_id = 0;
  PartitionTransform transform;
  bool ascending = true;
  bool nulls_first = true;
};

struct SortOrder {
  std::int32_t order_id = 0;  // 0: unsorted
  std::vector<SortField> fields;
};

struct Snapshot {
  std::int64_t snapshot_id = 0;
  std::optional<std::int64_t> parent_snapshot_id{};
  std::int64_t sequence_number = 0;  // 0 for v1 tables
  std::int64_t timestamp_ms = 0;
  std::string manifest_list{};  // empty only for v1 snapshots that list manifests inline
  std::vector<std::string> manifests{};  // v1's inline list
  // "operation" (append, replace, overwrite, delete) and the rest.
  std::map<std::string, std::string> summary{};
  std::optional<std::int32_t> schema_id{};

  [[nodiscard]] std::string operation() const;
};

struct SnapshotRef {
  std::int64_t snapshot_id = 0;
  std::string type = "branch";  // "branch" or "tag"
  std::optional<std::int32_t> min_snapshots_to_keep{};
  std::optional<std::int64_t> max_snapshot_age_ms{};
  std::optional<std::int64_t> max_ref_age_ms{};
};

struct SnapshotLogEntry {
  std::int64_t timestamp_ms = 0;
  std::int64_t snapshot_id = 0;
};

struct MetadataLogEntry {
  std::int64_t timestamp_ms = 0;
  std::string metadata_file;
};

struct TableMetadata {
  int format_version = 2;
  std::string table_uuid;
  std::string location;
  std::int64_t last_sequence_number = 0;
  std::int64_t last_updated_ms = 0;
  std::int32_t last_column_id = 0;
  std::vector<Schema> schemas;
  std::int32_t current_schema_id = 0;
  std::vector<PartitionSpec> specs;
  std::int32_t default_spec_id = 0;
  std::int32_t last_partition_id = 999;
  std::vector<SortOrder> sort_orders;
  std::int32_t default_sort_order_id = 0;
  std::map<std::string, std::string> properties;
  std::optional<std::int64_t> current_snapshot_id;
  std::vector<Snapshot> snapshots;
  std::map<std::string, SnapshotRef> refs;
  std::vector<SnapshotLogEntry> snapshot_log;
  std::vector<MetadataLogEntry> metadata_log;
  // Keys this implementation does not model (statistics files, partition
  // statistics), carried over unchanged when a new version is written.
  nlohmann::json other = nlohmann::json::object();

  [[nodiscard]] const Schema& current_schema() const;
  [[nodiscard]] const Schema* schema(std::int32_t id) const;
  [[nodiscard]] const PartitionSpec& default_spec() const;
  [[nodiscard]] const PartitionSpec* spec(std::int32_t id) const;
  [[nodiscard]] const Snapshot* snapshot(std::int64_t id) const;
  // The main branch's snapshot (current-snapshot-id); null for an empty table.
  [[nodiscard]] const Snapshot* current_snapshot() const;
  // A snapshot's parent; null for the first, or once expiry removed it.
  [[nodiscard]] const Snapshot* parent_of(const Snapshot& snapshot) const;
  // The schema a snapshot was written with (its schema-id, else the current one).
  [[nodiscard]] const Schema& schema_of(const Snapshot& snapshot) const;
  // A numeric table property (commit.*, history.*, write.*), or `fallback`
  // when it is absent or not a number.
  [[nodiscard]] std::int64_t numeric_property(const std::string& key, std::int64_t fallback) const;
};

// Parses a metadata file's text; `where` (its path) names it in errors.
// Malformed metadata is ErrorCode::invalid_argument; format version 3 and
// later, ErrorCode::unsupported.
[[nodiscard]] Result<TableMetadata> parse_table_metadata(std::string_view text, std::string_view where);
// The format-version-2 JSON of `metadata`.
[[nodiscard]] std::string to_json_text(const TableMetadata& metadata);

// ErrorCode::unsupported, naming `table`, when this implementation cannot
// commit a new version of it. It writes format version 2 only; a version 1
// table is read, and stays version 1 until its owner upgrades it: an
// upgrade decides which readers can still read the table, so it is not
// made on the side of a write.
[[nodiscard]] Status check_writable(const TableMetadata& metadata, std::string_view table);

}  // namespace lake::iceberg

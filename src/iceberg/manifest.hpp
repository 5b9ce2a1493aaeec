// Iceberg's manifest lists and manifests (the spec's "Manifests" and
// "Manifest Lists"): which files a snapshot holds, with the partition
// tuple and column metrics of each. Read for format versions 1 and 2, with
// the spec's inheritance: an entry written without a snapshot id or
// sequence number takes its manifest's (so a commit can name the numbers
// after its manifests were written).
#pragma once

#include <arrow/scalar.h>
#include <arrow/type.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "iceberg/table_metadata.hpp"
#include "lake/error.hpp"

namespace lake::iceberg {

enum class ManifestContent : std::uint8_t { data = 0, deletes = 1 };

// A partition field's values over one manifest, for skipping whole
// manifests: bounds in the single-value binary form of the field's type.
struct FieldSummary {
  bool contains_null = false;
  std::optional<bool> contains_nan{};
  std::optional<std::string> lower_bound{};
  std::optional<std::string> upper_bound{};
};

struct ManifestFile {
  std::string path;
  std::int64_t length = 0;
  std::int32_t spec_id = 0;
  ManifestContent content = ManifestContent::data;
  std::int64_t sequence_number = 0;      // when the manifest was added
  std::int64_t min_sequence_number = 0;  // the lowest data sequence number of its live files
  std::int64_t added_snapshot_id = 0;
  std::int32_t added_files = 0;
  std::int32_t existing_files = 0;
  std::int32_t deleted_files = 0;
  std::int64_t added_rows = 0;
  std::int64_t existing_rows = 0;
  std::int64_t deleted_rows = 0;
  std::vector<FieldSummary> partitions{};
};

enum class FileContent : std::uint8_t { data = 0, position_deletes = 1, equality_deletes = 2 };
enum class EntryStatus : std::uint8_t { existing = 0, added = 1, deleted = 2 };

// A data or delete file with its metrics (maps keyed by field id).
struct ContentFile {
  FileContent content = FileContent::data;
  std::string path;
  std::string format = "PARQUET";
  // One value per field of the manifest's partition spec, typed by the
  // transform's result type; a null scalar for a null value.
  std::vector<std::shared_ptr<arrow::Scalar>> partition{};
  std::int64_t record_count = 0;
  std::int64_t file_size_in_bytes = 0;
  std::map<std::int32_t, std::int64_t> column_sizes{};
  std::map<std::int32_t, std::int64_t> value_counts{};
  std::map<std::int32_t, std::int64_t> null_value_counts{};
  std::map<std::int32_t, std::int64_t> nan_value_counts{};
  std::map<std::int32_t, std::string> lower_bounds{};
  std::map<std::int32_t, std::string> upper_bounds{};
  std::vector<std::int64_t> split_offsets{};
  std::vector<std::int32_t> equality_ids{};  // equality deletes only
  std::optional<std::int32_t> sort_order_id{};
};

struct ManifestEntry {
  EntryStatus status = EntryStatus::added;
  std::int64_t snapshot_id = 0;           // inherited when written null
  std::int64_t sequence_number = 0;       // the data sequence number, inherited likewise
  std::int64_t file_sequence_number = 0;  // the sequence number of the commit that added the file
  ContentFile file;
};

// The manifests a snapshot's manifest list names.
[[nodiscard]] Result<std::vector<ManifestFile>> read_manifest_list(std::span<const std::byte> bytes,
                                                                   std::string_view where);

// The entries of one manifest. `partition_types` are the Arrow types of the
// manifest's partition spec fields (partition_types() below).
[[nodiscard]] Result<std::vector<ManifestEntry>> read_manifest(
    std::span<const std::byte> bytes, std::string_view where, const ManifestFile& manifest,
    const std::vector<std::shared_ptr<arrow::DataType>>& partition_types);

// Writing (format version 2). A manifest holds one spec's files of one
// content; added entries are written without snapshot id and sequence
// numbers, so they inherit the commit's (which may retry with new numbers
// without rewriting the manifest); existing and deleted entries keep
// theirs. The header carries the spec's keys (schema, partition-spec,
// partition-spec-id, format-version, content).
struct ManifestWrite {
  const TableMetadata* table = nullptr;  // the schema and spec come from here
  std::int32_t spec_id = 0;
  ManifestContent content = ManifestContent::data;
  std::int64_t snapshot_id = 0;  // the snapshot that adds the manifest
};

// The manifest's bytes and its entry in a manifest list (path and length
// left for the caller, who decides where it goes).
struct WrittenManifest {
  std::vector<std::byte> bytes;
  ManifestFile file;
};

[[nodiscard]] Result<WrittenManifest> write_manifest(const ManifestWrite& write,
                                                     const std::vector<ManifestEntry>& entries);

// A snapshot's manifest list. Manifests added by this snapshot carry
// sequence number -1 (written as `sequence_number`, the spec's
// "unassigned"), which is replaced here.
struct ManifestListWrite {
  std::int64_t snapshot_id = 0;
  std::optional<std::int64_t> parent_snapshot_id{};
  std::int64_t sequence_number = 0;
};
[[nodiscard]] Result<std::vector<std::byte>> write_manifest_list(const ManifestListWrite& write,
                                                                 std::vector<ManifestFile> manifests);

// The types of a spec's partition values, from their source columns (in
// the current schema, else the newest schema that has them: a spec may
// outlive a dropped column). ErrorCode::invalid_argument when none has one.
[[nodiscard]] Result<std::vector<std::shared_ptr<arrow::DataType>>> partition_types(const PartitionSpec& spec,
                                                                                    const TableMetadata& table);

}  // namespace lake::iceberg

// Reading an Iceberg snapshot: its live data files, skipped by what their
// identity partitions and column metrics say about a filter
// (formats/file_skipping.hpp), and their rows in the table's current
// schema, matched by field id: a renamed column reads under its new name,
// a column added after a file was written reads as NULL, promoted types
// (int to long, float to double, wider decimals) are cast.
//
// Merge-on-read deletes other engines wrote (position and equality delete
// files, deletes.hpp) are applied to the files they concern.
//
// Refused with ErrorCode::unsupported rather than read wrong: a data file
// without field ids (a table imported with a name mapping), a data or
// delete file in another format than Parquet.
#pragma once

#include <arrow/compute/expression.h>
#include <arrow/record_batch.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formats/file_skipping.hpp"
#include "iceberg/deletes.hpp"
#include "iceberg/manifest.hpp"
#include "iceberg/table_metadata.hpp"
#include "lake/storage/backend.hpp"

namespace lake::iceberg {

// The backend key of an absolute file location (the URI a manifest
// records: "file:///...", "file:/..." as Java writes it, "s3://b/..."),
// which must lie under the backend's root. ErrorCode::invalid_argument
// naming the location otherwise.
[[nodiscard]] Result<std::string> key_of(const Backend& backend, std::string_view location);

// A snapshot's manifest list, from storage. ErrorCode::unsupported for a
// snapshot of an early version 1 writer that lists its manifests inline.
[[nodiscard]] Result<std::vector<ManifestFile>> load_manifest_list(Backend& backend, const Snapshot& snapshot);
// One manifest's entries from storage, partition values typed by its spec
// (ErrorCode::invalid_argument when the table lacks that spec).
[[nodiscard]] Result<std::vector<ManifestEntry>> load_manifest(Backend& backend, const TableMetadata& table,
                                                               const ManifestFile& manifest);

struct PlannedFile {
  ContentFile file;
  std::int32_t spec_id = 0;
  std::int64_t sequence_number = 0;  // the file's data sequence number
  std::vector<DeleteFile> deletes{};  // the delete files that apply to it
};

// What a planned file's metrics and identity partition values say about
// a column (found by the field id the Arrow field carries), for file
// skipping. Keeps references to both arguments.
[[nodiscard]] formats::FileFacts facts_of(const PlannedFile& planned, const TableMetadata& table);

struct ScanPlanning {
  std::vector<PlannedFile> files;
  std::int64_t files_total = 0;  // live data files in the snapshot
};

// The snapshot's live data files that may hold a row `filter` keeps
// (every one without a filter). The filter names columns of `schema`: the
// table's current one when reading or changing the latest snapshot, and by
// default (null) the schema the snapshot was written with
// (table.schema_of(snapshot)), as time travel reads it.
// ErrorCode::schema_mismatch when it names a column the schema lacks.
[[nodiscard]] Result<ScanPlanning> plan_files(Backend& backend, const TableMetadata& table, const Snapshot& snapshot,
                                              const std::optional<arrow::compute::Expression>& filter,
                                              const Schema* schema = nullptr);

// A lazy stream of the files' rows in `schema` (the snapshot's, for time
// travel; projected to `columns`; empty: all), one row group at a time;
// `threads` files decoded at once (formats/read_ahead.hpp), the rows in
// file order either way. It keeps the backend.
[[nodiscard]] Result<std::shared_ptr<arrow::RecordBatchReader>> read_files(std::shared_ptr<Backend> backend,
                                                                         const Schema& schema,
                                                                         std::vector<PlannedFile> files,
                                                                         const std::vector<std::string>& columns,
                                                                         std::int64_t batch_rows = 64 * 1024,
                                                                         int threads = 1);

}  // namespace lake::iceberg

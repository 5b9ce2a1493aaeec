// Writing table rows as Parquet data files, with the per-file statistics
// (numRecords, minValues, maxValues, nullCount) Delta readers skip files
// with. Internal to the Delta implementation; the files are not part of
// the table until a commit adds them.
#pragma once

#include <arrow/record_batch.h>

#include <cstdint>
#include <vector>

#include "delta/table_layout.hpp"
#include "lake/delta/actions.hpp"
#include "lake/storage/backend.hpp"

namespace lake::delta {

struct DataFileOptions {
  // A file is closed and a new one started once this many bytes have been
  // written to it (compressed Parquet bytes, so files land near it).
  std::int64_t target_file_bytes = std::int64_t{128} << 20;
  // Rows per Parquet row group (bounded further by target_file_bytes).
  std::int64_t row_group_rows = 1 << 20;
  // A row group's rows wait in memory (as Arrow) until it is written, so
  // wide rows also close it at this many Arrow bytes: memory per open
  // file stays bounded whatever the row width.
  std::int64_t row_group_arrow_bytes = std::int64_t{64} << 20;
  int zstd_level = 3;
  // Threads a row group's columns are encoded and compressed on (1: the
  // calling thread); see core/encoder_threads.hpp.
  int writer_threads = 1;
};

// Streams `input` into ZSTD-compressed Parquet files under the table root:
// rows are split by partition value into Hive-style directories
// (`country=US/`, NULL as `__HIVE_DEFAULT_PARTITION__`, escaped as Hive
// does), and a new file is started when the target size is reached. The
// input must have exactly the table's columns (by name; types castable to
// the table's without loss), partition columns included; the files hold
// the non-partition columns only, as the protocol requires.
//
// Returns one add action per file (dataChange = true, stats filled,
// path URI-encoded and relative to the table root). On error every file
// written so far is removed and nothing is returned.
[[nodiscard]] Result<std::vector<Add>> write_data_files(Backend& backend, const TableLayout& layout,
                                                        arrow::RecordBatchReader& input,
                                                        const DataFileOptions& options = {});

// The stats JSON of one file's rows (exposed for tests and for rewrites
// that already hold the rows in memory).
[[nodiscard]] Result<std::string> compute_stats(const TableLayout& layout, const arrow::RecordBatch& rows);

}  // namespace lake::delta

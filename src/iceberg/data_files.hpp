// Data files of an Iceberg table: Parquet whose columns carry their field
// ids (readers match columns by id, so renames never misread), split by
// the partition spec's transforms, with the metrics manifests record for
// file skipping (the spec's "Manifests" data_file fields), taken from the
// Parquet footer:
//   column_sizes, value_counts, null_value_counts per leaf field id;
//   nan_value_counts for float and double columns, counted as rows arrive;
//   lower_bounds / upper_bounds in the single-value form for primitive
//   columns outside lists and maps (Parquet's statistics leave NaN out, as
//   Iceberg's bounds must), strings and binaries cut to 16 characters or
//   bytes with the upper bound raised so it still bounds (Iceberg's
//   default metrics mode, truncate(16)); a value that cannot be raised
//   leaves the upper bound out.
#pragma once

#include <arrow/record_batch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "iceberg/manifest.hpp"
#include "iceberg/table_metadata.hpp"
#include "lake/storage/backend.hpp"

namespace lake::iceberg {

struct DataFileOptions {
  // A file is closed and the next one started at this many rows.
  std::int64_t file_rows = 4 << 20;
  std::int64_t row_group_rows = 1 << 20;
  int zstd_level = 3;
  // Threads a row group's columns are encoded and compressed on (1: the
  // calling thread); see core/encoder_threads.hpp.
  int writer_threads = 1;
};

// `input`'s rows in `table`, the table's Arrow schema (field ids
// included): columns matched by name, missing nullable ones NULL, types
// cast where no value changes. ErrorCode::schema_mismatch names a column
// the table lacks, a missing required one, NULLs in a required one, or a
// type that does not convert.
[[nodiscard]] Result<std::shared_ptr<arrow::RecordBatch>> conform(const arrow::RecordBatch& input,
                                                                  const arrow::Schema& table);

// Writes `input` (its columns named as the current schema's top-level
// fields, types castable to theirs without loss) as data files of the
// default partition spec under the table location's `data/` (a location
// on `backend`: see key_of), recording their absolute locations. Returns
// one file per partition
// per `options.file_rows`, in the order written; on error, removes the
// files it wrote and returns the error. ErrorCode::schema_mismatch names a
// column the table lacks or a type that does not convert.
[[nodiscard]] Result<std::vector<ContentFile>> write_data_files(Backend& backend, const TableMetadata& table,
                                                                arrow::RecordBatchReader& input,
                                                                const DataFileOptions& options = {});

}  // namespace lake::iceberg

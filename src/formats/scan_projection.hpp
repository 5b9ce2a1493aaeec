// A scan's projection and row filter, the same for every format: which
// columns to read from the data files (those asked for plus those the
// filter reads), and each batch read filtered and cut down to the columns
// asked for. The formats only decide which files to read and how.
#pragma once

#include <arrow/compute/expression.h>
#include <arrow/record_batch.h>
#include <arrow/type.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lake/error.hpp"

namespace lake::formats {

struct ScanColumns {
  // The columns asked for (every column when none were), in the order asked.
  std::shared_ptr<arrow::Schema> output;
  // Those plus the filter's, in the table's order: what the files are read with.
  std::vector<std::string> read;
  // The filter bound to the `read` columns.
  std::optional<arrow::compute::Expression> filter;
};

// The scan of `table` for `requested` columns and `filter`.
// ErrorCode::schema_mismatch naming a column the table does not have (or
// one the filter names; see bind_filter).
[[nodiscard]] Result<ScanColumns> scan_columns(const arrow::Schema& table, const std::vector<std::string>& requested,
                                               const std::optional<arrow::compute::Expression>& filter);

// `batch` (read with `columns.read`) with the rows the filter keeps (NULL
// drops a row, as SQL's WHERE does), projected to `columns.output`.
[[nodiscard]] Result<std::shared_ptr<arrow::RecordBatch>> filter_and_project(
    const std::shared_ptr<arrow::RecordBatch>& batch, const ScanColumns& columns);

// `input`'s batches (read with `columns.read`) through filter_and_project;
// batches no row of which passes are skipped.
[[nodiscard]] std::shared_ptr<arrow::RecordBatchReader> filtered_reader(std::shared_ptr<arrow::RecordBatchReader> input,
                                                                        ScanColumns columns);

}  // namespace lake::formats

// Reading a snapshot's data files: file skipping by partition values and
// stats, and a lazy stream of the rows in the table's Arrow schema.
// Predicates are Arrow compute expressions over column names
//   (arrow::compute::and_(equal(field_ref("country"), literal("US")), ...)).
// Internal to the Delta implementation.
#pragma once

#include <arrow/compute/expression.h>
#include <arrow/record_batch.h>
#include <arrow/table.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "delta/table_layout.hpp"
#include "lake/delta/actions.hpp"
#include "lake/storage/backend.hpp"

namespace lake::delta {

// False only when the file provably holds no row for which `filter` is
// true, judging by its partition values and stats (missing stats: true).
// ErrorCode::schema_mismatch when the filter names an unknown column or
// compares incompatible types.
[[nodiscard]] Result<bool> may_match(const TableLayout& layout, const Add& file,
                                     const arrow::compute::Expression& filter);

// The files of `files` that may match (all of them without a filter).
[[nodiscard]] Result<std::vector<Add>> prune_files(const TableLayout& layout, const std::vector<Add>& files,
                                                   const std::optional<arrow::compute::Expression>& filter);

// Every row of one data file in the table's Arrow schema (or only
// `columns`, in that order): partition columns filled from the add's
// partition values, columns the file lacks (added by schema evolution
// later) as NULLs, types cast to the table's.
[[nodiscard]] Result<std::shared_ptr<arrow::Table>> read_data_file(Backend& backend, const TableLayout& layout,
                                                                   const Add& file,
                                                                   std::vector<std::string> columns = {});

struct ScanOptions {
  std::vector<std::string> columns;  // empty: all, in table order
  std::optional<arrow::compute::Expression> filter;  // rows where it is true (NULL counts as false)
  std::int64_t batch_rows = 64 * 1024;
  int threads = 1;  // files decoded at once (formats/read_ahead.hpp)
};

// A lazy stream over `files` (already pruned or not: pruning is applied
// again), reading each file with ranged reads of the needed column chunks
// only, one row group at a time, so memory stays bounded by a row group
// per file being read: one file at a time, or options.threads files at
// once, read ahead on as many threads and returned in file order.
// The reader keeps the backend alive.
[[nodiscard]] Result<std::shared_ptr<arrow::RecordBatchReader>> scan_files(std::shared_ptr<Backend> backend,
                                                                         const TableLayout& layout,
                                                                         std::vector<Add> files,
                                                                         const ScanOptions& options);

}  // namespace lake::delta

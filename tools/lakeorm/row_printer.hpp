// Printing query results for people and for pipes: an aligned text table
// (the first `limit` rows, so column widths can be measured), JSON lines or
// one JSON array (every row, streamed batch by batch, so memory stays flat
// however large the result is).
#pragma once

#include <arrow/record_batch.h>

#include <cstdint>
#include <ostream>

#include <lake/error.hpp>

namespace lakeorm {

enum class RowFormat { table, json_lines, json };

struct PrintOptions {
  RowFormat format = RowFormat::table;
  std::int64_t limit = 1000;  // table format only; 0: no limit
};

// Prints every row of `rows` to `out`; returns how many rows were printed.
[[nodiscard]] lake::Result<std::int64_t> print_rows(arrow::RecordBatchReader& rows, std::ostream& out,
                                                    const PrintOptions& options);

}  // namespace lakeorm

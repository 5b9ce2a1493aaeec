// Per-file statistics (PROTOCOL.md "Per-file Statistics"), gathered batch
// by batch while a data file is written and rendered as the add action's
// stats JSON. Internal to the Delta implementation.
//
// What is recorded, and why:
//   - numRecords, and nullCount for every indexed leaf column;
//   - minValues / maxValues for numbers, decimals, dates, timestamps,
//     strings and booleans (as delta-rs does), only when they are valid
//     bounds for every reader:
//       floats: none when the file has a NaN (NaN compares false with
//       everything, so no finite bound describes it) and none that is
//       infinite (JSON has no spelling for it);
//       strings: min cut to 32 characters (a prefix is still a lower
//       bound), max left out when longer than 32 (a cut max is not an
//       upper bound);
//       timestamps: milliseconds, min rounded down and max rounded up;
//       decimals: the exact decimal text, never a binary float;
//   - binary, list and map columns: nullCount only (of the value itself);
//   - partition columns: nothing (their value is in partitionValues).
// Indexed columns are the first delta.dataSkippingNumIndexedCols leaf
// columns (fields of structs count one by one) after the partition columns
// are set aside; structs nest in the JSON as they do in the schema.
#pragma once

#include <arrow/record_batch.h>
#include <arrow/scalar.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "delta/table_layout.hpp"
#include "lake/error.hpp"

namespace lake::delta {

class FileStatsCollector {
 public:
  explicit FileStatsCollector(const TableLayout& layout);

  // Adds rows: a batch holding (at least) the table's non-partition
  // columns, by name, in the table's Arrow types.
  [[nodiscard]] Status add(const arrow::RecordBatch& rows);

  [[nodiscard]] std::int64_t num_records() const noexcept { return records_; }
  [[nodiscard]] std::string to_json() const;

 private:
  struct Leaf {
    std::vector<std::string> path;        // top-level column, then struct fields
    std::vector<std::string> stats_path;  // the same by physical name (column mapping), as stats key it
    std::shared_ptr<arrow::DataType> type;
    bool has_bounds = false;  // a type min/max are kept for
    std::int64_t null_count = 0;
    bool saw_nan = false;
    std::shared_ptr<arrow::Scalar> min;
    std::shared_ptr<arrow::Scalar> max;
  };
  [[nodiscard]] Status add_bounds(Leaf& leaf, const arrow::Array& values);

  std::vector<Leaf> leaves_;
  std::int64_t records_ = 0;
};

}  // namespace lake::delta

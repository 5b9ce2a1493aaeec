// Making Arrow data fit a table's column types, in the two directions data
// crosses: strictly for rows being written (a value must never change on
// its way into the table), leniently for columns read from data files
// (other writers store the same logical type differently: int32 dates,
// nanosecond or zone-less timestamps, large strings, ...). Internal to the
// Delta implementation.
#pragma once

#include <arrow/array.h>
#include <arrow/record_batch.h>
#include <arrow/type.h>

#include <memory>
#include <string_view>

#include "lake/error.hpp"

namespace lake::delta {

// `input` as a batch of exactly the `table` schema: columns matched by name
// (any order), each cast to the table's type when that widens without loss
// (int32 into int64, decimal(5,2) into decimal(10,2), large_string into
// string, ...). ErrorCode::schema_mismatch naming the column when a column
// is missing or extra, has a type that would need a narrowing cast, or
// holds NULLs where the table (or a nested field) does not allow them.
[[nodiscard]] Result<std::shared_ptr<arrow::RecordBatch>> conform_input_batch(
    const arrow::RecordBatch& input, const std::shared_ptr<arrow::Schema>& table);

// A column read from the data file `file`, cast to `field`'s type (time
// units may be truncated to microseconds; struct fields are matched by
// name, missing nullable ones read as NULL). ErrorCode::schema_mismatch
// naming the column and file when the cast is impossible or NULLs appear
// in a non-nullable column.
[[nodiscard]] Result<std::shared_ptr<arrow::Array>> conform_file_column(const std::shared_ptr<arrow::Array>& column,
                                                                       const arrow::Field& field,
                                                                       std::string_view file);

}  // namespace lake::delta

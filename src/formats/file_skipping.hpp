// File skipping for every format: what a data file says about its columns
// (a partition value, bounds, null and value counts), handed to Arrow's
// expression simplifier together with the filter. A file is skipped only
// when, under every case its rows can be in, the simplified filter can
// never be true. The formats differ only in where the facts come from
// (Delta: partition values and stats JSON; Iceberg: identity partitions
// and manifest metrics by field id).
#pragma once

#include <arrow/compute/expression.h>
#include <arrow/scalar.h>
#include <arrow/type.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "lake/error.hpp"

namespace lake::formats {

// What one file says about one column. Either an exact value (a partition
// value: every row has it; a null scalar: every row is NULL), or bounds
// and counts, each possibly unknown. Bounds leave NaN out (writers that
// take them from Parquet statistics do), so float columns also get a NaN
// case.
struct ColumnFacts {
  std::shared_ptr<arrow::Scalar> exact{};
  std::shared_ptr<arrow::Scalar> min{};
  std::shared_ptr<arrow::Scalar> max{};
  std::optional<std::int64_t> null_count{};
  std::optional<std::int64_t> value_count{};  // rows, NULLs included
};

// The facts for the column at `path` (of type `field`'s) in the schema the
// filter was bound to; nullopt when the file says nothing about it.
using FileFacts = std::function<std::optional<ColumnFacts>(const arrow::FieldPath& path, const arrow::Field& field)>;

// Whether `bound_filter` (formats::bind_filter's result, on `schema`) may
// be true for some row of the file. `file` names it in errors.
[[nodiscard]] Result<bool> may_match(const arrow::compute::Expression& bound_filter, const arrow::Schema& schema,
                                     const FileFacts& facts, std::string_view file);

}  // namespace lake::formats

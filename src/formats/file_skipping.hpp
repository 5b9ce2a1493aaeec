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
#include <vector>

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

// A filter prepared once for asking of many files whether they may hold a
// matching row. A filter that is a comparison of a column with a value, or
// an AND of such comparisons (what a point lookup or a range pushes down),
// is decided from the facts directly, a few scalar comparisons per file;
// any other goes through Arrow's simplifier once per combination of cases.
// Either way a file is skipped only when none of its rows can match.
class FileSkipping {
 public:
  // `bound_filter`: formats::bind_filter's result, on `schema`.
  FileSkipping(arrow::compute::Expression bound_filter, const arrow::Schema& schema);

  // Whether the filter may be true for some row of the file. `file` names
  // it in errors.
  [[nodiscard]] Result<bool> may_match(const FileFacts& facts, std::string_view file) const;

 private:
  struct Column {
    arrow::FieldPath path;
    std::shared_ptr<arrow::Field> field;
  };
  enum class Comparison : std::uint8_t { equal, less, less_equal, greater, greater_equal };
  struct Conjunct {
    std::size_t column;  // in columns_
    Comparison comparison;
    std::shared_ptr<arrow::Scalar> value;  // valid, of the column's type
  };

  // The filter's comparisons when it is an AND of `column op value` (a
  // valid, non-NaN value of the column's type); empty otherwise.
  [[nodiscard]] static std::vector<Conjunct> conjuncts_of(const arrow::compute::Expression& filter,
                                                          const std::vector<Column>& columns);
  // Whether a row the facts describe may satisfy `column op value`;
  // nullopt when the facts' values cannot be compared with it here.
  [[nodiscard]] static std::optional<bool> may_satisfy(const ColumnFacts& facts, Comparison comparison,
                                                       const arrow::Scalar& value);
  [[nodiscard]] std::optional<bool> decide_directly(const FileFacts& facts) const;
  [[nodiscard]] Result<bool> simplify_per_case(const FileFacts& facts, std::string_view file) const;

  arrow::compute::Expression filter_;
  std::vector<Column> columns_;      // every column the filter reads that the schema has
  std::vector<Conjunct> conjuncts_;  // empty: the filter is not of the direct shape
};

// Whether `bound_filter` (formats::bind_filter's result, on `schema`) may
// be true for some row of the file, for a single question (FileSkipping
// for many files). `file` names it in errors.
[[nodiscard]] Result<bool> may_match(const arrow::compute::Expression& bound_filter, const arrow::Schema& schema,
                                     const FileFacts& facts, std::string_view file);

}  // namespace lake::formats

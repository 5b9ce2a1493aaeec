// Row filters (Arrow compute expressions over column names) bound to a
// table's columns, with errors that name the offending column; every
// format binds its filters here.
#pragma once

#include <arrow/compute/expression.h>
#include <arrow/type.h>

#include <string>
#include <vector>

#include "lake/error.hpp"

namespace lake::formats {

// `filter` bound to `schema`, with every field reference rewritten as a
// field path (so two references to one column compare equal however the
// caller spelled them). ErrorCode::schema_mismatch naming the column when
// the filter names a column `schema` lacks or compares a column with a
// value of an incompatible type; ErrorCode::invalid_argument when the
// filter is not a boolean expression.
[[nodiscard]] Result<arrow::compute::Expression> bind_filter(const arrow::compute::Expression& filter,
                                                             const arrow::Schema& schema);

// The top-level columns a bound filter reads, in schema order.
[[nodiscard]] std::vector<std::string> columns_read_by(const arrow::compute::Expression& bound_filter,
                                                       const arrow::Schema& schema);

// A filter ready to run on a file read through the columns it needs only
// (a rewrite reads a file whole only once one of its rows matched).
struct NarrowFilter {
  // `read_anyway` (e.g. a merge's key columns), then the other top-level
  // columns the filter reads, in schema order. Empty when both are: the
  // filter reads no column, so a file has to be read whole.
  std::vector<std::string> columns;
  // The filter bound to a schema of just `columns` (to `schema` when
  // `columns` is empty).
  arrow::compute::Expression bound;
};
[[nodiscard]] Result<NarrowFilter> narrow_filter(const arrow::compute::Expression& filter, const arrow::Schema& schema,
                                                 std::vector<std::string> read_anyway = {});

}  // namespace lake::formats

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

}  // namespace lake::formats

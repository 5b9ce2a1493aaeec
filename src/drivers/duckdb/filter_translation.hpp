// DuckDB filter expressions as Arrow predicates for file skipping.
#pragma once

#include <arrow/compute/expression.h>

#include <optional>

#include <duckdb/planner/expression.hpp>
#include <duckdb/planner/operator/logical_get.hpp>

namespace lake::duckdb {

// A predicate implied by `filter` (every row for which the filter is true
// satisfies it) over the scan's columns, or nullopt when nothing useful is
// implied. Conjunctions keep the parts that translate; a disjunction
// translates only whole. Comparisons of a column with a constant, BETWEEN,
// IN lists and IS [NOT] NULL translate.
[[nodiscard]] std::optional<arrow::compute::Expression> implied_predicate(const ::duckdb::Expression& filter,
                                                                          const ::duckdb::LogicalGet& get);

}  // namespace lake::duckdb

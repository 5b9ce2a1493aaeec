// Arrow compute expressions as Spark SQL: the predicates callers give
// delete_where and a raw merge's filter become a WHERE clause whose
// column names are quoted identifiers and whose values are `?` markers
// with the values alongside, bound by Spark, never spliced into the text.
#pragma once

#include <arrow/compute/expression.h>

#include <string>
#include <string_view>
#include <vector>

#include "lake/error.hpp"
#include "lake/sql.hpp"

namespace lake::spark_sql {

struct SqlFragment {
  std::string text;
  std::vector<SqlValue> params;  // in the order of the text's `?` markers
};

// The expression as a boolean SQL expression. Column references become
// `qualifier`.`column` (just `column` when qualifier is empty).
// Comparisons, and/or/not, is_null/is_valid and is_in are understood;
// anything else is ErrorCode::unsupported naming the function.
//
// Spark evaluates the text with its own semantics, which differ from
// Arrow's for NaN (Spark: NaN equals NaN and is greater than every other
// number; Arrow: comparisons with NaN are false).
[[nodiscard]] Result<SqlFragment> to_spark_sql(const arrow::compute::Expression& expression,
                                               std::string_view qualifier = {});

// The fragment's text with its values written in as SQL literals
// (strings quoted and escaped), for the places Spark cannot bind: Delta's
// OPTIMIZE ... WHERE (its parser keeps the predicate as text) and
// Iceberg's procedures (which take a predicate as a string).
[[nodiscard]] std::string inline_parameters(const SqlFragment& fragment);

}  // namespace lake::spark_sql

// Statement parameters as Spark Connect literal expressions.
//
// Values travel in the SQL relation's pos_arguments (for `?`) or
// named_arguments (for `:name`) as typed literals, and Spark binds them
// after parsing: they are never spliced into the SQL text, so a string
// such as "x' OR '1'='1" is only ever a string.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lake/error.hpp"
#include "lake/sql.hpp"
#include "spark/connect/expressions.pb.h"
#include "spark/connect/relations.pb.h"

namespace lake::spark {

// A value for a `:name` marker.
struct NamedSqlValue {
  std::string name;
  SqlValue value;
};

// The literal expression for one value. A NULL is typed NullType (Spark
// coerces it to the column's type where it is used).
[[nodiscard]] Result<::spark::connect::Expression> to_literal_expression(const SqlValue& value);

// The SQL relation for `sql` with either positional or named parameters
// (Spark accepts one kind per statement: both at once is invalid_argument).
[[nodiscard]] Result<::spark::connect::Relation> sql_relation(std::string_view sql, std::span<const SqlValue> positional,
                                                             std::span<const NamedSqlValue> named);

}  // namespace lake::spark

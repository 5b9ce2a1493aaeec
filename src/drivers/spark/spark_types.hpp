// Spark's data types (as AnalyzePlan reports a schema) in Arrow's terms,
// the types Spark itself uses when it sends results as Arrow: timestamps
// are microseconds (UTC-adjusted ones with time zone "UTC", as a session
// in UTC sends them), decimals keep precision and scale, char/varchar are
// strings.
#pragma once

#include <memory>

#include <arrow/type.h>

#include "lake/error.hpp"
#include "spark/connect/types.pb.h"

namespace lake::spark {

[[nodiscard]] Result<std::shared_ptr<arrow::DataType>> to_arrow_type(const ::spark::connect::DataType& type);

// The schema of a struct type (a plan's output); unsupported for others.
[[nodiscard]] Result<std::shared_ptr<arrow::Schema>> to_arrow_schema(const ::spark::connect::DataType& type);

}  // namespace lake::spark

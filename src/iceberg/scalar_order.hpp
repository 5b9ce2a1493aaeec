// The order Iceberg's bounds follow, on Arrow scalars of one type: numbers
// by value (a NaN is unordered), strings and bytes by their bytes (UTF-8's
// byte order is code point order), decimals by their unscaled value.
#pragma once

#include <arrow/scalar.h>

#include <compare>

namespace lake::iceberg {

// Two non-null values of one type.
[[nodiscard]] std::partial_ordering compare_values(const arrow::Scalar& a, const arrow::Scalar& b);
[[nodiscard]] bool is_nan(const arrow::Scalar& value);

}  // namespace lake::iceberg

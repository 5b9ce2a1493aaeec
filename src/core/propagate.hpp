// Error propagation inside lake-orm, in the manner of Arrow's
// ARROW_RETURN_NOT_OK / ARROW_ASSIGN_OR_RAISE and iceberg-cpp's
// ICEBERG_RETURN_UNEXPECTED / ICEBERG_ASSIGN_OR_RAISE: one spelling for
// "on error, hand the error to my caller", so no call site can return the
// wrong variable's error. Internal (library code and its tests).
//
//   LAKE_RETURN_IF_ERROR(table.refresh());          // a Status or a Result
//   LAKE_ASSIGN_OR_RETURN(auto files, table.files());  // files: the value
//
// The enclosing function returns a lake::Result<T> or lake::Status.
#pragma once

#include <expected>
#include <utility>

#define LAKE_PROPAGATE_CONCAT_INNER(a, b) a##b
#define LAKE_PROPAGATE_CONCAT(a, b) LAKE_PROPAGATE_CONCAT_INNER(a, b)

// Evaluates `expr` (a lake::Result or lake::Status) once; on error,
// returns a copy of that error from the enclosing function. (A copy, so a
// named result or a stored status given as `expr` is left as it was.)
// (Each use names its variable afresh, so a use inside a lambda inside
// another use's expression shadows nothing.)
#define LAKE_RETURN_IF_ERROR(expr) \
  LAKE_RETURN_IF_ERROR_IMPL(LAKE_PROPAGATE_CONCAT(lake_propagated_, __COUNTER__), expr)
#define LAKE_RETURN_IF_ERROR_IMPL(lake_status, expr)               \
  do {                                                             \
    if (const auto& lake_status = (expr); !lake_status)            \
      return std::unexpected(lake_status.error());                 \
  } while (false)

// Evaluates `expr` (a lake::Result<T>, taken by value) once; on error,
// returns the error from the enclosing function, else initialises or
// assigns `lhs` from the value (moved out of the copy).
#define LAKE_ASSIGN_OR_RETURN(lhs, expr) \
  LAKE_ASSIGN_OR_RETURN_IMPL(LAKE_PROPAGATE_CONCAT(lake_result_, __COUNTER__), lhs, expr)
#define LAKE_ASSIGN_OR_RETURN_IMPL(result, lhs, expr)                           \
  auto result = (expr);                                                         \
  if (!result) return std::unexpected(std::move(result).error());              \
  lhs = std::move(result).value()

// Errors across the Arrow boundary.
#pragma once

#include <arrow/status.h>

#include <optional>
#include <string_view>

#include "lake/error.hpp"

namespace lake::detail {

// The one place Arrow statuses become lake errors (keeping Arrow's message),
// and the one place lake errors become statuses for Arrow's interfaces (a
// RecordBatchReader, a RandomAccessFile). An Error that went through
// to_arrow_status comes back with its own code and detail; any other status
// gets the closest code.
[[nodiscard]] Error from_arrow_status(const arrow::Status& status, std::string_view context);
[[nodiscard]] arrow::Status to_arrow_status(const Error& error);

// The code of a lake error named in an error text that passed through
// Arrow, Parquet or DuckDB as text only (to_arrow_status marks it), the
// innermost one when there are several; nullopt when none is.
[[nodiscard]] std::optional<ErrorCode> code_named_in(std::string_view text);

}  // namespace lake::detail

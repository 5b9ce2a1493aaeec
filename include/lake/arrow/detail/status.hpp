// Errors across the Arrow boundary.
#pragma once

#include <arrow/status.h>

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

}  // namespace lake::detail

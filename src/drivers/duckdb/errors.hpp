// The one place DuckDB's errors become lake errors (the message kept).
#pragma once

#include <string_view>

#include <duckdb/common/error_data.hpp>

#include "lake/error.hpp"

namespace lake::duckdb {

[[nodiscard]] Error from_duckdb_error(const ::duckdb::ErrorData& error, std::string_view context);

}  // namespace lake::duckdb

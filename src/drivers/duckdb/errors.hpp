// The one place DuckDB's errors become lake errors (the message kept), and
// lake errors raised inside DuckDB (a table that cannot be opened at bind
// time) become DuckDB exceptions that come back as the same code.
#pragma once

#include <string_view>

#include <duckdb/common/error_data.hpp>

#include "lake/error.hpp"

namespace lake::duckdb {

[[nodiscard]] Error from_duckdb_error(const ::duckdb::ErrorData& error, std::string_view context);

// Throws the DuckDB exception from_duckdb_error maps back to error's code
// (unsupported stays unsupported, not_found stays not_found, ...); codes
// DuckDB has no kind for travel as I/O errors.
[[noreturn]] void throw_in_duckdb(const Error& error);

}  // namespace lake::duckdb

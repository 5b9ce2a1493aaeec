// Statement parameters as DuckDB values.
#pragma once

#include <span>

#include <duckdb/common/types/value.hpp>

#include "lake/sql.hpp"

namespace lake::duckdb {

[[nodiscard]] ::duckdb::vector<::duckdb::Value> to_duckdb_values(std::span<const SqlValue> params);

}  // namespace lake::duckdb

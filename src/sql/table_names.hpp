// A table name as a caller gives it ("name", "database.name" or
// "catalog.database.name") made safe for any engine's SQL: each part
// quoted the engine's way, so any characters in it stay part of the name.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "lake/error.hpp"

namespace lake::sql {

using QuoteIdentifier = std::function<std::string(std::string_view)>;

// invalid_argument for an empty part or more than three.
[[nodiscard]] Result<std::string> quoted_table_name(std::string_view name, const QuoteIdentifier& quote);

}  // namespace lake::sql

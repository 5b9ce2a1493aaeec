// Time travel in a table name, as SQL statements spell it: "users@v12"
// (a snapshot id: Delta's version; Iceberg's snapshot id) or
// "users@2026-11-21T10:00:00Z" (the latest snapshot committed at or
// before a moment, with a zone offset or Z).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "formats/table_format.hpp"
#include "lake/error.hpp"

namespace lake::formats {

struct TimeTravelName {
  std::string table;
  std::optional<SnapshotSelector> at{};  // unset: the latest snapshot
};

// ErrorCode::invalid_argument, with both forms as examples, for a name
// whose part after '@' is neither.
[[nodiscard]] Result<TimeTravelName> parse_time_travel(std::string_view text);

}  // namespace lake::formats

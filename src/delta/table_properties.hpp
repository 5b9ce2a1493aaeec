// Reading the table properties (metaData.configuration) lake-orm acts on.
// Internal to the Delta implementation.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "lake/delta/actions.hpp"
#include "lake/error.hpp"

namespace lake::delta {

// A Spark interval property ("interval 7 days", "7 days", "interval 2
// days 12 hours"; weeks down to microseconds; months and years refused).
[[nodiscard]] Result<std::chrono::milliseconds> parse_interval(std::string_view text);

// delta.deletedFileRetentionDuration (default one week): how long removed
// files stay for time travel and readers still on older versions.
[[nodiscard]] Result<std::chrono::milliseconds> deleted_file_retention(const Metadata& metadata);

// The items with `separator` between them (for messages and properties).
[[nodiscard]] std::string join(const std::vector<std::string>& items, std::string_view separator);

}  // namespace lake::delta

// Partition values as the Delta log spells them (PROTOCOL.md "Partition
// Value Serialization") and as Hive-style directory names. Internal to the
// Delta implementation.
#pragma once

#include <arrow/scalar.h>
#include <arrow/type.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "lake/error.hpp"

namespace lake::delta {

// Hive's directory name for a NULL partition value.
inline constexpr std::string_view kNullPartitionDirectory = "__HIVE_DEFAULT_PARTITION__";

// The log's string for one partition value: integers and decimals as plain
// decimal text, booleans "true"/"false", dates yyyy-MM-dd, timestamps
// "yyyy-MM-dd HH:mm:ss.SSSSSS" in UTC, strings as they are. NULL is
// nullopt, and so is the empty string, which the protocol reads as NULL.
// ErrorCode::unsupported for types that cannot be partition columns.
[[nodiscard]] Result<std::optional<std::string>> serialize_partition_value(const arrow::Scalar& value);

// The value of `column` (of Arrow type `type`) an add's partition value
// stands for: a NULL scalar for nullopt or "". Also reads the other
// spellings the protocol allows (ISO 8601 timestamps, "1970-01-01 00:00:00").
[[nodiscard]] Result<std::shared_ptr<arrow::Scalar>> parse_partition_value(
    const std::optional<std::string>& text, const std::shared_ptr<arrow::DataType>& type, std::string_view column);

// "column=value" as a directory name, escaped as Hive and Spark escape
// them (so every engine finds the same directory), NULL as
// __HIVE_DEFAULT_PARTITION__.
[[nodiscard]] std::string hive_directory(std::string_view column, const std::optional<std::string>& value);

}  // namespace lake::delta

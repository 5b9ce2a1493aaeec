// Reading the one-row outputs of SQL commands (MERGE's counts, OPTIMIZE's
// metrics, procedures' results): a missing or NULL value reads as 0.
#pragma once

#include <arrow/table.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string_view>

namespace lake::spark_sql {

// `column` of the output's first row, as an integer.
[[nodiscard]] std::int64_t output_count(const std::shared_ptr<arrow::Table>& output, std::string_view column);
// `column`.path... of the first row, through nested structs.
[[nodiscard]] std::int64_t output_field(const std::shared_ptr<arrow::Table>& output, std::string_view column,
                                        std::initializer_list<std::string_view> path);

}  // namespace lake::spark_sql

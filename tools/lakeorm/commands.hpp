// The lakeorm subcommands. Each takes an open Client and its parsed
// arguments, prints its result on stdout (progress and errors go to
// stderr) and returns an error for main() to report.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <lake/client.hpp>

#include "row_printer.hpp"

namespace lakeorm {

// How a command prints its result: for people, or one JSON document on
// stdout for scripts (--format json).
enum class OutputFormat { text, json };

struct InspectArgs {
  std::string table{};
  std::size_t history = 10;
  OutputFormat format = OutputFormat::text;
};
[[nodiscard]] lake::Status inspect(const lake::Client& db, const InspectArgs& args);

// The table's schema as lake-orm sees it: columns with their keys,
// partitioning, properties, and the fingerprint a matching struct has.
struct DescribeArgs {
  std::string table{};
  OutputFormat format = OutputFormat::text;
};
[[nodiscard]] lake::Status describe(const lake::Client& db, const DescribeArgs& args);

struct HistoryArgs {
  std::string table{};
  std::size_t limit = 20;
  OutputFormat format = OutputFormat::text;
};
[[nodiscard]] lake::Status history(const lake::Client& db, const HistoryArgs& args);

struct SqlArgs {
  std::string sql{};
  lake::SqlParams params{};
  PrintOptions print{};
};
[[nodiscard]] lake::Status sql(const lake::Client& db, const SqlArgs& args);

struct OptimizeArgs {
  std::string table{};
  std::vector<std::string> zorder_by{};
  std::optional<std::int64_t> target_file_bytes{};
  OutputFormat format = OutputFormat::text;
};
[[nodiscard]] lake::Status optimize(const lake::Client& db, const OptimizeArgs& args);

struct VacuumArgs {
  std::string table{};
  std::optional<std::chrono::seconds> retention{};
  bool dry_run = false;
  bool force = false;  // allow a retention shorter than the table's
  OutputFormat format = OutputFormat::text;
};
[[nodiscard]] lake::Status vacuum(const lake::Client& db, const VacuumArgs& args);

struct CleanupArgs {
  std::chrono::seconds older_than{std::chrono::hours(24)};
  OutputFormat format = OutputFormat::text;
};
[[nodiscard]] lake::Status cleanup(const lake::Client& db, const CleanupArgs& args);

[[nodiscard]] lake::Status verify(const lake::Client& db, OutputFormat format);

}  // namespace lakeorm

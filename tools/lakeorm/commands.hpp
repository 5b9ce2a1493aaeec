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

struct InspectArgs {
  std::string table{};
  std::size_t history = 10;
};
[[nodiscard]] lake::Status inspect(const lake::Client& db, const InspectArgs& args);

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
};
[[nodiscard]] lake::Status optimize(const lake::Client& db, const OptimizeArgs& args);

struct VacuumArgs {
  std::string table{};
  std::optional<std::chrono::seconds> retention{};
  bool dry_run = false;
  bool force = false;  // allow a retention shorter than the table's
};
[[nodiscard]] lake::Status vacuum(const lake::Client& db, const VacuumArgs& args);

struct CleanupArgs {
  std::chrono::seconds older_than{std::chrono::hours(24)};
};
[[nodiscard]] lake::Status cleanup(const lake::Client& db, const CleanupArgs& args);

[[nodiscard]] lake::Status verify(const lake::Client& db);

}  // namespace lakeorm

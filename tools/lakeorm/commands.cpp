#include "commands.hpp"

#include <iostream>
#include <print>

#include "progress_line.hpp"

namespace lakeorm {
namespace {

std::string human_bytes(std::int64_t bytes) {
  constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? std::format("{} B", bytes) : std::format("{:.1f} {}", value, units[unit]);
}

}  // namespace

lake::Status inspect(const lake::Client& db, const InspectArgs& args) {
  const auto ref = db.table_ref(args.table);
  auto info = db.driver().describe(ref);
  if (!info) return std::unexpected(info.error());
  if (!*info) {
    return lake::fail(lake::ErrorCode::not_found,
                      std::format("no table '{}' at {}", args.table, db.backend().uri_of(ref.location)));
  }
  const auto& table = **info;
  std::println("table      {}", args.table);
  std::println("location   {}", db.backend().uri_of(ref.location));
  std::println("format     {}, version {}", table.format, table.version);

  std::size_t width = 6;
  for (const auto& column : table.columns) width = std::max(width, column.column.size());
  std::println("\ncolumns");
  for (const auto& column : table.columns) {
    std::println("  {:<{}}  {:<16} {}", column.column, width, column.type.to_string(),
                 column.nullable ? "nullable" : "not null");
  }
  if (!table.partition_columns.empty()) {
    std::string joined;
    for (const auto& column : table.partition_columns) joined += (joined.empty() ? "" : ", ") + column;
    std::println("partitioned by: {}", joined);
  }
  if (!table.properties.empty()) {
    std::println("\nproperties");
    for (const auto& [key, value] : table.properties) std::println("  {} = {}", key, value);
  }

  auto stats = db.maintain().stats(args.table);
  if (!stats) return std::unexpected(stats.error());
  std::println("\nstats");
  std::println("  rows         {}", stats->rows < 0 ? std::string("unknown (files without stats)") : std::to_string(stats->rows));
  std::println("  files        {}", stats->files);
  std::println("  size         {}", human_bytes(stats->bytes));
  std::println("  versions     {} in the log", stats->versions);
  std::println("  last commit  {}", lake::format_timestamp(stats->last_commit));

  if (args.history > 0) {
    auto history = db.maintain().history(args.table, args.history);
    if (!history) return std::unexpected(history.error());
    std::println("\nhistory (latest {})", history->size());
    for (const auto& entry : *history) {
      std::println("  v{:<6} {}  {:<18} {}", entry.version, lake::format_timestamp(entry.committed_at), entry.operation,
                   entry.parameters);
    }
  }
  return {};
}

lake::Status sql(const lake::Client& db, const SqlArgs& args) {
  auto rows = db.query(args.sql, args.params);
  if (!rows) return std::unexpected(rows.error());
  auto printed = print_rows(**rows, std::cout, args.print);
  if (!printed) return std::unexpected(printed.error());
  return {};
}

lake::Status optimize(const lake::Client& db, const OptimizeArgs& args) {
  ProgressLine progress("optimize " + args.table);
  auto report = db.maintain().optimize(
      args.table, {.where = std::nullopt, .zorder_by = args.zorder_by, .target_file_bytes = args.target_file_bytes,
                   .progress = progress.callback()});
  progress.finish();
  if (!report) return std::unexpected(report.error());
  if (report->version < 0) {
    std::println("{}: nothing to compact", args.table);
    return {};
  }
  std::println("{}: version {}: {} files ({}) rewritten into {} ({})", args.table, report->version,
               report->files_removed, human_bytes(report->bytes_removed), report->files_added,
               human_bytes(report->bytes_added));
  return {};
}

lake::Status vacuum(const lake::Client& db, const VacuumArgs& args) {
  ProgressLine progress("vacuum " + args.table);
  lake::VacuumOptions options{.retention = std::nullopt,
                              .allow_short_retention = args.force,
                              .dry_run = args.dry_run,
                              .progress = progress.callback()};
  if (args.retention) options.retention = std::chrono::duration_cast<std::chrono::milliseconds>(*args.retention);
  auto report = db.maintain().vacuum(args.table, options);
  progress.finish();
  if (!report) return std::unexpected(report.error());
  for (const auto& file : report->files) std::println("  {}", file);
  std::println("{}: {} {} files ({})", args.table, report->dry_run ? "would delete" : "deleted", report->files.size(),
               human_bytes(report->bytes));
  return {};
}

lake::Status cleanup(const lake::Client& db, const CleanupArgs& args) {
  ProgressLine progress("cleanup");
  auto report = db.cleanup_staging(args.older_than, progress.callback());
  progress.finish();
  if (!report) return std::unexpected(report.error());
  for (const auto& uri : report->deleted) std::println("  deleted {}", uri);
  for (const auto& uri : report->failed) std::println("  FAILED  {}", uri);
  std::println("staging: {} prefixes scanned, {} deleted, {} failed", report->scanned, report->deleted.size(),
               report->failed.size());
  if (!report->failed.empty()) {
    return lake::fail(lake::ErrorCode::io, std::format("{} staging prefixes could not be removed", report->failed.size()));
  }
  return {};
}

lake::Status verify(const lake::Client& db) {
  if (auto verified = db.verify(); !verified) return verified;
  std::println("verify: ok: the {} engine read back the probe written through the {} backend at {}", db.driver().name(),
               db.backend().name(), db.backend().root_uri());
  return {};
}

}  // namespace lakeorm

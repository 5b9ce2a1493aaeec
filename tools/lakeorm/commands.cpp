#include "commands.hpp"

#include <nlohmann/json.hpp>

#include <iostream>
#include <print>

#include <lake/schema/fingerprint.hpp>
#include <lake/table_schema.hpp>

#include "progress_line.hpp"

namespace lakeorm {
namespace {

// Keys in the order written, for people reading the output.
using json = nlohmann::ordered_json;

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

void print_json(const json& document) { std::println("{}", document.dump(2)); }

// The live table, not_found naming it and where it was looked for.
lake::Result<lake::TableInfo> live_table(const lake::Client& db, const std::string& name) {
  const auto ref = db.table_ref(name);
  auto info = db.driver().describe(ref);
  if (!info) return std::unexpected(info.error());
  if (!*info)
    return lake::fail(lake::ErrorCode::not_found,
                      std::format("no table '{}' at {}", name, db.backend().uri_of(ref.location)));
  return std::move(**info);
}

// Parameters are JSON text; an entry whose text is not JSON keeps it as a string.
json history_json(const std::vector<lake::HistoryEntry>& entries) {
  json out = json::array();
  for (const auto& entry : entries) {
    json parameters = json::parse(entry.parameters, nullptr, /*allow_exceptions=*/false);
    if (parameters.is_discarded()) parameters = entry.parameters;
    out.push_back({{"version", entry.version},
                   {"committed_at", lake::format_timestamp(entry.committed_at)},
                   {"operation", entry.operation},
                   {"parameters", std::move(parameters)}});
  }
  return out;
}

void print_history_text(const std::vector<lake::HistoryEntry>& entries) {
  for (const auto& entry : entries)
    std::println("  v{:<6} {}  {:<18} {}", entry.version, lake::format_timestamp(entry.committed_at), entry.operation,
                 entry.parameters);
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::vector<std::string> column_names(const lake::Schema& schema, const std::vector<std::size_t>& indexes) {
  std::vector<std::string> out;
  for (auto i : indexes) out.push_back(schema.fields[i].column);
  return out;
}

}  // namespace

lake::Status inspect(const lake::Client& db, const InspectArgs& args) {
  auto info = live_table(db, args.table);
  if (!info) return std::unexpected(info.error());
  const auto& table = *info;
  const auto location = db.backend().uri_of(table.table.location);
  auto stats = db.maintain().stats(args.table);
  if (!stats) return std::unexpected(stats.error());
  std::vector<lake::HistoryEntry> entries;
  if (args.history > 0) {
    auto history = db.maintain().history(args.table, args.history);
    if (!history) return std::unexpected(history.error());
    entries = std::move(*history);
  }

  if (args.format == OutputFormat::json) {
    json columns = json::array();
    for (const auto& column : table.columns)
      columns.push_back({{"name", column.column}, {"type", column.type.to_string()}, {"nullable", column.nullable}});
    print_json({{"table", args.table},
                {"location", location},
                {"format", table.format},
                {"version", table.version},
                {"columns", std::move(columns)},
                {"partition_columns", table.partition_columns},
                {"properties", table.properties},
                {"stats",
                 {{"rows", stats->rows < 0 ? json(nullptr) : json(stats->rows)},
                  {"files", stats->files},
                  {"bytes", stats->bytes},
                  {"versions", stats->versions},
                  {"last_commit", lake::format_timestamp(stats->last_commit)}}},
                {"history", history_json(entries)}});
    return {};
  }

  std::println("table      {}", args.table);
  std::println("location   {}", location);
  std::println("format     {}, version {}", table.format, table.version);

  std::size_t width = 6;
  for (const auto& column : table.columns) width = std::max(width, column.column.size());
  std::println("\ncolumns");
  for (const auto& column : table.columns) {
    std::println("  {:<{}}  {:<16} {}", column.column, width, column.type.to_string(),
                 column.nullable ? "nullable" : "not null");
  }
  if (!table.partition_columns.empty()) std::println("partitioned by: {}", joined(table.partition_columns));
  if (!table.properties.empty()) {
    std::println("\nproperties");
    for (const auto& [key, value] : table.properties) std::println("  {} = {}", key, value);
  }

  std::println("\nstats");
  std::println("  rows         {}", stats->rows < 0 ? std::string("unknown (files without stats)") : std::to_string(stats->rows));
  std::println("  files        {}", stats->files);
  std::println("  size         {}", human_bytes(stats->bytes));
  std::println("  versions     {} in the log", stats->versions);
  std::println("  last commit  {}", lake::format_timestamp(stats->last_commit));

  if (args.history > 0) {
    std::println("\nhistory (latest {})", entries.size());
    print_history_text(entries);
  }
  return {};
}

lake::Status describe(const lake::Client& db, const DescribeArgs& args) {
  auto info = live_table(db, args.table);
  if (!info) return std::unexpected(info.error());
  const auto& table = *info;
  const lake::Schema schema = lake::schema_of_table(table);
  const auto fingerprint = lake::schema_fingerprint(schema);
  const auto primary = column_names(schema, schema.primary_keys);
  const auto merge = column_names(schema, schema.merge_keys);

  if (args.format == OutputFormat::json) {
    json columns = json::array();
    for (const auto& field : schema.fields)
      columns.push_back({{"name", field.column},
                         {"type", field.type.to_string()},
                         {"nullable", field.nullable},
                         {"primary_key", field.primary_key},
                         {"merge_key", field.merge_key}});
    print_json({{"table", args.table},
                {"location", db.backend().uri_of(table.table.location)},
                {"format", table.format},
                {"version", table.version},
                {"columns", std::move(columns)},
                {"primary_key", primary},
                {"merge_keys", merge},
                {"partition_columns", table.partition_columns},
                {"properties", table.properties},
                {"fingerprint", fingerprint}});
    return {};
  }

  std::println("table        {} ({}, version {})", args.table, table.format, table.version);
  std::size_t width = 6;
  for (const auto& field : schema.fields) width = std::max(width, field.column.size());
  std::println("\ncolumns");
  for (const auto& field : schema.fields) {
    std::string marks;
    if (field.primary_key) marks += " primary key";
    if (field.merge_key) marks += " merge key";
    std::println("  {:<{}}  {:<16} {}{}", field.column, width, field.type.to_string(),
                 field.nullable ? "nullable" : "not null", marks);
  }
  std::println("\nprimary key  {}", primary.empty() ? "(none)" : joined(primary));
  std::println("merge keys   {}", merge.empty() ? "(none)" : joined(merge));
  std::println("partitioned  {}", table.partition_columns.empty() ? "(no)" : joined(table.partition_columns));
  if (!table.properties.empty()) {
    std::println("\nproperties");
    for (const auto& [key, value] : table.properties) std::println("  {} = {}", key, value);
  }
  std::println("\nfingerprint  {}", fingerprint);
  std::println("             (equals lake::schema_fingerprint<T>() of a struct this table matches)");
  return {};
}

lake::Status history(const lake::Client& db, const HistoryArgs& args) {
  auto entries = db.maintain().history(args.table, args.limit);
  if (!entries) return std::unexpected(entries.error());
  if (args.format == OutputFormat::json) {
    print_json(history_json(*entries));
    return {};
  }
  std::println("{}: the latest {} commit(s), newest first", args.table, entries->size());
  print_history_text(*entries);
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
  if (args.format == OutputFormat::json) {
    print_json({{"table", args.table},
                {"version", report->version < 0 ? json(nullptr) : json(report->version)},
                {"files_removed", report->files_removed},
                {"files_added", report->files_added},
                {"bytes_removed", report->bytes_removed},
                {"bytes_added", report->bytes_added}});
    return {};
  }
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
  if (args.format == OutputFormat::json) {
    print_json({{"table", args.table}, {"dry_run", report->dry_run}, {"files", report->files}, {"bytes", report->bytes}});
    return {};
  }
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
  if (args.format == OutputFormat::json) {
    print_json({{"scanned", report->scanned}, {"deleted", report->deleted}, {"failed", report->failed}});
  } else {
    for (const auto& uri : report->deleted) std::println("  deleted {}", uri);
    for (const auto& uri : report->failed) std::println("  FAILED  {}", uri);
    std::println("staging: {} prefixes scanned, {} deleted, {} failed", report->scanned, report->deleted.size(),
                 report->failed.size());
  }
  if (!report->failed.empty()) {
    return lake::fail(lake::ErrorCode::io, std::format("{} staging prefixes could not be removed", report->failed.size()));
  }
  return {};
}

lake::Status verify(const lake::Client& db, OutputFormat format) {
  if (auto verified = db.verify(); !verified) return verified;
  if (format == OutputFormat::json) {
    print_json({{"ok", true},
                {"engine", db.driver().name()},
                {"backend", db.backend().name()},
                {"root", db.backend().root_uri()}});
    return {};
  }
  std::println("verify: ok: the {} engine read back the probe written through the {} backend at {}", db.driver().name(),
               db.backend().name(), db.backend().root_uri());
  return {};
}

}  // namespace lakeorm

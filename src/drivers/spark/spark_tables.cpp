// The Spark driver's tables: creating (or registering) a table and checking
// the live one is the schema's, and their maintenance: Delta's OPTIMIZE and
// VACUUM, Iceberg's rewrite_data_files and expire_snapshots procedures.
#include <arrow/array.h>
#include <arrow/scalar.h>
#include <arrow/table.h>

#include <charconv>
#include <chrono>
#include <format>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "drivers/delta_metadata.hpp"
#include "drivers/spark/iceberg_tables.hpp"
#include "drivers/spark/spark_driver_impl.hpp"
#include "drivers/spark/write_statements.hpp"
#include "lake/delta/table.hpp"
#include "lake/dialect.hpp"

namespace lake::spark {
namespace {

// Delta's session settings for maintenance (DeltaSQLConf): VACUUM's check
// against retentions shorter than the table's, and OPTIMIZE's file size.
constexpr std::string_view kRetentionCheck = "spark.databricks.delta.retentionDurationCheck.enabled";
constexpr std::string_view kOptimizeMaxFileSize = "spark.databricks.delta.optimize.maxFileSize";

// metrics.<path...> of OPTIMIZE's one-row output, 0 when absent.
std::int64_t optimize_metric(const std::shared_ptr<arrow::Table>& output, std::initializer_list<std::string_view> path) {
  if (!output || output->num_rows() == 0) return 0;
  auto column = output->GetColumnByName("metrics");
  if (!column) return 0;
  auto scalar = column->GetScalar(0);
  if (!scalar.ok()) return 0;
  std::shared_ptr<arrow::Scalar> at = *scalar;
  for (std::string_view name : path) {
    if (!at || !at->is_valid || at->type->id() != arrow::Type::STRUCT) return 0;
    auto field = static_cast<const arrow::StructScalar&>(*at).field(std::string(name));
    if (!field.ok()) return 0;
    at = *field;
  }
  if (!at || !at->is_valid) return 0;
  auto as_int = at->CastTo(arrow::int64());
  return as_int.ok() ? std::static_pointer_cast<arrow::Int64Scalar>(*as_int)->value : 0;
}

// Whether two spellings of a location are the same place (Spark says
// file:/x where the backend says file:///x).
bool same_location(std::string a, std::string b) {
  for (std::string* text : {&a, &b}) {
    if (text->starts_with("file:///")) text->replace(0, 8, "file:/");
    while (text->ends_with('/')) text->pop_back();
  }
  return a == b;
}

// A file URI from VACUUM as a backend key (the URI itself when it is
// not under the table).
std::string key_of(std::string uri, const std::string& root, const std::string& location) {
  // Spark writes file:/x where the backend says file:///x.
  auto normalise = [](std::string text) {
    if (text.starts_with("file:///")) text.replace(0, 8, "file:/");
    return text;
  };
  const std::string base = normalise(root.ends_with('/') ? root : root + "/");
  uri = normalise(std::move(uri));
  if (!uri.starts_with(base)) return uri;
  return location + "/" + uri.substr(base.size());
}

}  // namespace

Status SparkDriver::create_table(const TableRef& table, const Schema& schema,
                                 const std::map<std::string, std::string>& properties) {
  // A table already at the location (written by another engine, or
  // before this catalog knew it) is registered as it is; its columns are
  // checked below. Otherwise the dialect's CREATE TABLE makes it.
  auto before = describe(table);
  if (!before) return std::unexpected(before.error());
  const std::string uri = engine_uri(context_.backend->uri_of(table.location));
  Result<std::string> sql = context_.dialect->create_table_sql(table, schema, uri, properties);
  // An Iceberg table is found through its catalog: if it is there, it is
  // kept. A Delta table is found at its location: if it is there but not
  // in Spark's catalog, it is registered as it is.
  if (*before) sql = iceberg_ ? std::string() : register_statement(table.name, uri).sql;
  if (!sql) return std::unexpected(sql.error());
  auto lease = acquire();
  if (!lease) return std::unexpected(lease.error());
  if (!sql->empty()) {
    if (auto created = (*lease)->execute(*sql); !created)
      return std::unexpected(created.error().with_context(std::format("creating table '{}' on Spark", table.name)));
  }
  // CREATE TABLE IF NOT EXISTS keeps a table of that name whatever its
  // columns and location: check the live one is this schema's, here.
  std::optional<TableInfo> live;
  bool elsewhere = false;
  if (iceberg_) {
    auto described = iceberg::describe(**lease, table, iceberg_name(table));
    if (!described) return std::unexpected(described.error());
    if (*described) {
      live = std::move((*described)->info);
      elsewhere = !same_location((*described)->location, uri);
    }
  } else {
    auto found = describe(table);
    if (!found) return std::unexpected(found.error());
    live = std::move(*found);
    elsewhere = !live;
  }
  if (!live || elsewhere)
    return fail(ErrorCode::already_exists,
                std::format("there is no {} table at '{}' after CREATE TABLE IF NOT EXISTS '{}': Spark's "
                            "catalog already has a table of that name somewhere else",
                            iceberg_ ? "Iceberg" : "Delta", context_.backend->uri_of(table.location), table.name));
  std::vector<std::string> expected;
  for (const Field& field : schema.fields) expected.push_back(field.column);
  expected.push_back(std::string(kIngestIdColumn));
  std::vector<std::string> actual;
  for (const Field& column : live->columns) actual.push_back(column.column);
  if (actual != expected)
    return fail(ErrorCode::already_exists,
                std::format("table '{}' already exists with other columns (run assert_schema for the differences)",
                            table.name));
  return {};
}

Result<OptimizeReport> SparkDriver::optimize(const TableRef& table, const OptimizeOptions& options) {
  if (iceberg_) return optimize_iceberg(table, options);
  auto found = existing(table);
  if (!found) return std::unexpected(found.error());
  std::vector<std::string> zorder = options.zorder_by;
  if (zorder.empty()) zorder = lake::detail::list_property(found->snapshot().metadata().configuration, "lake.clusterBy");
  auto statement = optimize_statement(table.name, options.where, zorder);
  if (!statement) return std::unexpected(statement.error());
  std::vector<std::pair<std::string, std::string>> settings;
  if (options.target_file_bytes) settings.emplace_back(kOptimizeMaxFileSize, std::to_string(*options.target_file_bytes));
  auto output = run_with_settings(*statement, settings);
  if (!output) return std::unexpected(output.error());
  OptimizeReport report{.version = -1,
                        .files_removed = optimize_metric(*output, {"numFilesRemoved"}),
                        .files_added = optimize_metric(*output, {"numFilesAdded"}),
                        .bytes_removed = optimize_metric(*output, {"filesRemoved", "totalSize"}),
                        .bytes_added = optimize_metric(*output, {"filesAdded", "totalSize"})};
  if (report.files_removed > 0 || report.files_added > 0) {
    auto after = existing(table);
    if (!after) return std::unexpected(after.error());
    report.version = after->version();
  }
  if (options.progress)
    options.progress({.step = "files compacted", .done = report.files_removed, .total = report.files_removed});
  return report;
}

Result<VacuumReport> SparkDriver::vacuum(const TableRef& table, const VacuumOptions& options) {
  if (iceberg_) return vacuum_iceberg(table, options);
  auto found = existing(table);
  if (!found) return std::unexpected(found.error());
  std::optional<std::int64_t> hours;
  if (options.retention) hours = options.retention->count();
  std::vector<std::pair<std::string, std::string>> settings;
  if (options.allow_short_retention) settings.emplace_back(kRetentionCheck, "false");
  // A dry run lists the files; the real run deletes those (and says only
  // the table's path), so the report comes from the listing.
  auto listed = run_with_settings(vacuum_statement(table.name, hours, true), settings);
  if (!listed) return std::unexpected(listed.error());
  VacuumReport report{.files = {}, .bytes = 0, .dry_run = options.dry_run};
  const std::string root = engine_uri(context_.backend->uri_of(table.location));
  if (auto paths = (*listed)->GetColumnByName("path")) {
    for (int c = 0; c < paths->num_chunks(); ++c) {
      auto strings = std::dynamic_pointer_cast<arrow::StringArray>(paths->chunk(c));
      if (!strings) continue;
      for (std::int64_t i = 0; i < strings->length(); ++i) {
        std::string key = key_of(std::string(strings->GetView(i)), root, table.location);
        if (auto info = context_.backend->head(key)) report.bytes += info->size;
        report.files.push_back(std::move(key));
      }
    }
  }
  if (!options.dry_run && !report.files.empty()) {
    auto vacuumed = run_with_settings(vacuum_statement(table.name, hours, false), settings);
    if (!vacuumed) return std::unexpected(vacuumed.error());
  }
  if (options.progress)
    options.progress({.step = "files removed", .done = static_cast<std::int64_t>(report.files.size()),
                      .total = static_cast<std::int64_t>(report.files.size())});
  return report;
}

// Iceberg's rewrite_data_files: its counts, and the new snapshot's.
Result<OptimizeReport> SparkDriver::optimize_iceberg(const TableRef& table, const OptimizeOptions& options) {
  auto lease = acquire();
  if (!lease) return std::unexpected(lease.error());
  const iceberg::TableName name = iceberg_name(table);
  auto described = iceberg::describe(**lease, table, name);
  if (!described) return std::unexpected(described.error());
  if (!*described) return missing(table);
  auto statement = iceberg::rewrite_data_files_statement(name, options.where, options.zorder_by,
                                                         options.target_file_bytes);
  if (!statement) return std::unexpected(statement.error());
  auto output = (*lease)->execute(statement->sql);
  if (!output) return std::unexpected(output.error().with_context(std::format("optimizing '{}'", table.name)));
  OptimizeReport report{.version = -1,
                        .files_removed = output_count(*output, "rewritten_data_files_count"),
                        .files_added = output_count(*output, "added_data_files_count"),
                        .bytes_removed = output_count(*output, "rewritten_bytes_count"),
                        .bytes_added = 0};
  if (report.files_removed > 0 || report.files_added > 0) {
    auto latest = iceberg::snapshots(**lease, name, 1);
    if (!latest) return std::unexpected(latest.error());
    if (!latest->empty()) {
      report.version = latest->front().id;
      report.bytes_added = latest->front().summary_count("added-files-size");
    }
  }
  if (options.progress)
    options.progress({.step = "files compacted", .done = report.files_removed, .total = report.files_removed});
  return report;
}

// Iceberg's counterpart of VACUUM: expiring the snapshots older than the
// retention (the current one is always kept) deletes the files only they
// referenced. Those files are listed first, from the metadata tables,
// which is also the dry run.
Result<VacuumReport> SparkDriver::vacuum_iceberg(const TableRef& table, const VacuumOptions& options) {
  auto lease = acquire();
  if (!lease) return std::unexpected(lease.error());
  const iceberg::TableName name = iceberg_name(table);
  auto described = iceberg::describe(**lease, table, name);
  if (!described) return std::unexpected(described.error());
  if (!*described) return missing(table);
  // The table's own retention: Iceberg's max snapshot age (5 days unless
  // the table says otherwise).
  std::chrono::milliseconds table_retention = std::chrono::days(5);
  const auto& properties = (*described)->info.properties;
  if (auto it = properties.find("history.expire.max-snapshot-age-ms"); it != properties.end()) {
    std::int64_t ms = 0;
    if (std::from_chars(it->second.data(), it->second.data() + it->second.size(), ms).ec == std::errc{})
      table_retention = std::chrono::milliseconds(ms);
  }
  const std::chrono::milliseconds retention =
      options.retention ? std::chrono::duration_cast<std::chrono::milliseconds>(*options.retention) : table_retention;
  if (retention < table_retention && !options.allow_short_retention)
    return fail(ErrorCode::invalid_argument,
                std::format("a retention of {} is shorter than table '{}' keeps snapshots ({}); time travel and "
                            "concurrent readers may lose files (set allow_short_retention to do it anyway)",
                            std::chrono::duration_cast<std::chrono::hours>(retention), table.name,
                            std::chrono::duration_cast<std::chrono::hours>(table_retention)));
  const timestamp cutoff = now() - std::chrono::duration_cast<std::chrono::microseconds>(retention);
  auto files = iceberg::files_only_in_snapshots_before(**lease, name, cutoff);
  if (!files) return std::unexpected(files.error());
  VacuumReport report{.files = {}, .bytes = 0, .dry_run = options.dry_run};
  const std::string root = engine_uri(context_.backend->uri_of(table.location));
  for (auto& [path, bytes] : *files) {
    report.files.push_back(key_of(std::move(path), root, table.location));
    report.bytes += bytes;
  }
  if (!options.dry_run) {
    auto expired = (*lease)->execute(iceberg::expire_snapshots_statement(name, cutoff).sql);
    if (!expired) return std::unexpected(expired.error().with_context(std::format("vacuuming '{}'", table.name)));
  }
  if (options.progress)
    options.progress({.step = "files removed", .done = static_cast<std::int64_t>(report.files.size()),
                      .total = static_cast<std::int64_t>(report.files.size())});
  return report;
}

Result<std::shared_ptr<arrow::Table>> SparkDriver::run_with_settings(
    const Statement& statement, const std::vector<std::pair<std::string, std::string>>& settings) {
  auto lease = acquire();
  if (!lease) return std::unexpected(lease.error());
  if (!settings.empty()) {
    if (auto set = (*lease)->set_config(settings); !set) {
      lease->discard();
      return std::unexpected(set.error());
    }
  }
  auto output = (*lease)->execute(statement.sql, {.positional = statement.params, .named = {}});
  if (!settings.empty()) {
    std::vector<std::string> keys;
    for (const auto& [key, value] : settings) keys.push_back(key);
    if (auto unset = (*lease)->unset_config(keys); !unset) lease->discard();
  }
  return output;
}

}  // namespace lake::spark

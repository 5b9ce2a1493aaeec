// Delta Lake on Spark: what a Delta table asks of an engine that writes it
// itself. Metadata, idempotency records and what a write landed are read
// from the log (the native implementation), so they are the same truth
// whichever engine committed; the engine runs the DDL, the tagged
// writes and OPTIMIZE / VACUUM.
#include "dialects/delta_sql_format.hpp"

#include <arrow/array.h>

#include <nlohmann/json.hpp>

#include <charconv>
#include <format>

#include "core/propagate.hpp"
#include "delta/commit_records.hpp"
#include "delta/delta_format.hpp"
#include "dialects/create_table.hpp"
#include "formats/lake_properties.hpp"
#include "formats/table_format.hpp"
#include "lake/delta/table.hpp"
#include "sql/command_output.hpp"
#include "sql/expression_sql.hpp"
#include "sql/spark_sql.hpp"

namespace lake::dialects::delta {
namespace {

using formats::SqlSession;
using formats::SqlSettings;
using formats::SqlStatement;
using formats::SqlTable;
using spark_sql::quote_identifier;
using spark_sql::quote_string;

// Delta's session settings (DeltaSQLConf): a commit's userMetadata, the
// idempotent-write pair Delta checks against the table's txn actions,
// VACUUM's check against retentions shorter than the table's, and
// OPTIMIZE's file size.
constexpr std::string_view kUserMetadata = "spark.databricks.delta.commitInfo.userMetadata";
constexpr std::string_view kTxnAppId = "spark.databricks.delta.write.txnAppId";
constexpr std::string_view kTxnVersion = "spark.databricks.delta.write.txnVersion";
constexpr std::string_view kRetentionCheck = "spark.databricks.delta.retentionDurationCheck.enabled";
constexpr std::string_view kOptimizeMaxFileSize = "spark.databricks.delta.optimize.maxFileSize";
// How far back the commit of a write is looked for in the log.
constexpr std::size_t kCommitSearchDepth = 64;

// The table from its log; null when there is none.
Result<std::unique_ptr<formats::FormatTable>> native(const SqlTable& table) {
  return lake::delta::native_format()->open(table.backend, table.ref, {});
}

Result<std::unique_ptr<formats::FormatTable>> existing(const SqlTable& table) {
  auto found = native(table);
  LAKE_RETURN_IF_ERROR(found);
  if (!*found) return std::unexpected(formats::missing_table(table.ref, *table.backend));
  return found;
}

// The table's log itself, for what only Delta records (txn actions, each
// commit's userMetadata and metrics).
Result<lake::delta::Table> log_of(const SqlTable& table) {
  auto log = lake::delta::Table::open(table.backend, table.ref.location);
  if (!log && log.error().code() == ErrorCode::not_found)
    return std::unexpected(formats::missing_table(table.ref, *table.backend));
  return log;
}

class DeltaSqlFormat final : public formats::SqlFormat {
 public:
  Status check(std::string_view, std::string_view) const override { return {}; }
  SqlSettings session_settings(std::string_view) const override { return {}; }

  Result<std::optional<TableInfo>> describe(SqlSession&, const SqlTable& table) const override {
    auto found = native(table);
    LAKE_RETURN_IF_ERROR(found);
    if (!*found) return std::optional<TableInfo>{};
    return std::optional<TableInfo>(formats::table_info(table.ref, **found));
  }

  Result<TableStats> stats(SqlSession&, const SqlTable& table) const override {
    auto found = existing(table);
    LAKE_RETURN_IF_ERROR(found);
    return (*found)->stats();
  }

  Result<std::vector<HistoryEntry>> history(SqlSession&, const SqlTable& table,
                                            std::optional<std::size_t> limit) const override {
    auto found = existing(table);
    LAKE_RETURN_IF_ERROR(found);
    return (*found)->history(limit);
  }

  Result<std::optional<SqlStatement>> create_statement(const SqlTable& table, const Schema& schema,
                                                       const std::map<std::string, std::string>& properties,
                                                       const std::optional<TableInfo>& existing_table) const override {
    // A Delta table is found at its location: one already there (written
    // by another engine, or before this catalog knew it) is registered as
    // it is.
    if (existing_table) return std::optional<SqlStatement>(register_statement(table.ref.name, table.uri));
    auto sql = create_table_sql(table.ref, schema, table.uri, properties);
    LAKE_RETURN_IF_ERROR(sql);
    return std::optional<SqlStatement>(SqlStatement{std::move(*sql)});
  }

  Result<std::optional<TableInfo>> created(SqlSession& session, const SqlTable& table) const override {
    return describe(session, table);
  }

  Result<formats::WriteRecords> prepare_write(SqlSession&, const SqlTable& table, const IngestId& ingest_id,
                                              const std::optional<IdempotencyKey>& idempotency) const override {
    auto log = log_of(table);
    LAKE_RETURN_IF_ERROR(log);
    formats::WriteRecords records;
    for (const Field& column : log->snapshot().columns()) records.columns.push_back(column.column);
    records.properties = {log->snapshot().metadata().configuration.begin(),
                          log->snapshot().metadata().configuration.end()};
    records.settings.emplace_back(kUserMetadata, lake::delta::commit_metadata(ingest_id));
    if (idempotency) {
      const auto record = lake::delta::idempotency_record(log->snapshot(), *idempotency);
      if (record.duplicate) {
        records.duplicate_at = log->version();
        return records;
      }
      records.settings.emplace_back(kTxnAppId, record.app_id);
      records.settings.emplace_back(kTxnVersion, std::to_string(record.version));
    }
    return records;
  }

  bool statements_report_counts() const override { return true; }

  // Delta's concurrent-modification errors carry error classes
  // (DELTA_CONCURRENT_*), which the engine types as conflicts itself.
  bool lost_commit_race(std::string_view, std::string_view) const override { return false; }

  // The commit tagged with the write's ingest id. Delta skips a write
  // whose txnVersion it has already recorded: with none, a retry with the
  // same key that raced this one got there first.
  Result<formats::LandedWrite> landed(SqlSession&, const SqlTable& table, const IngestId& ingest_id,
                                      const std::optional<IdempotencyKey>& idempotency) const override {
    auto log = log_of(table);
    LAKE_RETURN_IF_ERROR(log);
    auto commits = log->history(kCommitSearchDepth);
    LAKE_RETURN_IF_ERROR(commits);
    const std::string tag = lake::delta::commit_metadata(ingest_id);
    for (const auto& commit : *commits) {
      if (commit.user_metadata != tag) continue;
      const auto metrics = nlohmann::json::parse(commit.metrics, nullptr, false);
      std::int64_t appended = -1;
      if (metrics.is_object() && metrics.contains("numOutputRows")) {
        const auto& value = metrics["numOutputRows"];
        if (value.is_number_integer()) appended = value.get<std::int64_t>();
        if (value.is_string()) {
          const std::string text = value.get<std::string>();
          std::from_chars(text.data(), text.data() + text.size(), appended);
        }
      }
      return formats::LandedWrite{.committed = true, .version = commit.version, .rows_appended = appended};
    }
    return formats::LandedWrite{
        .committed = false, .skipped_as_duplicate = idempotency.has_value(), .version = log->version()};
  }

  // Two commits, because one cannot keep NOT NULL: REPLACE TABLE with the
  // columns as the log has them (empty, new partitioning), then the rows of
  // the version before it copied back by time travel. A copy that fails is
  // undone with RESTORE, so the table never stays empty.
  Status repartition(SqlSession& session, const SqlTable& table, const std::vector<std::string>& partition_columns,
                     const std::map<std::string, std::string>& properties) const override {
    auto log = log_of(table);
    LAKE_RETURN_IF_ERROR(log);
    const std::int64_t before = log->version();
    std::string columns, names;
    for (const Field& column : log->snapshot().columns()) {
      columns += std::format("{}{} {}{}", columns.empty() ? "" : ", ", quote_identifier(column.column),
                             spark_sql::type_name(column.type), column.nullable ? "" : " NOT NULL");
      names += (names.empty() ? "" : ", ") + quote_identifier(column.column);
    }
    const std::string name = quote_identifier(table.ref.name);
    std::string replace = std::format("REPLACE TABLE {} ({}) USING DELTA", name, columns);
    if (!partition_columns.empty()) replace += std::format(" PARTITIONED BY ({})", spark_sql::identifier_list(partition_columns));
    replace += std::format(" LOCATION {}", spark_sql::quote_string(table.uri)) + spark_sql::properties_clause(properties);
    auto replaced = session.run({.sql = replace, .params = {}});
    LAKE_RETURN_IF_ERROR(replaced);
    auto copied = session.run({.sql = std::format("INSERT INTO {} ({}) SELECT {} FROM {} VERSION AS OF {}", name, names,
                                                  names, name, before),
                               .params = {}});
    if (copied) return {};
    auto restored = session.run({.sql = std::format("RESTORE TABLE {} TO VERSION AS OF {}", name, before), .params = {}});
    return std::unexpected(copied.error().with_context(
        restored ? std::format("copying the rows into the repartitioned table (restored to version {})", before)
                 : std::format("copying the rows into the repartitioned table, and restoring version {} failed "
                               "too (run RESTORE TABLE {} TO VERSION AS OF {}): {}",
                               before, name, before, restored.error().message())));
  }

  Result<OptimizeReport> optimize(SqlSession& session, const SqlTable& table,
                                  const OptimizeOptions& options) const override {
    auto found = existing(table);
    LAKE_RETURN_IF_ERROR(found);
    if (!options.sort_by.empty())
      return fail(ErrorCode::unsupported,
                  std::format("optimize '{}': Delta's OPTIMIZE on Spark clusters by Z-order only, not by sort_by",
                              table.ref.name));
    std::vector<std::string> zorder = options.zorder_by;
    if (zorder.empty()) zorder = (*found)->cluster_by();
    auto statement = optimize_statement(table.ref.name, options.where, zorder);
    LAKE_RETURN_IF_ERROR(statement);
    SqlSettings settings;
    if (options.target_file_bytes) settings.emplace_back(kOptimizeMaxFileSize, std::to_string(*options.target_file_bytes));
    auto output = session.run_with(*statement, settings);
    LAKE_RETURN_IF_ERROR(output);
    using spark_sql::output_field;
    OptimizeReport report{.version = -1,
                          .files_removed = output_field(*output, "metrics", {"numFilesRemoved"}),
                          .files_added = output_field(*output, "metrics", {"numFilesAdded"}),
                          .bytes_removed = output_field(*output, "metrics", {"filesRemoved", "totalSize"}),
                          .bytes_added = output_field(*output, "metrics", {"filesAdded", "totalSize"}),
                          .partitions_optimized = output_field(*output, "metrics", {"partitionsOptimized"})};
    if (report.files_removed > 0 || report.files_added > 0) {
      auto after = existing(table);
      LAKE_RETURN_IF_ERROR(after);
      report.version = (*after)->metadata().snapshot.id;
    }
    if (options.progress)
      options.progress({.step = "files compacted", .done = report.files_removed, .total = report.files_removed});
    return report;
  }

  Result<VacuumReport> vacuum(SqlSession& session, const SqlTable& table, const VacuumOptions& options) const override {
    auto found = existing(table);
    LAKE_RETURN_IF_ERROR(found);
    // VACUUM takes whole hours: a retention is rounded up, never down.
    std::optional<std::int64_t> hours;
    if (options.retention) hours = std::chrono::ceil<std::chrono::hours>(*options.retention).count();
    SqlSettings settings;
    if (options.allow_short_retention) settings.emplace_back(kRetentionCheck, "false");
    // A dry run lists the files; the real run deletes those (and says only
    // the table's path), so the report comes from the listing.
    auto listed = session.run_with(vacuum_statement(table.ref.name, hours, true), settings);
    LAKE_RETURN_IF_ERROR(listed);
    VacuumReport report{.files = {}, .bytes = 0, .dry_run = options.dry_run};
    if (auto paths = (*listed)->GetColumnByName("path")) {
      for (int c = 0; c < paths->num_chunks(); ++c) {
        auto strings = std::dynamic_pointer_cast<arrow::StringArray>(paths->chunk(c));
        if (!strings) continue;
        for (std::int64_t i = 0; i < strings->length(); ++i) {
          std::string key = spark_sql::key_under(std::string(strings->GetView(i)), table.uri, table.ref.location);
          if (auto info = table.backend->head(key)) report.bytes += info->size;
          report.files.push_back(std::move(key));
        }
      }
    }
    if (!options.dry_run && !report.files.empty()) {
      auto vacuumed = session.run_with(vacuum_statement(table.ref.name, hours, false), settings);
      LAKE_RETURN_IF_ERROR(vacuumed);
    }
    if (options.progress)
      options.progress({.step = "files removed", .done = static_cast<std::int64_t>(report.files.size()),
                        .total = static_cast<std::int64_t>(report.files.size())});
    return report;
  }
};

}  // namespace

std::shared_ptr<const formats::SqlFormat> sql_format() {
  static const auto format = std::make_shared<const DeltaSqlFormat>();
  return format;
}

Result<std::string> create_table_sql(const TableRef& table, const Schema& schema, std::string_view location_uri,
                                     const std::map<std::string, std::string>& properties) {
  std::vector<std::string> partitions;
  std::vector<std::string> cluster_by;  // Delta has no bucket or truncate transforms
  for (const PartitionSpec& spec : schema.partitions) {
    const std::string& column = schema.fields[spec.field].column;
    if (spec.kind == PartitionKind::raw)
      partitions.push_back(quote_identifier(column));
    else
      cluster_by.push_back(column);
  }
  return dialects::create_table_sql(table, schema, "DELTA", partitions, cluster_by, location_uri, properties);
}

SqlStatement register_statement(std::string_view table, std::string_view uri) {
  return {std::format("CREATE TABLE IF NOT EXISTS {} USING DELTA LOCATION {}", quote_identifier(table),
                      quote_string(uri))};
}

Result<SqlStatement> optimize_statement(std::string_view table, const std::optional<arrow::compute::Expression>& where,
                                        const std::vector<std::string>& zorder_by) {
  SqlStatement out{std::format("OPTIMIZE {}", quote_identifier(table))};
  if (where) {
    auto predicate = spark_sql::to_spark_sql(*where);
    if (!predicate) return std::unexpected(predicate.error().with_context("the optimize filter"));
    out.sql += " WHERE " + spark_sql::inline_parameters(*predicate);
  }
  if (!zorder_by.empty()) out.sql += std::format(" ZORDER BY ({})", spark_sql::identifier_list(zorder_by));
  return out;
}

SqlStatement vacuum_statement(std::string_view table, std::optional<std::int64_t> retention_hours, bool dry_run) {
  SqlStatement out{std::format("VACUUM {}", quote_identifier(table))};
  if (retention_hours) out.sql += std::format(" RETAIN {} HOURS", *retention_hours);
  if (dry_run) out.sql += " DRY RUN";
  return out;
}

}  // namespace lake::dialects::delta

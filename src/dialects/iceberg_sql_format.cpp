// Apache Iceberg on Spark: what an Iceberg table asks of an engine that
// writes it itself. Its tables live in a named catalog; metadata comes
// from the catalog's metadata tables (iceberg_metadata), writes carry
// their ingest id and idempotency key in the summary of the snapshot they
// commit, and maintenance is rewrite_data_files and expire_snapshots.
#include "dialects/iceberg_sql_format.hpp"

#include <charconv>
#include <chrono>
#include <format>

#include "core/propagate.hpp"
#include "dialects/create_table.hpp"
#include "dialects/iceberg_metadata.hpp"
#include "formats/lake_properties.hpp"
#include "formats/table_format.hpp"
#include "sql/command_output.hpp"
#include "sql/spark_sql.hpp"

namespace lake::dialects::iceberg {
namespace {

using formats::SqlSession;
using formats::SqlSettings;
using formats::SqlStatement;
using formats::SqlTable;
using spark_sql::quote_identifier;
using spark_sql::quote_string;

// A partition field as Spark's Iceberg DDL spells it.
std::string partition_term(const Schema& schema, const PartitionSpec& spec) {
  const std::string column = quote_identifier(schema.fields[spec.field].column);
  switch (spec.kind) {
    case PartitionKind::bucket: return std::format("bucket({}, {})", spec.param, column);
    case PartitionKind::truncate: return std::format("truncate({}, {})", spec.param, column);
    case PartitionKind::raw:
    case PartitionKind::none: break;
  }
  return column;
}

Result<Description> existing(SqlSession& session, const SqlTable& table) {
  auto described = iceberg::describe(session, table.ref, name_of(table));
  LAKE_RETURN_IF_ERROR(described);
  if (!*described) return std::unexpected(formats::missing_table(table.ref, *table.backend));
  return std::move(**described);
}

class IcebergSqlFormat final : public formats::SqlFormat {
 public:
  Status check(std::string_view catalog, std::string_view database) const override {
    // Iceberg tables live in an Iceberg catalog, named explicitly: its
    // metadata tables and procedures are addressed through it.
    if (catalog.empty() || database.empty())
      return fail(ErrorCode::invalid_argument,
                  "the Iceberg dialect on Spark needs ClientOptions::default_catalog (an Iceberg catalog, e.g. "
                  "'ice') and ClientOptions::default_database");
    return {};
  }

  SqlSettings session_settings(std::string_view catalog) const override {
    // Iceberg's SparkCatalog caches the tables it loads, per Spark
    // session, until an entry has been idle for a while (30 s by
    // default). Pooled sessions would then read, and check idempotency
    // keys against, a snapshot older than one another pooled session
    // just committed. A session builds its catalog from its own settings
    // on first use, so turning the cache off before anything touches the
    // catalog keeps every session on the latest snapshot.
    return {{std::format("spark.sql.catalog.{}.cache-enabled", catalog), "false"}};
  }

  Result<std::optional<TableInfo>> describe(SqlSession& session, const SqlTable& table) const override {
    auto described = iceberg::describe(session, table.ref, name_of(table));
    LAKE_RETURN_IF_ERROR(described);
    if (!*described) return std::optional<TableInfo>{};
    return std::optional<TableInfo>(std::move((*described)->info));
  }

  Result<TableStats> stats(SqlSession& session, const SqlTable& table) const override {
    auto stats = iceberg::stats(session, name_of(table));
    if (!stats && stats.error().code() == ErrorCode::not_found)
      return std::unexpected(formats::missing_table(table.ref, *table.backend));
    return stats;
  }

  Result<std::vector<HistoryEntry>> history(SqlSession& session, const SqlTable& table,
                                            std::optional<std::size_t> limit) const override {
    auto history = iceberg::history(session, name_of(table), limit);
    if (!history && history.error().code() == ErrorCode::not_found)
      return std::unexpected(formats::missing_table(table.ref, *table.backend));
    return history;
  }

  Result<std::optional<SqlStatement>> create_statement(const SqlTable& table, const Schema& schema,
                                                       const std::map<std::string, std::string>& properties,
                                                       const std::optional<TableInfo>& existing_table) const override {
    // An Iceberg table is found through its catalog: if it is there, it is kept.
    if (existing_table) return std::optional<SqlStatement>{};
    auto sql = create_table_sql(table.ref, schema, table.uri, properties);
    LAKE_RETURN_IF_ERROR(sql);
    return std::optional<SqlStatement>(SqlStatement{std::move(*sql)});
  }

  Result<std::optional<TableInfo>> created(SqlSession& session, const SqlTable& table) const override {
    auto described = iceberg::describe(session, table.ref, name_of(table));
    LAKE_RETURN_IF_ERROR(described);
    if (!*described || !spark_sql::same_location((*described)->location, table.uri)) return std::optional<TableInfo>{};
    return std::optional<TableInfo>(std::move((*described)->info));
  }

  Result<formats::WriteRecords> prepare_write(SqlSession& session, const SqlTable& table, const IngestId& ingest_id,
                                              const std::optional<IdempotencyKey>& idempotency) const override {
    auto described = existing(session, table);
    LAKE_RETURN_IF_ERROR(described);
    formats::WriteRecords records;
    for (const Field& column : described->info.columns) records.columns.push_back(column.column);
    records.properties = std::move(described->info.properties);
    records.settings.emplace_back(snapshot_property_setting(formats::kIngestIdSummary), ingest_id.to_string());
    if (idempotency) {
      // The newest snapshot tagged with the key, if still within its TTL.
      auto tagged = iceberg::snapshots(session, name_of(table), 1,
                                       std::pair{formats::kIdempotencyKeySummary, std::string_view(idempotency->key)});
      LAKE_RETURN_IF_ERROR(tagged);
      if (!tagged->empty() && now() - tagged->front().committed_at < idempotency->ttl) {
        records.duplicate_at = described->info.version;  // the current snapshot, described above
        return records;
      }
      records.settings.emplace_back(snapshot_property_setting(formats::kIdempotencyKeySummary), idempotency->key);
    }
    return records;
  }

  // Iceberg's MERGE and DELETE report no counts.
  bool statements_report_counts() const override { return false; }

  // Iceberg's commit conflicts carry no error class: a commit that found
  // files a concurrent snapshot added in its scope (ValidationException
  // "Found conflicting ..."), or one that kept losing the race to update
  // the table's metadata (CommitFailedException). Nothing of them is
  // committed. The exception class comes as the ErrorInfo's reason (the
  // message, through Spark Connect, lacks it). A copy-on-write MERGE or
  // DELETE whose table changed between its scan and its runtime filter is
  // refused the same way (an IllegalStateException, known only by its text).
  bool lost_commit_race(std::string_view exception, std::string_view message) const override {
    auto has = [](std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; };
    if (has(exception, "org.apache.iceberg.exceptions.CommitFailedException")) return true;
    if (has(message, "Runtime file filtering is not possible: the table has been concurrently modified")) return true;
    const bool validation = has(exception, "org.apache.iceberg.exceptions.ValidationException") ||
                            has(message, "org.apache.iceberg.exceptions.ValidationException");
    return validation && (has(message, "Found conflicting") || has(message, "Found new conflicting") ||
                          has(message, "Missing required files to delete"));
  }

  // The snapshot tagged with the write's ingest id (none when the
  // statement changed nothing).
  Result<formats::LandedWrite> landed(SqlSession& session, const SqlTable& table, const IngestId& ingest_id,
                                      const std::optional<IdempotencyKey>&) const override {
    auto tagged = iceberg::snapshots(session, name_of(table), 1,
                                     std::pair{formats::kIngestIdSummary, std::string_view(ingest_id.to_string())});
    LAKE_RETURN_IF_ERROR(tagged);
    if (tagged->empty()) {
      // Only the current snapshot is wanted: the metadata, not stats (which
      // reads every manifest through the engine).
      auto current = iceberg::describe(session, table.ref, name_of(table));
      return formats::LandedWrite{.committed = false,
                                  .version = current && *current ? (*current)->info.version : -1};
    }
    const Snapshot& landed = tagged->front();
    // Copy-on-write: the files that held deleted rows were rewritten
    // without them.
    return formats::LandedWrite{
        .committed = true,
        .skipped_as_duplicate = false,
        .version = landed.id,
        .rows_appended = landed.summary_count("added-records"),
        .rows_deleted = landed.summary_count("deleted-records") - landed.summary_count("added-records")};
  }

  Status repartition(SqlSession&, const SqlTable& table, const std::vector<std::string>&,
                     const std::map<std::string, std::string>&) const override {
    return fail(ErrorCode::unsupported,
                std::format("Iceberg table '{}' changes partitioning in place (ADD / DROP PARTITION FIELD), not by "
                            "rewriting it",
                            table.ref.name));
  }

  // rewrite_data_files: its counts, and the new snapshot's.
  Result<OptimizeReport> optimize(SqlSession& session, const SqlTable& table,
                                  const OptimizeOptions& options) const override {
    auto described = existing(session, table);
    LAKE_RETURN_IF_ERROR(described);
    if (!options.sort_by.empty())
      return fail(ErrorCode::unsupported,
                  std::format("optimize '{}': sort_by is not supported on Spark; use zorder_by", table.ref.name));
    const TableName name = name_of(table);
    auto statement = rewrite_data_files_statement(name, options.where, options.zorder_by, options.target_file_bytes);
    LAKE_RETURN_IF_ERROR(statement);
    auto output = session.run(*statement);
    if (!output) return std::unexpected(output.error().with_context(std::format("optimizing '{}'", table.ref.name)));
    using spark_sql::output_count;
    OptimizeReport report{.version = -1,
                          .files_removed = output_count(*output, "rewritten_data_files_count"),
                          .files_added = output_count(*output, "added_data_files_count"),
                          .bytes_removed = output_count(*output, "rewritten_bytes_count"),
                          .bytes_added = 0};
    if (report.files_removed > 0 || report.files_added > 0) {
      auto latest = iceberg::snapshots(session, name, 1);
      LAKE_RETURN_IF_ERROR(latest);
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
  Result<VacuumReport> vacuum(SqlSession& session, const SqlTable& table, const VacuumOptions& options) const override {
    auto described = existing(session, table);
    LAKE_RETURN_IF_ERROR(described);
    const TableName name = name_of(table);
    // The table's own retention: Iceberg's max snapshot age (5 days unless
    // the table says otherwise).
    std::chrono::milliseconds table_retention = std::chrono::days(5);
    const auto& properties = described->info.properties;
    if (auto it = properties.find("history.expire.max-snapshot-age-ms"); it != properties.end()) {
      std::int64_t ms = 0;
      if (std::from_chars(it->second.data(), it->second.data() + it->second.size(), ms).ec == std::errc{})
        table_retention = std::chrono::milliseconds(ms);
    }
    const std::chrono::milliseconds retention = options.retention.value_or(table_retention);
    if (retention < table_retention && !options.allow_short_retention)
      return fail(ErrorCode::invalid_argument,
                  std::format("a retention of {} is shorter than table '{}' keeps snapshots ({}); time travel and "
                              "concurrent readers may lose files (set allow_short_retention to do it anyway)",
                              std::chrono::duration_cast<std::chrono::hours>(retention), table.ref.name,
                              std::chrono::duration_cast<std::chrono::hours>(table_retention)));
    const timestamp cutoff = now() - std::chrono::duration_cast<std::chrono::microseconds>(retention);
    auto files = files_only_in_snapshots_before(session, name, cutoff);
    LAKE_RETURN_IF_ERROR(files);
    VacuumReport report{.files = {}, .bytes = 0, .dry_run = options.dry_run};
    for (auto& [path, bytes] : *files) {
      report.files.push_back(spark_sql::key_under(std::move(path), table.uri, table.ref.location));
      report.bytes += bytes;
    }
    if (!options.dry_run) {
      auto expired = session.run(expire_snapshots_statement(name, cutoff));
      if (!expired) return std::unexpected(expired.error().with_context(std::format("vacuuming '{}'", table.ref.name)));
    }
    if (options.progress)
      options.progress({.step = "files removed", .done = static_cast<std::int64_t>(report.files.size()),
                        .total = static_cast<std::int64_t>(report.files.size())});
    return report;
  }
};

}  // namespace

std::shared_ptr<const formats::SqlFormat> sql_format() {
  static const auto format = std::make_shared<const IcebergSqlFormat>();
  return format;
}

Result<std::string> create_table_sql(const TableRef& table, const Schema& schema, std::string_view location_uri,
                                     const std::map<std::string, std::string>& properties) {
  std::vector<std::string> partitions;
  for (const PartitionSpec& spec : schema.partitions) partitions.push_back(partition_term(schema, spec));
  return dialects::create_table_sql(table, schema, "iceberg", partitions, {}, location_uri, properties);
}

}  // namespace lake::dialects::iceberg

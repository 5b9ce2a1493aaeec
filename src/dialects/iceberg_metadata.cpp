#include "dialects/iceberg_metadata.hpp"

#include <arrow/scalar.h>
#include <arrow/table.h>

#include <nlohmann/json.hpp>

#include <charconv>
#include <format>

#include "core/propagate.hpp"
#include "sql/expression_sql.hpp"
#include "sql/spark_sql.hpp"
#include "lake/arrow/convert.hpp"

namespace lake::dialects::iceberg {
namespace {

using spark_sql::inline_parameters;
using spark_sql::quote_identifier;
using spark_sql::quote_string;
using spark_sql::to_spark_sql;

// One cell of a small metadata result, as a scalar; null when absent.
std::shared_ptr<arrow::Scalar> cell(const arrow::Table& table, std::string_view column, std::int64_t row) {
  auto chunks = table.GetColumnByName(std::string(column));
  if (!chunks) return nullptr;
  auto scalar = chunks->GetScalar(row);
  if (!scalar.ok() || !(*scalar)->is_valid) return nullptr;
  return *scalar;
}

std::string text_at(const arrow::Table& table, std::string_view column, std::int64_t row) {
  auto scalar = cell(table, column, row);
  if (!scalar) return {};
  auto as_string = scalar->CastTo(arrow::utf8());
  return as_string.ok() ? std::static_pointer_cast<arrow::StringScalar>(*as_string)->ToString() : scalar->ToString();
}

std::int64_t int_at(const arrow::Table& table, std::string_view column, std::int64_t row) {
  auto scalar = cell(table, column, row);
  if (!scalar) return 0;
  auto as_int = scalar->CastTo(arrow::int64());
  return as_int.ok() ? std::static_pointer_cast<arrow::Int64Scalar>(*as_int)->value : 0;
}

timestamp time_at(const arrow::Table& table, std::string_view column, std::int64_t row) {
  auto scalar = cell(table, column, row);
  if (!scalar || scalar->type->id() != arrow::Type::TIMESTAMP) return {};
  const auto& type = static_cast<const arrow::TimestampType&>(*scalar->type);
  const std::int64_t value = static_cast<const arrow::TimestampScalar&>(*scalar).value;
  switch (type.unit()) {
    case arrow::TimeUnit::SECOND: return timestamp(std::chrono::seconds(value));
    case arrow::TimeUnit::MILLI: return timestamp(std::chrono::milliseconds(value));
    case arrow::TimeUnit::MICRO: return timestamp(std::chrono::microseconds(value));
    case arrow::TimeUnit::NANO: return timestamp(std::chrono::microseconds(value / 1000));
  }
  return {};
}

std::string timestamp_literal(timestamp at) { return std::format("TIMESTAMP {}", quote_string(format_timestamp(at))); }

}  // namespace

TableName name_of(const formats::SqlTable& table) {
  const std::string in_catalog = quote_identifier(table.database) + "." + quote_identifier(table.ref.name);
  return {.catalog = quote_identifier(table.catalog),
          .sql = quote_identifier(table.catalog) + "." + in_catalog,
          .procedure_argument = quote_string(in_catalog)};
}

std::string snapshot_property_setting(std::string_view key) {
  return std::format("spark.sql.iceberg.snapshot-property.{}", key);
}

std::int64_t Snapshot::summary_count(std::string_view key) const {
  const auto summary = nlohmann::json::parse(summary_json, nullptr, false);
  if (!summary.is_object() || !summary.contains(key)) return 0;
  const auto& value = summary[std::string(key)];
  if (value.is_number_integer()) return value.get<std::int64_t>();
  if (!value.is_string()) return 0;
  std::int64_t out = 0;
  const std::string text = value.get<std::string>();
  std::from_chars(text.data(), text.data() + text.size(), out);
  return out;
}

Result<std::optional<Description>> describe(SqlSession& session, const TableRef& table, const TableName& name) {
  // Analysis resolves the table without running anything: the quickest
  // way to learn whether the catalog has it, and its columns.
  auto schema = session.schema_of(std::format("SELECT * FROM {}", name.sql));
  if (!schema) {
    if (schema.error().code() == ErrorCode::not_found) return std::optional<Description>{};
    return std::unexpected(schema.error());
  }
  Description out;
  out.info.table = table;
  out.info.format = "iceberg";
  for (const auto& field : (*schema)->fields()) {
    auto type = from_arrow_type(*field->type());
    if (!type) return std::unexpected(type.error().with_context(std::format("column '{}'", field->name())));
    Field column;
    column.column = field->name();
    column.type = std::move(*type);
    column.nullable = field->nullable();
    out.info.columns.push_back(std::move(column));
  }
  // DESCRIBE TABLE EXTENDED: the partition fields under "# Partitioning",
  // the root under "Location".
  auto described = session.run({std::format("DESCRIBE TABLE EXTENDED {}", name.sql)});
  LAKE_RETURN_IF_ERROR(described);
  bool in_partitioning = false;
  for (std::int64_t row = 0; row < (*described)->num_rows(); ++row) {
    const std::string key = text_at(**described, "col_name", row);
    const std::string value = text_at(**described, "data_type", row);
    if (key == "# Partitioning") {
      in_partitioning = true;
    } else if (in_partitioning && key.starts_with("Part ")) {
      out.info.partition_columns.push_back(value);
    } else {
      in_partitioning = false;
      if (key == "Location") out.location = value;
    }
  }
  auto properties = session.run({std::format("SHOW TBLPROPERTIES {}", name.sql)});
  LAKE_RETURN_IF_ERROR(properties);
  for (std::int64_t row = 0; row < (*properties)->num_rows(); ++row) {
    const std::string key = text_at(**properties, "key", row);
    const std::string value = text_at(**properties, "value", row);
    if (key == "current-snapshot-id") {
      std::int64_t id = -1;
      if (std::from_chars(value.data(), value.data() + value.size(), id).ec == std::errc{}) out.info.version = id;
    } else {
      out.info.properties[key] = value;
    }
  }
  return std::optional<Description>(std::move(out));
}

Result<std::vector<Snapshot>> snapshots(SqlSession& session, const TableName& name, std::optional<std::size_t> limit,
                                        std::optional<std::pair<std::string_view, std::string_view>> tag) {
  std::string sql = std::format(
      "SELECT snapshot_id, committed_at, operation, to_json(summary) AS summary FROM {}.snapshots", name.sql);
  std::vector<SqlValue> params;
  if (tag) {
    sql += " WHERE summary[?] = ?";
    params.emplace_back(std::string(tag->first));
    params.emplace_back(std::string(tag->second));
  }
  sql += " ORDER BY committed_at DESC";
  if (limit) sql += std::format(" LIMIT {}", *limit);
  auto rows = session.run({std::move(sql), std::move(params)});
  LAKE_RETURN_IF_ERROR(rows);
  std::vector<Snapshot> out;
  for (std::int64_t row = 0; row < (*rows)->num_rows(); ++row)
    out.push_back({.id = int_at(**rows, "snapshot_id", row),
                   .committed_at = time_at(**rows, "committed_at", row),
                   .operation = text_at(**rows, "operation", row),
                   .summary_json = text_at(**rows, "summary", row)});
  return out;
}

Result<TableStats> stats(SqlSession& session, const TableName& name) {
  auto files = session.run({std::format(
      "SELECT count(*) AS files, coalesce(sum(record_count), 0) AS records, "
      "coalesce(sum(file_size_in_bytes), 0) AS bytes FROM {}.data_files",
      name.sql)});
  LAKE_RETURN_IF_ERROR(files);
  auto history = session.run({std::format(
      "SELECT count(*) AS versions, max(committed_at) AS last_commit, max_by(snapshot_id, committed_at) AS latest, "
      "min_by(snapshot_id, committed_at) AS oldest "
      "FROM {}.snapshots",
      name.sql)});
  LAKE_RETURN_IF_ERROR(history);
  TableStats out;
  out.files = int_at(**files, "files", 0);
  out.rows = int_at(**files, "records", 0);
  out.bytes = int_at(**files, "bytes", 0);
  out.versions = int_at(**history, "versions", 0);
  out.last_commit = time_at(**history, "last_commit", 0);
  out.version = out.versions > 0 ? int_at(**history, "latest", 0) : -1;
  out.oldest_version = out.versions > 0 ? int_at(**history, "oldest", 0) : -1;
  return out;
}

std::vector<HistoryEntry> history(const std::vector<Snapshot>& snapshots) {
  std::vector<HistoryEntry> out;
  out.reserve(snapshots.size());
  for (const auto& snapshot : snapshots)
    out.push_back({snapshot.id, snapshot.committed_at, snapshot.operation, snapshot.summary_json});
  return out;
}

Result<SqlStatement> rewrite_data_files_statement(const TableName& name,
                                               const std::optional<arrow::compute::Expression>& where,
                                               const std::vector<std::string>& zorder_by,
                                               std::optional<std::int64_t> target_file_bytes) {
  std::string sql = std::format("CALL {}.system.rewrite_data_files(table => {}", name.catalog, name.procedure_argument);
  if (!zorder_by.empty()) {
    std::string columns;
    for (const auto& column : zorder_by) columns += (columns.empty() ? "" : ",") + column;
    sql += std::format(", strategy => 'sort', sort_order => {}", quote_string(std::format("zorder({})", columns)));
  }
  if (where) {
    auto predicate = to_spark_sql(*where);
    if (!predicate) return std::unexpected(predicate.error().with_context("the optimize filter"));
    sql += std::format(", where => {}", quote_string(inline_parameters(*predicate)));
  }
  sql += ", options => map('min-input-files', '2'";
  if (target_file_bytes) sql += std::format(", 'target-file-size-bytes', '{}'", *target_file_bytes);
  sql += "))";
  return SqlStatement{std::move(sql), {}};
}

Result<std::vector<std::pair<std::string, std::int64_t>>> files_only_in_snapshots_before(SqlSession& session,
                                                                                        const TableName& name,
                                                                                        timestamp cutoff) {
  auto all = snapshots(session, name, std::nullopt);
  LAKE_RETURN_IF_ERROR(all);
  std::string retained;
  for (std::size_t i = 0; i < all->size(); ++i) {
    const Snapshot& snapshot = (*all)[i];
    if (i > 0 && snapshot.committed_at < cutoff) continue;  // the newest is always kept
    retained += std::format("{}SELECT file_path FROM {}.files VERSION AS OF {}", retained.empty() ? "" : " UNION ALL ",
                            name.sql, snapshot.id);
  }
  std::string sql = std::format("SELECT DISTINCT file_path, file_size_in_bytes FROM {}.all_files", name.sql);
  if (!retained.empty()) sql += std::format(" WHERE file_path NOT IN ({})", retained);
  auto rows = session.run({std::move(sql)});
  LAKE_RETURN_IF_ERROR(rows);
  std::vector<std::pair<std::string, std::int64_t>> out;
  for (std::int64_t row = 0; row < (*rows)->num_rows(); ++row)
    out.emplace_back(text_at(**rows, "file_path", row), int_at(**rows, "file_size_in_bytes", row));
  return out;
}

SqlStatement expire_snapshots_statement(const TableName& name, timestamp cutoff) {
  return {std::format("CALL {}.system.expire_snapshots(table => {}, older_than => {}, retain_last => 1)", name.catalog,
                      name.procedure_argument, timestamp_literal(cutoff)),
          {}};
}

}  // namespace lake::dialects::iceberg

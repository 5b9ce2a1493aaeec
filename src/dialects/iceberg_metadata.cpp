#include "dialects/iceberg_metadata.hpp"

#include <arrow/scalar.h>
#include <arrow/table.h>

#include <nlohmann/json.hpp>

#include <charconv>
#include <format>

#include "core/propagate.hpp"
#include "dialects/engine_files.hpp"
#include "iceberg/iceberg_format.hpp"
#include "iceberg/table_metadata.hpp"
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

namespace {

// The table's current metadata as the engine's catalog knows it: the newest
// entry of its metadata_log_entries table (the current file is always
// there), the file read through the engine. Read-only: the engine commits.
class EngineCatalog final : public lake::iceberg::Catalog {
 public:
  EngineCatalog(SqlSession& session, TableName name, std::shared_ptr<Backend> files)
      : session_(session), name_(std::move(name)), files_(std::move(files)) {}

  Result<std::optional<lake::iceberg::CurrentMetadata>> load(const std::string&) override {
    auto newest = session_.run({std::format(
        "SELECT file FROM {}.metadata_log_entries ORDER BY timestamp DESC, latest_sequence_number DESC NULLS LAST LIMIT 1",
        name_.sql)});
    if (!newest && newest.error().code() == ErrorCode::not_found) return std::optional<lake::iceberg::CurrentMetadata>{};
    LAKE_RETURN_IF_ERROR(newest);
    if ((*newest)->num_rows() == 0) return std::optional<lake::iceberg::CurrentMetadata>{};
    lake::iceberg::CurrentMetadata current{.location = text_at(**newest, "file", 0), .metadata = {}};
    LAKE_ASSIGN_OR_RETURN(auto text, files_->get_text(current.location));
    LAKE_ASSIGN_OR_RETURN(current.metadata, lake::iceberg::parse_table_metadata(text, current.location));
    root_ = current.metadata.location;
    return std::optional(std::move(current));
  }
  // The table's root, as the metadata last loaded records it.
  [[nodiscard]] const std::string& root() const { return root_; }
  Result<lake::iceberg::CurrentMetadata> commit(const std::string& table, const lake::iceberg::CurrentMetadata*,
                                                const lake::iceberg::TableMetadata&) override {
    return fail(ErrorCode::unsupported, std::format("Iceberg table '{}': on Spark, the engine commits", table));
  }
  Status drop(const std::string& table) override {
    return fail(ErrorCode::unsupported, std::format("Iceberg table '{}': on Spark, the engine drops tables", table));
  }
  std::string default_location(const std::string&) const override { return {}; }

 private:
  SqlSession& session_;
  TableName name_;
  std::shared_ptr<Backend> files_;
  std::string root_;
};

// A handle on the table through the engine (nullptr: no such table), and
// the table's root as its metadata records it.
struct EngineTable {
  std::unique_ptr<formats::FormatTable> handle;
  std::string location;
};

Result<EngineTable> open_through_engine(SqlSession& session, const TableName& name) {
  auto files = std::make_shared<EngineFiles>(session);
  auto catalog = std::make_shared<EngineCatalog>(session, name, files);
  LAKE_ASSIGN_OR_RETURN(auto handle, lake::iceberg::open_in(files, catalog, name.sql));
  if (!handle) return EngineTable{};
  return EngineTable{std::move(handle), catalog->root()};
}

}  // namespace

Result<std::optional<Description>> describe(SqlSession& session, const TableRef& table, const TableName& name) {
  LAKE_ASSIGN_OR_RETURN(auto opened, open_through_engine(session, name));
  if (!opened.handle) return std::optional<Description>{};
  Description out{.info = formats::table_info(table, *opened.handle), .location = std::move(opened.location)};
  return std::optional<Description>(std::move(out));
}

Result<TableStats> stats(SqlSession& session, const TableName& name) {
  LAKE_ASSIGN_OR_RETURN(auto opened, open_through_engine(session, name));
  if (!opened.handle) return fail(ErrorCode::not_found, std::format("there is no Iceberg table {}", name.sql));
  return opened.handle->stats();
}

Result<std::vector<HistoryEntry>> history(SqlSession& session, const TableName& name, std::optional<std::size_t> limit) {
  LAKE_ASSIGN_OR_RETURN(auto opened, open_through_engine(session, name));
  if (!opened.handle) return fail(ErrorCode::not_found, std::format("there is no Iceberg table {}", name.sql));
  return opened.handle->history(limit);
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

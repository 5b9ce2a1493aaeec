#include "drivers/spark/write_statements.hpp"

#include <format>

#include "core/propagate.hpp"
#include "sql/spark_sql.hpp"
#include "sql/expression_sql.hpp"
#include "lake/schema/schema.hpp"

namespace lake::spark {
namespace {

using spark_sql::quote_identifier;
using spark_sql::to_spark_sql;

std::string column_list(const std::vector<std::string>& columns, std::string_view qualifier = {}) {
  return spark_sql::identifier_list(columns, qualifier);
}

// SELECT * FROM source WHERE _ingest_id = ? [AND (filter)]
Result<Statement> bounded_source(const MergeSpec& merge) {
  Statement out{std::format("SELECT * FROM {} WHERE {} = ?", merge.source, quote_identifier(kIngestIdColumn)),
                {SqlValue(merge.ingest_id)}};
  if (merge.source_filter) {
    auto filter = to_spark_sql(*merge.source_filter);
    if (!filter) return std::unexpected(filter.error().with_context("the merge filter"));
    out.sql += " AND " + filter->text;
    for (auto& value : filter->params) out.params.push_back(std::move(value));
  }
  return out;
}

std::string key_condition(const std::vector<std::string>& keys) {
  std::string out;
  for (const auto& key : keys)
    out += std::format("{}target.{} = source.{}", out.empty() ? "" : " AND ", quote_identifier(key),
                       quote_identifier(key));
  return out;
}

}  // namespace

std::string view_source(std::string_view view) { return quote_identifier(view); }

std::string parquet_source(std::string_view uri) { return "parquet." + quote_identifier(uri); }

Statement insert_statement(std::string_view table, const std::vector<std::string>& columns, std::string_view source) {
  return {std::format("INSERT INTO {} ({}) SELECT {} FROM {}", quote_identifier(table), column_list(columns),
                      column_list(columns), source),
          {}};
}

Result<std::optional<Statement>> merge_statement(const MergeSpec& merge) {
  if (merge.keys.empty()) return fail(ErrorCode::invalid_argument, std::format("a merge into '{}' needs keys", merge.table));
  std::string clauses;
  switch (merge.on_match) {
    case OnMatch::update: clauses += " WHEN MATCHED THEN UPDATE SET *"; break;
    case OnMatch::remove: clauses += " WHEN MATCHED THEN DELETE"; break;
    case OnMatch::skip: break;
    case OnMatch::fail:
      // Raises on the first matched row: the MERGE fails and commits nothing.
      clauses += std::format(" WHEN MATCHED AND raise_error({}) IS NULL THEN DELETE",
                             spark_sql::quote_string(kKeyExistsMarker));
      break;
  }
  if (merge.on_no_match == OnNoMatch::insert) clauses += " WHEN NOT MATCHED THEN INSERT *";
  if (clauses.empty()) return std::optional<Statement>{};
  auto source = bounded_source(merge);
  LAKE_RETURN_IF_ERROR(source);
  Statement out{std::format("MERGE INTO {} AS target USING ({}) AS source ON {}{}", quote_identifier(merge.table),
                            source->sql, key_condition(merge.keys), clauses),
                std::move(source->params)};
  return std::optional<Statement>(std::move(out));
}

Result<Statement> merge_count_query(const MergeSpec& merge) {
  auto source = bounded_source(merge);
  LAKE_RETURN_IF_ERROR(source);
  return Statement{std::format("SELECT count(*) AS source_rows, count(target.`__lake_matched`) AS matched_rows FROM ({}) "
                               "AS source LEFT JOIN (SELECT DISTINCT {}, true AS `__lake_matched` FROM {}) AS target ON {}",
                               source->sql, column_list(merge.keys), quote_identifier(merge.table),
                               key_condition(merge.keys)),
                   std::move(source->params)};
}

Result<Statement> conflicting_key_query(const MergeSpec& merge) {
  auto source = bounded_source(merge);
  LAKE_RETURN_IF_ERROR(source);
  return Statement{std::format("SELECT {} FROM ({}) AS source JOIN {} AS target ON {} LIMIT 1",
                               column_list(merge.keys, "source"), source->sql, quote_identifier(merge.table),
                               key_condition(merge.keys)),
                   std::move(source->params)};
}

Result<Statement> delete_statement(std::string_view table, const arrow::compute::Expression& predicate) {
  auto where = to_spark_sql(predicate);
  if (!where) return std::unexpected(where.error().with_context("the delete predicate"));
  return Statement{std::format("DELETE FROM {} WHERE {}", quote_identifier(table), where->text),
                   std::move(where->params)};
}

Result<Statement> replace_statement(std::string_view table, std::string_view source, const std::string& ingest_id,
                                    const arrow::compute::Expression& predicate) {
  auto where = to_spark_sql(predicate);
  if (!where) return std::unexpected(where.error().with_context("the replace predicate"));
  // In a NOT MATCHED BY SOURCE clause only the target's columns are in
  // scope, so the predicate's unqualified names are the table's.
  Statement out{std::format("MERGE INTO {} AS target USING (SELECT * FROM {} WHERE {} = ?) AS source ON false "
                            "WHEN NOT MATCHED THEN INSERT * WHEN NOT MATCHED BY SOURCE AND ({}) THEN DELETE",
                            quote_identifier(table), source, quote_identifier(kIngestIdColumn), where->text),
                {SqlValue(ingest_id)}};
  for (auto& value : where->params) out.params.push_back(std::move(value));
  return out;
}

Result<Statement> replace_count_query(std::string_view table, const arrow::compute::Expression& predicate) {
  auto where = to_spark_sql(predicate);
  if (!where) return std::unexpected(where.error().with_context("the replace predicate"));
  return Statement{std::format("SELECT count(*) AS matched_rows FROM {} WHERE {}", quote_identifier(table), where->text),
                   std::move(where->params)};
}

}  // namespace lake::spark

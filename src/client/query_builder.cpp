// lake::QueryBuilder (see lake/query_builder.hpp): a SELECT assembled from
// quoted identifiers and conditions with bound values.
#include "lake/query_builder.hpp"

#include <format>

#include "sql/sql_text.hpp"
#include "client/statement_runner.hpp"
#include "core/propagate.hpp"

namespace lake {

QueryBuilder& QueryBuilder::from(std::string table) {
  table_ = std::move(table);
  return *this;
}

QueryBuilder& QueryBuilder::select(std::vector<std::string> columns) {
  columns_ = std::move(columns);
  return *this;
}

QueryBuilder& QueryBuilder::where_values(std::string condition, SqlParams values) {
  conditions_.push_back({std::move(condition), std::move(values)});
  return *this;
}

QueryBuilder& QueryBuilder::order_by(std::string column, Order order) {
  orderings_.push_back({std::move(column), order});
  return *this;
}

QueryBuilder& QueryBuilder::limit(std::int64_t rows) {
  limit_ = rows;
  return *this;
}

QueryBuilder& QueryBuilder::offset(std::int64_t rows) {
  offset_ = rows;
  return *this;
}

Result<BuiltQuery> QueryBuilder::build() const {
  if (error_) return std::unexpected(*error_);
  if (table_.empty()) return fail(ErrorCode::invalid_argument, "the query names no table: call from(\"table\")");
  auto table = runner_->quote_table(table_);
  LAKE_RETURN_IF_ERROR(table);
  BuiltQuery out;
  std::string columns;
  for (const auto& column : columns_) {
    if (column.empty()) return fail(ErrorCode::invalid_argument, "select(): a column name is empty");
    columns += (columns.empty() ? "" : ", ") + runner_->quote(column);
  }
  out.sql = std::format("SELECT {} FROM {}", columns.empty() ? "*" : columns, *table);
  for (std::size_t i = 0; i < conditions_.size(); ++i) {
    const auto& condition = conditions_[i];
    if (condition.sql.find_first_not_of(" \t\r\n") == std::string::npos)
      return fail(ErrorCode::invalid_argument, "where(): the condition is empty");
    const auto markers = sql::count_placeholders(condition.sql);
    if (markers != condition.values.size())
      return fail(ErrorCode::invalid_argument,
                  std::format("where(\"{}\"): the condition has {} `?` marker(s) but {} value(s) were given",
                              condition.sql, markers, condition.values.size()));
    out.sql += std::format("{}({})", i == 0 ? " WHERE " : " AND ", condition.sql);
    out.params.insert(out.params.end(), condition.values.begin(), condition.values.end());
  }
  for (std::size_t i = 0; i < orderings_.size(); ++i) {
    const auto& ordering = orderings_[i];
    if (ordering.column.empty()) return fail(ErrorCode::invalid_argument, "order_by(): the column name is empty");
    out.sql += std::format("{}{} {}", i == 0 ? " ORDER BY " : ", ", runner_->quote(ordering.column),
                           ordering.order == Order::ascending ? "ASC" : "DESC");
  }
  if (limit_) {
    if (*limit_ < 0) return fail(ErrorCode::invalid_argument, std::format("limit({}): must not be negative", *limit_));
    out.sql += std::format(" LIMIT {}", *limit_);
  }
  if (offset_) {
    if (*offset_ < 0)
      return fail(ErrorCode::invalid_argument, std::format("offset({}): must not be negative", *offset_));
    out.sql += std::format(" OFFSET {}", *offset_);
  }
  return out;
}

Result<DataFrame> QueryBuilder::data_frame() const {
  auto built = build();
  LAKE_RETURN_IF_ERROR(built);
  return DataFrame::make(runner_, std::move(built->sql), std::move(built->params));
}

Result<std::vector<Row>> QueryBuilder::collect() const {
  auto frame = data_frame();
  LAKE_RETURN_IF_ERROR(frame);
  return frame->collect();
}

Result<std::shared_ptr<arrow::Table>> QueryBuilder::to_arrow() const {
  auto frame = data_frame();
  LAKE_RETURN_IF_ERROR(frame);
  return frame->to_arrow();
}

}  // namespace lake

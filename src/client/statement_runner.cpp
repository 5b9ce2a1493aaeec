// How untyped results run their statements (see the header).
#include "client/statement_runner.hpp"

#include <format>

#include "core/propagate.hpp"
#include "sql/table_names.hpp"

namespace lake::detail {

Status StatementRunner::check_open() const {
  if (core->closed()) return fail(ErrorCode::closed, "the client is closed");
  return {};
}

template <class T>
Result<T> StatementRunner::counted(Result<T> result) const {
  core->metrics.increment("lake_queries_total", {{"outcome", result ? "ok" : "error"}});
  return result;
}

Result<std::shared_ptr<arrow::RecordBatchReader>> StatementRunner::query(std::string_view sql,
                                                                         std::span<const SqlValue> params) const {
  LAKE_RETURN_IF_ERROR(check_open());
  return counted(held ? held->query(sql, params) : core->driver->query(sql, params));
}

Result<std::int64_t> StatementRunner::exec(std::string_view sql, std::span<const SqlValue> params) const {
  LAKE_RETURN_IF_ERROR(check_open());
  return counted(held ? held->exec(sql, params) : core->driver->exec(sql, params));
}

Result<std::shared_ptr<arrow::Schema>> StatementRunner::result_schema(std::string_view sql,
                                                                      std::span<const SqlValue> params) const {
  LAKE_RETURN_IF_ERROR(check_open());
  if (held) return held->result_schema(sql, params);
  auto session = core->driver->open_session();
  LAKE_RETURN_IF_ERROR(session);
  return (*session)->result_schema(sql, params);
}

Result<std::string> StatementRunner::native_plan(std::string_view sql, std::span<const SqlValue> params) const {
  LAKE_RETURN_IF_ERROR(check_open());
  return core->driver->native_plan(sql, params);
}

std::string StatementRunner::quote(std::string_view identifier) const {
  return core->driver->quote_identifier(identifier);
}

Result<std::string> StatementRunner::quote_table(std::string_view name) const {
  return sql::quoted_table_name(name, [this](std::string_view part) { return quote(part); });
}

}  // namespace lake::detail

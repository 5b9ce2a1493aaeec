// lake::Session (see lake/session.hpp): a runner holding one engine session.
#include "lake/session.hpp"

#include "client/statement_runner.hpp"
#include "core/propagate.hpp"

namespace lake {

Result<std::shared_ptr<arrow::RecordBatchReader>> Session::query(std::string_view sql,
                                                                 std::span<const SqlValue> params) const {
  return runner_->query(sql, params);
}

Result<std::int64_t> Session::exec(std::string_view sql, std::span<const SqlValue> params) const {
  return runner_->exec(sql, params);
}

Result<DataFrame> Session::sql(std::string sql, SqlParams params) const {
  return DataFrame::make(runner_, std::move(sql), std::move(params));
}

Result<DataFrame> Session::table(std::string_view name) const {
  auto quoted = runner_->quote_table(name);
  LAKE_RETURN_IF_ERROR(quoted);
  return DataFrame::make(runner_, "SELECT * FROM " + *quoted, {});
}

QueryBuilder Session::query_builder() const { return QueryBuilder(runner_); }

}  // namespace lake

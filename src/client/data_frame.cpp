// lake::DataFrame (see lake/data_frame.hpp): a statement and its values,
// run again for each operation through the client's statement runner.
#include "lake/data_frame.hpp"

#include <arrow/scalar.h>

#include <format>

#include "sql/sql_text.hpp"
#include "client/statement_runner.hpp"
#include "core/propagate.hpp"
#include "lake/arrow/detail/status.hpp"

namespace lake {
namespace {

// The statement as a subquery: without the semicolons and comments it may
// end with, and on lines of its own so that a line comment inside it ends
// before the closing parenthesis.
std::string as_subquery(std::string_view sql) { return std::format("(\n{}\n)", sql::statement_body(sql)); }

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
std::generator<Result<Row>> stream_rows(std::shared_ptr<const detail::StatementRunner> runner, std::string sql,
                                        SqlParams params) {
  auto reader = runner->query(sql, params);
  if (!reader) {
    co_yield Result<Row>(std::unexpected(reader.error()));
    co_return;
  }
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    if (auto status = (*reader)->ReadNext(&batch); !status.ok()) {
      co_yield Result<Row>(fail(detail::from_arrow_status(status, "reading query results")));
      co_return;
    }
    if (!batch) co_return;
    for (std::int64_t i = 0; i < batch->num_rows(); ++i) co_yield Result<Row>(Row(batch, i));
  }
}
#pragma GCC diagnostic pop

}  // namespace

Result<DataFrame> DataFrame::make(std::shared_ptr<const detail::StatementRunner> runner, std::string sql,
                                  SqlParams params) {
  auto schema = runner->result_schema(sql, params);
  LAKE_RETURN_IF_ERROR(schema);
  return DataFrame(std::move(runner), std::move(sql), std::move(params), std::move(*schema));
}

Result<std::int64_t> DataFrame::count() const {
  auto reader = runner_->query(std::format("SELECT count(*) AS lake_count FROM {} AS lake_counted", as_subquery(sql_)),
                               params_);
  LAKE_RETURN_IF_ERROR(reader);
  auto table = (*reader)->ToTable();
  if (!table.ok()) return fail(detail::from_arrow_status(table.status(), "counting the rows"));
  if ((*table)->num_rows() != 1 || (*table)->num_columns() != 1)
    return fail(ErrorCode::internal, std::format("counting the rows returned {} rows", (*table)->num_rows()));
  auto scalar = (*table)->column(0)->GetScalar(0);
  if (!scalar.ok()) return fail(detail::from_arrow_status(scalar.status(), "counting the rows"));
  auto as_int = (*scalar)->CastTo(arrow::int64());
  if (!as_int.ok()) return fail(detail::from_arrow_status(as_int.status(), "counting the rows"));
  return std::static_pointer_cast<arrow::Int64Scalar>(*as_int)->value;
}

Result<std::shared_ptr<arrow::RecordBatchReader>> DataFrame::reader() const { return runner_->query(sql_, params_); }

Result<std::vector<Row>> DataFrame::collect() const {
  auto reader = this->reader();
  LAKE_RETURN_IF_ERROR(reader);
  std::vector<Row> rows;
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    if (auto status = (*reader)->ReadNext(&batch); !status.ok())
      return fail(detail::from_arrow_status(status, "reading query results"));
    if (!batch) return rows;
    for (std::int64_t i = 0; i < batch->num_rows(); ++i) rows.emplace_back(batch, i);
  }
}

Result<std::shared_ptr<arrow::Table>> DataFrame::to_arrow() const {
  auto reader = this->reader();
  LAKE_RETURN_IF_ERROR(reader);
  auto table = (*reader)->ToTable();
  if (!table.ok()) return fail(detail::from_arrow_status(table.status(), "reading query results"));
  return std::move(*table);
}

std::generator<Result<Row>> DataFrame::stream() const { return stream_rows(runner_, sql_, params_); }

Result<std::string> DataFrame::native_plan() const { return runner_->native_plan(sql_, params_); }

}  // namespace lake

// A pooled Spark session held by its caller (see the header).
#include "drivers/spark/held_session.hpp"

#include "core/propagate.hpp"
#include "drivers/spark/pooled_result_reader.hpp"
#include "drivers/spark/spark_errors.hpp"
#include "sql/command_output.hpp"

namespace lake::spark {

template <class T>
Result<T> HeldSession::noting_loss(Result<T> result) {
  if (!result && (session_lost(result.error()) || lease_->lost())) lease_.discard();
  return result;
}

Result<std::shared_ptr<arrow::RecordBatchReader>> HeldSession::query(std::string_view sql,
                                                                     std::span<const SqlValue> params) {
  auto reader = lease_->query(sql, {.positional = params, .named = {}});
  if (!reader) return noting_loss(Result<std::shared_ptr<arrow::RecordBatchReader>>(std::unexpected(reader.error())));
  // The reader keeps this session (and so its lease) until it is done.
  return noting_loss(PooledResultReader::open(shared_from_this(), std::move(*reader)));
}

Result<std::int64_t> HeldSession::exec(std::string_view sql, std::span<const SqlValue> params) {
  auto output = lease_->execute(sql, {.positional = params, .named = {}});
  if (!output) return noting_loss(Result<std::int64_t>(std::unexpected(output.error())));
  return spark_sql::output_count(*output, "num_affected_rows");
}

Result<std::shared_ptr<arrow::Schema>> HeldSession::result_schema(std::string_view sql,
                                                                  std::span<const SqlValue> params) {
  return noting_loss(lease_->analyze_schema(sql, {.positional = params, .named = {}}));
}

}  // namespace lake::spark

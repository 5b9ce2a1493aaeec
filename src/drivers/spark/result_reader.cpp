#include "drivers/spark/result_reader.hpp"

#include <vector>

#include "core/propagate.hpp"
#include "drivers/spark/arrow_batches.hpp"
#include "drivers/spark/spark_types.hpp"

namespace lake::spark {

Result<std::shared_ptr<arrow::RecordBatch>> ResultReader::next() {
  while (pending_.empty()) {
    auto response = execution_->next();
    LAKE_RETURN_IF_ERROR(response);
    if (!*response) return std::shared_ptr<arrow::RecordBatch>{};
    auto& message = **response;
    if (message.has_schema() && !schema_) {
      auto schema = to_arrow_schema(message.schema());
      if (schema) schema_ = std::move(*schema);  // the Arrow data's own schema still wins
    }
    if (message.has_arrow_batch()) {
      auto decoded = decode_arrow_ipc_stream(std::move(*message.mutable_arrow_batch()->mutable_data()));
      LAKE_RETURN_IF_ERROR(decoded);
      schema_ = decoded->schema;
      for (auto& batch : decoded->batches) {
        if (batch->num_rows() > 0) pending_.push_back(std::move(batch));
      }
    }
  }
  auto batch = std::move(pending_.front());
  pending_.pop_front();
  return batch;
}

Result<std::shared_ptr<arrow::Table>> ResultReader::read_all() {
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  for (;;) {
    auto batch = next();
    LAKE_RETURN_IF_ERROR(batch);
    if (!*batch) break;
    batches.push_back(std::move(*batch));
  }
  auto schema = schema_ ? schema_ : arrow::schema({});
  auto table = arrow::Table::FromRecordBatches(schema, batches);
  if (!table.ok()) return fail(ErrorCode::internal, "spark: cannot assemble the result: " + table.status().ToString());
  return *table;
}

}  // namespace lake::spark

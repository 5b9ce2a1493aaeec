// The rows of a query as Arrow record batches, read as they arrive: one
// ExecutePlan response (one Arrow IPC stream, at most a few MB) is held at
// a time, so a result of any size streams in constant memory. Dropping the
// reader early cancels and releases the operation on the server.
#pragma once

#include <deque>
#include <memory>

#include <arrow/record_batch.h>
#include <arrow/table.h>

#include "drivers/spark/execution.hpp"
#include "lake/error.hpp"

namespace lake::spark {

class ResultReader {
 public:
  explicit ResultReader(std::unique_ptr<Execution> execution) : execution_(std::move(execution)) {}

  // The next batch, or nullptr after the last one.
  [[nodiscard]] Result<std::shared_ptr<arrow::RecordBatch>> next();
  // The result's schema: known once next() returned a batch or the end
  // (Spark announces it before the data, and an empty result has one too).
  [[nodiscard]] const std::shared_ptr<arrow::Schema>& schema() const noexcept { return schema_; }
  // Everything that is left, as one table (for small results).
  [[nodiscard]] Result<std::shared_ptr<arrow::Table>> read_all();

  [[nodiscard]] Execution& execution() noexcept { return *execution_; }

 private:
  std::unique_ptr<Execution> execution_;
  std::deque<std::shared_ptr<arrow::RecordBatch>> pending_;
  std::shared_ptr<arrow::Schema> schema_;
};

}  // namespace lake::spark

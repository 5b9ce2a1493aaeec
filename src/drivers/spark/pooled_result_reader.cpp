// The Spark driver's record batch readers (see the header).
#include "drivers/spark/pooled_result_reader.hpp"
#include "core/propagate.hpp"

#include <utility>

namespace lake::spark {

Result<std::shared_ptr<arrow::RecordBatchReader>> PooledResultReader::open(std::shared_ptr<const void> session,
                                                                           ResultReader reader) {
  auto first = reader.next();
  LAKE_RETURN_IF_ERROR(first);
  auto out = std::shared_ptr<PooledResultReader>(new PooledResultReader(std::move(session), std::move(reader)));
  if (*first) out->pending_ = std::move(*first);
  out->schema_ = out->reader_.schema() ? out->reader_.schema() : arrow::schema({});
  return std::shared_ptr<arrow::RecordBatchReader>(std::move(out));
}

arrow::Status PooledResultReader::ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) {
  if (pending_) {
    *batch = std::move(pending_);
    pending_.reset();
    return arrow::Status::OK();
  }
  auto next = reader_.next();
  if (!next) return arrow::Status::IOError(next.error().to_string());
  *batch = std::move(*next);
  return arrow::Status::OK();
}

arrow::Status CountingReader::ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) {
  ARROW_RETURN_NOT_OK(inner_->ReadNext(batch));
  if (*batch) rows_ += (*batch)->num_rows();
  return arrow::Status::OK();
}

}  // namespace lake::spark

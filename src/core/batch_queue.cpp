#include "core/batch_queue.hpp"

#include <algorithm>
#include <utility>

namespace lake::detail {

BatchQueue::BatchQueue(std::shared_ptr<arrow::Schema> schema, std::size_t capacity)
    : schema_(std::move(schema)), capacity_(std::max<std::size_t>(capacity, 1)) {}

bool BatchQueue::push(std::shared_ptr<arrow::RecordBatch> batch) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return !reading_ || closed_ || !cancelled_.ok() || queued_.size() < capacity_; });
  if (!reading_ || closed_ || !cancelled_.ok()) return false;
  queued_.push_back(std::move(batch));
  changed_.notify_all();
  return true;
}

void BatchQueue::close() {
  std::scoped_lock lock(mutex_);
  closed_ = true;
  changed_.notify_all();
}

void BatchQueue::cancel(arrow::Status reason) {
  std::scoped_lock lock(mutex_);
  if (reason.ok()) reason = arrow::Status::Cancelled("the rows' stream was cancelled");
  if (cancelled_.ok()) cancelled_ = std::move(reason);
  queued_.clear();
  changed_.notify_all();
}

arrow::Status BatchQueue::ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return !cancelled_.ok() || !queued_.empty() || closed_ || !reading_; });
  batch->reset();
  if (!cancelled_.ok()) return cancelled_;
  if (!queued_.empty()) {
    *batch = std::move(queued_.front());
    queued_.pop_front();
    changed_.notify_all();  // room for a waiting producer
  }
  return arrow::Status::OK();
}

void BatchQueue::stop_reading() {
  std::scoped_lock lock(mutex_);
  reading_ = false;
  queued_.clear();
  changed_.notify_all();
}

}  // namespace lake::detail

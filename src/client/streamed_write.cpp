#include "client/streamed_write.hpp"

#include <exception>
#include <format>
#include <utility>


namespace lake::detail {
namespace {

// Batches waiting between the session and the engine: two, so that
// neither waits on the other at every batch while the rows in flight stay
// within a few ClientOptions::staging_batch_bytes (client_scale_test's
// peak-memory bound).
constexpr std::size_t kQueuedBatches = 2;

}  // namespace

std::unique_ptr<StreamedWrite> StreamedWrite::start(Driver& driver, WritePlan plan,
                                                    std::shared_ptr<arrow::Schema> schema) {
  auto queue = std::make_shared<BatchQueue>(std::move(schema), kQueuedBatches);
  std::unique_ptr<StreamedWrite> write(new StreamedWrite(queue));
  plan.rows = queue;
  write->worker_ = std::thread([&driver, plan = std::move(plan), queue, self = write.get()]() mutable {
    try {
      self->outcome_ = driver.execute(std::move(plan));
    } catch (const std::exception& e) {
      self->outcome_ = fail(ErrorCode::internal, std::format("the engine's write threw: {}", e.what()));
    } catch (...) {
      self->outcome_ = fail(ErrorCode::internal, "the engine's write threw");
    }
    // Whatever happened, the session must not wait for a reader that is gone.
    queue->stop_reading();
  });
  return write;
}

StreamedWrite::~StreamedWrite() {
  if (!worker_.joinable()) return;
  queue_->cancel(arrow::Status::Cancelled("the write was abandoned"));
  join();
  // An execution that ended anyway (a duplicate write reads no rows) is
  // aborted by its finalizer's destruction, with outcome_.
}

void StreamedWrite::join() {
  if (worker_.joinable()) worker_.join();
}

Status StreamedWrite::add(std::shared_ptr<arrow::RecordBatch> rows) {
  if (worker_.joinable()) {
    if (queue_->push(std::move(rows))) return {};
    join();
  }
  // The engine stopped reading: it failed (its error is the write's), or
  // it needs no more rows.
  if (!outcome_) return fail(ErrorCode::invalid_argument, "the streamed write was already finished");
  if (!*outcome_) return std::unexpected(outcome_->error());
  return {};
}

Result<Execution> StreamedWrite::finish() {
  if (!worker_.joinable() && !outcome_) return fail(ErrorCode::invalid_argument, "the streamed write was already finished");
  queue_->close();
  join();
  if (!outcome_) return fail(ErrorCode::internal, "the engine's write ended without a result");
  Result<Execution> outcome = std::move(*outcome_);
  outcome_.reset();
  return outcome;
}

}  // namespace lake::detail

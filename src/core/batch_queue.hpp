// Rows handed from one thread to another as a stream: a producer pushes
// record batches as it makes them, a consumer reads them as an
// arrow::RecordBatchReader on its own thread. The Client's large inserts
// use it to give an engine that writes the table's files itself (the
// embedded one) their rows as they come, so they are encoded once, into
// the table's files, instead of into staged parts first.
//
// Bounded: at most `capacity` batches wait, and a producer that would add
// one more waits for the consumer, so memory stays within a few batches
// however many rows the write has. Either side can stop the stream: the
// producer cancels it (the consumer's next read fails with the reason it
// gave), or the consumer stops reading (every push from then on, and any
// waiting one, returns false). Internal to lake-orm.
#pragma once

#include <arrow/record_batch.h>
#include <arrow/status.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>

namespace lake::detail {

class BatchQueue final : public arrow::RecordBatchReader {
 public:
  BatchQueue(std::shared_ptr<arrow::Schema> schema, std::size_t capacity);

  // ---- the producer ----
  // Adds a batch, waiting while `capacity` batches are queued. False when
  // the consumer has stopped reading (the batch is dropped) or the stream
  // was closed or cancelled.
  [[nodiscard]] bool push(std::shared_ptr<arrow::RecordBatch> batch);
  // The end of the rows: once the queued batches are read, ReadNext gives
  // the end of the stream.
  void close();
  // Ends the stream with an error: the consumer's next ReadNext returns
  // `reason` (queued batches are dropped), whatever it had read before.
  void cancel(arrow::Status reason);

  // ---- the consumer ----
  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }
  // The next batch in push order, waiting for one; null at the end.
  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override;
  // The consumer reads no more: queued batches are dropped and pushes
  // return false from now on, so a producer never waits for a reader that
  // is gone.
  void stop_reading();

 private:
  const std::shared_ptr<arrow::Schema> schema_;
  const std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::shared_ptr<arrow::RecordBatch>> queued_;
  bool closed_ = false;
  bool reading_ = true;
  arrow::Status cancelled_;
};

}  // namespace lake::detail

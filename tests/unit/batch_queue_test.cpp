// core/batch_queue: batches cross from a producer thread to a reader in
// order; a full queue holds the producer back; either side can stop the
// stream, and neither is then left waiting for the other.
#include <arrow/api.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "core/batch_queue.hpp"

namespace {

using lake::detail::BatchQueue;

std::shared_ptr<arrow::Schema> schema() { return arrow::schema({arrow::field("n", arrow::int64())}); }

std::shared_ptr<arrow::RecordBatch> batch_of(std::int64_t n) {
  arrow::Int64Builder builder;
  EXPECT_TRUE(builder.Append(n).ok());
  return arrow::RecordBatch::Make(schema(), 1, {builder.Finish().ValueOrDie()});
}

std::int64_t value_of(const arrow::RecordBatch& batch) {
  return std::static_pointer_cast<arrow::Int64Array>(batch.column(0))->Value(0);
}

TEST(BatchQueue, BatchesArriveInPushOrderFromAnotherThread) {
  BatchQueue queue(schema(), 2);
  std::thread producer([&] {
    for (std::int64_t n = 0; n < 200; ++n) ASSERT_TRUE(queue.push(batch_of(n)));
    queue.close();
  });
  std::vector<std::int64_t> seen;
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    ASSERT_TRUE(queue.ReadNext(&batch).ok());
    if (!batch) break;
    seen.push_back(value_of(*batch));
  }
  producer.join();
  ASSERT_EQ(seen.size(), 200U);
  for (std::int64_t n = 0; n < 200; ++n) EXPECT_EQ(seen[static_cast<std::size_t>(n)], n);
}

TEST(BatchQueue, AFullQueueHoldsTheProducerUntilABatchIsRead) {
  BatchQueue queue(schema(), 1);
  ASSERT_TRUE(queue.push(batch_of(1)));
  std::atomic<bool> reading = false;
  std::atomic<bool> saw_reading = false;
  std::thread producer([&] {
    ASSERT_TRUE(queue.push(batch_of(2)));  // waits: one batch is queued already
    saw_reading = reading.load();
  });
  reading = true;  // before the read that makes room, so a push that returns saw it
  std::shared_ptr<arrow::RecordBatch> first;
  ASSERT_TRUE(queue.ReadNext(&first).ok());
  producer.join();
  EXPECT_TRUE(saw_reading) << "the second push returned before there was room";
  EXPECT_EQ(value_of(*first), 1);
  std::shared_ptr<arrow::RecordBatch> second;
  ASSERT_TRUE(queue.ReadNext(&second).ok());
  ASSERT_TRUE(second);
  EXPECT_EQ(value_of(*second), 2);
}

TEST(BatchQueue, TheEndComesAfterTheQueuedBatches) {
  BatchQueue queue(schema(), 4);
  ASSERT_TRUE(queue.push(batch_of(7)));
  queue.close();
  EXPECT_FALSE(queue.push(batch_of(8))) << "a closed stream takes no more rows";
  std::shared_ptr<arrow::RecordBatch> batch;
  ASSERT_TRUE(queue.ReadNext(&batch).ok());
  ASSERT_TRUE(batch);
  EXPECT_EQ(value_of(*batch), 7);
  ASSERT_TRUE(queue.ReadNext(&batch).ok());
  EXPECT_FALSE(batch);
}

TEST(BatchQueue, ACancelledStreamFailsTheReaderWithTheReason) {
  BatchQueue queue(schema(), 4);
  ASSERT_TRUE(queue.push(batch_of(1)));
  std::shared_ptr<arrow::RecordBatch> first;
  ASSERT_TRUE(queue.ReadNext(&first).ok());
  ASSERT_TRUE(first);
  std::thread reader_thread([&] {
    // This read waits until the producer gives up (or comes after it did).
    std::shared_ptr<arrow::RecordBatch> batch = first;
    auto status = queue.ReadNext(&batch);
    EXPECT_TRUE(status.IsCancelled()) << status.ToString();
    EXPECT_EQ(status.message(), "the write was abandoned");
    EXPECT_FALSE(batch);
  });
  queue.cancel(arrow::Status::Cancelled("the write was abandoned"));
  reader_thread.join();
  EXPECT_FALSE(queue.push(batch_of(2)));
}

TEST(BatchQueue, AReaderThatStopsReleasesAWaitingProducer) {
  BatchQueue queue(schema(), 1);
  ASSERT_TRUE(queue.push(batch_of(1)));
  std::atomic<bool> pushed = true;
  std::thread producer([&] { pushed = queue.push(batch_of(2)); });
  queue.stop_reading();
  producer.join();
  EXPECT_FALSE(pushed) << "a push after the reader stopped is refused, whether it waited or not";
  std::shared_ptr<arrow::RecordBatch> batch;
  ASSERT_TRUE(queue.ReadNext(&batch).ok());
  EXPECT_FALSE(batch) << "the queued batch was dropped";
}

}  // namespace

// A write whose rows reach the engine while they are still being made:
// the engine's first phase (Driver::execute) runs on a thread of its own,
// reading the plan's rows from a bounded queue (core/batch_queue.hpp) the
// session fills. For engines that write the table's files themselves
// (Driver::streams_rows), this is how a large insert is encoded once,
// straight into the table's data files, with memory bounded by a few
// batches and the format's row groups. Internal to the Client.
#pragma once

#include <arrow/record_batch.h>

#include <memory>
#include <optional>
#include <thread>

#include "core/batch_queue.hpp"
#include "lake/driver.hpp"

namespace lake::detail {

class StreamedWrite {
 public:
  // Starts driver.execute(plan) on its own thread, plan.rows being the
  // stream (rows with `schema`). The driver must outlive the write.
  [[nodiscard]] static std::unique_ptr<StreamedWrite> start(Driver& driver, WritePlan plan,
                                                            std::shared_ptr<arrow::Schema> schema);
  StreamedWrite(const StreamedWrite&) = delete;
  StreamedWrite& operator=(const StreamedWrite&) = delete;
  // Cancels a write that was not finished: the engine's first phase fails
  // (removing what it wrote) or, if it had already ended, its execution is
  // aborted.
  ~StreamedWrite();

  // Hands rows to the engine (waiting while it is behind). The engine's
  // error once its first phase failed; rows it no longer needs (a write
  // found to be a duplicate) are dropped.
  [[nodiscard]] Status add(std::shared_ptr<arrow::RecordBatch> rows);
  // The end of the rows; the engine's first phase, once it has read them.
  [[nodiscard]] Result<Execution> finish();

 private:
  explicit StreamedWrite(std::shared_ptr<BatchQueue> queue) : queue_(std::move(queue)) {}
  // Waits for the engine's first phase to end (once).
  void join();

  std::shared_ptr<BatchQueue> queue_;
  std::thread worker_;
  // Written by the worker before it ends, read after join().
  std::optional<Result<Execution>> outcome_;
};

}  // namespace lake::detail

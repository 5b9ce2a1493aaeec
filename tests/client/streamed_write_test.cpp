// client/streamed_write: the engine's first phase runs on its own thread
// and reads the rows as the session hands them over; the engine's error
// stops the write, an engine that needs no rows does not hold it up, and
// an abandoned write cancels the engine's read. The engine here is a
// stand-in Driver whose execute() only reads the rows: what is under test
// is the hand-over between threads (the embedded engine's streamed
// inserts are proven in client_test, on real tables).
#include <arrow/api.h>
#include <gtest/gtest.h>

#include <atomic>
#include <format>
#include <mutex>
#include <vector>

#include "client/streamed_write.hpp"

namespace {

using lake::ErrorCode;
using lake::Execution;
using lake::Result;
using lake::Status;
using lake::WritePlan;
using lake::WriteResult;

std::shared_ptr<arrow::Schema> schema() { return arrow::schema({arrow::field("n", arrow::int64())}); }

std::shared_ptr<arrow::RecordBatch> batch_of(std::int64_t n) {
  arrow::Int64Builder builder;
  EXPECT_TRUE(builder.Append(n).ok());
  return arrow::RecordBatch::Make(schema(), 1, {builder.Finish().ValueOrDie()});
}

class CountingFinalizer final : public lake::Finalizer {
 public:
  explicit CountingFinalizer(std::int64_t rows) : rows_(rows) {}
  Result<WriteResult> commit() override {
    WriteResult result;
    result.committed = true;
    result.rows_inserted = rows_;
    return result;
  }
  Status abort() override { return {}; }

 private:
  std::int64_t rows_;
};

// A Driver whose execute() reads the plan's rows (all of them, a few, or
// none) and records what it saw. Everything else is refused.
class ReadingDriver final : public lake::Driver {
 public:
  enum class Mode { read_all, fail_after_two, read_none };
  explicit ReadingDriver(Mode mode) : mode_(mode) {}

  Result<Execution> execute(WritePlan plan) override {
    if (mode_ == Mode::read_none) return Execution{std::make_unique<CountingFinalizer>(0)};
    std::int64_t batches = 0;
    while (true) {
      std::shared_ptr<arrow::RecordBatch> batch;
      auto status = plan.rows->ReadNext(&batch);
      if (!status.ok()) {
        read_error = status.ToString();
        return lake::fail(ErrorCode::io, std::format("reading the rows: {}", status.ToString()));
      }
      if (!batch) break;
      {
        std::scoped_lock lock(mutex);
        seen.push_back(std::static_pointer_cast<arrow::Int64Array>(batch->column(0))->Value(0));
      }
      if (mode_ == Mode::fail_after_two && ++batches == 2) return lake::fail(ErrorCode::io, "disk full (injected)");
    }
    return Execution{std::make_unique<CountingFinalizer>(static_cast<std::int64_t>(seen.size()))};
  }

  std::string_view name() const noexcept override { return "reading"; }
  bool streams_rows() const noexcept override { return true; }
  Status attach(lake::DriverContext) override { return {}; }
  Result<std::shared_ptr<arrow::RecordBatchReader>> query(std::string_view, std::span<const lake::SqlValue>) override {
    return refused();
  }
  Result<std::int64_t> exec(std::string_view, std::span<const lake::SqlValue>) override { return refused(); }
  Result<std::shared_ptr<lake::DriverSession>> open_session() override { return refused(); }
  Result<std::string> native_plan(std::string_view, std::span<const lake::SqlValue>) override { return refused(); }
  std::string quote_identifier(std::string_view name) const override { return std::string(name); }
  Result<std::shared_ptr<arrow::RecordBatchReader>> read_staging(const lake::StagingRef&) override { return refused(); }
  Status create_table(const lake::TableRef&, const lake::Schema&, const std::map<std::string, std::string>&) override {
    return refused();
  }
  Status alter_table(const lake::TableRef&, std::span<const std::string>) override { return refused(); }
  Status drop_table(const lake::TableRef&) override { return refused(); }
  Result<std::optional<lake::TableInfo>> describe(const lake::TableRef&) override { return refused(); }
  Result<lake::TableStats> stats(const lake::TableRef&) override { return refused(); }
  Result<std::vector<lake::HistoryEntry>> history(const lake::TableRef&, std::optional<std::size_t>) override {
    return refused();
  }
  Result<lake::OptimizeReport> optimize(const lake::TableRef&, const lake::OptimizeOptions&) override {
    return refused();
  }
  Result<lake::VacuumReport> vacuum(const lake::TableRef&, const lake::VacuumOptions&) override { return refused(); }
  Status ping() override { return {}; }
  Status close() override { return {}; }

  std::mutex mutex;
  std::vector<std::int64_t> seen;
  std::string read_error;  // written by execute(), read after the write joined it

 private:
  static std::unexpected<lake::Error> refused() { return lake::fail(ErrorCode::unsupported, "not this stand-in's"); }
  Mode mode_;
};

TEST(StreamedWrite, TheEngineReadsEveryRowInOrderAndItsExecutionComesBack) {
  ReadingDriver driver(ReadingDriver::Mode::read_all);
  auto write = lake::detail::StreamedWrite::start(driver, WritePlan{}, schema());
  for (std::int64_t n = 0; n < 500; ++n) ASSERT_TRUE(write->add(batch_of(n)));
  auto execution = write->finish();
  ASSERT_TRUE(execution) << execution.error().to_string();
  auto committed = execution->finalizer->commit();
  ASSERT_TRUE(committed);
  EXPECT_EQ(committed->rows_inserted, 500);
  ASSERT_EQ(driver.seen.size(), 500U);
  for (std::int64_t n = 0; n < 500; ++n) EXPECT_EQ(driver.seen[static_cast<std::size_t>(n)], n);
  EXPECT_FALSE(write->finish()) << "a write finishes once";
}

TEST(StreamedWrite, AnEngineThatFailsStopsTheWriteWithItsError) {
  ReadingDriver driver(ReadingDriver::Mode::fail_after_two);
  auto write = lake::detail::StreamedWrite::start(driver, WritePlan{}, schema());
  // The queue holds a few batches, so the failure shows within a few more
  // adds; every add after it reports it, and so does finish().
  Status added;
  int adds = 0;
  while (added && adds < 1000) added = write->add(batch_of(adds++));
  ASSERT_FALSE(added) << "the engine's failure never reached the session";
  EXPECT_EQ(added.error().code(), ErrorCode::io);
  EXPECT_EQ(added.error().message(), "disk full (injected)");
  EXPECT_LE(adds, 2 + 4 + 2) << "the session went on long after the engine failed";
  EXPECT_FALSE(write->add(batch_of(0)));
  auto execution = write->finish();
  ASSERT_FALSE(execution);
  EXPECT_EQ(execution.error().message(), "disk full (injected)");
}

TEST(StreamedWrite, AnEngineThatNeedsNoRowsDoesNotHoldTheWriteUp) {
  // As a write whose idempotency key the table already recorded.
  ReadingDriver driver(ReadingDriver::Mode::read_none);
  auto write = lake::detail::StreamedWrite::start(driver, WritePlan{}, schema());
  for (std::int64_t n = 0; n < 100; ++n) ASSERT_TRUE(write->add(batch_of(n)));
  auto execution = write->finish();
  ASSERT_TRUE(execution) << execution.error().to_string();
  EXPECT_TRUE(execution->finalizer->commit());
  EXPECT_TRUE(driver.seen.empty());
}

TEST(StreamedWrite, AnAbandonedWriteCancelsTheEnginesRead) {
  ReadingDriver driver(ReadingDriver::Mode::read_all);
  {
    auto write = lake::detail::StreamedWrite::start(driver, WritePlan{}, schema());
    for (std::int64_t n = 0; n < 10; ++n) ASSERT_TRUE(write->add(batch_of(n)));
  }  // destroyed unfinished: joins the engine's thread
  EXPECT_NE(driver.read_error.find("the write was abandoned"), std::string::npos) << driver.read_error;
  EXPECT_LE(driver.seen.size(), 10U);
}

}  // namespace

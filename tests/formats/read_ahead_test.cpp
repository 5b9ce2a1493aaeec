// formats/read_ahead: several files decoded at once, their rows handed on
// in file order, at most `threads` files open, errors where a
// file-after-file read would give them, and an early stop that does not
// hang.
#include <arrow/api.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <format>
#include <numeric>
#include <thread>
#include <vector>

#include "formats/read_ahead.hpp"
#include "lake/arrow/detail/status.hpp"

namespace {

using lake::ErrorCode;
using lake::Result;
using lake::formats::read_ahead;

std::shared_ptr<arrow::Schema> schema() { return arrow::schema({arrow::field("v", arrow::int64())}); }

std::shared_ptr<arrow::RecordBatch> batch_of(std::int64_t first, std::int64_t rows) {
  arrow::Int64Builder builder;
  for (std::int64_t i = 0; i < rows; ++i) EXPECT_TRUE(builder.Append(first + i).ok());
  return arrow::RecordBatch::Make(schema(), rows, {builder.Finish().ValueOrDie()});
}

// File f has f % 4 batches of 3 rows (some files have none); values count
// up across files, so the concatenation in file order is 0, 1, 2, ...
// Each batch takes a little while, as decoding does; `open_now` counts
// the files open at once.
struct Files {
  std::size_t count = 40;
  std::atomic<int> open_now{0};
  std::atomic<int> most_open{0};
  std::size_t failing_open = static_cast<std::size_t>(-1);
  std::size_t failing_read = static_cast<std::size_t>(-1);

  std::int64_t first_value(std::size_t file) const {
    std::int64_t first = 0;
    for (std::size_t f = 0; f < file; ++f) first += static_cast<std::int64_t>(f % 4) * 3;
    return first;
  }

  class Reader final : public arrow::RecordBatchReader {
   public:
    Reader(Files& files, std::size_t file) : files_(files), file_(file), next_(files.first_value(file)) {
      const int now = ++files_.open_now;
      int most = files_.most_open.load();
      while (now > most && !files_.most_open.compare_exchange_weak(most, now)) {
      }
    }
    ~Reader() override { --files_.open_now; }
    std::shared_ptr<arrow::Schema> schema() const override { return ::schema(); }
    arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
      std::this_thread::sleep_for(std::chrono::microseconds(300));
      if (file_ == files_.failing_read && read_ > 0) return arrow::Status::IOError("file ", file_, " is damaged");
      if (read_ == static_cast<int>(file_ % 4)) {
        *out = nullptr;
        return arrow::Status::OK();
      }
      *out = batch_of(next_, 3);
      next_ += 3;
      ++read_;
      return arrow::Status::OK();
    }

   private:
    Files& files_;
    std::size_t file_;
    std::int64_t next_;
    int read_ = 0;
  };

  lake::formats::OpenFile opener() {
    return [this](std::size_t file) -> Result<std::shared_ptr<arrow::RecordBatchReader>> {
      if (file == failing_open) return lake::fail(ErrorCode::not_found, std::format("file {} is gone", file));
      return std::make_shared<Reader>(*this, file);
    };
  }
};

// Every value the reader gives, and the status it ended with.
std::pair<std::vector<std::int64_t>, arrow::Status> drain(arrow::RecordBatchReader& reader) {
  std::vector<std::int64_t> values;
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    auto status = reader.ReadNext(&batch);
    if (!status.ok()) return {values, status};
    if (!batch) return {values, status};
    const auto& column = static_cast<const arrow::Int64Array&>(*batch->column(0));
    for (std::int64_t i = 0; i < column.length(); ++i) values.push_back(column.Value(i));
  }
}

TEST(ReadAhead, GivesTheRowsInFileOrderWithAtMostThreadsFilesOpen) {
  for (int threads : {1, 2, 4, 8}) {
    Files files;
    auto reader = read_ahead(schema(), files.count, threads, files.opener());
    auto [values, status] = drain(*reader);
    ASSERT_TRUE(status.ok()) << status.ToString();
    std::vector<std::int64_t> expected(static_cast<std::size_t>(files.first_value(files.count)));
    std::iota(expected.begin(), expected.end(), 0);
    EXPECT_EQ(values, expected) << threads << " threads";
    EXPECT_LE(files.most_open.load(), std::max(1, threads));
    if (threads > 1) {
      EXPECT_GT(files.most_open.load(), 1) << "files are read at once";
    }
    EXPECT_EQ(files.open_now.load(), 0);
  }
}

TEST(ReadAhead, AnErrorEndsTheStreamWhereOneFileAfterTheOtherWould) {
  for (bool at_open : {true, false}) {
    std::vector<std::vector<std::int64_t>> seen;
    std::vector<std::string> errors;
    for (int threads : {1, 4}) {
      Files files;
      (at_open ? files.failing_open : files.failing_read) = 13;  // 13 % 4 = 1 batch, then the failure
      auto reader = read_ahead(schema(), files.count, threads, files.opener());
      auto [values, status] = drain(*reader);
      ASSERT_FALSE(status.ok());
      EXPECT_EQ(values.size(), static_cast<std::size_t>(files.first_value(13) + (at_open ? 0 : 3)));
      seen.push_back(values);
      errors.push_back(status.ToString());
      if (at_open) {
        auto error = lake::detail::from_arrow_status(status, "scan");
        EXPECT_EQ(error.code(), ErrorCode::not_found) << error.to_string();
      }
      // It stays ended.
      std::shared_ptr<arrow::RecordBatch> more;
      EXPECT_FALSE(reader->ReadNext(&more).ok());
    }
    EXPECT_EQ(seen[0], seen[1]);
    EXPECT_EQ(errors[0], errors[1]);
  }
}

TEST(ReadAhead, StoppingEarlyEndsTheWorkers) {
  Files files;
  files.count = 200;
  {
    auto reader = read_ahead(schema(), files.count, 4, files.opener());
    std::shared_ptr<arrow::RecordBatch> batch;
    ASSERT_TRUE(reader->ReadNext(&batch).ok());
    ASSERT_NE(batch, nullptr);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the workers fill their slots and wait
  }
  EXPECT_EQ(files.open_now.load(), 0) << "every reader closed";
}

}  // namespace

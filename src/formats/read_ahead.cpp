#include "formats/read_ahead.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "lake/arrow/detail/status.hpp"

namespace lake::formats {
namespace {

// One file after the other, on the consumer's thread.
class SequentialReader final : public arrow::RecordBatchReader {
 public:
  SequentialReader(std::shared_ptr<arrow::Schema> schema, std::size_t files, OpenFile open)
      : schema_(std::move(schema)), files_(files), open_(std::move(open)) {}

  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }

  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    *out = nullptr;
    if (!failed_.ok()) return failed_;  // an error ends the stream
    while (true) {
      if (!current_) {
        if (next_ == files_) return arrow::Status::OK();
        auto opened = open_(next_++);
        if (!opened) return failed_ = lake::detail::to_arrow_status(opened.error());
        current_ = std::move(*opened);
      }
      if (auto status = current_->ReadNext(out); !status.ok()) return failed_ = std::move(status);
      if (*out) return arrow::Status::OK();
      current_.reset();
    }
  }

 private:
  std::shared_ptr<arrow::Schema> schema_;
  std::size_t files_;
  OpenFile open_;
  std::size_t next_ = 0;
  std::shared_ptr<arrow::RecordBatchReader> current_;
  arrow::Status failed_;
};

// Workers read files ahead; the consumer takes each file's batches in
// turn.
class ReadAheadReader final : public arrow::RecordBatchReader {
 public:
  ReadAheadReader(std::shared_ptr<arrow::Schema> schema, std::size_t files, int threads, OpenFile open)
      : schema_(std::move(schema)), open_(std::move(open)), slots_(files),
        window_(static_cast<std::size_t>(threads)) {}

  ~ReadAheadReader() override {
    {
      std::scoped_lock lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    for (auto& worker : workers_) worker.join();
  }

  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }

  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    *out = nullptr;
    if (!started_) start();
    if (fallback_) return fallback_->ReadNext(out);
    std::unique_lock lock(mutex_);
    while (consumed_ < slots_.size()) {
      Slot& slot = slots_[consumed_];
      changed_.wait(lock, [&] { return !slot.batches.empty() || slot.done; });
      if (!slot.batches.empty()) {
        *out = std::move(slot.batches.front());
        slot.batches.pop_front();
        lock.unlock();
        changed_.notify_all();  // room in the slot
        return arrow::Status::OK();
      }
      if (!slot.status.ok()) return slot.status;
      ++consumed_;
      lock.unlock();
      changed_.notify_all();  // the window moved on
      lock.lock();
    }
    return arrow::Status::OK();
  }

 private:
  // Batches a file may have waiting before its worker pauses.
  static constexpr std::size_t kBatchesPerFile = 4;

  struct Slot {
    std::deque<std::shared_ptr<arrow::RecordBatch>> batches;
    arrow::Status status;  // the file's error, as its reader gave it
    bool done = false;
  };

  void start() {
    started_ = true;
    const std::size_t count = std::min(window_, slots_.size());
    workers_.reserve(count);
    try {
      for (std::size_t i = 0; i < count; ++i) workers_.emplace_back([this] { work(); });
    } catch (const std::system_error&) {
      // No more threads to be had: those started read every file.
    }
    // Not even one: the consumer's thread reads them, one after the other.
    if (workers_.empty()) fallback_ = std::make_unique<SequentialReader>(schema_, slots_.size(), open_);
  }

  void work() {
    while (true) {
      std::size_t file = 0;
      {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return stopping_ || next_ >= slots_.size() || next_ < consumed_ + window_; });
        if (stopping_ || next_ >= slots_.size()) return;
        file = next_++;
      }
      read_file(file);
    }
  }

  void read_file(std::size_t file) {
    Slot& slot = slots_[file];
    std::shared_ptr<arrow::RecordBatchReader> reader;
    // The file is closed before it counts as done: then at most `window_`
    // files are open at any moment.
    auto finish = [&](arrow::Status status) {
      reader.reset();
      {
        std::scoped_lock lock(mutex_);
        slot.status = std::move(status);
        slot.done = true;
      }
      changed_.notify_all();
    };
    auto opened = open_(file);
    if (!opened) return finish(lake::detail::to_arrow_status(opened.error()));
    reader = std::move(*opened);
    while (true) {
      std::shared_ptr<arrow::RecordBatch> batch;
      if (auto status = reader->ReadNext(&batch); !status.ok()) return finish(std::move(status));
      if (!batch) return finish(arrow::Status::OK());
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stopping_ || slot.batches.size() < kBatchesPerFile; });
      if (stopping_) return;
      slot.batches.push_back(std::move(batch));
      lock.unlock();
      changed_.notify_all();
    }
  }

  std::shared_ptr<arrow::Schema> schema_;
  OpenFile open_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Slot> slots_;    // per file
  std::size_t window_;         // files open at once
  std::size_t next_ = 0;       // the next file a worker takes
  std::size_t consumed_ = 0;   // the file the consumer is at
  bool stopping_ = false;
  bool started_ = false;
  std::vector<std::thread> workers_;
  std::unique_ptr<SequentialReader> fallback_;
};

}  // namespace

std::shared_ptr<arrow::RecordBatchReader> read_ahead(std::shared_ptr<arrow::Schema> schema, std::size_t files,
                                                     int threads, OpenFile open) {
  if (threads < 2 || files < 2) return std::make_shared<SequentialReader>(std::move(schema), files, std::move(open));
  return std::make_shared<ReadAheadReader>(std::move(schema), files, threads, std::move(open));
}

}  // namespace lake::formats

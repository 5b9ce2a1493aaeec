// The Client at sizes where memory and file counts matter: a staged insert
// of 2M rows and a 10M-row stream must hold memory flat (measured as the
// process's peak resident set, generously bounded), and a point lookup on
// a 1,000-file table must open one file, not 1,000.
//
// Label `scale`: seconds of work each, so they run in the normal suite but
// not again under the sanitizers.
#include <gtest/gtest.h>

#include <arrow/record_batch.h>

#include <fstream>
#include <generator>
#include <mutex>
#include <print>
#include <set>
#include <sstream>

#include <lake/client.hpp>
#include <lake/delta/table.hpp>
#include <lake/drivers/duckdb.hpp>
#include <lake/local.hpp>
#include <lake/query.hpp>

#include "support/forwarding_backend.hpp"
#include "support/temp_dir.hpp"

// GCC 16's <generator> trips a false -Wmismatched-new-delete (see lake/query.hpp).
#include "iceberg/commits.hpp"

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {

using lake::testing::TempDir;
constexpr std::int64_t kMiB = std::int64_t{1} << 20;

// An append-only table (no primary key: inserts stream without a key check).
struct Reading {
  std::int64_t seq = 0;
  std::string sensor;
  std::string payload;
  double value = 0;
};

struct CountRow {
  std::int64_t n = 0;
};

struct Generated {
  std::int64_t id = 0;
  std::string payload;
};

// The process's peak resident set since reset_peak(), from /proc (Linux).
// Writing "5" to clear_refs resets VmHWM to the current RSS.
void reset_peak() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  clear.flush();
  ASSERT_TRUE(clear.good()) << "cannot reset the peak RSS through /proc/self/clear_refs";
}

std::int64_t status_kib(std::string_view field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with(field)) {
      std::istringstream in(line.substr(field.size() + 1));
      std::int64_t kib = 0;
      in >> kib;
      return kib;
    }
  }
  ADD_FAILURE() << field << " is not in /proc/self/status";
  return 0;
}

std::int64_t rss_bytes() { return status_kib("VmRSS") * 1024; }
std::int64_t peak_bytes() { return status_kib("VmHWM") * 1024; }

std::generator<Reading> readings(std::int64_t count) {
  const std::string filler(400, 'p');
  for (std::int64_t i = 0; i < count; ++i) {
    co_yield Reading{.seq = i, .sensor = std::format("sensor-{:03}", i % 500), .payload = filler, .value = i * 0.25};
  }
}

std::int64_t count(lake::Client& db, std::string_view sql) {
  auto row = lake::query_first<CountRow>(db, sql);
  EXPECT_TRUE(row) << row.error().to_string();
  return row ? row->n : -1;
}

TEST(ClientScaleTest, StagedInsertOf2MRowsKeepsPeakMemoryBounded) {
  TempDir dir("scale");
  auto db = lake::local::open(dir.path).value();
  ASSERT_TRUE(db.migrate<Reading>());
  constexpr std::int64_t kRows = 2'000'000;
  // ~850 MB of Arrow data (the 400-byte payload alone is 800 MB): far more
  // than the bound below, so only a streaming write can stay under it. On
  // the embedded engine the rows stream straight into the table's files
  // (nothing is staged), the client converting records on this thread
  // while the engine encodes on its own. The bound covers the two batches
  // queued between them (2 x staging_batch_bytes), the batch being built,
  // the engine's 64 MiB row group buffer and the row group held encoded,
  // Parquet's encoder, the allocator's slack, and the encoder threads'
  // share: each thread's allocator keeps memory of its own (on 2 cores the
  // growth measured 389-413 MiB streamed; 285-320 MiB when the rows were
  // staged and read back, one side after the other; 236 MiB with
  // writer_threads = 1).
  const std::int64_t before = rss_bytes();
  reset_peak();
  auto written = db.insert_range(readings(kRows), {.path = lake::WritePath::object_storage});
  const std::int64_t growth = peak_bytes() - before;
  ASSERT_TRUE(written) << written.error().to_string();
  EXPECT_EQ(written->rows_inserted, kRows);
  EXPECT_EQ(written->path, lake::WritePath::object_storage);
  EXPECT_EQ(written->bytes_staged, 0) << "the embedded engine takes the rows as they come";
  std::println("streamed insert of {} rows: peak RSS grew {} MiB", kRows, growth / kMiB);
  EXPECT_LT(growth, 512 * kMiB) << "peak RSS grew " << growth / kMiB << " MiB";
  EXPECT_FALSE(std::filesystem::exists(dir.path / "_staging")) << "the staging was not removed";

  EXPECT_EQ(count(db, "SELECT count(*) AS n FROM readings"), kRows);
  // Reading it all back as typed records also holds memory flat.
  const std::int64_t before_stream = rss_bytes();
  reset_peak();
  std::int64_t rows = 0;
  std::int64_t seq_sum = 0;
  for (auto&& row : lake::query_stream<Reading>(db, "SELECT * FROM readings")) {
    ASSERT_TRUE(row) << row.error().to_string();
    ASSERT_EQ(row->payload.size(), 400u);
    seq_sum += row->seq;
    ++rows;
  }
  const std::int64_t stream_growth = peak_bytes() - before_stream;
  EXPECT_EQ(rows, kRows);
  EXPECT_EQ(seq_sum, kRows * (kRows - 1) / 2);
  std::println("streamed {} rows back: peak RSS grew {} MiB", rows, stream_growth / kMiB);
  EXPECT_LT(stream_growth, 200 * kMiB) << "peak RSS grew " << stream_growth / kMiB << " MiB";
}

TEST(ClientScaleTest, QueryStreamOf10MRowsHoldsConstantMemory) {
  TempDir dir("scale");
  auto db = lake::local::open(dir.path).value();
  constexpr std::int64_t kRows = 10'000'000;
  // As typed records the result is ~10M x (8 + 32 + 64) bytes, over 1 GB.
  const std::int64_t before = rss_bytes();
  reset_peak();
  std::int64_t rows = 0;
  std::int64_t id_sum = 0;
  for (auto&& row : lake::query_stream<Generated>(
           db, "SELECT i AS id, repeat('x', 56) || lpad(i::VARCHAR, 8, '0') AS payload FROM range(?) t(i)", kRows)) {
    ASSERT_TRUE(row) << row.error().to_string();
    ASSERT_EQ(row->payload.size(), 64u);
    id_sum += row->id;
    ++rows;
  }
  const std::int64_t growth = peak_bytes() - before;
  EXPECT_EQ(rows, kRows);
  EXPECT_EQ(id_sum, kRows * (kRows - 1) / 2);
  std::println("streamed {} rows: peak RSS grew {} MiB", rows, growth / kMiB);
  EXPECT_LT(growth, 200 * kMiB) << "peak RSS grew " << growth / kMiB << " MiB";

  // Leaving the loop early releases the query: the next ones still run
  // (a leaked result would hold one of the pool's connections).
  for (int round = 0; round < 20; ++round) {
    int seen = 0;
    for (auto&& row : lake::query_stream<Generated>(db, "SELECT i AS id, 'x' AS payload FROM range(?) t(i)", kRows)) {
      ASSERT_TRUE(row);
      if (++seen == 3) break;
    }
    ASSERT_EQ(seen, 3);
  }
  EXPECT_EQ(count(db, "SELECT count(*) AS n FROM range(5)"), 5);
}

// Notes which data files of a table are read.
class FileReadLog : public lake::testing::ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  lake::Result<std::vector<std::byte>> get(std::string_view key) override {
    note(key);
    return ForwardingBackend::get(key);
  }
  lake::Result<std::vector<std::byte>> get_range(std::string_view key, std::int64_t offset,
                                                 std::int64_t length) override {
    note(key);
    return ForwardingBackend::get_range(key, offset, length);
  }
  std::set<std::string> take() {
    std::lock_guard lock(mutex_);
    return std::exchange(files_, {});
  }

 private:
  void note(std::string_view key) {
    if (!key.ends_with(".parquet") || key.starts_with("_staging/")) return;
    std::lock_guard lock(mutex_);
    files_.emplace(key);
  }
  std::mutex mutex_;
  std::set<std::string> files_;
};

// On a table of 1,000 files of 10 rows, seq ranges disjoint and file f
// holding seq 10f..10f+9 of sensor "s<f>": a point lookup reads the one
// file that holds the key, a range over ten files those ten.
void expect_lookups_read_only_their_files(lake::Client& db, FileReadLog& log, const std::string& table) {
  const auto started = std::chrono::steady_clock::now();
  auto found = lake::query<Reading>(db, "SELECT * FROM readings WHERE seq = ?", 5'005);
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(found) << found.error().to_string();
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].sensor, "s500");
  const auto read = log.take();
  EXPECT_EQ(read.size(), 1u) << "the lookup read " << read.size() << " data files";
  std::println("point lookup on {}: {} data file(s) read, {} ms", table, read.size(),
               std::chrono::duration_cast<std::chrono::milliseconds>(took).count());

  // A range over ten files reads those ten.
  EXPECT_EQ(count(db, "SELECT count(*) AS n FROM readings WHERE seq BETWEEN 2000 AND 2099"), 100);
  EXPECT_EQ(log.take().size(), 10u);
}

TEST(ClientScaleTest, PointLookupOnA1000FileTableOpensOneFile) {
  TempDir dir("scale");
  auto log = std::make_shared<FileReadLog>(std::move(*lake::file_backend(dir.path)));
  auto db = lake::Client::open(lake::duckdb::driver(), lake::delta_dialect(), log).value();
  ASSERT_TRUE(db.migrate<Reading>());

  // 1,000 files of 10 rows each, seq ranges disjoint, in one commit.
  constexpr int kFiles = 1000;
  auto table = lake::delta::Table::open(log, db.table_ref("readings").location).value();
  std::vector<lake::delta::Add> files;
  const auto ingest_id = lake::IngestId::generate();
  for (int f = 0; f < kFiles; ++f) {
    std::vector<Reading> rows;
    for (int i = 0; i < 10; ++i) {
      const std::int64_t seq = std::int64_t{f} * 10 + i;
      rows.push_back({.seq = seq, .sensor = std::format("s{}", f), .payload = "p", .value = 1.0});
    }
    auto batch = lake::to_record_batch(std::span<const Reading>(rows), {.ingest_id = ingest_id});
    ASSERT_TRUE(batch) << batch.error().to_string();
    auto reader = arrow::RecordBatchReader::Make({*batch}).ValueOrDie();
    auto added = table.write_files(*reader);
    ASSERT_TRUE(added) << added.error().to_string();
    files.insert(files.end(), added->begin(), added->end());
  }
  ASSERT_EQ(files.size(), static_cast<std::size_t>(kFiles));
  ASSERT_TRUE(table.append_files(std::move(files)));
  log->take();

  auto stats = db.maintain().stats("readings");
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->files, kFiles);

  expect_lookups_read_only_their_files(db, *log, std::format("{} files", kFiles));
}

// The same on a native Iceberg table: 1,000 data files in one snapshot
// (one append cut into files of 10 rows); the lookup is skipped by the
// manifests' column bounds down to the one file that holds the key.
TEST(ClientScaleTest, PointLookupOnA1000FileIcebergTableOpensOneFile) {
  TempDir dir("scale");
  auto log = std::make_shared<FileReadLog>(std::move(*lake::file_backend(dir.path)));
  auto db = lake::Client::open(lake::duckdb::driver(), lake::iceberg_dialect(), log).value();
  ASSERT_TRUE(db.migrate<Reading>());

  constexpr int kFiles = 1000;
  std::vector<Reading> rows;
  for (std::int64_t seq = 0; seq < kFiles * 10; ++seq)
    rows.push_back({.seq = seq, .sensor = std::format("s{}", seq / 10), .payload = "p", .value = 1.0});
  auto batch = lake::to_record_batch(std::span<const Reading>(rows), {.ingest_id = lake::IngestId::generate()});
  ASSERT_TRUE(batch) << batch.error().to_string();
  auto reader = arrow::RecordBatchReader::Make({*batch}).ValueOrDie();
  lake::iceberg::FileSystemCatalog catalog{log};
  auto appended = lake::iceberg::append(catalog, log, db.table_ref("readings").location, *reader,
                                        {.files = {.file_rows = 10, .row_group_rows = 10}});
  ASSERT_TRUE(appended) << appended.error().to_string();
  log->take();

  auto stats = db.maintain().stats("readings");
  ASSERT_TRUE(stats) << stats.error().to_string();
  EXPECT_EQ(stats->files, kFiles);
  EXPECT_EQ(stats->rows, kFiles * 10);

  expect_lookups_read_only_their_files(db, *log, std::format("{} Iceberg files", kFiles));
}

}  // namespace

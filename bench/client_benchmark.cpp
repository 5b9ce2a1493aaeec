// The Client on the embedded stack, on tables bench/peers/client_peers.py
// then reads and writes with DuckDB (its delta extension) and delta-rs in
// the same run:
//   - full scan of a 1M-row, 1,000-file table into typed records;
//   - point lookup on that table;
//   - upsert of 1 % (100k rows) of a 10M-row table with a primary key;
//   - 1,000 small inserts (10 rows each) into an append-only table.
// Tables live under LAKE_BENCH_DATA/client (default /tmp/lake-bench/client)
// and are rebuilt at each run. LAKE_BENCH_UPSERT_ROWS shrinks the 10M
// table for a quick try.
#include <arrow/record_batch.h>
#include <benchmark/benchmark.h>

#include <filesystem>
#include <format>

#include <lake/client.hpp>
#include <lake/delta/table.hpp>
#include <lake/local.hpp>
#include <lake/query.hpp>

#include "bench_env.hpp"

namespace {

namespace fs = std::filesystem;

struct Reading {
  std::int64_t seq = 0;
  std::string sensor;
  double value = 0;
  lake::timestamp at{};
  std::optional<std::string> note{};
};

// What the 1,000 small inserts write.
struct [[=lake::table("small_inserts")]] SmallEvent {
  std::int64_t seq = 0;
  std::string name;
  double value = 0;
};

struct Account {
  [[=lake::pk]] std::int64_t id = 0;
  std::string owner;
  std::int64_t balance = 0;
};

fs::path root() { return lake::bench::data_dir() / "client"; }

std::int64_t upsert_rows() { return lake::bench::count_from_env("LAKE_BENCH_UPSERT_ROWS", 10'000'000); }

Reading reading(std::int64_t seq) {
  return {.seq = seq,
          .sensor = std::format("sensor-{:04}", seq % 1000),
          .value = static_cast<double>(seq) * 0.5,
          .at = lake::timestamp(std::chrono::seconds(1'700'000'000 + seq)),
          .note = seq % 3 == 0 ? std::optional<std::string>() : std::optional<std::string>("ok")};
}

// Appends rows [from, to) produced by make() to a table as one file per
// `per_file` rows, straight through the Delta API (setting up is not what
// is measured).
template <class T, class Make>
void fill(lake::Client& db, std::string_view table, std::int64_t rows, std::int64_t per_file, Make make) {
  auto delta = lake::delta::Table::open(std::shared_ptr<lake::Backend>(&db.backend(), [](lake::Backend*) {}),
                                        db.table_ref(table).location)
                   .value();
  std::vector<lake::delta::Add> files;
  const auto ingest_id = lake::IngestId::generate();
  for (std::int64_t start = 0; start < rows; start += per_file) {
    std::vector<T> chunk;
    for (std::int64_t i = start; i < std::min(rows, start + per_file); ++i) chunk.push_back(make(i));
    auto batch = lake::to_record_batch(std::span<const T>(chunk), {.ingest_id = ingest_id}).value();
    auto reader = arrow::RecordBatchReader::Make({batch}).ValueOrDie();
    auto added = delta.write_files(*reader).value();
    files.insert(files.end(), added.begin(), added.end());
  }
  (void)delta.append_files(std::move(files)).value();
}

// Built once per process: the tables every benchmark (and the peers) use.
lake::Client& client() {
  static lake::Client db = [] {
    fs::remove_all(root());
    auto opened = lake::local::open(root()).value();
    (void)opened.migrate<Reading, SmallEvent, Account>().value();
    fill<Reading>(opened, "readings", 1'000'000, 1'000, reading);
    fill<Account>(opened, "accounts", upsert_rows(), 1'000'000, [](std::int64_t i) {
      return Account{.id = i, .owner = std::format("owner-{}", i % 10'000), .balance = i};
    });
    return opened;
  }();
  return db;
}

void BM_FullScanTyped(benchmark::State& state) {
  auto& db = client();
  std::int64_t rows = 0;
  for (auto _ : state) {
    auto all = lake::query<Reading>(db, "SELECT * FROM readings").value();
    rows = static_cast<std::int64_t>(all.size());
    benchmark::DoNotOptimize(all.data());
  }
  state.counters["rows"] = static_cast<double>(rows);
  state.counters["rows_per_s"] = benchmark::Counter(static_cast<double>(rows), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_FullScanTyped)->Unit(benchmark::kMillisecond)->Iterations(5)->UseRealTime();

void BM_PointLookup1000Files(benchmark::State& state) {
  auto& db = client();
  std::int64_t key = 0;
  for (auto _ : state) {
    key = (key + 7'919) % 1'000'000;
    auto row = lake::query_first<Reading>(db, "SELECT * FROM readings WHERE seq = ?", key).value();
    benchmark::DoNotOptimize(row.seq);
  }
}
BENCHMARK(BM_PointLookup1000Files)->Unit(benchmark::kMillisecond)->Iterations(50)->UseRealTime();

void BM_Upsert1PercentOf10M(benchmark::State& state) {
  auto& db = client();
  const std::int64_t total = upsert_rows();
  std::vector<Account> changed;
  // Every 100th id: the changes touch every file, as a real 1 % upsert does.
  for (std::int64_t id = 0; id < total; id += 100) changed.push_back({.id = id, .owner = "changed", .balance = -id});
  int round = 0;
  for (auto _ : state) {
    for (auto& account : changed) account.balance = -account.id - (++round);
    auto written = db.upsert(changed).value();
    benchmark::DoNotOptimize(written.version);
  }
  state.counters["rows"] = static_cast<double>(changed.size());
}
BENCHMARK(BM_Upsert1PercentOf10M)->Unit(benchmark::kMillisecond)->Iterations(2)->UseRealTime();

void BM_1000SmallInserts(benchmark::State& state) {
  auto& db = client();
  std::int64_t seq = 0;
  for (auto _ : state) {
    for (int insert = 0; insert < 1000; ++insert) {
      std::vector<SmallEvent> rows;
      for (int i = 0; i < 10; ++i, ++seq) rows.push_back({.seq = seq, .name = "small", .value = 1.0});
      auto written = db.insert(rows).value();
      benchmark::DoNotOptimize(written.version);
    }
  }
}
BENCHMARK(BM_1000SmallInserts)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

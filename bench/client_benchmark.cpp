// The Client on the embedded stack, on tables bench/peers/client_peers.py
// then reads and writes with DuckDB (its delta extension) and delta-rs in
// the same run:
//   - full scan of a 1M-row, 1,000-file table into typed records;
//   - point lookup on that table;
//   - upsert of 1 % (100k rows) of a 10M-row table with a primary key;
//   - 1,000 small inserts (10 rows each) into an append-only table;
//   - a 10M-row insert on the object-storage path, streamed into the
//     table's files, against the same rows staged as Parquet parts first
//     and encoded again when they land (insert_raw + commit).
// Tables live under LAKE_BENCH_DATA/client (default /tmp/lake-bench/client)
// and are rebuilt at each run. LAKE_BENCH_UPSERT_ROWS shrinks the 10M
// table for a quick try.
#include <arrow/record_batch.h>
#include <benchmark/benchmark.h>

#include <filesystem>
#include <format>
#include <map>
#include <utility>

#include <lake/client.hpp>
#include <lake/config.hpp>
#include <lake/delta/table.hpp>
#include <lake/local.hpp>
#include <lake/query.hpp>

#include "bench_env.hpp"
#include "client_workloads.hpp"

namespace {

namespace fs = std::filesystem;

using lake::bench::Account;
using lake::bench::Reading;
using lake::bench::SmallEvent;

fs::path root() { return lake::bench::data_dir() / "client"; }

std::int64_t upsert_rows() { return lake::bench::count_from_env("LAKE_BENCH_UPSERT_ROWS", 10'000'000); }

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
  // Never destroyed: a static Client would close its DuckDB database after
  // the main thread's thread_local objects are gone, and DuckDB's block
  // allocator reads its thread-local state when it closes (a use after
  // free under AddressSanitizer, "corrupted double-linked list" without).
  static lake::Client& db = *new lake::Client([] {
    fs::remove_all(root());
    auto opened = lake::local::open(root()).value();
    (void)opened.migrate<Reading, SmallEvent, Account>().value();
    fill<Reading>(opened, "readings", 1'000'000, 1'000, lake::bench::reading);
    fill<Account>(opened, "accounts", upsert_rows(), 1'000'000, lake::bench::account);
    return opened;
  }());
  return db;
}

// The same tables through a client whose engine scans on `engine_threads`
// threads (DuckDB's, and the files decoded at once) and writes Parquet on
// `writer_threads`; 0 is one per core, the default.
lake::Client& client_on(int engine_threads, int writer_threads) {
  if (engine_threads == 0 && writer_threads == 0) return client();
  static std::map<std::pair<int, int>, lake::Client*> clients;  // never destroyed: see client()
  auto& slot = clients[{engine_threads, writer_threads}];
  if (slot == nullptr) {
    (void)client();  // the tables
    lake::Config config;
    config.storage = lake::StorageKind::file;
    config.root = root();
    config.engine.threads = engine_threads;
    config.client.writer_threads = writer_threads;
    slot = new lake::Client(lake::open(config).value());
  }
  return *slot;
}

// Arg: the engine's threads (1, or 0: one per core).
void BM_FullScanTyped(benchmark::State& state) {
  lake::bench::full_scan_typed(state, client_on(static_cast<int>(state.range(0)), 0));
}
BENCHMARK(BM_FullScanTyped)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->Iterations(5)->UseRealTime();

void BM_PointLookup1000Files(benchmark::State& state) { lake::bench::point_lookup(state, client()); }
BENCHMARK(BM_PointLookup1000Files)->Unit(benchmark::kMillisecond)->Iterations(50)->UseRealTime();

// Arg: the writer threads (1, or 0: one per core), which also rewrite
// files side by side.
void BM_Upsert1PercentOf10M(benchmark::State& state) {
  lake::bench::upsert_one_percent(state, client_on(0, static_cast<int>(state.range(0))), upsert_rows());
}
BENCHMARK(BM_Upsert1PercentOf10M)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->Iterations(2)->UseRealTime();

void BM_1000SmallInserts(benchmark::State& state) { lake::bench::small_inserts(state, client()); }
BENCHMARK(BM_1000SmallInserts)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

// An append-only table of its own for the large inserts (the readings'
// columns).
struct [[=lake::table("staged_readings")]] StagedReading {
  std::int64_t seq = 0;
  std::string sensor;
  double value = 0;
  lake::timestamp at{};
  std::optional<std::string> note{};
};

std::int64_t staged_rows() { return lake::bench::count_from_env("LAKE_BENCH_ROWS", 10'000'000); }

// Arg 1: insert() on the object-storage path, which on the embedded engine
// streams the rows into the table's data files (encoded once). Arg 0: the
// same rows staged as Parquet parts, read back and encoded again as the
// table's files when committed (insert_raw + commit), which is what every
// large insert did before.
void BM_StagedInsert10M(benchmark::State& state) {
  auto& db = client();
  static std::vector<StagedReading> records = [] {
    std::vector<StagedReading> out;
    out.reserve(static_cast<std::size_t>(staged_rows()));
    for (std::int64_t i = 0; i < staged_rows(); ++i) {
      const auto r = lake::bench::reading(i);
      out.push_back({.seq = r.seq, .sensor = r.sensor, .value = r.value, .at = r.at, .note = r.note});
    }
    return out;
  }();
  if (auto migrated = db.migrate<StagedReading>(); !migrated) {
    state.SkipWithError(migrated.error().to_string());
    return;
  }
  for (auto _ : state) {
    if (state.range(0) == 1) {
      auto written = db.insert(records, {.path = lake::WritePath::object_storage});
      if (!written) state.SkipWithError(written.error().to_string());
    } else {
      auto staged = db.insert_raw(records);
      auto committed = staged ? staged->commit() : lake::Result<lake::WriteResult>(std::unexpected(staged.error()));
      if (!committed) state.SkipWithError(committed.error().to_string());
    }
  }
  state.counters["rows"] = static_cast<double>(staged_rows());
}
BENCHMARK(BM_StagedInsert10M)->ArgName("streamed")->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

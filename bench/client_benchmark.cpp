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

}  // namespace

BENCHMARK_MAIN();

// The Client on native Iceberg tables (file-system catalog), on the data
// bench/peers/iceberg_peers.py then reads and writes with pyiceberg and
// DuckDB's iceberg extension in the same run:
//   - append of 10M rows in one commit (the rows also saved as Arrow IPC
//     for the peers);
//   - full typed scan of a 1M-row, 1,000-file table; a point lookup on it;
//   - upsert of 1 % (100k rows) of a 10M-row table with a primary key;
//   - 1,000 small appends (10 rows each);
//   - opening a table with 10,000 snapshots and counting its rows.
// Tables live under LAKE_BENCH_DATA/iceberg (default /tmp/lake-bench/iceberg)
// and are rebuilt at each run; LAKE_BENCH_UPSERT_ROWS shrinks the 10M-row
// tables for a quick try.
#include <arrow/array/builder_binary.h>
#include <arrow/array/builder_primitive.h>
#include <arrow/io/file.h>
#include <arrow/ipc/writer.h>
#include <arrow/record_batch.h>
#include <arrow/table.h>
#include <benchmark/benchmark.h>

#include <filesystem>
#include <format>

#include <lake/client.hpp>
#include <lake/local.hpp>
#include <lake/query.hpp>

#include "bench_env.hpp"
#include "client_workloads.hpp"
#include "iceberg/catalog.hpp"

namespace {

namespace fs = std::filesystem;

using lake::bench::Account;
using lake::bench::account;
using lake::bench::Reading;
using lake::bench::reading;
using lake::bench::SmallEvent;

struct [[=lake::table("appended")]] Appended {
  std::int64_t id = 0;
  std::string owner;
  std::int64_t balance = 0;
};

struct [[=lake::table("many_snapshots")]] Tick {
  std::int64_t seq = 0;
};

struct Count {
  std::int64_t n = 0;
};

fs::path root() { return lake::bench::data_dir() / "iceberg"; }
std::int64_t big_rows() { return lake::bench::count_from_env("LAKE_BENCH_UPSERT_ROWS", 10'000'000); }

// Inserts rows [0, rows) made by make(), `per_commit` rows a commit (setting
// up is not what is measured).
template <class T, class Make>
void fill(lake::Client& db, std::int64_t rows, std::int64_t per_commit, Make make) {
  for (std::int64_t start = 0; start < rows; start += per_commit) {
    std::vector<T> chunk;
    for (std::int64_t i = start; i < std::min(rows, start + per_commit); ++i) chunk.push_back(make(i));
    (void)db.insert(chunk).value();
  }
}

// A table with 10,000 snapshots: one real append, then 9,999 more snapshots
// committed at once, each a child of the one before and naming the first
// one's manifest list (a reader opening the table parses all of them and
// reads only the current one's list). Building them one commit at a time
// would rewrite the growing metadata 10,000 times.
void make_many_snapshots(lake::Client& db) {
  std::vector<Tick> one{{.seq = 1}};
  (void)db.insert(one).value();
  auto backend = std::shared_ptr<lake::Backend>(&db.backend(), [](lake::Backend*) {});
  lake::iceberg::FileSystemCatalog catalog(backend);
  const std::string table = db.table_ref("many_snapshots").location;
  auto base = catalog.load(table).value().value();
  auto next = base.metadata;
  const auto first = *next.current_snapshot();
  for (std::int64_t i = 1; i < 10'000; ++i) {
    auto snapshot = first;
    snapshot.snapshot_id = first.snapshot_id + i;
    snapshot.parent_snapshot_id = snapshot.snapshot_id - 1;
    snapshot.sequence_number = first.sequence_number + i;
    snapshot.timestamp_ms = first.timestamp_ms + i;
    snapshot.summary = {{"operation", "append"}, {"added-records", "0"}, {"total-records", "1"}};
    next.snapshots.push_back(snapshot);
    next.snapshot_log.push_back({snapshot.timestamp_ms, snapshot.snapshot_id});
  }
  next.current_snapshot_id = next.snapshots.back().snapshot_id;
  next.refs["main"].snapshot_id = next.snapshots.back().snapshot_id;
  next.last_sequence_number = next.snapshots.back().sequence_number;
  next.last_updated_ms = next.snapshots.back().timestamp_ms;
  (void)catalog.commit(table, &base, next).value();
}

lake::Client& client() {
  // Never destroyed: a static Client would close its DuckDB database after
  // the main thread's thread_local objects are gone, and DuckDB's block
  // allocator reads its thread-local state when it closes (a use after
  // free under AddressSanitizer, "corrupted double-linked list" without).
  static lake::Client& db = *new lake::Client([] {
    fs::remove_all(root());
    auto opened = lake::local::open(root(), {}, lake::TableFormat::iceberg).value();
    (void)opened.migrate<Reading, SmallEvent, Account, Appended, Tick>().value();
    fill<Reading>(opened, 1'000'000, 1'000, reading);
    fill<Account>(opened, big_rows(), 1'000'000, account);
    make_many_snapshots(opened);
    return opened;
  }());
  return db;
}

void BM_Append10MRows(benchmark::State& state) {
  auto& db = client();
  std::vector<Appended> rows;
  rows.reserve(static_cast<std::size_t>(big_rows()));
  for (std::int64_t i = 0; i < big_rows(); ++i) {
    const Account a = account(i);
    rows.push_back({.id = a.id, .owner = a.owner, .balance = a.balance});
  }
  for (auto _ : state) {
    auto written = db.insert(rows).value();
    benchmark::DoNotOptimize(written.version);
  }
  // The same rows for the peers (written after the measurement).
  arrow::Int64Builder ids, balances;
  arrow::StringBuilder owners;
  for (const auto& r : rows)
    if (!ids.Append(r.id).ok() || !owners.Append(r.owner).ok() || !balances.Append(r.balance).ok()) std::abort();
  auto table = arrow::Table::Make(arrow::schema({arrow::field("id", arrow::int64(), false),
                                                 arrow::field("owner", arrow::utf8(), false),
                                                 arrow::field("balance", arrow::int64(), false)}),
                                  {ids.Finish().ValueOrDie(), owners.Finish().ValueOrDie(), balances.Finish().ValueOrDie()});
  auto file = arrow::io::FileOutputStream::Open((root() / "appended.arrow").string()).ValueOrDie();
  auto writer = arrow::ipc::MakeFileWriter(file, table->schema()).ValueOrDie();
  if (!writer->WriteTable(*table).ok() || !writer->Close().ok()) std::abort();
  state.counters["rows"] = static_cast<double>(rows.size());
}
BENCHMARK(BM_Append10MRows)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

void BM_FullScanTyped(benchmark::State& state) { lake::bench::full_scan_typed(state, client()); }
BENCHMARK(BM_FullScanTyped)->Unit(benchmark::kMillisecond)->Iterations(5)->UseRealTime();

void BM_PointLookup1000Files(benchmark::State& state) { lake::bench::point_lookup(state, client()); }
BENCHMARK(BM_PointLookup1000Files)->Unit(benchmark::kMillisecond)->Iterations(50)->UseRealTime();

void BM_Upsert1PercentOf10M(benchmark::State& state) { lake::bench::upsert_one_percent(state, client(), big_rows()); }
BENCHMARK(BM_Upsert1PercentOf10M)->Unit(benchmark::kMillisecond)->Iterations(2)->UseRealTime();

void BM_1000SmallInserts(benchmark::State& state) { lake::bench::small_inserts(state, client()); }
BENCHMARK(BM_1000SmallInserts)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

void BM_Open10000Snapshots(benchmark::State& state) {
  (void)client();
  for (auto _ : state) {
    // A new client each time: nothing of the table is known yet.
    auto db = lake::local::open(root(), {}, lake::TableFormat::iceberg).value();
    auto n = lake::query_first<Count>(db, "SELECT count(*) AS n FROM many_snapshots").value();
    benchmark::DoNotOptimize(n.n);
  }
}
BENCHMARK(BM_Open10000Snapshots)->Unit(benchmark::kMillisecond)->Iterations(5)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

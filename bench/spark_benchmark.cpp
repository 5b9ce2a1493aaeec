// Ingest through Spark Connect, the seed's two write paths side by side,
// for 1M and 10M rows of an append-only 8-column record:
//   - direct: the rows travel to Spark as an Arrow LocalRelation (a cached
//     artifact, uploaded in chunks, at these sizes), then one INSERT;
//   - fast path: the client writes ZSTD Parquet parts under the table's
//     _staging/<ingest id>/, then one INSERT ... SELECT FROM
//     parquet.`<staging>`; Spark reads the parts in place.
// Each iteration inserts records already in memory into a new Delta table
// and is timed from the call to the commit, after an untimed warm-up. bench/peers/pyspark_connect_peers.py
// then does the same with PySpark Connect on the same server in the same
// run (bench/run starts the server and runs both).
//
// The server is the one LAKE_SPARK_CONNECT_DIR describes; its tables live
// under LAKE_BENCH_DATA/spark (the server reads that disk directly).
// LAKE_BENCH_SPARK_ROWS replaces the row counts with one smaller count for
// a quick try.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <format>
#include <utility>
#include <vector>

#include <lake/client.hpp>
#include <lake/drivers/spark.hpp>
#include <lake/lake.hpp>

#include "bench_env.hpp"
#include "support/spark_connect_env.hpp"

namespace {

namespace fs = std::filesystem;

// The 8 columns of lake::bench::Event (event_record.hpp) without its
// primary key: an append-only table, so an insert is one INSERT, as
// PySpark's is. (On a table with a primary key every insert checks the
// keys and runs a MERGE, which PySpark's plain append does not.)
struct [[=lake::table("events")]] Event {
  std::int64_t id = 0;
  std::string user;
  std::string country;
  double amount = 0;
  std::int32_t quantity = 0;
  bool flagged = false;
  lake::timestamp at{};
  std::optional<std::string> note;
};

std::vector<std::int64_t> row_counts() {
  const std::int64_t quick = lake::bench::count_from_env("LAKE_BENCH_SPARK_ROWS", 0);
  if (quick > 0) return {quick};
  return {1'000'000, 10'000'000};
}

// The same rows bench/peers/pyspark_connect_peers.py builds.
const std::vector<Event>& events(std::int64_t rows) {
  static std::vector<Event> cached;
  if (static_cast<std::int64_t>(cached.size()) != rows) {
    cached.clear();
    cached.reserve(static_cast<std::size_t>(rows));
    static constexpr const char* kCountries[] = {"UK", "FR", "DE", "ES", "IT", "NL", "SE", "PL"};
    for (std::int64_t i = 0; i < rows; ++i) {
      cached.push_back({.id = i,
                        .user = std::format("user-{}", i % 100'000),
                        .country = kCountries[i % 8],
                        .amount = static_cast<double>(i % 10'000) / 100.0,
                        .quantity = static_cast<std::int32_t>(i % 50),
                        .flagged = i % 97 == 0,
                        .at = lake::timestamp(std::chrono::seconds(1'700'000'000 + i)),
                        .note = i % 3 == 0 ? std::optional<std::string>() : std::optional<std::string>("ok")});
    }
  }
  return cached;
}

// A client on the run's server, its tables under LAKE_BENCH_DATA/spark;
// nullopt with the reason in `error`.
std::optional<lake::Client> open_client(std::string& error) {
  const auto server = lake::testing::spark_connect_from_env();
  if (!server) {
    error = "no Spark Connect server: run through bench/run, which starts one (LAKE_SPARK_CONNECT_DIR)";
    return std::nullopt;
  }
  auto driver = lake::spark::driver(server->url);
  const fs::path root = lake::bench::data_dir() / "spark";
  fs::create_directories(root);
  auto backend = lake::file_backend(root);
  if (!driver || !backend) {
    error = !driver ? driver.error().to_string() : backend.error().to_string();
    return std::nullopt;
  }
  auto db = lake::Client::open(*driver, lake::delta_dialect(), std::move(*backend),
                               {.default_database = "lake_bench", .session_pool_size = 2});
  if (!db) {
    error = db.error().to_string();
    return std::nullopt;
  }
  return std::move(*db);
}

// A new, empty events table: the last one dropped from Spark's catalog
// and its directory from the disk (Spark's Delta leaves empty directories,
// such as _delta_log/_staged_commits, that a CREATE TABLE at the same
// location refuses).
lake::Status fresh_table(lake::Client& db) {
  if (auto dropped = db.exec("DROP TABLE IF EXISTS events"); !dropped) return std::unexpected(dropped.error());
  std::error_code error;
  fs::remove_all(lake::bench::data_dir() / "spark" / db.table_ref("events").location, error);
  if (error) return lake::fail(lake::ErrorCode::io, "removing the last events table: " + error.message());
  return db.migrate<Event>();
}

// Once per run, untimed: 1M rows through each path, so that the server's
// JIT has compiled the write path before anything is timed (the peer
// script warms up the same way).
lake::Status warm_up(lake::Client& db) {
  static bool warmed = false;
  if (std::exchange(warmed, true)) return {};
  std::vector<Event> records = events(std::min<std::int64_t>(row_counts().front(), 1'000'000));
  for (auto path : {lake::WritePath::direct, lake::WritePath::object_storage}) {
    if (auto made = fresh_table(db); !made) return made;
    if (auto written = db.insert(std::span(records), {.path = path}); !written)
      return std::unexpected(written.error());
  }
  return {};
}

void BM_SparkIngest(benchmark::State& state, lake::WritePath path) {
  const std::int64_t rows = state.range(0);
  std::string error;
  auto db = open_client(error);
  if (!db) {
    state.SkipWithError(error);
    return;
  }
  if (auto warmed = warm_up(*db); !warmed) {
    state.SkipWithError("warming up: " + warmed.error().to_string());
    return;
  }
  std::vector<Event> records = events(rows);
  for (auto _ : state) {
    if (auto made = fresh_table(*db); !made) {
      state.SkipWithError(made.error().to_string());
      return;
    }
    const auto started = std::chrono::steady_clock::now();
    auto written = db->insert(std::span(records), {.path = path});
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
    if (!written || written->rows_inserted != rows) {
      state.SkipWithError(written ? std::format("{} rows inserted, not {}", written->rows_inserted, rows)
                                  : written.error().to_string());
      return;
    }
    state.SetIterationTime(elapsed.count());
  }
  state.SetItemsProcessed(state.iterations() * rows);
  state.counters["rows_per_s"] = benchmark::Counter(static_cast<double>(rows), benchmark::Counter::kIsIterationInvariantRate);
}

void register_benchmarks() {
  for (std::int64_t rows : row_counts()) {
    // At 10M rows the fast path goes first: a direct write that size may
    // exhaust the server's heap, which would weigh on what runs after it.
    std::vector<std::pair<const char*, lake::WritePath>> paths{{"direct", lake::WritePath::direct},
                                                                {"fast_path", lake::WritePath::object_storage}};
    if (rows >= 10'000'000) std::ranges::reverse(paths);
    for (auto [name, path] : paths) {
      benchmark::RegisterBenchmark(std::format("BM_SparkIngest/{}", name), BM_SparkIngest, path)
          ->Arg(rows)
          ->UseManualTime()
          ->Unit(benchmark::kMillisecond)
          ->Iterations(rows >= 10'000'000 ? 1 : 2);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_benchmarks();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

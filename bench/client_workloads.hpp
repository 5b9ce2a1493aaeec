// The Client workloads the Delta and Iceberg benchmarks both measure
// (bench/client_benchmark.cpp, bench/iceberg_benchmark.cpp), so the two
// formats run the same records and the same calls:
//   - a full scan of `readings` (1M rows, 1,000 files) into typed records;
//   - a point lookup on it (50 keys);
//   - an upsert of every 100th id of `accounts` (a new offset each time);
//   - 1,000 inserts of 10 rows into `small_inserts`.
#pragma once

#include <benchmark/benchmark.h>

#include <chrono>
#include <format>
#include <optional>
#include <string>
#include <vector>

#include <lake/client.hpp>
#include <lake/query.hpp>

namespace lake::bench {

struct Reading {
  std::int64_t seq = 0;
  std::string sensor;
  double value = 0;
  lake::timestamp at{};
  std::optional<std::string> note{};
};

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

inline Reading reading(std::int64_t seq) {
  return {.seq = seq,
          .sensor = std::format("sensor-{:04}", seq % 1000),
          .value = static_cast<double>(seq) * 0.5,
          .at = lake::timestamp(std::chrono::seconds(1'700'000'000 + seq)),
          .note = seq % 3 == 0 ? std::optional<std::string>() : std::optional<std::string>("ok")};
}

inline Account account(std::int64_t i) {
  return Account{.id = i, .owner = std::format("owner-{}", i % 10'000), .balance = i};
}

inline void full_scan_typed(benchmark::State& state, lake::Client& db) {
  std::int64_t rows = 0;
  for (auto _ : state) {
    auto all = lake::query<Reading>(db, "SELECT * FROM readings").value();
    rows = static_cast<std::int64_t>(all.size());
    benchmark::DoNotOptimize(all.data());
  }
  state.counters["rows"] = static_cast<double>(rows);
  state.counters["rows_per_s"] = benchmark::Counter(static_cast<double>(rows), benchmark::Counter::kIsIterationInvariantRate);
}

inline void point_lookup(benchmark::State& state, lake::Client& db) {
  std::int64_t key = 0;
  for (auto _ : state) {
    key = (key + 7'919) % 1'000'000;
    auto row = lake::query_first<Reading>(db, "SELECT * FROM readings WHERE seq = ?", key).value();
    benchmark::DoNotOptimize(row.seq);
  }
}

// Every 100th id of a table of `total` accounts, from a new offset on each
// call (0, 1, 2, ...), so every upsert changes rows of every file, as a
// real 1 % upsert does: an upsert moves the rows it changes into new
// files, so the same ids again would only rewrite those. The peer scripts
// take offsets from 50 on.
inline void upsert_one_percent(benchmark::State& state, lake::Client& db, std::int64_t total) {
  static std::int64_t offset = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<Account> changed;
    for (std::int64_t id = offset; id < total; id += 100) changed.push_back({.id = id, .owner = "changed", .balance = -id});
    ++offset;
    state.ResumeTiming();
    auto written = db.upsert(changed).value();
    benchmark::DoNotOptimize(written.version);
    state.counters["rows"] = static_cast<double>(changed.size());
  }
}

inline void small_inserts(benchmark::State& state, lake::Client& db) {
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

}  // namespace lake::bench

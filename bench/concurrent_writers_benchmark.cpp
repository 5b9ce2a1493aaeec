// Concurrent keyed writers on one table: N = 1, 2, 4, 8 processes, each a
// replica that opens the lake, migrates and makes kInserts inserts of
// kRows records with keys of its own into one table with a primary key
// (every insert is a key-checked merge). Each iteration starts a fresh
// table. Counters: commits and rows per second of wall time, commit
// attempts beyond the first (races lost and rebased or redone), and
// writes that failed (none expected). bench/peers/concurrent_merge.py then
// runs the same workload as delta-rs merges from N processes in the same
// run, counting its failures. Tables live under
// LAKE_BENCH_DATA/concurrent (default /tmp/lake-bench/concurrent).
#include <benchmark/benchmark.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <format>

#include <lake/client.hpp>
#include <lake/local.hpp>

#include "bench_env.hpp"

namespace {

namespace fs = std::filesystem;

struct [[=lake::table("keyed_events")]] KeyedEvent {
  [[=lake::pk]] std::string id;
  std::int64_t writer = 0;
  std::int64_t seq = 0;
  double amount = 0;
  std::string note;
};

constexpr int kInserts = 50;
constexpr int kRows = 100;

// What a writer reports back: writes that succeeded, attempts beyond the
// first, failures.
struct Tally {
  std::int64_t committed = 0;
  std::int64_t extra_attempts = 0;
  std::int64_t failed = 0;
};

Tally write_as_replica(const fs::path& lake, int writer) {
  Tally tally;
  auto db = lake::local::open(lake);
  if (!db || !db->migrate<KeyedEvent>()) return {.failed = kInserts};
  for (int i = 0; i < kInserts; ++i) {
    std::vector<KeyedEvent> events;
    events.reserve(kRows);
    for (int r = 0; r < kRows; ++r)
      events.push_back({.id = std::format("w{}-i{:04}-r{:03}", writer, i, r),
                        .writer = writer,
                        .seq = i * kRows + r,
                        .amount = r * 0.25,
                        .note = "concurrent"});
    auto written = db->insert(events);
    if (!written) {
      ++tally.failed;
      continue;
    }
    ++tally.committed;
    tally.extra_attempts += written->attempts - 1;
  }
  return tally;
}

void BM_ConcurrentKeyedWriters(benchmark::State& state) {
  const int writers = static_cast<int>(state.range(0));
  Tally total;
  int iteration = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const fs::path lake = lake::bench::data_dir() / "concurrent" / std::format("n{}-{}", writers, iteration++);
    fs::remove_all(lake);
    fs::create_directories(lake);
    int tallies[2];
    if (::pipe(tallies) != 0) state.SkipWithError("pipe");
    state.ResumeTiming();

    std::vector<pid_t> children;
    for (int w = 0; w < writers; ++w) {
      const pid_t pid = ::fork();
      if (pid == 0) {
        const Tally tally = write_as_replica(lake, w);
        (void)!::write(tallies[1], &tally, sizeof tally);
        ::_exit(0);
      }
      children.push_back(pid);
    }
    for (pid_t pid : children) ::waitpid(pid, nullptr, 0);

    state.PauseTiming();
    ::close(tallies[1]);
    Tally tally;
    int reported = 0;
    while (::read(tallies[0], &tally, sizeof tally) == static_cast<ssize_t>(sizeof tally)) {
      total.committed += tally.committed;
      total.extra_attempts += tally.extra_attempts;
      total.failed += tally.failed;
      ++reported;
    }
    ::close(tallies[0]);
    total.failed += static_cast<std::int64_t>(writers - reported) * kInserts;  // a writer that died
    state.ResumeTiming();
  }
  using benchmark::Counter;
  state.counters["commits_per_s"] = Counter(static_cast<double>(total.committed), Counter::kIsRate);
  state.counters["rows_per_s"] = Counter(static_cast<double>(total.committed) * kRows, Counter::kIsRate);
  state.counters["extra_attempts_per_commit"] =
      Counter(total.committed ? static_cast<double>(total.extra_attempts) / static_cast<double>(total.committed) : 0);
  state.counters["failed"] = Counter(static_cast<double>(total.failed), Counter::kAvgIterations);
  state.counters["writers"] = writers;
  state.counters["inserts_per_writer"] = kInserts;
  state.counters["rows_per_insert"] = kRows;
}
BENCHMARK(BM_ConcurrentKeyedWriters)->Arg(1)->Arg(2)->Arg(4)->Arg(8)->Iterations(2)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

// Struct <-> Arrow throughput: the hot path of every write and read.
// Records are a mixed 8-column row (the shape the Delta benchmarks use) and
// a nested row (list, map, struct, optional).
#include <benchmark/benchmark.h>

#include <lake/lake.hpp>

#include "event_record.hpp"

namespace {

using lake::bench::Event;

struct Tagged {
  std::string key;
  std::int64_t value = 0;
};

struct Nested {
  [[=lake::pk]] std::int64_t id = 0;
  std::vector<std::string> tags;
  std::map<std::string, double> scores;
  Tagged main;
  std::optional<lake::decimal<18, 4>> price;
};

std::vector<Event> make_events(std::size_t n) {
  std::vector<Event> rows(n);
  lake::timestamp base = lake::now();
  for (std::size_t i = 0; i < n; ++i) {
    auto k = static_cast<std::int64_t>(i);
    rows[i] = Event{k, "user-" + std::to_string(i % 10'000), i % 3 ? "GB" : "FR", 1.25 * static_cast<double>(i % 100),
                    static_cast<std::int32_t>(i % 17), i % 11 == 0, base + std::chrono::microseconds{k},
                    i % 4 ? std::optional<std::string>("note " + std::to_string(i % 50)) : std::nullopt};
  }
  return rows;
}

std::vector<Nested> make_nested(std::size_t n) {
  std::vector<Nested> rows(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto k = static_cast<std::int64_t>(i);
    rows[i] = Nested{k, {"a", "b", "c"}, {{"x", 1.0}, {"y", 2.0}}, {"k" + std::to_string(i % 100), k},
                     i % 2 ? std::optional(lake::decimal<18, 4>::from_unscaled(k * 100)) : std::nullopt};
  }
  return rows;
}

template <class T>
void to_arrow(benchmark::State& state, std::vector<T> (*make)(std::size_t)) {
  auto rows = make(static_cast<std::size_t>(state.range(0)));
  auto id = lake::IngestId::generate();
  for (auto _ : state) {
    auto batch = lake::to_record_batch(std::span<const T>(rows), {.ingest_id = id});
    if (!batch) state.SkipWithError(batch.error().to_string());
    benchmark::DoNotOptimize(batch);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

template <class T>
void from_arrow(benchmark::State& state, std::vector<T> (*make)(std::size_t)) {
  auto rows = make(static_cast<std::size_t>(state.range(0)));
  auto batch = lake::to_record_batch(std::span<const T>(rows));
  if (!batch) {
    state.SkipWithError(batch.error().to_string());
    return;
  }
  std::vector<T> out;
  for (auto _ : state) {
    out.clear();
    auto status = lake::append_from_record_batch<T>(*batch, out);
    if (!status) state.SkipWithError(status.error().to_string());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_ToArrow_Flat(benchmark::State& state) { to_arrow<Event>(state, make_events); }
void BM_FromArrow_Flat(benchmark::State& state) { from_arrow<Event>(state, make_events); }
void BM_ToArrow_Nested(benchmark::State& state) { to_arrow<Nested>(state, make_nested); }
void BM_FromArrow_Nested(benchmark::State& state) { from_arrow<Nested>(state, make_nested); }

void BM_Validate(benchmark::State& state) {
  struct Signup {
    [[=lake::validate("email")]] std::string email;
    [[=lake::validate("min=13"), =lake::validate("max=130")]] std::int32_t age = 0;
    [[=lake::validate("oneof=free pro")]] std::string plan;
  };
  std::vector<Signup> rows(static_cast<std::size_t>(state.range(0)), Signup{"ada@example.com", 36, "pro"});
  for (auto _ : state) {
    auto status = lake::validate(rows);
    if (!status) state.SkipWithError(status.error().to_string());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

BENCHMARK(BM_ToArrow_Flat)->Arg(100'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FromArrow_Flat)->Arg(100'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ToArrow_Nested)->Arg(100'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FromArrow_Nested)->Arg(100'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Validate)->Arg(100'000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

// Native Delta throughput: appending the mixed 8-column record (10M rows
// by default) as ZSTD Parquet with stats, deleting 1 % of it with
// deletion vectors and copy-on-write, and opening a table with a
// 10,000-commit log (a checkpoint every 100 commits). The data and the
// 10k-commit table are left under LAKE_BENCH_DATA (default
// /tmp/lake-bench) so bench/peers/delta_rs_bench.py measures delta-rs on
// exactly the same input in the same run.
#include <arrow/builder.h>
#include <arrow/compute/api.h>
#include <arrow/io/file.h>
#include <arrow/ipc/writer.h>
#include <benchmark/benchmark.h>

#include <filesystem>
#include <format>

#include <lake/lake.hpp>
#include <lake/delta/table.hpp>

#include "bench_env.hpp"
#include "event_record.hpp"

namespace {

namespace fs = std::filesystem;

using lake::bench::Event;

using lake::bench::data_dir;

std::int64_t rows_wanted() { return lake::bench::count_from_env("LAKE_BENCH_ROWS", 10'000'000); }

// The input as 1M-row batches, built once, also saved as Arrow IPC for the
// peer script.
const std::vector<std::shared_ptr<arrow::RecordBatch>>& input() {
  static const auto batches = [] {
    std::vector<std::shared_ptr<arrow::RecordBatch>> out;
    const std::int64_t total = rows_wanted();
    const lake::timestamp base = lake::timestamp(std::chrono::microseconds(1'700'000'000'000'000));
    for (std::int64_t first = 0; first < total; first += 1'000'000) {
      std::vector<Event> rows;
      for (std::int64_t i = first; i < std::min(total, first + 1'000'000); ++i)
        rows.push_back(Event{i, "user-" + std::to_string(i % 10'000), i % 3 ? "GB" : "FR",
                             1.25 * static_cast<double>(i % 100), static_cast<std::int32_t>(i % 17), i % 11 == 0,
                             base + std::chrono::microseconds{i},
                             i % 5 ? std::nullopt : std::optional<std::string>("note")});
      auto batch = lake::to_record_batch(std::span<const Event>(rows),
                                         {.ingest_id = lake::IngestId::generate()});
      if (!batch) std::abort();
      out.push_back(*batch);
    }
    fs::create_directories(data_dir());
    auto file = arrow::io::FileOutputStream::Open((data_dir() / "events.arrow").string());
    auto writer = arrow::ipc::MakeFileWriter(*file, out.front()->schema());
    for (const auto& b : out)
      if (!(*writer)->WriteRecordBatch(*b).ok()) std::abort();
    if (!(*writer)->Close().ok()) std::abort();
    return out;
  }();
  return batches;
}

void BM_DeltaAppend(benchmark::State& state) {
  const auto& batches = input();
  std::int64_t rows = 0;
  for (const auto& b : batches) rows += b->num_rows();
  const fs::path dir = data_dir() / "append";
  for (auto _ : state) {
    state.PauseTiming();
    fs::remove_all(dir);
    auto backend = lake::file_backend(dir);
    auto table = lake::delta::Table::create(std::shared_ptr<lake::Backend>(std::move(*backend)), "",
                                            lake::schema_of<Event>(), {},
                                            {.writer_threads = static_cast<int>(state.range(0))});
    auto reader = arrow::RecordBatchReader::Make(batches);
    state.ResumeTiming();
    auto result = table->append(**reader);
    if (!result) state.SkipWithError(result.error().to_string());
  }
  state.counters["rows_per_s"] = benchmark::Counter(static_cast<double>(rows) * static_cast<double>(state.iterations()),
                                                    benchmark::Counter::kIsRate);
}
// writer_threads 1: encoding on the appending thread; 0: a row group's
// columns encoded on every core (the default).
BENCHMARK(BM_DeltaAppend)->ArgName("writer_threads")->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->Iterations(2)->UseRealTime();

// Deleting 1 % of the 10M rows (every 100th id: the rows are in every
// file, as in a real 1 % change), each iteration the next 1 %. With
// deletion vectors (merge-on-read) the delete reads the id column of each
// file, writes one vector file and rewrites no data file; copy-on-write
// (the same table property, the handle asking for it) rewrites every file.
// delta-rs deletes copy-on-write (delta_rs_bench.py, same input).
void BM_DeltaDelete1Percent(benchmark::State& state) {
  const bool vectors = state.range(0) == 1;
  const auto& batches = input();
  std::int64_t total = 0;
  for (const auto& b : batches) total += b->num_rows();
  const fs::path dir = data_dir() / (vectors ? "delete-vectors" : "delete-rewrite");
  fs::remove_all(dir);
  auto backend = lake::file_backend(dir);
  auto table = lake::delta::Table::create(
      std::shared_ptr<lake::Backend>(std::move(*backend)), "", lake::schema_of<Event>(),
      {.properties = {{"delta.enableDeletionVectors", "true"}}},
      {.row_changes = vectors ? lake::RowChanges::automatic : lake::RowChanges::copy_on_write});
  auto reader = arrow::RecordBatchReader::Make(batches);
  if (!table || !table->append(**reader)) std::abort();
  std::int64_t round = 0, deleted = 0, files_added = 0;
  for (auto _ : state) {
    state.PauseTiming();
    arrow::Int64Builder ids;
    for (std::int64_t id = round++; id < total; id += 100)
      if (!ids.Append(id).ok()) std::abort();
    auto predicate = arrow::compute::call("is_in", {arrow::compute::field_ref("id")},
                                          arrow::compute::SetLookupOptions(ids.Finish().ValueOrDie()));
    state.ResumeTiming();
    auto result = table->delete_where(predicate);
    if (!result) {
      state.SkipWithError(result.error().to_string());
      break;
    }
    deleted = result->rows_deleted;
    files_added = result->files_added;
  }
  state.counters["rows_deleted"] = static_cast<double>(deleted);
  state.counters["files_added"] = static_cast<double>(files_added);
}
BENCHMARK(BM_DeltaDelete1Percent)->ArgName("vectors")->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->Iterations(2)->UseRealTime();

// A 10,000-commit table: each commit adds one (tiny, real) file.
const fs::path& replay_table() {
  static const fs::path dir = [] {
    fs::path d = data_dir() / "replay";
    fs::remove_all(d);
    auto backend = lake::file_backend(d);
    std::shared_ptr<lake::Backend> shared(std::move(*backend));
    auto table = lake::delta::Table::create(shared, "", lake::schema_of<Event>(), {}, {.checkpoint_interval = 100});
    auto one = input().front()->Slice(0, 1);
    auto reader = arrow::RecordBatchReader::Make({one});
    auto first = table->append(**reader);
    if (!first) std::abort();
    auto template_file = table->snapshot().files().begin()->second;
    for (int v = 2; v <= 10'000; ++v) {
      auto file = template_file;
      file.path = std::format("copy-{:05}.parquet", v);
      auto key = table->key_of(file);
      auto data = shared->get(*table->key_of(template_file));
      if (!key || !data || !shared->put(*key, *data, lake::PutMode::overwrite)) std::abort();
      if (!table->append_files({file})) std::abort();
    }
    return d;
  }();
  return dir;
}

void BM_DeltaOpen10kCommits(benchmark::State& state) {
  const fs::path& dir = replay_table();
  for (auto _ : state) {
    auto backend = lake::file_backend(dir);
    auto table = lake::delta::Table::open(std::shared_ptr<lake::Backend>(std::move(*backend)), "");
    if (!table || table->version() != 10'000) state.SkipWithError("replay failed");
    benchmark::DoNotOptimize(table);
  }
}
BENCHMARK(BM_DeltaOpen10kCommits)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

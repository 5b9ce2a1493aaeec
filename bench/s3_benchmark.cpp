// Object storage throughput: the S3 backend on a local MinIO (bench/run
// starts one and sets LAKE_MINIO_DIR) next to the file backend on local
// disk, for streamed uploads and ranged reads, and the native Delta append
// of delta_benchmark's 10M-row input (events.arrow under LAKE_BENCH_DATA)
// into S3. bench/peers/s3_peers.py then has delta-rs write the same input
// to the same server in the same run.
//
// Both sides of each comparison run on one machine, so the figures measure
// the client and the server together; on loopback the network costs
// nothing and MinIO's own CPU use competes with the client's.
#include <arrow/io/file.h>
#include <arrow/ipc/reader.h>
#include <benchmark/benchmark.h>

#include <filesystem>
#include <format>
#include <cstring>
#include <random>

#include <lake/lake.hpp>
#include <lake/delta/table.hpp>

#include "bench_env.hpp"
#include "event_record.hpp"
#include "support/minio_env.hpp"

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kBucket = "lake-bench";
constexpr std::size_t kObjectBytes = 256 * 1024 * 1024;
constexpr std::size_t kWriteBytes = 1024 * 1024;

// The backend for benchmark argument 0 (file) or 1 (S3), rooted at a fresh
// place per call; nullptr with the reason in `error`.
std::shared_ptr<lake::Backend> backend_for(std::int64_t kind, const std::string& name, std::string& error,
                                           int parts_in_flight = lake::S3Options{}.parts_in_flight) {
  if (kind == 0) {
    const fs::path dir = lake::bench::data_dir() / "storage" / name;
    fs::remove_all(dir);
    auto backend = lake::file_backend(dir);
    if (!backend) error = backend.error().to_string();
    return backend ? std::shared_ptr<lake::Backend>(std::move(*backend)) : nullptr;
  }
  static const auto server = lake::testing::minio_from_env();
  if (!server) {
    error = "no MinIO: run through bench/run, which starts one (LAKE_MINIO_DIR)";
    return nullptr;
  }
  if (auto made = lake::testing::create_bucket(*server, kBucket); !made) {
    error = made.error().to_string();
    return nullptr;
  }
  lake::S3Options options = server->options();
  options.parts_in_flight = parts_in_flight;
  auto backend = lake::s3_backend(std::format("s3://{}/{}-{}", kBucket, name, lake::IngestId::generate().to_string()),
                                  options);
  if (!backend) error = backend.error().to_string();
  return backend ? std::shared_ptr<lake::Backend>(std::move(*backend)) : nullptr;
}

const std::vector<std::byte>& payload() {
  static const auto bytes = [] {
    std::vector<std::byte> out(kObjectBytes);
    std::mt19937_64 random(42);
    for (std::size_t i = 0; i + 8 <= out.size(); i += 8) {
      const std::uint64_t word = random();
      std::memcpy(out.data() + i, &word, 8);
    }
    return out;
  }();
  return bytes;
}

// A 256 MiB object written 1 MiB at a time through open_writer (on S3: a
// multipart upload of 8 MiB parts, range(1) of them in flight at once).
void BM_Upload(benchmark::State& state) {
  std::string error;
  auto backend = backend_for(state.range(0), "upload", error, static_cast<int>(state.range(1)));
  if (!backend) return state.SkipWithError(error);
  const auto& data = payload();
  int n = 0;
  for (auto _ : state) {
    auto writer = backend->open_writer(std::format("object-{}", n++), lake::PutMode::overwrite);
    lake::Status written = writer ? lake::Status{} : lake::Status(std::unexpected(writer.error()));
    for (std::size_t at = 0; written && at < data.size(); at += kWriteBytes)
      written = (*writer)->write(std::span(data).subspan(at, kWriteBytes));
    if (written) written = (*writer)->close();
    if (!written) return state.SkipWithError(written.error().to_string());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(data.size()));
}
BENCHMARK(BM_Upload)
    ->ArgNames({"s3", "in_flight"})
    ->Args({0, 1})
    ->Args({1, 1})
    ->Args({1, 4})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->UseRealTime();

// Random ranged reads of range(1) bytes from the 256 MiB object: the shape
// of Parquet footer and column-chunk reads.
void BM_RangedRead(benchmark::State& state) {
  std::string error;
  auto backend = backend_for(state.range(0), "ranged", error);
  if (!backend) return state.SkipWithError(error);
  const auto& data = payload();
  if (auto put = backend->put("object", data, lake::PutMode::overwrite); !put)
    return state.SkipWithError(put.error().to_string());
  const auto length = state.range(1);
  std::mt19937_64 random(7);
  std::uniform_int_distribution<std::int64_t> offset(0, static_cast<std::int64_t>(data.size()) - length);
  for (auto _ : state) {
    const std::int64_t at = offset(random);
    auto bytes = backend->get_range("object", at, length);
    if (!bytes || static_cast<std::int64_t>(bytes->size()) != length)
      return state.SkipWithError(bytes ? "short read" : bytes.error().to_string());
    benchmark::DoNotOptimize(bytes->data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * length);
}
BENCHMARK(BM_RangedRead)
    ->ArgNames({"s3", "bytes"})
    ->ArgsProduct({{0, 1}, {64 * 1024, 8 * 1024 * 1024}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The native Delta append of delta_benchmark's input into S3 (the file
// backend figure is delta_benchmark's BM_DeltaAppend).
void BM_DeltaAppendS3(benchmark::State& state) {
  const fs::path input = lake::bench::data_dir() / "events.arrow";
  auto file = arrow::io::ReadableFile::Open(input.string());
  if (!file.ok()) return state.SkipWithError(std::format("{} is missing: delta_benchmark writes it", input.string()));
  auto reader = arrow::ipc::RecordBatchFileReader::Open(*file);
  if (!reader.ok()) return state.SkipWithError(reader.status().ToString());
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  std::int64_t rows = 0;
  for (int i = 0; i < (*reader)->num_record_batches(); ++i) {
    batches.push_back(*(*reader)->ReadRecordBatch(i));
    rows += batches.back()->num_rows();
  }
  for (auto _ : state) {
    state.PauseTiming();
    std::string error;
    auto backend = backend_for(1, "append", error);
    if (!backend) return state.SkipWithError(error);
    auto table = lake::delta::Table::create(backend, "", lake::schema_of<lake::bench::Event>());
    if (!table) return state.SkipWithError(table.error().to_string());
    auto rows_reader = arrow::RecordBatchReader::Make(batches);
    state.ResumeTiming();
    auto result = table->append(**rows_reader);
    if (!result) return state.SkipWithError(result.error().to_string());
  }
  state.counters["rows"] = static_cast<double>(rows);
  state.counters["rows_per_s"] = benchmark::Counter(static_cast<double>(rows) * static_cast<double>(state.iterations()),
                                                    benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DeltaAppendS3)->Unit(benchmark::kMillisecond)->Iterations(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

// stream: reading a large result with constant memory.
//
//   example_stream [DATA_DIR]     (default: $LAKE_DATA_DIR, else ./lake-data)
//
// lake::query_stream<T> is a lazy std::generator: the query starts when the
// loop does, one Arrow batch (a few thousand rows) is in memory at a time,
// and leaving the loop early (break, return) destroys the stream, which
// cancels the query there and then. Here the results come from DuckDB's
// range() table function, so nothing is written: the same loop works over
// any table ("SELECT * FROM events"), and DATA_DIR is only opened.
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <format>
#include <optional>
#include <print>
#include <string>

#include <lake/lake.hpp>
#include <lake/local.hpp>
#include <lake/query.hpp>

namespace app {

// The shape of one result row: columns bind to members by name.
struct Sample {
  std::int64_t n = 0;
  std::string digest{};
};

}  // namespace app

namespace {

template <class T>
T check(lake::Result<T> result, const char* what) {
  if (!result) {
    std::println(stderr, "{} failed: {}", what, result.error().to_string());
    std::exit(1);
  }
  if constexpr (!std::is_void_v<T>) return std::move(*result);
}

// The process's peak resident memory so far, in MiB (Linux reports KiB).
long peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path dir = argc > 1 ? argv[1] : lake::local::default_data_dir();
  auto db = check(lake::local::open(dir, {.default_database = "stream"}), "open");
  std::println("stream: engine on {}\n", std::filesystem::absolute(dir).string());

  // 1. Two million rows, each with a 32-character string, walked one by one.
  //    Collected into a std::vector they would take well over 100 MiB; the
  //    stream's peak memory does not depend on the row count.
  constexpr std::int64_t kRows = 2'000'000;
  const long before = peak_rss_mib();
  std::int64_t seen = 0, zeros = 0;
  const std::string sql = std::format("SELECT range AS n, md5(range::VARCHAR) AS digest FROM range({})", kRows);
  for (auto&& row : lake::query_stream<app::Sample>(db, sql)) {
    const auto& sample = check(std::move(row), "stream");  // an error arrives once, as the last element
    ++seen;
    if (sample.digest.starts_with("00")) ++zeros;
  }
  std::println("1. streamed {} rows ({} digests start with \"00\"); peak memory {} MiB before, {} MiB after",
               seen, zeros, before, peak_rss_mib());

  // 2. A billion-row query, left as soon as the answer is found: the break
  //    destroys the generator, which cancels the query in the engine. The
  //    rest of the billion rows are never produced.
  std::int64_t scanned = 0;
  std::optional<app::Sample> found;
  for (auto&& row : lake::query_stream<app::Sample>(
           db, "SELECT range AS n, md5(range::VARCHAR) AS digest FROM range(1000000000)")) {
    auto sample = check(std::move(row), "stream");
    ++scanned;
    if (sample.digest.starts_with("0000")) {
      found = std::move(sample);
      break;
    }
  }
  if (!found) {
    std::println(stderr, "no digest starting with 0000 was found");
    return 1;
  }
  std::println("2. first digest starting with \"0000\": n = {} ({}), after {} of 1,000,000,000 rows;", found->n,
               found->digest, scanned);
  std::println("   the break cancelled the query");

  // 3. The engine is free again at once: the cancelled query gave its
  //    connection back to the pool.
  auto again = check(lake::query_first<app::Sample>(db, "SELECT 42 AS n, md5('42') AS digest"), "query_first");
  std::println("3. next query ran straight away: n = {}, peak memory still {} MiB", again.n, peak_rss_mib());
  return 0;
}

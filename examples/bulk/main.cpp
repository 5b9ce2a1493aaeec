// bulk: the fast-path write. 200,000 rows from a lazy range go to object
// storage as ZSTD Parquet parts under _staging/<ingest id>/ and land in the
// table in one commit.
//
//   example_bulk [DATA_DIR]     (default: $LAKE_DATA_DIR, else ./lake-data)
//
// insert_range() pulls records in chunks, so memory stays bounded however
// many the range yields: chunks become Arrow batches, batches become Parquet
// parts of at most staging_part_bytes, and one atomic commit adds the parts
// to the table (readers see all 200,000 rows or none). With the default
// WritePath::automatic a write takes this path by itself once it is larger
// than ClientOptions::fast_path_threshold (128 MiB of Arrow data); here it
// is asked for explicitly. The table is append-only (no primary key), so
// every run adds another 200,000 rows to DATA_DIR/bulk/trips.
//
// The same code runs on Spark: with SPARK_REMOTE set (the Spark Connect
// connection string pyspark reads, sc://host:port/;token=...) the Client
// is opened on that server instead of the embedded engine, and nothing
// else changes. The client still stages the parts; Spark reads them in
// place with one INSERT ... SELECT FROM parquet.`<staging>` (the bytes
// never pass through the client again). The server must see DATA_DIR at
// the same path (the same machine, or a shared disk; s3:// on a cluster).
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <print>
#include <ranges>
#include <string_view>
#include <vector>

#include <lake/drivers/spark.hpp>
#include <lake/lake.hpp>
#include <lake/local.hpp>
#include <lake/query.hpp>

namespace app {

struct Trip {
  std::int64_t id = 0;
  std::string city{};
  double km = 0;
  double fare = 0;
  lake::timestamp pickup_at{};
};

struct Summary {
  std::int64_t n = 0;
  std::int64_t cities = 0;
  double fares = 0;
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

// The embedded engine, or the Spark Connect server SPARK_REMOTE names.
lake::Result<lake::Client> open_client(const std::filesystem::path& dir, lake::ClientOptions options) {
  const char* remote = std::getenv("SPARK_REMOTE");
  if (remote == nullptr || *remote == '\0') return lake::local::open(dir, std::move(options));
  auto driver = lake::spark::driver(remote);
  if (!driver) return std::unexpected(driver.error());
  std::filesystem::create_directories(dir);
  auto backend = lake::file_backend(std::filesystem::absolute(dir));
  if (!backend) return std::unexpected(backend.error());
  return lake::Client::open(std::move(*driver), lake::delta_dialect(), std::move(*backend), std::move(options));
}

constexpr std::int64_t kRows = 200'000;
constexpr std::array<std::string_view, 4> kCities{"London", "Paris", "Berlin", "Madrid"};

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path dir = argc > 1 ? argv[1] : lake::local::default_data_dir();
  // Small staging sizes so this modest write is cut into several parts;
  // the defaults (8 MiB batches, 128 MiB parts) suit real bulk loads.
  auto db = check(open_client(dir, {.default_database = "bulk",
                                    .staging_batch_bytes = std::int64_t{1} << 20,
                                    .staging_part_bytes = std::int64_t{4} << 20}),
                  "open");
  std::println("bulk: Delta tables under {}, on {}\n", std::filesystem::absolute(dir / "bulk").string(),
               std::getenv("SPARK_REMOTE") ? "Spark (SPARK_REMOTE)" : "the embedded engine");
  check(db.migrate<app::Trip>(), "migrate");

  // A lazy range: nothing is materialised up front, each Trip is made when
  // insert_range asks for it. A std::generator or a file reader works too.
  const lake::timestamp start = lake::now();
  auto trips = std::views::iota(std::int64_t{0}, kRows) | std::views::transform([start](std::int64_t i) {
                 return app::Trip{.id = i,
                                  .city = std::string(kCities[static_cast<std::size_t>(i) % kCities.size()]),
                                  .km = 1.0 + static_cast<double>(i % 25),
                                  .fare = 3.5 + 1.8 * static_cast<double>(i % 25),
                                  .pickup_at = start + std::chrono::seconds(i)};
               });

  const auto began = std::chrono::steady_clock::now();
  auto written = check(db.insert_range(trips, {.path = lake::WritePath::object_storage}), "insert_range");
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began);
  std::println("1. {} rows via {} in {} ms: {} bytes of ZSTD Parquet staged under _staging/{}/,", written.rows_inserted,
               lake::to_string(written.path), elapsed.count(), written.bytes_staged, written.ingest_id.to_string());
  std::println("   then one commit (version {}); the staging prefix is removed after it", written.version);

  // The rows are in the table the moment the commit is; a count proves it.
  auto summary = check(lake::query_first<app::Summary>(db, R"(
      SELECT count(*) AS n, count(DISTINCT city) AS cities, sum(fare) AS fares
      FROM trips WHERE _ingest_id = ?)",
                                                       written.ingest_id.to_string()),
                       "count this write");
  auto total = check(lake::query_first<app::Summary>(
                         db, "SELECT count(*) AS n, count(DISTINCT city) AS cities, sum(fare) AS fares FROM trips"),
                     "count the table");
  std::println("2. this write: {} rows in {} cities, {:.2f} in fares; the table holds {} rows after {} run(s)",
               summary.n, summary.cities, summary.fares, total.n, total.n / kRows);

  auto stats = check(db.maintain().stats("trips"), "stats");
  std::println("3. trips: version {}, {} data file(s), {} bytes", stats.version, stats.files, stats.bytes);

  // A small write with the default (automatic) path stays in memory: it is
  // far below fast_path_threshold, so staging would only add I/O.
  std::vector<app::Trip> one{{.id = -1, .city = "Lisbon", .km = 2.0, .fare = 7.1, .pickup_at = lake::now()}};
  auto small = check(db.insert(one), "small insert");
  std::println("4. a 1-row insert with WritePath::automatic went {} (threshold {} bytes)", lake::to_string(small.path),
               lake::ClientOptions{}.fast_path_threshold);
  return 0;
}

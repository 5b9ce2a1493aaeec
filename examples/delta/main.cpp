// delta: what the table format adds. Every write is a Delta commit, so
// tables have versions, time travel, history and maintenance.
//
//   example_delta [DATA_DIR]     (default: $LAKE_DATA_DIR, else ./lake-data)
//
// Three small appends make three versions (and several small files);
// `readings@v<N>` reads an old version through plain SQL; optimize()
// compacts the small files (Z-ordered by two columns); vacuum() shows what
// it would delete and keeps what time travel still needs; history() and
// stats() read the log. lake::delta::Table opens the same table directly
// (no engine) to show its protocol and properties. The table is
// DATA_DIR/delta/readings, an ordinary Delta table Spark, delta-rs or
// DuckDB's delta extension can read. Each run appends three more batches.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <format>
#include <memory>
#include <print>
#include <vector>

#include <lake/delta/table.hpp>
#include <lake/lake.hpp>
#include <lake/local.hpp>
#include <lake/query.hpp>

namespace app {

// Append-only (no primary key), partitioned by site: each append writes
// one file per site.
struct Reading {
  [[=lake::partition]]         std::string site;
  std::string                  sensor{};
  double                       celsius = 0;
  [[=lake::auto_create_time]]  lake::timestamp taken_at{};
};

struct Count {
  std::int64_t n = 0;
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

std::int64_t count_at(lake::Client& db, std::string_view table) {
  return check(lake::query_first<app::Count>(db, std::format(R"(SELECT count(*) AS n FROM "{}")", table)), "count").n;
}

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path dir = argc > 1 ? argv[1] : lake::local::default_data_dir();
  auto db = check(lake::local::open(dir, {.default_database = "delta"}), "open");
  std::println("delta: Delta tables under {}\n", std::filesystem::absolute(dir / "delta").string());
  check(db.migrate<app::Reading>(), "migrate");

  // 1. Three appends, three commits: each is a new table version.
  std::vector<std::int64_t> versions;
  for (int batch = 0; batch < 3; ++batch) {
    std::vector<app::Reading> rows{{.site = "north", .sensor = "t1", .celsius = 11.5 + batch},
                                   {.site = "north", .sensor = "t2", .celsius = 12.0 + batch},
                                   {.site = "south", .sensor = "t3", .celsius = 19.25 + batch},
                                   {.site = "south", .sensor = "t4", .celsius = 18.75 + batch}};
    versions.push_back(check(db.insert(rows), "insert").version);
  }
  std::println("1. three appends committed versions {}", versions);

  // 2. Time travel through SQL: quote the name with @v<version> (or
  //    @<ISO 8601 time>, e.g. "readings@2026-11-21T10:00:00Z").
  std::println("2. time travel: readings@v0 (the CREATE) has {} rows, readings@v{} has {}, the latest has {}",
               count_at(db, "readings@v0"), versions.front(), count_at(db, std::format("readings@v{}", versions.front())),
               count_at(db, "readings"));

  // 3. optimize() rewrites the small files of each partition into one,
  //    clustered on a Z-order curve over (sensor, celsius) so min/max
  //    statistics let readers skip files. The rows and old versions stay.
  auto before = check(db.maintain().stats("readings"), "stats");
  auto optimized = check(db.maintain().optimize("readings", {.zorder_by = {"sensor", "celsius"}}), "optimize");
  auto after = check(db.maintain().stats("readings"), "stats");
  std::println("3. optimize: {} files -> {} (removed {}, added {}) as version {}; still {} rows, and readings@v{} "
               "still reads {}",
               before.files, after.files, optimized.files_removed, optimized.files_added, optimized.version, after.rows,
               versions.front(), count_at(db, std::format("readings@v{}", versions.front())));

  // 4. vacuum() deletes files no version within the retention needs. A dry
  //    run with zero retention lists what compaction made obsolete; the real
  //    run keeps the default 7 days, so time travel keeps working.
  auto preview = check(db.maintain().vacuum("readings", {.retention = std::chrono::hours(0),
                                                         .allow_short_retention = true, .dry_run = true}),
                       "vacuum dry run");
  auto vacuumed = check(db.maintain().vacuum("readings"), "vacuum");
  std::println("4. vacuum: {} obsolete file(s) ({} bytes) once they are old enough; deleted now: {}",
               preview.files.size(), preview.bytes, vacuumed.files.size());

  // 5. The log: stats and the latest commits.
  std::println("5. readings: version {}, {} rows in {} file(s), {} commit(s) in the log, partitioned by {}",
               after.version, after.rows, after.files, after.versions, after.partition_columns);
  for (const auto& entry : check(db.maintain().history("readings", 5), "history"))
    std::println("     v{:<3} {} {:<8} {}", entry.version, lake::format_timestamp(entry.committed_at), entry.operation,
                 entry.parameters);

  // 6. The same table without the engine: lake::delta reads the log itself.
  std::shared_ptr<lake::Backend> files = check(lake::file_backend(dir), "file backend");
  auto table = check(lake::delta::Table::open(files, db.table_ref("readings").location), "open table");
  const auto& snapshot = table.snapshot();
  std::println("6. {} at version {}: reader protocol {}, writer protocol {}, {} live file(s)", table.root(),
               snapshot.version(), snapshot.protocol().min_reader_version, snapshot.protocol().min_writer_version,
               snapshot.files().size());
  for (const auto& [key, value] : snapshot.metadata().configuration) std::println("     {} = {}", key, value);
  return 0;
}

// iceberg: the seed's quick start on its default dialect, Apache Iceberg,
// embedded: DuckDB as the SQL engine and lake-orm's own Iceberg, no JVM.
//
//   example_iceberg [DATA_DIR]     (default: $LAKE_DATA_DIR, else ./lake-data)
//
// migrate -> insert -> upsert -> delete -> query -> time travel by
// snapshot id -> optimize -> vacuum -> history and stats. The tables are
// DATA_DIR/iceberg/<table>, Iceberg tables by path
// (metadata/v<N>.metadata.json and version-hint.text): pyiceberg's
// StaticTable.from_metadata, DuckDB's iceberg_scan and Spark's Hadoop
// tables read them. Running it again is fine (existing keys are skipped).
#include <arrow/compute/api.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <print>
#include <vector>

#include <lake/lake.hpp>
#include <lake/local.hpp>
#include <lake/query.hpp>

namespace app {

// Partitioned by Iceberg's own transforms: a bucket of the id, the first
// two letters of the country.
struct [[=lake::table("users")]] User {
  [[=lake::pk, =lake::partition_bucket(4)]]               std::int64_t id = 0;
  [[=lake::validate("email")]]                            std::string email;
  [[=lake::partition_truncate(2)]]                        std::string country;
  std::int64_t visits = 0;
  [[=lake::auto_update_time]]                             lake::timestamp updated_at{};
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

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path dir = (argc > 1 ? std::filesystem::path(argv[1]) : lake::local::default_data_dir()) / "iceberg";
  auto db = check(lake::local::open(dir, {}, lake::TableFormat::iceberg), "open");
  std::println("lake-orm on Iceberg: tables under {}\n", std::filesystem::absolute(dir).string());

  check(db.migrate<app::User>(), "migrate");
  std::println("1. migrated: users (an Iceberg table, format version 2)");

  std::vector<app::User> users;
  for (std::int64_t id = 1; id <= 6; ++id)
    users.push_back({.id = id, .email = std::format("user{}@example.com", id),
                     .country = id % 2 ? "NLD" : "USA", .visits = id});
  auto inserted = check(db.insert(users, {.on_conflict = lake::ConflictStrategy::skip}), "insert");
  std::println("2. inserted {} users: snapshot {}", inserted.rows_inserted, inserted.version);

  std::vector<app::User> changed{{.id = 2, .email = "two@example.org", .country = "USA", .visits = 20},
                                 {.id = 7, .email = "user7@example.com", .country = "NOR", .visits = 7}};
  auto upserted = check(db.upsert(changed), "upsert");
  std::println("3. upsert: {} updated, {} inserted (copy-on-write: only the files holding id 2 rewritten)",
               upserted.rows_updated, upserted.rows_inserted);

  namespace cp = arrow::compute;
  auto removed = check(db.delete_where<app::User>(cp::equal(cp::field_ref("id"), cp::literal(std::int64_t{5}))),
                       "delete_where");
  std::println("4. delete_where id = 5: {} row(s) deleted", removed.rows_deleted);

  auto dutch = check(lake::query<app::User>(db, "SELECT * FROM users WHERE country = ? ORDER BY id", "NLD"), "query");
  std::println("5. users in NLD (files whose country bounds rule NLD out are not read):");
  for (const auto& u : dutch) std::println("     {} {} {} visit(s)", u.id, u.email, u.visits);

  // Iceberg names snapshots by id: the oldest one of the history is the
  // first insert (on a first run).
  auto history = check(db.maintain().history("users"), "history");
  const auto first = history.back().version;
  auto then = check(lake::query_first<app::Count>(db, std::format(R"(SELECT count(*) AS n FROM "users@v{}")", first)),
                    "time travel");
  auto now = check(lake::query_first<app::Count>(db, "SELECT count(*) AS n FROM users"), "count");
  std::println("6. time travel: users at snapshot {} has {} rows; now {}", first, then.n, now.n);

  auto optimized = check(db.maintain().optimize("users"), "optimize");
  if (optimized.version < 0)
    std::println("7. optimize: nothing to compact (one file per partition)");
  else
    std::println("7. optimize: {} small files rewritten into {} (snapshot {})", optimized.files_removed,
                 optimized.files_added, optimized.version);
  auto vacuum = check(db.maintain().vacuum("users", {.dry_run = true}), "vacuum");
  std::println("8. vacuum (dry run, the table's 5-day snapshot retention): {} file(s) would go", vacuum.files.size());

  auto stats = check(db.maintain().stats("users"), "stats");
  std::println("9. users: snapshot {}, {} rows in {} files, {} snapshots, partitioned by {}", stats.version, stats.rows,
               stats.files, stats.versions, stats.partition_columns);
  for (const auto& entry : check(db.maintain().history("users", 4), "history"))
    std::println("     {} {}", entry.version, entry.operation);
  return 0;
}

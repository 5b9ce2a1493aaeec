// basic: the hero path in miniature on the embedded stack (DuckDB + Delta +
// local files).
//
//   example_basic [DATA_DIR]     (default: $LAKE_DATA_DIR, else ./lake-data)
//
// migrate -> validate -> insert -> query<T> -> query_first<T> -> update ->
// remove. The table is an ordinary Delta table in DATA_DIR/basic/users.
// Running it again is fine: keys already stored are skipped, and the user
// removed at the end is inserted (and removed) again.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <print>
#include <vector>

#include <lake/lake.hpp>
#include <lake/local.hpp>
#include <lake/query.hpp>

namespace app {

// The write side: one struct per table. The struct is the table's schema;
// the annotations say which column is the key and what a valid row is.
struct User {
  [[=lake::pk]]                                  std::string id;
  [[=lake::validate("email"), =lake::required]]  std::string email;
  [[=lake::validate("oneof=free pro")]]          std::string plan;
  [[=lake::auto_create_time]]                    lake::timestamp created_at{};
  [[=lake::auto_update_time]]                    lake::timestamp updated_at{};
};

// A read-side shape for one query's result.
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
  const std::filesystem::path dir = argc > 1 ? argv[1] : lake::local::default_data_dir();
  // Each example keeps its tables in its own database (a subdirectory of
  // DATA_DIR), so all the examples can share one DATA_DIR.
  auto db = check(lake::local::open(dir, {.default_database = "basic"}), "open");
  std::println("basic: Delta tables under {}\n", std::filesystem::absolute(dir / "basic").string());

  // CREATE TABLE IF NOT EXISTS, from the struct; a no-op on the second run.
  check(db.migrate<app::User>(), "migrate");
  std::println("1. migrated table '{}'", lake::table_name_of<app::User>());

  // insert() runs exactly this check itself; calling it up front lets a
  // caller reject input before doing anything else with it.
  std::vector<app::User> users{{.id = "u1", .email = "ada@example.com", .plan = "pro"},
                               {.id = "u2", .email = "grace@example.com", .plan = "free"},
                               {.id = "u3", .email = "linus@example.com", .plan = "free"}};
  check(lake::validate(users), "validate");
  std::println("2. {} users pass validation", users.size());

  // One atomic commit. skip: keys the table already holds are left alone,
  // which is what makes the example re-runnable.
  auto inserted = check(db.insert(users, {.on_conflict = lake::ConflictStrategy::skip}), "insert");
  std::println("3. inserted {} new user(s) (version {}, ingest id {})", inserted.rows_inserted, inserted.version,
               inserted.ingest_id.to_string());

  // Typed reads: SQL in, structs out; `?` parameters are bound, never spliced.
  auto on_free = check(lake::query<app::User>(db, "SELECT * FROM users WHERE plan = ? ORDER BY id", "free"), "query");
  std::println("4. users on the free plan:");
  for (const auto& u : on_free) std::println("     {} {}", u.id, u.email);

  auto grace = check(lake::query_first<app::User>(db, "SELECT * FROM users WHERE id = ?", "u2"), "query_first");
  std::println("5. query_first: {} <{}> on '{}', created {}", grace.id, grace.email, grace.plan,
               lake::format_timestamp(grace.created_at));

  // update() replaces the stored row with the same primary key. Start from
  // the stored row so created_at is kept; updated_at is stamped again.
  grace.plan = "pro";
  std::vector<app::User> changed{grace};
  auto updated = check(db.update(changed), "update");
  auto after = check(lake::query_first<app::User>(db, "SELECT * FROM users WHERE id = ?", "u2"), "re-read");
  std::println("6. updated {} row(s): u2 is now on '{}' (updated {})", updated.rows_updated, after.plan,
               lake::format_timestamp(after.updated_at));

  // remove() deletes by primary key: only the key members matter.
  std::vector<app::User> leaving{users[2]};
  auto removed = check(db.remove(leaving), "remove");
  auto left = check(lake::query_first<app::Count>(db, "SELECT count(*) AS n FROM users"), "count");
  std::println("7. removed {} row(s) (u3); {} user(s) remain", removed.rows_deleted, left.n);
  return 0;
}

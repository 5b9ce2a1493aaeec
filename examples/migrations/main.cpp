// migrations: schema changes as reviewed files (docs/MIGRATIONS.md), on the
// embedded stack.
//
//   example_migrations [DATA_DIR]     (default: $LAKE_DATA_DIR, else ./lake-data)
//
// author the first migration from a struct -> check it as CI would ->
// apply it -> write rows -> evolve the struct (a rename, a wider type, a
// new column) -> generate the next migration -> apply -> read the old
// rows and the new ones through the new struct. The migration files are
// in DATA_DIR/migrations/files (goose files and atlas.sum: commit them
// with the code); the tables in DATA_DIR/migrations/lake. Running it again
// is a later start of release 2: nothing to generate or apply.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <print>
#include <vector>

#include <lake/lake.hpp>
#include <lake/local.hpp>
#include <lake/migrate.hpp>
#include <lake/query.hpp>

namespace app {

// The struct as the service first shipped it.
namespace v1 {
struct [[=lake::table("customers")]] Customer {
  [[=lake::pk]]         std::string id;
  std::string           email;
  std::int32_t          orders = 0;
  [[=lake::partition]]  std::string country;
};
}  // namespace v1

// The struct a later release declares: email renamed (declared, never
// guessed), orders widened to 64 bits, a new optional column.
namespace v2 {
struct [[=lake::table("customers")]] Customer {
  [[=lake::pk]]                       std::string id;
  [[=lake::renamed_from("email")]]    std::string contact_email;
  std::int64_t                        orders = 0;
  [[=lake::partition]]                std::string country;
  std::optional<std::string>          segment;
};
}  // namespace v2

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

// What a release does at start-up (or a deploy step runs): the pending
// files, in order, recorded in the lake's lake_migrations table.
void apply(lake::Client& db, const std::filesystem::path& files) {
  auto applied = check(db.migrate_apply(files), "migrate_apply");
  for (const auto& file : applied.files) std::println("applied {}", file);
  std::println("the lake is at version {}", applied.version);
}

// What a developer runs after changing a struct; the file goes to review.
template <class T>
void generate(lake::Client& db, const std::filesystem::path& files) {
  auto written = check(db.migrate_generate<T>(files, {.naming = lake::migrate::Naming::sequential}), "migrate_generate");
  if (!written) {
    std::println("no changes to generate");
    return;
  }
  std::println("wrote {}", written->path.filename().string());
  for (const auto& reason : written->destructive) std::println("  DESTRUCTIVE: {}", reason);
}

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path root = std::filesystem::path(argc > 1 ? argv[1] : lake::local::default_data_dir()) / "migrations";
  const auto files = root / "files";
  auto db = check(lake::local::open(root / "lake"), "open");

  // Release 1 (the first run only: a later run's lake is past it): author
  // the migration, check it as CI does (a struct change without its
  // migration, or a file edited after generation, fails), apply, write.
  if (!std::filesystem::exists(files)) {
    generate<app::v1::Customer>(db, files);
    auto report = check(db.migrate_check<app::v1::Customer>(files), "migrate_check");
    std::println("check against v1: {}", report.ok() ? "ok" : report.to_text());
    apply(db, files);
    std::vector<app::v1::Customer> first{{.id = "c1", .email = "ada@example.com", .orders = 3, .country = "UK"},
                                         {.id = "c2", .email = "linus@example.com", .orders = 7, .country = "FI"}};
    check(db.upsert(first), "upsert v1 rows");
  }

  // Release 2: the struct changed. check says a migration is missing
  // (on the first run; afterwards the file is there), generate writes it.
  auto report = check(db.migrate_check<app::v2::Customer>(files), "migrate_check");
  std::print("check against v2: {}", report.ok() ? "ok\n" : report.to_text());
  generate<app::v2::Customer>(db, files);
  apply(db, files);
  std::vector<app::v2::Customer> second{
      {.id = "c3", .contact_email = "grace@example.com", .orders = 5'000'000'000, .country = "US", .segment = "enterprise"}};
  check(db.upsert(second), "upsert v2 rows");

  // The rows written under v1 read through v2: the renamed column kept its
  // values, the new one is empty.
  for (const auto& c : check(lake::query<app::v2::Customer>(db, "SELECT * FROM customers ORDER BY id"), "query"))
    std::println("{} {:<20} orders={:<11} {} segment={}", c.id, c.contact_email, c.orders, c.country,
                 c.segment.value_or("-"));

  std::print("{}", check(db.migrate_status(files), "migrate_status").to_text());
  check(db.close(), "close");
}

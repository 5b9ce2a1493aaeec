// The quickstart: the hero path on the embedded stack (DuckDB + lake-orm's
// own Delta Lake + local files).
//
//   lake_quickstart [DATA_DIR]     (default: $LAKE_DATA_DIR, else ./lake-data)
//
// migrate -> a rejected record -> insert -> upsert -> query -> stream ->
// a join into a projection struct -> time travel -> stats. The tables stay
// in DATA_DIR as ordinary Delta tables: open them with Spark, delta-rs,
// DuckDB's delta extension. Running it again is fine (existing keys are
// skipped).
#include <cstdio>
#include <print>

#include <lake/lake.hpp>
#include <lake/local.hpp>
#include <lake/query.hpp>

namespace app {

struct Customer {
  [[=lake::pk]]                                          std::string id;
  [[=lake::validate("email"), =lake::required]]          std::string email;
  [[=lake::partition]]                                   std::string country;
  [[=lake::auto_create_time]]                            lake::timestamp created_at{};
  [[=lake::auto_update_time]]                            lake::timestamp updated_at{};
};

struct Order {
  [[=lake::tag("id,pk")]]                                std::string id;
  [[=lake::tag("customer_id,validate=required")]]        std::string customer_id;
  [[=lake::tag("total,validate=min=0")]]                 lake::decimal<12, 2> total;
  [[=lake::tag("batch,auto=ingestID")]]                  std::string batch{};
};

// A read-side projection: the shape of one query's result (CQRS).
struct Spend {
  std::string email;
  std::int64_t orders = 0;
  lake::decimal<38, 2> spent;
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

lake::decimal<12, 2> money(std::int64_t cents) { return lake::decimal<12, 2>::from_unscaled(cents); }

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path dir = argc > 1 ? argv[1] : lake::local::default_data_dir();
  auto db = check(lake::local::open(dir), "open");
  std::println("lake-orm quickstart: Delta tables under {}\n", std::filesystem::absolute(dir).string());

  check(db.migrate<app::Customer, app::Order>(), "migrate");
  check(db.assert_schema<app::Customer, app::Order>(), "assert_schema");
  std::println("1. migrated: customers, orders (schemas match the structs)");

  std::vector<app::Customer> bad{{.id = "c9", .email = "not-an-email", .country = "NL"}};
  auto rejected = db.insert(bad);
  std::println("2. rejected before any I/O: {}", rejected.error().to_string());

  std::vector<app::Customer> customers{{.id = "c1", .email = "ada@example.com", .country = "UK"},
                                       {.id = "c2", .email = "grace@example.com", .country = "US"},
                                       {.id = "c3", .email = "edsger@example.com", .country = "NL"}};
  auto inserted = check(db.insert(customers, {.on_conflict = lake::ConflictStrategy::skip}), "insert");
  std::vector<app::Order> orders{{.id = "o1", .customer_id = "c1", .total = money(12'50)},
                                 {.id = "o2", .customer_id = "c1", .total = money(99'99)},
                                 {.id = "o3", .customer_id = "c2", .total = money(5'00)}};
  auto placed = check(db.insert(orders, {.on_conflict = lake::ConflictStrategy::skip}), "insert orders");
  std::println("3. inserted {} customers and {} orders (ingest id {})", inserted.rows_inserted, placed.rows_inserted,
               placed.ingest_id.to_string());

  std::vector<app::Customer> moved{{.id = "c3", .email = "edsger@example.org", .country = "US"},
                                   {.id = "c4", .email = "barbara@example.com", .country = "US"}};
  auto upserted = check(db.upsert(moved), "upsert");
  std::println("4. upsert: {} updated, {} inserted (version {})", upserted.rows_updated, upserted.rows_inserted,
               upserted.version);

  auto us = check(lake::query<app::Customer>(db, "SELECT * FROM customers WHERE country = ? ORDER BY id", "US"),
                  "query");
  std::println("5. customers in the US:");
  for (const auto& c : us) std::println("     {} {}", c.id, c.email);

  std::println("6. streaming orders:");
  for (auto&& order : lake::query_stream<app::Order>(db, "SELECT * FROM orders ORDER BY id")) {
    const auto& o = check(std::move(order), "stream");
    std::println("     {} {} {}", o.id, o.customer_id, o.total.to_string());
  }

  auto spend = check(lake::query<app::Spend>(db, R"(
      SELECT c.email, count(o.id) AS orders, coalesce(sum(o.total), 0)::DECIMAL(38, 2) AS spent
      FROM customers c LEFT JOIN orders o ON o.customer_id = c.id
      GROUP BY c.email ORDER BY spent DESC, c.email)"),
                     "join");
  std::println("7. spend per customer (a join into a projection struct):");
  for (const auto& s : spend) std::println("     {:<22} {} order(s) {:>8}", s.email, s.orders, s.spent.to_string());

  auto then = check(lake::query_first<app::Count>(db, R"(SELECT count(*) AS n FROM "customers@v1")"), "time travel");
  auto now = check(lake::query_first<app::Count>(db, "SELECT count(*) AS n FROM customers"), "count");
  auto stats = check(db.maintain().stats("customers"), "stats");
  std::println("8. time travel: customers@v1 has {} rows, v{} (the latest) has {}", then.n, stats.version, now.n);

  std::println("9. customers: version {}, {} rows in {} files ({} bytes), partitioned by {}", stats.version,
               stats.rows, stats.files, stats.bytes, stats.partition_columns);
  for (const auto& entry : check(db.maintain().history("customers", 3), "history"))
    std::println("     v{} {}", entry.version, entry.operation);
  return 0;
}

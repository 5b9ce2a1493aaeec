// joins: CQRS. Write-side structs, one per table; read-side structs, one
// per query result, for joins and aggregates that no table has the shape of.
//
//   example_joins [DATA_DIR]     (default: $LAKE_DATA_DIR, else ./lake-data)
//
// Two tables (customers, orders) are written with their own structs; two
// join + aggregate queries read into projection structs declared for just
// those results. Columns bind to members by name, so the SQL's aliases are
// the contract; a missing column is an error before any row is read.
// Tables live in DATA_DIR/joins/; running it again is fine (existing keys
// are skipped).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <print>
#include <vector>

#include <lake/lake.hpp>
#include <lake/local.hpp>
#include <lake/query.hpp>

namespace app {

// ---- write side: the tables --------------------------------------------
struct Customer {
  [[=lake::pk]]                            std::string id;
  [[=lake::required]]                      std::string name;
  [[=lake::partition]]                     std::string region;
};

struct Order {
  [[=lake::pk]]                            std::string id;
  [[=lake::required]]                      std::string customer_id;
  [[=lake::validate("min=0")]]             lake::decimal<12, 2> total;
  lake::date                               placed_on{};
};

// ---- read side: one struct per query result ----------------------------
struct CustomerSpend {
  std::string name;
  std::string region;
  std::int64_t orders = 0;
  lake::decimal<38, 2> spent;
  std::optional<lake::date> last_order{};  // NULL for a customer with no orders
};

struct RegionRevenue {
  std::string region;
  std::int64_t customers = 0;
  std::int64_t orders = 0;
  lake::decimal<38, 2> revenue;
  double average_order = 0;
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

lake::date march(unsigned day_of_month) {
  return std::chrono::sys_days{std::chrono::year{2026} / std::chrono::March / std::chrono::day{day_of_month}};
}

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path dir = argc > 1 ? argv[1] : lake::local::default_data_dir();
  auto db = check(lake::local::open(dir, {.default_database = "joins"}), "open");
  std::println("joins: Delta tables under {}\n", std::filesystem::absolute(dir / "joins").string());

  check(db.migrate<app::Customer, app::Order>(), "migrate");
  std::vector<app::Customer> customers{{.id = "c1", .name = "Ada", .region = "EU"},
                                       {.id = "c2", .name = "Grace", .region = "US"},
                                       {.id = "c3", .name = "Edsger", .region = "EU"},
                                       {.id = "c4", .name = "Barbara", .region = "US"}};
  std::vector<app::Order> orders{{.id = "o1", .customer_id = "c1", .total = money(12'50), .placed_on = march(2)},
                                 {.id = "o2", .customer_id = "c1", .total = money(99'99), .placed_on = march(9)},
                                 {.id = "o3", .customer_id = "c2", .total = money(5'00), .placed_on = march(3)},
                                 {.id = "o4", .customer_id = "c3", .total = money(42'00), .placed_on = march(5)},
                                 {.id = "o5", .customer_id = "c2", .total = money(18'25), .placed_on = march(11)}};
  check(db.insert(customers, {.on_conflict = lake::ConflictStrategy::skip}), "insert customers");
  check(db.insert(orders, {.on_conflict = lake::ConflictStrategy::skip}), "insert orders");
  std::println("1. wrote {} customers and {} orders through their table structs", customers.size(), orders.size());

  // A LEFT JOIN keeps customers without orders (Barbara): their aggregate
  // columns are NULL, hence coalesce and the std::optional member. The
  // casts give the columns exactly the members' types.
  auto spend = check(lake::query<app::CustomerSpend>(db, R"(
      SELECT c.name, c.region, count(o.id) AS orders,
             coalesce(sum(o.total), 0)::DECIMAL(38, 2) AS spent, max(o.placed_on) AS last_order
      FROM customers c LEFT JOIN orders o ON o.customer_id = c.id
      GROUP BY c.name, c.region ORDER BY spent DESC, c.name)"),
                     "customer spend");
  std::println("2. spend per customer (CustomerSpend):");
  for (const auto& s : spend)
    std::println("     {:<8} {}  {} order(s) {:>7}  last {}", s.name, s.region, s.orders, s.spent.to_string(),
                 s.last_order ? lake::format_date(*s.last_order) : std::string("-"));

  // A second projection over the same tables, with a bound threshold: only
  // regions whose revenue reaches it.
  auto regions = check(lake::query<app::RegionRevenue>(db, R"(
      SELECT c.region, count(DISTINCT c.id) AS customers, count(o.id) AS orders,
             sum(o.total)::DECIMAL(38, 2) AS revenue, avg(o.total)::DOUBLE AS average_order
      FROM customers c JOIN orders o ON o.customer_id = c.id
      GROUP BY c.region HAVING sum(o.total) >= ? ORDER BY revenue DESC)",
                                                         money(50'00)),
                       "region revenue");
  std::println("3. regions with at least 50.00 of revenue (RegionRevenue):");
  for (const auto& r : regions)
    std::println("     {}  {} customer(s), {} order(s), revenue {:>7}, average {:.2f}", r.region, r.customers,
                 r.orders, r.revenue.to_string(), r.average_order);
  return 0;
}

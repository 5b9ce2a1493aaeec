// typed_helpers: the typed read API side by side.
//
//   example_typed_helpers [DATA_DIR]     (default: $LAKE_DATA_DIR, else ./lake-data)
//
//   lake::query<T>        every row, as std::vector<T>
//   lake::query_stream<T> rows one at a time (a lazy std::generator)
//   lake::query_first<T>  the first row, or ErrorCode::no_rows
// and their DataFrame-shaped siblings, which read an Arrow stream the
// caller already has from db.query(sql, params) (the escape hatch):
//   lake::collect_as<T>, lake::stream_as<T>, lake::first_as<T>
// Parameters bind to positional `?` as typed values (strings, integers,
// doubles, decimals, timestamps, std::optional as NULL); they are never
// spliced into the SQL text. The table lives in DATA_DIR/typed_helpers/.
#include <arrow/type.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <print>
#include <string>
#include <vector>

#include <lake/lake.hpp>
#include <lake/local.hpp>
#include <lake/query.hpp>

namespace app {

struct Product {
  [[=lake::pk]]                 std::string sku;
  [[=lake::required]]           std::string name;
  [[=lake::validate("min=0")]]  lake::decimal<10, 2> price;
  std::int64_t                  stock = 0;
  std::optional<std::string>    brand{};
};

// A projection: a subset of the columns. Extra result columns are ignored.
struct Stock {
  std::string sku;
  std::int64_t stock = 0;
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

using Price = lake::decimal<10, 2>;

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path dir = argc > 1 ? argv[1] : lake::local::default_data_dir();
  auto db = check(lake::local::open(dir, {.default_database = "typed_helpers"}), "open");
  std::println("typed_helpers: Delta tables under {}\n", std::filesystem::absolute(dir / "typed_helpers").string());

  check(db.migrate<app::Product>(), "migrate");
  std::vector<app::Product> products{
      {.sku = "p1", .name = "Kettle", .price = Price::from_unscaled(29'99), .stock = 12, .brand = "Acme"},
      {.sku = "p2", .name = "Toaster", .price = Price::from_unscaled(49'00), .stock = 0, .brand = "Acme"},
      {.sku = "p3", .name = "O'Brien's Tea", .price = Price::from_unscaled(4'50), .stock = 200},
      {.sku = "p4", .name = "Mug", .price = Price::from_unscaled(7'25), .stock = 48, .brand = "Mugs & Co"}};
  check(db.insert(products, {.on_conflict = lake::ConflictStrategy::skip}), "insert");

  // query<T>: two typed parameters, a decimal and an integer.
  auto cheap = check(lake::query<app::Product>(db, "SELECT * FROM products WHERE price < ? AND stock > ? ORDER BY sku",
                                               Price::from_unscaled(30'00), 0),
                     "query");
  std::println("1. query<Product>: {} product(s) under 30.00 in stock", cheap.size());

  // query_stream<T>: the same binding, rows arriving one at a time.
  std::println("2. query_stream<Product> for brand 'Acme':");
  for (auto&& row : lake::query_stream<app::Product>(db, "SELECT * FROM products WHERE brand = ? ORDER BY sku", "Acme")) {
    const auto& p = check(std::move(row), "query_stream");
    std::println("     {} {} {}", p.sku, p.name, p.price.to_string());
  }

  // query_first<T>: a quote in a bound value needs no escaping...
  auto tea = check(lake::query_first<app::Product>(db, "SELECT * FROM products WHERE name = ?", "O'Brien's Tea"),
                   "query_first");
  std::println("3. query_first<Product>: {} '{}' (brand {})", tea.sku, tea.name, tea.brand.value_or("NULL"));

  // ...and an injection attempt is just a string that matches no sku.
  auto injected = check(lake::query<app::Product>(db, "SELECT * FROM products WHERE sku = ?", "p1' OR '1'='1"),
                        "injection");
  std::println("4. sku = \"p1' OR '1'='1\" matched {} row(s): the parameter was bound, not spliced", injected.size());

  // An empty std::optional binds as NULL.
  auto unbranded = check(lake::query<app::Product>(db, "SELECT * FROM products WHERE brand IS NOT DISTINCT FROM ?",
                                                   std::optional<std::string>{}),
                         "NULL parameter");
  std::println("5. brand IS NOT DISTINCT FROM NULL: {} product(s) without a brand", unbranded.size());

  // No row is an error with its own code, not a default-constructed T.
  auto none = lake::query_first<app::Product>(db, "SELECT * FROM products WHERE sku = ?", "p999");
  std::println("6. query_first for a missing sku: {}", none ? "a row?" : lake::to_string(none.error().code()));

  // The escape hatch: db.query() returns the untyped Arrow stream (hand it
  // to anything that speaks Arrow), and the *_as helpers type it later.
  auto params = check(lake::sql_params(std::int64_t{10}), "params");
  auto frame = check(db.query("SELECT sku, stock, price FROM products WHERE stock >= ? ORDER BY sku", params), "query");
  std::string columns;
  for (const auto& field : frame->schema()->fields()) columns += (columns.empty() ? "" : ", ") + field->ToString();
  std::println("7. db.query() -> an Arrow stream of ({})", columns);
  auto stocked = check(lake::collect_as<app::Stock>(*frame), "collect_as");
  std::println("   collect_as<Stock>: {} row(s), first {} ({} in stock)", stocked.size(), stocked.front().sku,
               stocked.front().stock);
  auto top = check(db.query("SELECT sku, stock FROM products ORDER BY stock DESC"), "query");
  auto most = check(lake::first_as<app::Stock>(*top), "first_as");
  std::println("   first_as<Stock>: {} has the most stock ({})", most.sku, most.stock);
  auto all = check(db.query("SELECT sku, stock FROM products ORDER BY sku"), "query");
  std::int64_t units = 0;
  for (auto&& row : lake::stream_as<app::Stock>(std::move(all))) units += check(std::move(row), "stream_as").stock;
  std::println("   stream_as<Stock>: {} units in stock overall", units);

  // A projection the result cannot fill fails before any row is read.
  auto mismatch = lake::query<app::Product>(db, "SELECT sku, name FROM products");
  std::println("8. Product from (sku, name): {}", mismatch ? "bound?" : mismatch.error().to_string());
  return 0;
}

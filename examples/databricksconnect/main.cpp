// databricksconnect: lake-orm on a Databricks cluster through Databricks
// Connect (the Spark Connect protocol, over TLS, with the cluster id on
// every call). The code after open() is the same as on the embedded engine.
//
//   export DATABRICKS_HOST=https://adb-123.4.azuredatabricks.net
//   export DATABRICKS_CLUSTER_ID=0123-456789-abcdef01
//   export DATABRICKS_CLIENT_ID=<service principal> DATABRICKS_CLIENT_SECRET=<its secret>
//   example_databricksconnect s3://bucket/lake
//
// Credentials: OAuth machine-to-machine for a service principal (above:
// tokens come from the workspace's /oidc/v1/token and are fetched again
// before they expire), or a personal access token in DATABRICKS_TOKEN. The
// token and the secret never appear in errors or logs. STORAGE is where
// the tables live, and the cluster must be able to read and write there:
// s3://bucket/prefix (credentials from the environment, as the AWS tools
// take them), gs://bucket/prefix, or a directory the cluster shares. The
// tables are registered in LAKE_CATALOG (a Unity Catalog catalog, default:
// the cluster's current one), database lake_orm_example.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <print>
#include <string>
#include <string_view>
#include <vector>

#include <lake/client.hpp>
#include <lake/dialect.hpp>
#include <lake/drivers/spark.hpp>
#include <lake/lake.hpp>
#include <lake/query.hpp>
#include <lake/storage/gcs.hpp>
#include <lake/storage/s3.hpp>

namespace app {

struct Account {
  [[=lake::pk]]                                   std::string id;
  [[=lake::validate("email"), =lake::required]]   std::string email;
  [[=lake::partition]]                            std::string region;
  [[=lake::auto_create_time]]                     lake::timestamp created_at{};
};

struct Payment {
  [[=lake::tag("id,pk")]]                         std::string id;
  [[=lake::tag("account_id,validate=required")]]  std::string account_id;
  [[=lake::tag("amount,validate=min=0")]]         double amount = 0;
};

// A read-side projection for a join.
struct Revenue {
  std::string region;
  std::int64_t payments = 0;
  double total = 0;
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

lake::Result<std::shared_ptr<lake::Backend>> open_storage(std::string_view where) {
  if (where.starts_with("s3://")) return lake::s3_backend(where);
  if (where.starts_with("gs://")) return lake::gcs_backend(where);
  std::filesystem::create_directories(where);
  return lake::file_backend(std::filesystem::absolute(where));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::println(stderr, "usage: {} STORAGE   (s3://bucket/prefix, gs://bucket/prefix or a shared directory)",
                 argv[0]);
    return 2;
  }
  // Host, cluster and credentials from the variables Databricks' own tools
  // read; a missing one is named.
  auto settings = check(lake::spark::databricks_settings_from_environment(), "Databricks settings");
  auto driver = check(lake::spark::databricks_driver(settings), "Databricks Connect driver");
  auto storage = check(open_storage(argv[1]), "storage");
  const char* catalog = std::getenv("LAKE_CATALOG");
  auto db = check(lake::Client::open(driver, lake::delta_dialect(), storage,
                                     {.default_catalog = catalog != nullptr ? catalog : "",
                                      .default_database = "lake_orm_example"}),
                  "open");
  check(db.ping(), "ping");  // the first call: a token is fetched, a session opened
  std::println("databricksconnect: cluster {} at {}, tables under {}\n", settings.cluster_id, settings.host, argv[1]);

  check(db.migrate<app::Account, app::Payment>(), "migrate");
  check(db.assert_schema<app::Account, app::Payment>(), "assert_schema");
  std::println("1. migrated accounts and payments; the live tables match the structs");

  std::vector<app::Account> accounts{{.id = "a1", .email = "ops@acme.example", .region = "emea"},
                                     {.id = "a2", .email = "billing@acme.example", .region = "amer"},
                                     {.id = "a3", .email = "data@acme.example", .region = "emea"}};
  auto inserted = check(db.insert(accounts, {.on_conflict = lake::ConflictStrategy::skip}), "insert accounts");
  std::vector<app::Payment> payments{{.id = "p1", .account_id = "a1", .amount = 120.0},
                                     {.id = "p2", .account_id = "a2", .amount = 75.5},
                                     {.id = "p3", .account_id = "a3", .amount = 40.25}};
  auto paid = check(db.insert(payments, {.on_conflict = lake::ConflictStrategy::skip}), "insert payments");
  std::println("2. inserted {} accounts and {} payments (ingest id {})", inserted.rows_inserted, paid.rows_inserted,
               paid.ingest_id.to_string());

  std::vector<app::Account> moved{{.id = "a3", .email = "data@acme.example", .region = "apac"}};
  auto upserted = check(db.upsert(moved), "upsert");
  std::println("3. upsert (one MERGE on the cluster): {} updated, {} inserted", upserted.rows_updated,
               upserted.rows_inserted);

  auto first = check(lake::query_first<app::Account>(db, "SELECT * FROM accounts WHERE id = ?", "a3"), "query_first");
  std::println("4. account a3 is now in {}", first.region);

  auto revenue = check(lake::query<app::Revenue>(db, R"(
      SELECT a.region, count(p.id) AS payments, coalesce(sum(p.amount), 0D) AS total
      FROM accounts a LEFT JOIN payments p ON p.account_id = a.id
      GROUP BY a.region ORDER BY a.region)"),
                       "join");
  std::println("5. revenue per region (a join into a projection struct):");
  for (const auto& r : revenue) std::println("     {:<5} {} payment(s) {:>8.2f}", r.region, r.payments, r.total);

  auto stats = check(db.maintain().stats("payments"), "stats");
  std::println("6. payments: version {}, {} rows in {} file(s)", stats.version, stats.rows, stats.files);
  return 0;
}

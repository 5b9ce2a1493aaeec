// The Client on native Iceberg tables (label `interop`): a table with
// bucket and truncate partitions written through lake::local::open's
// Iceberg client (inserts, an upsert, an update by key, a delete by
// predicate, a compaction and a Z-order clustering, an insert after them), then read by pyiceberg and
// DuckDB's iceberg extension by metadata path, row for row against rows
// this test computes without reading the table.
#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <gtest/gtest.h>

#include <lake/lake.hpp>
#include <lake/local.hpp>
#include <lake/query.hpp>

#include <filesystem>
#include <format>
#include <map>

#include "support/iceberg_rest.hpp"
#include "support/peer_process.hpp"
#include "support/table_format.hpp"
#include "support/temp_dir.hpp"

namespace {

namespace cp = arrow::compute;

struct [[=lake::table("customers")]] Customer {
  [[=lake::pk]] std::int64_t id = 0;
  [[=lake::partition_truncate(2)]] std::string region;
  [[=lake::partition_bucket(4)]] std::string email;
  std::int64_t balance = 0;
};

struct CountRow {
  std::int64_t n = 0;
};

Customer customer(std::int64_t id, std::int64_t balance) {
  return {.id = id, .region = std::array{"eu-west", "us-east", "ap-south"}[id % 3],
          .email = std::format("c{}@example.com", id), .balance = balance};
}


TEST(ClientOnIceberg, WhatTheClientWritesReadsRowForRowInPyIcebergAndDuckDB) {
  lake::testing::TempDir dir("iceberg-client");
  auto db = lake::local::open(dir.path, {}, lake::TableFormat::iceberg);
  ASSERT_TRUE(db) << db.error().to_string();
  ASSERT_TRUE(db->migrate<Customer>());

  // What the table must hold, kept beside it: id -> (balance, region).
  std::map<std::int64_t, std::pair<std::int64_t, std::string>> expected;
  for (int batch = 0; batch < 3; ++batch) {
    std::vector<Customer> rows;
    for (std::int64_t id = batch * 40; id < batch * 40 + 40; ++id) rows.push_back(customer(id, id));
    ASSERT_TRUE(db->insert(rows));
    for (const auto& c : rows) expected[c.id] = {c.balance, c.region};
  }
  std::vector<Customer> changed;
  for (std::int64_t id = 100; id < 140; ++id) changed.push_back(customer(id, 1000 + id));  // 20 stored, 20 new
  auto upserted = db->upsert(changed);
  ASSERT_TRUE(upserted) << upserted.error().to_string();
  EXPECT_EQ(upserted->rows_updated, 20);
  EXPECT_EQ(upserted->rows_inserted, 20);
  for (const auto& c : changed) expected[c.id] = {c.balance, c.region};

  std::vector<Customer> updated{customer(5, -5), customer(6, -6), customer(500, 0)};
  auto update = db->update(updated);
  ASSERT_TRUE(update) << update.error().to_string();
  EXPECT_EQ(update->rows_updated, 2);
  expected[5].first = -5;
  expected[6].first = -6;

  auto deleted = db->delete_where<Customer>(cp::less(cp::field_ref("id"), cp::literal(std::int64_t{3})));
  ASSERT_TRUE(deleted) << deleted.error().to_string();
  EXPECT_EQ(deleted->rows_deleted, 3);
  for (std::int64_t id = 0; id < 3; ++id) expected.erase(id);

  auto optimized = db->maintain().optimize("customers");
  ASSERT_TRUE(optimized) << optimized.error().to_string();
  EXPECT_GT(optimized->files_removed, optimized->files_added);
  // And clustered: each partition's rows rewritten in Z-order.
  auto clustered = db->maintain().optimize("customers", {.zorder_by = {"balance", "id"}});
  ASSERT_TRUE(clustered) << clustered.error().to_string();
  EXPECT_GT(clustered->files_removed, 0);

  std::vector<Customer> late{customer(200, 2)};
  ASSERT_TRUE(db->insert(late));
  expected[200] = {2, customer(200, 2).region};

  auto counted = lake::query_first<CountRow>(*db, "SELECT count(*) AS n FROM customers");
  ASSERT_TRUE(counted) << counted.error().to_string();
  EXPECT_EQ(counted->n, static_cast<std::int64_t>(expected.size()));

  arrow::Int64Builder ids, balances;
  arrow::StringBuilder regions;
  for (const auto& [id, row] : expected) {
    ASSERT_TRUE(ids.Append(id).ok());
    ASSERT_TRUE(balances.Append(row.first).ok());
    ASSERT_TRUE(regions.Append(row.second).ok());
  }
  auto table = arrow::Table::Make(
      arrow::schema({arrow::field("id", arrow::int64()), arrow::field("balance", arrow::int64()),
                     arrow::field("region", arrow::utf8())}),
      {ids.Finish().ValueOrDie(), balances.Finish().ValueOrDie(), regions.Finish().ValueOrDie()});
  const auto expected_file = dir.path / "expected.arrow";
  lake::testing::write_ipc(table, expected_file);
  EXPECT_EQ(lake::testing::run_peer_script("tests/iceberg/peers", "read_client_table.py",
                                           {lake::testing::newest_metadata_file(dir.path / "customers").string(), expected_file.string(),
                                            "id"}),
            0);
}

// Rows of the Customer table as an Arrow IPC file, for a peer.
std::filesystem::path customers_file(const std::filesystem::path& file, const std::vector<Customer>& rows) {
  arrow::Int64Builder ids, balances;
  arrow::StringBuilder regions, emails;
  for (const auto& c : rows) {
    EXPECT_TRUE(ids.Append(c.id).ok() && balances.Append(c.balance).ok() && regions.Append(c.region).ok() &&
                emails.Append(c.email).ok());
  }
  auto table = arrow::Table::Make(
      arrow::schema({arrow::field("id", arrow::int64()), arrow::field("region", arrow::utf8()),
                     arrow::field("email", arrow::utf8()), arrow::field("balance", arrow::int64())}),
      {ids.Finish().ValueOrDie(), regions.Finish().ValueOrDie(), emails.Finish().ValueOrDie(),
       balances.Finish().ValueOrDie()});
  lake::testing::write_ipc(table, file);
  return file;
}

struct [[=lake::table("visits")]] Visit {
  std::optional<std::int64_t> visit_id;
  std::optional<std::string> page;
};

// pyiceberg on the catalog a Client's table "customers" is in
// (catalog_peer.py with `catalog`: a SQLite file or rest:<url>; `table`
// is pyiceberg's name for it), and the rows both should see.
struct PyIcebergOnTheCatalog {
  std::filesystem::path dir;
  std::string catalog;
  std::string table;
  std::map<std::int64_t, Customer> expected{};

  int run(std::vector<std::string> args) const {
    args.insert(args.begin(), {catalog, dir.string()});
    return lake::testing::run_peer_script("tests/iceberg/peers", "catalog_peer.py", args);
  }
  void expect_same_rows() const {
    std::vector<Customer> all;
    for (const auto& [id, c] : expected) all.push_back(c);
    EXPECT_EQ(run({"check", table, customers_file(dir / "expected.arrow", all).string(), "id"}), 0);
  }
  [[nodiscard]] bool append(const std::vector<Customer>& rows, const std::string& file) {
    for (const auto& c : rows) expected[c.id] = c;
    return run({"append", table, customers_file(dir / file, rows).string()}) == 0;
  }

  // The two take turns on the table: the Client inserts 40 rows, pyiceberg
  // appends 10 and the Client counts 50, the Client upserts one row of each;
  // pyiceberg reads the same rows after each of the Client's commits.
  void take_turns(lake::Client& db) {
    std::vector<Customer> ours;
    for (std::int64_t id = 0; id < 40; ++id) ours.push_back(customer(id, id));
    ASSERT_TRUE(db.insert(ours));
    for (const auto& c : ours) expected[c.id] = c;
    expect_same_rows();

    std::vector<Customer> theirs;
    for (std::int64_t id = 1000; id < 1010; ++id) theirs.push_back(customer(id, id));
    ASSERT_TRUE(append(theirs, "theirs.arrow"));
    auto counted = lake::query_first<CountRow>(db, "SELECT count(*) AS n FROM customers");
    ASSERT_TRUE(counted) << counted.error().to_string();
    EXPECT_EQ(counted->n, 50) << "the Client sees pyiceberg's snapshot";

    std::vector<Customer> changed{customer(1000, 7), customer(5, -5)};
    auto upserted = db.upsert(changed);
    ASSERT_TRUE(upserted) << upserted.error().to_string();
    EXPECT_EQ(upserted->rows_updated, 2);
    for (const auto& c : changed) expected[c.id] = c;
    expect_same_rows();
  }
};

// One SQLite catalog file, two writers: the Client (lake::local::open with
// a SQL catalog) and pyiceberg's SqlCatalog commit to the same table in
// turn, each seeing the other's snapshots, and a table pyiceberg creates
// in the catalog is one the Client reads.
TEST(ClientOnIceberg, ASqlCatalogFileIsSharedWithPyIceberg) {
  lake::testing::TempDir dir("iceberg-sql-catalog");
  const auto catalog_file = dir.path / "catalog.db";
  auto db = lake::local::open(dir.path, {},
                              lake::IcebergCatalog{.kind = lake::IcebergCatalogKind::sql, .uri = catalog_file.string()});
  ASSERT_TRUE(db) << db.error().to_string();
  ASSERT_TRUE(db->migrate<Customer>());
  PyIcebergOnTheCatalog pyiceberg{.dir = dir.path, .catalog = catalog_file.string(), .table = "customers"};
  pyiceberg.take_turns(*db);
  if (HasFatalFailure()) return;

  // A table pyiceberg creates in the catalog (at its own default location
  // under the warehouse), in format version 1, reads here by name. Writing to it is refused, typed, with nothing
  // written, until pyiceberg upgrades it to version 2; then the Client's
  // rows land and pyiceberg reads them.
  arrow::Int64Builder visit_ids;
  arrow::StringBuilder pages;
  for (std::int64_t i = 1; i <= 5; ++i)
    ASSERT_TRUE(visit_ids.Append(i).ok() && pages.Append(std::format("/page/{}", i)).ok());
  auto visits = arrow::Table::Make(arrow::schema({arrow::field("visit_id", arrow::int64()), arrow::field("page", arrow::utf8())}),
                                   {visit_ids.Finish().ValueOrDie(), pages.Finish().ValueOrDie()});
  lake::testing::write_ipc(visits, dir.path / "visits.arrow");
  // With the column the Client names each row's write in, as a table it
  // writes to has.
  arrow::StringBuilder writes;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(writes.Append("pyiceberg-create").ok());
  auto created = visits->AddColumn(2, arrow::field("_ingest_id", arrow::utf8()), std::make_shared<arrow::ChunkedArray>(writes.Finish().ValueOrDie()));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  lake::testing::write_ipc(*created, dir.path / "visits-created.arrow");
  ASSERT_EQ(pyiceberg.run({"create", "visits", (dir.path / "visits-created.arrow").string(), "1"}), 0);
  auto read = lake::query<Visit>(*db, "SELECT visit_id, page FROM visits ORDER BY visit_id");
  ASSERT_TRUE(read) << read.error().to_string();
  ASSERT_EQ(read->size(), 5u);
  EXPECT_EQ((*read)[4].visit_id, 5);
  EXPECT_EQ((*read)[4].page, "/page/5");

  const auto files_under = [&](const std::filesystem::path& folder) {
    std::size_t n = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(folder)) n += entry.is_regular_file();
    return n;
  };
  const std::size_t files_before = files_under(dir.path);
  std::vector<Visit> one_more{{.visit_id = 6, .page = "/page/6"}};
  auto refused = db->insert(one_more);
  ASSERT_FALSE(refused) << "a version 1 table written as version 2 behind its owner's back";
  EXPECT_EQ(refused.error().code(), lake::ErrorCode::unsupported);
  EXPECT_NE(refused.error().message().find("format version 1"), std::string::npos) << refused.error().to_string();
  EXPECT_EQ(files_under(dir.path), files_before) << "the refused insert left files";
  ASSERT_EQ(pyiceberg.run({"check", "visits", (dir.path / "visits.arrow").string(), "visit_id"}), 0);

  ASSERT_EQ(pyiceberg.run({"upgrade", "visits"}), 0);
  auto inserted = db->insert(one_more);
  ASSERT_TRUE(inserted) << inserted.error().to_string();
  ASSERT_TRUE(visit_ids.Append(6).ok() && pages.Append("/page/6").ok());
  for (std::int64_t i = 1; i <= 5; ++i) ASSERT_TRUE(visit_ids.Append(i).ok() && pages.Append(std::format("/page/{}", i)).ok());
  visits = arrow::Table::Make(visits->schema(), {visit_ids.Finish().ValueOrDie(), pages.Finish().ValueOrDie()});
  lake::testing::write_ipc(visits, dir.path / "visits-after.arrow");
  EXPECT_EQ(pyiceberg.run({"check", "visits", (dir.path / "visits-after.arrow").string(), "visit_id"}), 0);
}

// A REST catalog service (the run's RESTCatalogServer), two writers: the
// Client and pyiceberg's RestCatalog commit to one table through it in
// turn, after deletes, compaction and expiry too.
TEST(ClientOnIceberg, ARestCatalogServesTheClientAndPyIcebergAlike) {
  lake::testing::TempDir dir("iceberg-rest-client");
  const std::string uri = lake::testing::iceberg_rest_uri();
  const std::string ns = lake::testing::unique_namespace("client");
  auto db = lake::local::open(dir.path, {},
                              lake::IcebergCatalog{.kind = lake::IcebergCatalogKind::rest, .uri = uri, .default_namespace = ns});
  ASSERT_TRUE(db) << db.error().to_string();
  ASSERT_TRUE(db->migrate<Customer>());
  PyIcebergOnTheCatalog pyiceberg{.dir = dir.path, .catalog = "rest:" + uri, .table = ns + ".customers"};
  pyiceberg.take_turns(*db);
  if (HasFatalFailure()) return;

  // Then the Client deletes, compacts and expires, each a commit the
  // service checks and applies.
  auto deleted = db->delete_where<Customer>(cp::less(cp::field_ref("id"), cp::literal(std::int64_t{10})));
  ASSERT_TRUE(deleted) << deleted.error().to_string();
  EXPECT_EQ(deleted->rows_deleted, 10);
  std::erase_if(pyiceberg.expected, [](const auto& entry) { return entry.first < 10; });
  auto optimized = db->maintain().optimize("customers");
  ASSERT_TRUE(optimized) << optimized.error().to_string();
  EXPECT_GT(optimized->files_removed, optimized->files_added);
  auto vacuumed = db->maintain().vacuum("customers", {.retention = std::chrono::milliseconds(0), .allow_short_retention = true});
  ASSERT_TRUE(vacuumed) << vacuumed.error().to_string();
  EXPECT_FALSE(vacuumed->files.empty()) << "expiry through the service, then the files only old snapshots used";
  pyiceberg.expect_same_rows();

  // pyiceberg once more, on top of the compaction, and the Client reads it.
  std::vector<Customer> more{customer(2000, 1), customer(2001, 2)};
  ASSERT_TRUE(pyiceberg.append(more, "more.arrow"));
  const auto& expected = pyiceberg.expected;
  auto read = lake::query<Customer>(*db, "SELECT id, region, email, balance FROM customers ORDER BY id");
  ASSERT_TRUE(read) << read.error().to_string();
  ASSERT_EQ(read->size(), expected.size());
  auto it = expected.begin();
  for (const auto& row : *read) {
    EXPECT_EQ(row.id, it->first);
    EXPECT_EQ(row.balance, it->second.balance) << row.id;
    ++it;
  }
}

}  // namespace

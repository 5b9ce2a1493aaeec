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
  auto peer = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {catalog_file.string(), dir.path.string()});
    return lake::testing::run_peer_script("tests/iceberg/peers", "sql_catalog_peer.py", args);
  };

  std::map<std::int64_t, Customer> expected;
  std::vector<Customer> ours;
  for (std::int64_t id = 0; id < 40; ++id) ours.push_back(customer(id, id));
  ASSERT_TRUE(db->insert(ours));
  for (const auto& c : ours) expected[c.id] = c;
  auto expect_in_pyiceberg = [&] {
    std::vector<Customer> all;
    for (const auto& [id, c] : expected) all.push_back(c);
    EXPECT_EQ(peer({"check", "customers", customers_file(dir.path / "expected.arrow", all).string(), "id"}), 0);
  };
  expect_in_pyiceberg();

  // pyiceberg commits next, through the same catalog row.
  std::vector<Customer> theirs;
  for (std::int64_t id = 1000; id < 1010; ++id) theirs.push_back(customer(id, id));
  ASSERT_EQ(peer({"append", "customers", customers_file(dir.path / "theirs.arrow", theirs).string()}), 0);
  for (const auto& c : theirs) expected[c.id] = c;
  auto counted = lake::query_first<CountRow>(*db, "SELECT count(*) AS n FROM customers");
  ASSERT_TRUE(counted) << counted.error().to_string();
  EXPECT_EQ(counted->n, 50) << "the Client sees pyiceberg's snapshot";

  // Then the Client again, changing rows of both.
  std::vector<Customer> changed{customer(1000, 7), customer(5, -5)};
  auto upserted = db->upsert(changed);
  ASSERT_TRUE(upserted) << upserted.error().to_string();
  EXPECT_EQ(upserted->rows_updated, 2);
  for (const auto& c : changed) expected[c.id] = c;
  expect_in_pyiceberg();

  // A table pyiceberg creates in the catalog (at its own default location
  // under the warehouse, <warehouse>/default.db/visits) reads here by name.
  arrow::Int64Builder visit_ids;
  arrow::StringBuilder pages;
  for (std::int64_t i = 1; i <= 5; ++i)
    ASSERT_TRUE(visit_ids.Append(i).ok() && pages.Append(std::format("/page/{}", i)).ok());
  auto visits = arrow::Table::Make(arrow::schema({arrow::field("visit_id", arrow::int64()), arrow::field("page", arrow::utf8())}),
                                   {visit_ids.Finish().ValueOrDie(), pages.Finish().ValueOrDie()});
  lake::testing::write_ipc(visits, dir.path / "visits.arrow");
  ASSERT_EQ(peer({"create", "visits", (dir.path / "visits.arrow").string()}), 0);
  auto read = lake::query<Visit>(*db, "SELECT visit_id, page FROM visits ORDER BY visit_id");
  ASSERT_TRUE(read) << read.error().to_string();
  ASSERT_EQ(read->size(), 5u);
  EXPECT_EQ((*read)[4].visit_id, 5);
  EXPECT_EQ((*read)[4].page, "/page/5");
}

}  // namespace

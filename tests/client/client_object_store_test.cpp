// The Client on the embedded stack with its tables on an object store,
// built once and run twice: on S3 (MinIO, label s3) and on GCS
// (fake-gcs-server, label gcs), the store chosen at run time
// (LAKE_TEST_OBJECT_STORE).
// The engine reads Parquet through the backend's ranged reads, the staged
// write path stages on the store, and verify / cleanup_staging work there.
#include <gtest/gtest.h>

#include <atomic>
#include <print>

#include <lake/client.hpp>
#include <lake/config.hpp>
#include <lake/drivers/duckdb.hpp>
#include <lake/query.hpp>

#include "storage/staging.hpp"
#include "support/forwarding_backend.hpp"
#include "support/remote_store.hpp"
#include "support/table_format.hpp"

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // <generator>, see lake/query.hpp

#ifndef LAKE_TEST_ON_OBJECT_STORE
#error "build with LAKE_TEST_ON_OBJECT_STORE"
#endif

namespace {

struct Reading {
  [[=lake::pk]] std::int64_t seq = 0;
  std::string sensor;
  double value = 0;
};

struct CountRow {
  std::int64_t n = 0;
};

std::vector<Reading> readings(std::int64_t from, std::int64_t count) {
  std::vector<Reading> out;
  for (std::int64_t i = from; i < from + count; ++i)
    out.push_back({.seq = i, .sensor = std::format("s{:03}", i % 100), .value = static_cast<double>(i) / 2});
  return out;
}

// Counts what the engine and the client ask of the store.
class CountingBackend final : public lake::testing::ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  lake::Result<std::vector<std::byte>> get_range(std::string_view key, std::int64_t offset,
                                                 std::int64_t length) override {
    if (key.ends_with(".parquet")) ++parquet_ranges;
    return ForwardingBackend::get_range(key, offset, length);
  }
  lake::Result<std::vector<std::byte>> get(std::string_view key) override {
    if (key.ends_with(".parquet")) ++parquet_wholes;
    return ForwardingBackend::get(key);
  }
  lake::Result<std::unique_ptr<lake::ObjectWriter>> open_writer(std::string_view key, lake::PutMode mode) override {
    if (key.starts_with("_staging/")) ++staging_writes;
    return ForwardingBackend::open_writer(key, mode);
  }
  std::atomic<int> parquet_ranges{0};
  std::atomic<int> parquet_wholes{0};
  std::atomic<int> staging_writes{0};
};

// The table format the suite runs on: Delta, or Iceberg
// (LAKE_TEST_TABLE_FORMAT=iceberg: tables by path on the store, commits by
// the store's exclusive create).
using lake::testing::on_iceberg;

class ClientOnObjectStore : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = lake::testing::open_object_store(lake::testing::fresh_object_store_uri());
    ASSERT_TRUE(store) << store.error().to_string();
    counting_ = std::make_shared<CountingBackend>(std::move(*store));
    auto client = lake::Client::open(lake::duckdb::driver(),
                                     on_iceberg() ? lake::iceberg_dialect() : lake::delta_dialect(), counting_);
    ASSERT_TRUE(client) << client.error().to_string();
    client_.emplace(std::move(*client));
    auto migrated = client_->migrate<Reading>();
    ASSERT_TRUE(migrated) << migrated.error().to_string();
    // The table is in the format the suite runs on.
    auto created = counting_->head(on_iceberg() ? "readings/metadata/v1.metadata.json"
                                                : "readings/_delta_log/00000000000000000000.json");
    ASSERT_TRUE(created) << created.error().to_string();
  }
  void TearDown() override {
    client_.reset();
    if (counting_) {
      auto removed = counting_->remove_prefix("");
      EXPECT_TRUE(removed) << removed.error().to_string();
    }
  }

  std::shared_ptr<CountingBackend> counting_;
  std::optional<lake::Client> client_;
};

TEST_F(ClientOnObjectStore, WritesBothWaysAndReadsBackTyped) {
  auto direct = readings(0, 500);
  auto written = client_->insert(direct, {.path = lake::WritePath::direct});
  ASSERT_TRUE(written) << written.error().to_string();
  EXPECT_EQ(written->path, lake::WritePath::direct);

  auto staged = readings(500, 20'000);
  auto through_staging = client_->insert(staged, {.path = lake::WritePath::object_storage});
  ASSERT_TRUE(through_staging) << through_staging.error().to_string();
  EXPECT_EQ(through_staging->path, lake::WritePath::object_storage);
  EXPECT_GT(through_staging->bytes_staged, 0);
  EXPECT_TRUE(counting_->list("_staging/").value().empty()) << "staging left behind on the store";

  auto changed = readings(10, 5);
  for (auto& r : changed) r.sensor = "changed";
  ASSERT_TRUE(client_->upsert(changed));

  auto count = lake::query_first<CountRow>(*client_, "SELECT count(*) AS n FROM readings");
  ASSERT_TRUE(count) << count.error().to_string();
  EXPECT_EQ(count->n, 20'500);
  auto rows = lake::query<Reading>(*client_, "SELECT * FROM readings WHERE sensor = ? ORDER BY seq", "changed");
  ASSERT_TRUE(rows) << rows.error().to_string();
  ASSERT_EQ(rows->size(), 5U);
  EXPECT_EQ((*rows)[0].seq, 10);
  std::int64_t streamed = 0;
  for (auto&& row : lake::query_stream<Reading>(*client_, "SELECT * FROM readings")) {
    ASSERT_TRUE(row) << row.error().to_string();
    ++streamed;
  }
  EXPECT_EQ(streamed, 20'500);
  // The engine read Parquet by ranges (footers, column chunks), never whole.
  EXPECT_GT(counting_->parquet_ranges.load(), 0);
  EXPECT_EQ(counting_->parquet_wholes.load(), 0);
}

// An append-only table: its large inserts stream into its data files.
struct [[=lake::table("events")]] Event {
  std::int64_t seq = 0;
  std::string name;
};

// On the embedded engine an append on the object-storage path goes
// straight into the table's data files on the store: nothing is staged,
// every row lands, and the keyed table beside it still stages.
TEST_F(ClientOnObjectStore, AnAppendStreamsIntoTheTablesFilesOnTheStore) {
  ASSERT_TRUE(client_->migrate<Event>());
  std::vector<Event> events;
  for (std::int64_t i = 0; i < 60'000; ++i) events.push_back({.seq = i, .name = std::format("event-{:06}", i)});
  auto written = client_->insert(events, {.path = lake::WritePath::object_storage});
  ASSERT_TRUE(written) << written.error().to_string();
  EXPECT_EQ(written->path, lake::WritePath::object_storage);
  EXPECT_EQ(written->rows_inserted, 60'000);
  EXPECT_EQ(written->bytes_staged, 0);
  EXPECT_EQ(counting_->staging_writes.load(), 0) << "the append staged parts";
  auto count = lake::query_first<CountRow>(*client_, "SELECT count(DISTINCT seq) AS n FROM events");
  ASSERT_TRUE(count) << count.error().to_string();
  EXPECT_EQ(count->n, 60'000);

  auto keyed = readings(0, 1'000);
  auto staged = client_->insert(keyed, {.path = lake::WritePath::object_storage});
  ASSERT_TRUE(staged) << staged.error().to_string();
  EXPECT_GT(counting_->staging_writes.load(), 0) << "a keyed insert stages its rows for the merge";
  EXPECT_TRUE(counting_->list("_staging/").value().empty()) << "staging left behind on the store";
}

TEST_F(ClientOnObjectStore, PointLookupReadsOneFileOfMany) {
  for (int file = 0; file < 20; ++file) {
    auto batch = readings(file * 100, 100);
    ASSERT_TRUE(client_->insert(batch, {.path = lake::WritePath::direct}));
  }
  counting_->parquet_ranges = 0;
  auto one = lake::query_first<Reading>(*client_, "SELECT * FROM readings WHERE seq = ?", std::int64_t{1234});
  ASSERT_TRUE(one) << one.error().to_string();
  EXPECT_EQ(one->sensor, "s034");
  // One file's footer and its column chunks: a handful of ranged reads,
  // not 20 files' worth.
  std::println("point lookup on 20 files: {} ranged Parquet reads", counting_->parquet_ranges.load());
  EXPECT_GT(counting_->parquet_ranges.load(), 0);
  EXPECT_LE(counting_->parquet_ranges.load(), 8) << "ranged reads for one lookup";
}

TEST_F(ClientOnObjectStore, VerifyAndCleanupStagingWorkOnTheStore) {
  auto verified = client_->verify();
  EXPECT_TRUE(verified) << verified.error().to_string();
  EXPECT_TRUE(counting_->list("_staging/").value().empty()) << "verify left its probe";

  // An abandoned staging prefix from two days ago (a crashed writer), a
  // fresh one (a write in progress) and a name that is no ingest id: only
  // the first may go.
  const auto old_id = lake::IngestId::generate_at(std::chrono::time_point_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now() - std::chrono::hours(48)));
  const auto new_id = lake::IngestId::generate();
  for (const auto& key : {lake::staging::prefix_of(old_id) + "part-00000.parquet",
                          lake::staging::prefix_of(old_id) + "part-00001.parquet",
                          lake::staging::prefix_of(new_id) + "part-00000.parquet",
                          std::string("_staging/not-an-ingest-id/keep")})
    ASSERT_TRUE(counting_->put_text(key, "x", lake::PutMode::create));
  auto report = client_->cleanup_staging(std::chrono::hours(24));
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_EQ(report->scanned, 3);
  ASSERT_EQ(report->deleted.size(), 1U);
  EXPECT_TRUE(report->failed.empty());
  EXPECT_EQ(report->deleted[0], counting_->uri_of(lake::staging::prefix_of(old_id)));
  EXPECT_TRUE(report->deleted[0].starts_with(
      lake::testing::object_store() == lake::testing::ObjectStore::s3 ? "s3://" : "gs://"))
      << report->deleted[0];
  EXPECT_EQ(counting_->list("_staging/").value().size(), 2U);
}

// lakeorm.toml naming the store: the same Client, opened by an operator's
// file. Credentials are not in the file: S3's come from the environment.
TEST(ObjectStoreConfig, OpenFromConfigWritesToTheStore) {
  const auto chosen = lake::testing::object_store();
  ASSERT_TRUE(chosen);
  const std::string uri = lake::testing::fresh_object_store_uri();
  std::string toml;
  if (*chosen == lake::testing::ObjectStore::s3) {
    const auto* server = lake::testing::minio();
    ASSERT_NE(server, nullptr);
    ::setenv("AWS_ACCESS_KEY_ID", server->access_key.c_str(), 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", server->secret_key.c_str(), 1);
    toml = std::format("[storage]\nuri = \"{}\"\nendpoint = \"{}\"\nregion = \"us-east-1\"\n"
                       "path_style = true\n[table]\ndatabase = \"crm\"\n",
                       uri, server->endpoint);
  } else {
    const auto* server = lake::testing::fake_gcs();
    ASSERT_NE(server, nullptr);
    toml = std::format("[storage]\nuri = \"{}\"\nendpoint = \"{}\"\nanonymous = true\n[table]\ndatabase = \"crm\"\n",
                       uri, server->endpoint);
  }
  auto config = lake::parse_config(toml, ".", "lakeorm.toml");
  ASSERT_TRUE(config) << config.error().to_string();
  {
    auto db = lake::open(*config);
    ASSERT_TRUE(db) << db.error().to_string();
    ASSERT_TRUE(db->migrate<Reading>());
    auto rows = readings(0, 250);
    auto written = db->insert(rows);
    ASSERT_TRUE(written) << written.error().to_string();
    auto n = lake::query_first<CountRow>(*db, "SELECT count(*) AS n FROM readings");
    ASSERT_TRUE(n) << n.error().to_string();
    EXPECT_EQ(n->n, 250);
  }
  // The table is where the file said: <uri>/crm/readings on the store.
  auto store = lake::testing::open_object_store(uri);
  ASSERT_TRUE(store) << store.error().to_string();
  auto commit = (*store)->head("crm/readings/_delta_log/00000000000000000001.json");
  EXPECT_TRUE(commit) << commit.error().to_string();
  auto removed = (*store)->remove_prefix("");
  EXPECT_TRUE(removed) << removed.error().to_string();
}

}  // namespace

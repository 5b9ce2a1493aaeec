// The Client on the embedded stack (DuckDB + native Delta) over real Delta
// tables on disk: every write path, option and operation, and what it
// leaves (or must not leave) in the table and in staging.
//
// Built again with LAKE_TEST_ON_SPARK (label spark), the same tests run the
// Client on the run's Spark Connect server (the Spark driver), its tables
// on the same disk: each test in a database of its own. The few that are
// about the embedded engine itself are left out of that build, or say in
// Spark's SQL what they say in DuckDB's. That build runs twice: on Delta
// tables, and with LAKE_TEST_TABLE_FORMAT=iceberg on Iceberg tables in the
// server's Iceberg catalog `ice` (CTest prefix "spark.iceberg."), where the
// tests about Delta itself are filtered out (tests/client/CMakeLists.txt).
#include <gtest/gtest.h>

#include <arrow/builder.h>
#include <arrow/compute/expression.h>
#include <arrow/record_batch.h>
#include <arrow/scalar.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <generator>
#include <sstream>
#include <thread>

#include <sys/resource.h>

#include <lake/client.hpp>
#include <lake/delta/table.hpp>
#include <lake/drivers/duckdb.hpp>
#include <lake/local.hpp>
#include <lake/query.hpp>
#include <lake/table_schema.hpp>

#include "storage/staging.hpp"
#include "support/forwarding_backend.hpp"
#include "support/table_format.hpp"
#include "support/temp_dir.hpp"
#ifdef LAKE_TEST_ON_SPARK
#include <lake/config.hpp>
#include <lake/drivers/spark.hpp>
#include <lake/storage/s3.hpp>

#include "support/loopback_http.hpp"
#include "spark/connect/relations.pb.h"
#include "support/minio.hpp"
#include "support/spark_connect.hpp"
#include "support/tls_proxy.hpp"
#endif

// GCC 16's <generator> trips a false -Wmismatched-new-delete (see
// lake/query.hpp); this file's record generators are plain coroutines.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {

namespace cp = arrow::compute;
using lake::testing::TempDir;

struct Account {
  [[=lake::pk]] std::string id;
  [[=lake::validate("email")]] std::string email;
  std::int64_t balance = 0;
  std::optional<std::string> country{};
  [[=lake::auto_create_time]] lake::timestamp created_at{};
  [[=lake::auto_update_time]] lake::timestamp updated_at{};
  [[=lake::auto_ingest_id]] std::string batch{};
};

// An append-only table: no primary key.
struct Event {
  std::int64_t seq = 0;
  std::string name;
  double value = 0;
};

// Append-only, with a validated column.
struct Reading {
  std::int64_t seq = 0;
  [[=lake::validate("email")]] std::string contact;
};

struct CountRow {
  std::int64_t n = 0;
};

std::vector<Account> accounts(int from, int count) {
  std::vector<Account> out;
  for (int i = from; i < from + count; ++i)
    out.push_back({.id = std::format("a{:04}", i), .email = std::format("user{}@example.com", i), .balance = i,
                   .country = i % 2 ? std::optional<std::string>("NL") : std::nullopt});
  return out;
}

std::generator<Event> events(std::int64_t count) {
  for (std::int64_t i = 0; i < count; ++i)
    co_yield Event{.seq = i, .name = std::format("event-{:08}-{}", i, std::string(40, 'x')), .value = i * 0.5};
}

// The table format the suite runs on: Delta, or Iceberg.
using lake::testing::on_iceberg;

std::int64_t count(lake::Client& db, std::string_view sql) {
  auto row = lake::query_first<CountRow>(db, sql);
  EXPECT_TRUE(row) << row.error().to_string();
  return row ? row->n : -1;
}

#ifndef LAKE_TEST_ON_SPARK
// Parquet files anywhere under `root` (the embedded engine's tests look in
// the table's folder).
std::size_t parquet_files(const std::filesystem::path& root) {
  std::size_t files = 0;
  if (!std::filesystem::exists(root)) return files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root))
    if (entry.is_regular_file() && entry.path().extension() == ".parquet") ++files;
  return files;
}
#endif

std::vector<std::string> staging_keys(const std::filesystem::path& root) {
  std::vector<std::string> keys;
  if (!std::filesystem::exists(root / "_staging")) return keys;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root / "_staging"))
    if (entry.is_regular_file()) keys.push_back(entry.path().string());
  return keys;
}

class ClientTest : public ::testing::Test {
 protected:
#ifdef LAKE_TEST_ON_SPARK
  // On Spark, in a database of the test's own (the server outlives tests).
  lake::Client open(lake::ClientOptions options = {}) {
    options.default_database = database;
    if (on_iceberg()) options.default_catalog = "ice";
    auto driver = lake::spark::driver(lake::testing::spark_connect_server().url);
    EXPECT_TRUE(driver) << driver.error().to_string();
    auto db = lake::Client::open(*driver, dialect(), std::move(*lake::file_backend(dir.path)), std::move(options));
    EXPECT_TRUE(db) << db.error().to_string();
    return std::move(*db);
  }
  // The embedded client on the same tables, for round trips.
  lake::Client open_embedded() {
    auto db = lake::local::open(dir.path, {.default_database = database});
    EXPECT_TRUE(db) << db.error().to_string();
    return std::move(*db);
  }
  std::filesystem::path table_dir(std::string_view table) const {
    return (on_iceberg() ? dir.path / "ice" : dir.path) / database / table;
  }
  static std::shared_ptr<const lake::Dialect> dialect() {
    return on_iceberg() ? lake::iceberg_dialect() : lake::delta_dialect();
  }
  const std::string database = std::format(
      "lake_{}_{}", ::testing::UnitTest::GetInstance()->current_test_info()->name(), getpid());
#else
  lake::Client open(lake::ClientOptions options = {}) {
    auto db = lake::testing::open_local(dir.path, std::move(options));
    EXPECT_TRUE(db) << db.error().to_string();
    return std::move(*db);
  }
  std::filesystem::path table_dir(std::string_view table) const { return dir.path / table; }
  static std::shared_ptr<const lake::Dialect> dialect() {
    return on_iceberg() ? lake::iceberg_dialect() : lake::delta_dialect();
  }
#endif
  TempDir dir{"client"};
};

TEST_F(ClientTest, TheHeroPathWritesStampsAndReadsBack) {
  auto db = open();
  ASSERT_TRUE(db.migrate<Account>());
  ASSERT_TRUE(db.migrate<Account>()) << "migrate is idempotent";
  auto users = accounts(0, 3);
  auto written = db.insert(users);
  ASSERT_TRUE(written) << written.error().to_string();
  EXPECT_TRUE(written->committed);
  EXPECT_EQ(written->rows_inserted, 3);
  EXPECT_EQ(written->path, lake::WritePath::direct);
  // Stamped in place: the caller sees the ingest id and the times.
  for (const auto& user : users) {
    EXPECT_EQ(user.batch, written->ingest_id.to_string());
    EXPECT_NE(user.created_at.time_since_epoch().count(), 0);
  }
  auto back = lake::query<Account>(db, "SELECT * FROM accounts ORDER BY id");
  ASSERT_TRUE(back) << back.error().to_string();
  ASSERT_EQ(back->size(), 3u);
  EXPECT_EQ((*back)[1].email, "user1@example.com");
  EXPECT_EQ((*back)[1].country, "NL");
  EXPECT_EQ((*back)[1].batch, written->ingest_id.to_string());
  // _ingest_id holds the same id on every row.
  EXPECT_EQ(count(db, std::format("SELECT count(*) AS n FROM accounts WHERE _ingest_id = '{}'",
                                  written->ingest_id.to_string())),
            3);
  EXPECT_TRUE(std::filesystem::exists(table_dir("accounts") / (on_iceberg() ? "metadata" : "_delta_log")));
}

TEST_F(ClientTest, AValidationFailureWritesNothing) {
  auto db = open();
  ASSERT_TRUE(db.migrate<Account>());
  auto users = accounts(0, 5);
  users[3].email = "not-an-email";
  auto written = db.insert(users, {.path = lake::WritePath::object_storage});
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code(), lake::ErrorCode::validation);
  const auto* detail = written.error().detail<lake::ValidationError>();
  ASSERT_NE(detail, nullptr);
  ASSERT_EQ(detail->errors.size(), 1u);
  EXPECT_EQ(detail->errors[0].record, 3u);
  auto stats = db.maintain().stats("accounts");
  ASSERT_TRUE(stats);
  // Delta's create is commit 0; an Iceberg table has no snapshot yet.
  EXPECT_EQ(stats->version, on_iceberg() ? -1 : 0) << "only the create commit";
  EXPECT_EQ(stats->files, 0);
  EXPECT_TRUE(staging_keys(dir.path).empty());
  EXPECT_EQ(db.metrics().value("lake_validation_failures_total", {{"table", "accounts"}}), 1);
}

// The driver's two phases, for every kind of write: after execute()
// nothing is visible, and abort() leaves the table exactly as it was
// (same version, same rows, no staging left); commit() then lands it.
TEST_F(ClientTest, EveryWriteAbortedAfterItsFirstPhaseLeavesTheTableAsItWas) {
  auto db = open();
  ASSERT_TRUE(db.migrate<Account>());
  auto initial = accounts(0, 6);
  ASSERT_TRUE(db.insert(initial));
  auto before = db.maintain().stats("accounts");
  ASSERT_TRUE(before) << before.error().to_string();
  const std::string contents_sql = "SELECT count(*) AS n FROM accounts WHERE balance = 77";
  auto snapshot = [&] {
    return std::pair{count(db, "SELECT count(*) AS n FROM accounts"), count(db, contents_sql)};
  };
  const auto rows_before = snapshot();
  ASSERT_EQ(rows_before, (std::pair<std::int64_t, std::int64_t>{6, 0}));

#ifdef LAKE_TEST_ON_SPARK
  const lake::TableRef table{"accounts", (on_iceberg() ? "ice/" : "") + database + "/accounts"};
#else
  const lake::TableRef table{"accounts", "accounts"};
#endif
  auto rows_of = [&](int from, int n) {
    auto records = accounts(from, n);
    for (auto& record : records) record.balance = 77;
    const auto id = lake::IngestId::generate();
    auto batch = lake::to_record_batch(std::span<const Account>(records), {.ingest_id = id});
    EXPECT_TRUE(batch) << batch.error().to_string();
    return std::pair{id, *arrow::RecordBatchReader::Make({*batch})};
  };
  auto plan_of = [&](lake::PlanKind kind, int from, int n, lake::OnMatch on_match, lake::OnNoMatch on_no_match) {
    auto [id, reader] = rows_of(from, n);
    lake::WritePlan plan;
    plan.kind = kind;
    plan.table = table;
    plan.ingest_id = id;
    plan.rows = std::move(reader);
    plan.keys = {"id"};
    plan.on_match = on_match;
    plan.on_no_match = on_no_match;
    return plan;
  };
  struct Case {
    std::string name;
    lake::WritePlan plan;
  };
  std::vector<Case> cases;
  cases.push_back({"append", plan_of(lake::PlanKind::append, 10, 3, {}, {})});
  cases.push_back({"upsert", plan_of(lake::PlanKind::merge, 4, 4, lake::OnMatch::update, lake::OnNoMatch::insert)});
  cases.push_back({"update", plan_of(lake::PlanKind::merge, 0, 2, lake::OnMatch::update, lake::OnNoMatch::skip)});
  cases.push_back({"remove", plan_of(lake::PlanKind::merge, 0, 2, lake::OnMatch::remove, lake::OnNoMatch::skip)});
  lake::WritePlan removal;
  removal.kind = lake::PlanKind::delete_where;
  removal.table = table;
  removal.ingest_id = lake::IngestId::generate();
  removal.predicate = cp::less(cp::field_ref("balance"), cp::literal(std::int64_t{3}));
  cases.push_back({"delete", std::move(removal)});

  for (auto& [name, plan] : cases) {
    SCOPED_TRACE(name);
    auto execution = db.driver().execute(plan);
    ASSERT_TRUE(execution) << execution.error().to_string();
    EXPECT_EQ(snapshot(), rows_before) << "nothing is visible before commit()";
    ASSERT_TRUE(execution->finalizer->abort());
    EXPECT_EQ(snapshot(), rows_before);
    auto after = db.maintain().stats("accounts");
    ASSERT_TRUE(after) << after.error().to_string();
    EXPECT_EQ(after->version, before->version);
    EXPECT_EQ(after->files, before->files);
    EXPECT_TRUE(staging_keys(dir.path).empty());
    auto committed = execution->finalizer->commit();
    ASSERT_FALSE(committed) << "an aborted write cannot commit";
  }

  // The same plan, committed this time, lands.
  auto landed = db.driver().execute(plan_of(lake::PlanKind::merge, 4, 4, lake::OnMatch::update, lake::OnNoMatch::insert));
  ASSERT_TRUE(landed) << landed.error().to_string();
  EXPECT_EQ(snapshot(), rows_before);
  auto result = landed->finalizer->commit();
  ASSERT_TRUE(result) << result.error().to_string();
  EXPECT_TRUE(result->committed);
  EXPECT_EQ(snapshot(), (std::pair<std::int64_t, std::int64_t>{8, 4}));
}

TEST_F(ClientTest, PrimaryKeyConflictsFollowTheStrategy) {
  auto db = open();
  ASSERT_TRUE(db.migrate<Account>());
  auto first = accounts(0, 3);
  ASSERT_TRUE(db.insert(first));
  const auto version = db.maintain().stats("accounts")->version;

  auto again = accounts(2, 3);  // a0002 exists; a0003, a0004 are new
  auto refused = db.insert(again);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), lake::ErrorCode::already_exists);
  EXPECT_NE(refused.error().message().find("a0002"), std::string::npos) << refused.error().message();
  EXPECT_EQ(db.maintain().stats("accounts")->version, version) << "nothing committed";

  auto skipped = db.insert(again, {.on_conflict = lake::ConflictStrategy::skip});
  ASSERT_TRUE(skipped) << skipped.error().to_string();
  EXPECT_EQ(skipped->rows_inserted, 2);
  EXPECT_EQ(count(db, "SELECT count(*) AS n FROM accounts"), 5);

  auto changed = accounts(0, 1);
  changed[0].balance = 999;
  auto replaced = db.insert(changed, {.on_conflict = lake::ConflictStrategy::update});
  ASSERT_TRUE(replaced) << replaced.error().to_string();
  EXPECT_EQ(replaced->rows_updated, 1);
  EXPECT_EQ(count(db, "SELECT balance AS n FROM accounts WHERE id = 'a0000'"), 999);
  EXPECT_EQ(count(db, "SELECT count(*) AS n FROM accounts"), 5);
}

TEST_F(ClientTest, ObjectStorageWritesStagePartsAndLeaveNoStaging) {
  auto db = open({.staging_batch_bytes = 64 << 10, .staging_part_bytes = 256 << 10});
  ASSERT_TRUE(db.migrate<Event>());
  auto written = db.insert_range(events(50'000), {.path = lake::WritePath::object_storage});
  ASSERT_TRUE(written) << written.error().to_string();
  EXPECT_EQ(written->path, lake::WritePath::object_storage);
  EXPECT_EQ(written->rows_inserted, 50'000);
#ifdef LAKE_TEST_ON_SPARK
  EXPECT_GT(written->bytes_staged, 256 << 10) << "more than one part";
  EXPECT_GT(db.metrics().value("lake_bytes_staged_total", {{"table", "events"}}), 0);
#else
  // The embedded engine writes the table's files itself: the rows went
  // straight into them (AnEmbeddedInsertStreamsItsRowsIntoTheTableWithoutStaging).
  EXPECT_EQ(written->bytes_staged, 0);
#endif
  EXPECT_TRUE(staging_keys(dir.path).empty());
  EXPECT_EQ(count(db, "SELECT count(*) AS n FROM events"), 50'000);
  EXPECT_EQ(count(db, "SELECT max(seq) AS n FROM events"), 49'999);
}

TEST_F(ClientTest, AutomaticWritesSwitchToStagingAboveTheThreshold) {
  auto db = open({.fast_path_threshold = 1 << 20, .staging_batch_bytes = 128 << 10});
  ASSERT_TRUE(db.migrate<Event>());
  std::vector<Event> small{{.seq = 1, .name = "one", .value = 1}};
  auto direct = db.insert(small);
  ASSERT_TRUE(direct);
  EXPECT_EQ(direct->path, lake::WritePath::direct);
  auto big = db.insert_range(events(40'000));  // ~3 MB of Arrow
  ASSERT_TRUE(big) << big.error().to_string();
  EXPECT_EQ(big->path, lake::WritePath::object_storage);
  EXPECT_EQ(count(db, "SELECT count(*) AS n FROM events"), 40'001);
  auto forced = db.insert_range(events(40'000), {.path = lake::WritePath::direct});
  ASSERT_TRUE(forced);
  EXPECT_EQ(forced->path, lake::WritePath::direct);
}

TEST_F(ClientTest, AnAbortedStagedWriteLeavesNoStagingAndNoRows) {
  auto db = open({.staging_batch_bytes = 64 << 10});
  ASSERT_TRUE(db.migrate<Account>());
  // 20,000 good records are staged before the bad one is reached.
  auto records = [](int total) -> std::generator<Account> {
    for (int i = 0; i < total; ++i)
      co_yield Account{.id = std::format("r{}", i),
                       .email = i == total - 1 ? "broken" : std::format("r{}@example.com", i)};
  };
  bool saw_staging = false;
  std::atomic<bool> stop = false;
  std::thread watcher([&] {
    while (!stop) {
      if (!staging_keys(dir.path).empty()) saw_staging = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  auto written = db.insert_range(records(20'001), {.path = lake::WritePath::object_storage});
  stop = true;
  watcher.join();
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code(), lake::ErrorCode::validation);
  EXPECT_NE(written.error().message().find("records 16384..20000"), std::string::npos) << written.error().message();
  EXPECT_TRUE(staging_keys(dir.path).empty());
  EXPECT_EQ(db.maintain().stats("accounts")->files, 0);
  (void)saw_staging;  // timing-dependent; the assertions above are what matter
}

TEST_F(ClientTest, AnIdempotencyKeyAppliesAWriteOnceWithinItsTtl) {
  // Long enough for the retries below to come well within it, even on a
  // busy Spark server (a statement there can take a second or more).
#ifdef LAKE_TEST_ON_SPARK
  constexpr auto ttl = std::chrono::seconds(10);
#else
  constexpr auto ttl = std::chrono::seconds(2);
#endif
  auto db = open({.default_idempotency_ttl = ttl});
  ASSERT_TRUE(db.migrate<Event>());
  std::vector<Event> rows{{.seq = 1, .name = "a", .value = 1}, {.seq = 2, .name = "b", .value = 2}};
  auto first = db.insert(rows, {.idempotency_key = "order-42"});
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->committed);
  const auto first_committed = std::chrono::steady_clock::now();
  auto retried = db.insert(rows, {.idempotency_key = "order-42"});
  ASSERT_TRUE(retried);
  EXPECT_TRUE(retried->skipped_as_duplicate);
  EXPECT_FALSE(retried->committed);
  auto staged_retry = db.insert(rows, {.path = lake::WritePath::object_storage, .idempotency_key = "order-42"});
  ASSERT_TRUE(staged_retry);
  EXPECT_TRUE(staged_retry->skipped_as_duplicate);
  EXPECT_TRUE(staging_keys(dir.path).empty());
  EXPECT_EQ(count(db, "SELECT count(*) AS n FROM events"), 2);
  auto other = db.insert(rows, {.idempotency_key = "order-43"});
  ASSERT_TRUE(other && other->committed);
  EXPECT_EQ(count(db, "SELECT count(*) AS n FROM events"), 4);
  std::this_thread::sleep_until(first_committed + ttl + std::chrono::milliseconds(100));
  auto expired = db.insert(rows, {.idempotency_key = "order-42"});
  ASSERT_TRUE(expired);
  EXPECT_TRUE(expired->committed) << "the key expired with its TTL";
  EXPECT_EQ(count(db, "SELECT count(*) AS n FROM events"), 6);
}

TEST_F(ClientTest, UpsertUpdateRemoveAndDeleteWhere) {
  auto db = open();
  ASSERT_TRUE(db.migrate<Account>());
  auto base = accounts(0, 4);
  ASSERT_TRUE(db.insert(base));

  auto changes = accounts(2, 4);  // a0002, a0003 exist; a0004, a0005 are new
  for (auto& c : changes) c.balance += 1000;
  auto upserted = db.upsert(changes);
  ASSERT_TRUE(upserted) << upserted.error().to_string();
  EXPECT_EQ(upserted->rows_updated, 2);
  EXPECT_EQ(upserted->rows_inserted, 2);
  EXPECT_EQ(count(db, "SELECT count(*) AS n FROM accounts"), 6);
  EXPECT_EQ(count(db, "SELECT balance AS n FROM accounts WHERE id = 'a0003'"), 1003);

  auto strict = db.upsert(changes, {.on_match = lake::MergeAction::error});
  ASSERT_FALSE(strict);
  EXPECT_EQ(strict.error().code(), lake::ErrorCode::already_exists);

  auto one = accounts(1, 1);
  one[0].balance = -5;
  one[0].email = "changed@example.com";
  auto updated = db.update(one);
  ASSERT_TRUE(updated) << updated.error().to_string();
  EXPECT_EQ(updated->rows_updated, 1);
  auto ghost = accounts(77, 1);
  auto not_there = db.update(ghost);
  ASSERT_TRUE(not_there);
  EXPECT_EQ(not_there->rows_updated, 0);
  EXPECT_EQ(count(db, "SELECT count(*) AS n FROM accounts"), 6) << "update never inserts";
  auto fetched = lake::query_first<Account>(db, "SELECT * FROM accounts WHERE id = ?", "a0001");
  ASSERT_TRUE(fetched);
  EXPECT_EQ(fetched->email, "changed@example.com");
  EXPECT_GT(fetched->updated_at, fetched->created_at);

  auto removed = db.remove(accounts(0, 2));
  ASSERT_TRUE(removed) << removed.error().to_string();
  EXPECT_EQ(removed->rows_deleted, 2);
  EXPECT_EQ(count(db, "SELECT count(*) AS n FROM accounts"), 4);

  auto deleted = db.delete_where<Account>(cp::greater(cp::field_ref("balance"), cp::literal(std::int64_t{1004})));
  ASSERT_TRUE(deleted) << deleted.error().to_string();
  EXPECT_EQ(deleted->rows_deleted, 1);  // a0005 (1005)
  EXPECT_EQ(count(db, "SELECT count(*) AS n FROM accounts"), 3);
  EXPECT_EQ(db.metrics().value("lake_rows_written_total", {{"table", "accounts"}, {"op", "delete"}}), 3);
}

// ClientOptions::row_changes = merge_on_read: the Delta tables the Client
// creates enable deletion vectors, and its upsert, update and delete take
// the changed rows out by vector, the data file the insert wrote staying
// live; the rows read are those of any other mode. Iceberg tables are
// changed copy-on-write only, so a client for them refuses the mode.
TEST_F(ClientTest, MergeOnReadTablesChangeRowsByDeletionVector) {
  if (on_iceberg()) {
    auto refused = lake::local::open(dir.path, {.row_changes = lake::RowChanges::merge_on_read},
                                     lake::TableFormat::iceberg);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code(), lake::ErrorCode::unsupported);
    EXPECT_NE(refused.error().message().find("merge_on_read"), std::string::npos) << refused.error().message();
    return;
  }
  auto db = open({.row_changes = lake::RowChanges::merge_on_read});
  ASSERT_TRUE(db.migrate<Account>());
  auto base = accounts(0, 50);
  ASSERT_TRUE(db.insert(base));
  auto changes = accounts(10, 2);
  for (auto& c : changes) c.balance += 1000;
  auto upserted = db.upsert(changes);
  ASSERT_TRUE(upserted) << upserted.error().to_string();
  EXPECT_EQ(upserted->rows_updated, 2);
  auto one = accounts(20, 1);
  one[0].email = "changed@example.com";
  auto updated = db.update(one);
  ASSERT_TRUE(updated) << updated.error().to_string();
  EXPECT_EQ(updated->rows_updated, 1);
  auto deleted = db.delete_where<Account>(cp::less(cp::field_ref("balance"), cp::literal(std::int64_t{5})));
  ASSERT_TRUE(deleted) << deleted.error().to_string();
  EXPECT_EQ(deleted->rows_deleted, 5);
  EXPECT_EQ(count(db, "SELECT count(*) AS n FROM accounts"), 45);
  EXPECT_EQ(count(db, "SELECT balance AS n FROM accounts WHERE id = 'a0011'"), 1011);
  auto fetched = lake::query_first<Account>(db, "SELECT * FROM accounts WHERE id = ?", "a0020");
  ASSERT_TRUE(fetched) << fetched.error().to_string();
  EXPECT_EQ(fetched->email, "changed@example.com");

  // The table as the Delta log records it: the feature, and vectors.
  auto backend = lake::file_backend(table_dir("accounts"));
  ASSERT_TRUE(backend) << backend.error().to_string();
  auto table = lake::delta::Table::open(std::move(*backend), "");
  ASSERT_TRUE(table) << table.error().to_string();
  EXPECT_TRUE(std::ranges::contains(table->snapshot().protocol().writer_features, std::string("deletionVectors")));
  std::size_t with_vectors = 0;
  for (const auto& [key, add] : table->snapshot().files()) with_vectors += add.deletion_vector.has_value();
  EXPECT_GE(with_vectors, 1u) << "no change took its rows out by deletion vector";
}

// Overwrite by filter: the predicate's rows swapped for the records in one
// commit; a record outside the predicate is refused before anything lands.
TEST_F(ClientTest, ReplaceWhereSwapsTheRowsOfARangeAtOnce) {
  auto db = open();
  ASSERT_TRUE(db.migrate<Account>());
  auto base = accounts(0, 6);  // balances 0..5
  ASSERT_TRUE(db.insert(base));
  const auto range = cp::greater_equal(cp::field_ref("balance"), cp::literal(std::int64_t{3}));

  auto fresh = accounts(3, 1);
  fresh[0].balance = 30;
  auto more = accounts(10, 1);
  fresh.push_back(more[0]);  // a0010, balance 10
  auto replaced = db.replace_where(range, fresh);
  ASSERT_TRUE(replaced) << replaced.error().to_string();
  EXPECT_EQ(replaced->rows_deleted, 3);  // a0003..a0005
  EXPECT_EQ(replaced->rows_inserted, 2);
  auto rows = lake::query<Account>(db, "SELECT * FROM accounts ORDER BY id");
  ASSERT_TRUE(rows) << rows.error().to_string();
  std::vector<std::pair<std::string, std::int64_t>> got;
  for (const auto& r : *rows) got.emplace_back(r.id, r.balance);
  EXPECT_EQ(got, (std::vector<std::pair<std::string, std::int64_t>>{
                     {"a0000", 0}, {"a0001", 1}, {"a0002", 2}, {"a0003", 30}, {"a0010", 10}}));

  // A record the predicate does not hold for (balance 1 < 3) is refused,
  // naming the condition; the table is as it was.
  auto outside = accounts(20, 2);
  outside[1].balance = 1;
  auto refused = db.replace_where(range, outside);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), lake::ErrorCode::invalid_argument) << refused.error().to_string();
  EXPECT_NE(refused.error().message().find("row 1"), std::string::npos) << refused.error().to_string();
  EXPECT_EQ(count(db, "SELECT count(*) AS n FROM accounts"), 5);
  // Invalid records are refused as an insert's are.
  auto invalid = accounts(30, 1);
  invalid[0].balance = 40;
  invalid[0].email = "not an address";
  auto rejected = db.replace_where(range, invalid);
  ASSERT_FALSE(rejected);
  EXPECT_EQ(rejected.error().code(), lake::ErrorCode::validation) << rejected.error().to_string();

  // No records: the range is emptied.
  std::vector<Account> none;
  auto emptied = db.replace_where(range, none);
  ASSERT_TRUE(emptied) << emptied.error().to_string();
  EXPECT_EQ(emptied->rows_deleted, 2);
  EXPECT_EQ(count(db, "SELECT count(*) AS n FROM accounts"), 3);
}

TEST_F(ClientTest, RawInsertionsMergeCommitOrAbort) {
  auto db = open();
  ASSERT_TRUE(db.migrate<Account>());
  auto base = accounts(0, 2);
  ASSERT_TRUE(db.insert(base));

  auto raw = accounts(1, 4);  // a0001 exists
  raw[3].email = "garbage";   // raw input is not validated...
  for (auto& r : raw) r.balance = 50;
  raw[2].balance = -1;        // ...the merge filter decides what lands
  auto staged = db.insert_raw(raw);
  ASSERT_TRUE(staged) << staged.error().to_string();
  EXPECT_FALSE(staging_keys(dir.path).empty());
  auto merged = staged->then_merge({.filter = cp::greater_equal(cp::field_ref("balance"), cp::literal(std::int64_t{0}))});
  ASSERT_TRUE(merged) << merged.error().to_string();
  EXPECT_EQ(merged->rows_updated, 1);
  EXPECT_EQ(merged->rows_inserted, 2);  // a0002 and a0004; a0003 filtered out
  EXPECT_TRUE(staging_keys(dir.path).empty());
  EXPECT_FALSE(staged->commit()) << "a raw insertion lands once";
  EXPECT_EQ(count(db, "SELECT count(*) AS n FROM accounts"), 4);

  {
    auto dropped = db.insert_raw(raw);
    ASSERT_TRUE(dropped);
    ASSERT_TRUE(dropped->abort());
    EXPECT_TRUE(staging_keys(dir.path).empty());
  }
  {
    auto abandoned = db.insert_raw(raw);
    ASSERT_TRUE(abandoned);
  }  // destroyed unlanded: aborted
  EXPECT_TRUE(staging_keys(dir.path).empty());

  auto more = accounts(10, 3);
  auto later = db.insert_raw(more);
  ASSERT_TRUE(later);
  auto future = later->async_then_merge();
  auto result = future.get();
  ASSERT_TRUE(result) << result.error().to_string();
  EXPECT_EQ(result->rows_inserted, 3);
  EXPECT_EQ(count(db, "SELECT count(*) AS n FROM accounts"), 7);

  std::vector<Event> ev{{.seq = 1, .name = "e", .value = 1}};
  ASSERT_TRUE(db.migrate<Event>());
  auto appended = db.insert_raw(ev);
  ASSERT_TRUE(appended);
  auto committed = appended->commit();
  ASSERT_TRUE(committed) << committed.error().to_string();
  EXPECT_EQ(count(db, "SELECT count(*) AS n FROM events"), 1);
}

TEST_F(ClientTest, MaxInflightIngestsBoundsConcurrentWrites) {
  auto db = open({.max_inflight_ingests = 2});
  ASSERT_TRUE(db.migrate<Event>());
  std::atomic<bool> stop = false;
  std::atomic<double> highest = 0;
  std::thread watcher([&] {
    while (!stop) {
      highest = std::max(highest.load(), db.metrics().value("lake_inflight_ingests"));
      std::this_thread::yield();
    }
  });
  std::vector<std::thread> writers;
  std::atomic<int> ok = 0;
  for (int t = 0; t < 6; ++t)
    writers.emplace_back([&, t] {
      for (int i = 0; i < 3; ++i) {
        std::vector<Event> rows{{.seq = t * 10 + i, .name = "w", .value = 0}};
        if (db.insert(rows)) ++ok;
      }
    });
  for (auto& w : writers) w.join();
  stop = true;
  watcher.join();
  EXPECT_EQ(ok, 18);
  EXPECT_LE(highest, 2);
  EXPECT_GE(highest, 1);
  EXPECT_EQ(count(db, "SELECT count(*) AS n FROM events"), 18);
}

// Keyed inserts of disjoint keys from threads at once all land, whatever
// the engine: the embedded one commits a loser on top of the winners; on
// Spark, whose formats fail concurrent MERGEs of one table by files and
// predicates (Delta's ConcurrentAppendException, Iceberg's
// ValidationException), the statement runs again within write_retry.
TEST_F(ClientTest, ConcurrentKeyedInsertsOfDisjointKeysAllLand) {
  auto db = open({.max_inflight_ingests = 3});
  ASSERT_TRUE(db.migrate<Account>());
  constexpr int kThreads = 2, kInserts = 3, kRows = 20;
  std::atomic<int> landed = 0;
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t)
    writers.emplace_back([&, t] {
      for (int i = 0; i < kInserts; ++i) {
        auto rows = accounts((t * kInserts + i) * kRows, kRows);
        auto written = db.insert(rows);
        if (written) ++landed;
        else ADD_FAILURE() << "thread " << t << ": " << written.error().to_string();
      }
    });
  for (auto& w : writers) w.join();
  EXPECT_EQ(landed, kThreads * kInserts);
  EXPECT_EQ(count(db, "SELECT count(DISTINCT id) AS n FROM accounts"), kThreads * kInserts * kRows);
  EXPECT_EQ(count(db, "SELECT count(*) AS n FROM accounts"), kThreads * kInserts * kRows);
}

#ifndef LAKE_TEST_ON_SPARK
// The refusal of an insert-if-absent names the keys already there.
TEST_F(ClientTest, ARefusedInsertNamesTheKeysTheTableHolds) {
  auto db = open();
  ASSERT_TRUE(db.migrate<Account>());
  auto first = accounts(0, 10);
  ASSERT_TRUE(db.insert(first));
  auto overlapping = accounts(4, 10);  // a0004..a0009 exist
  auto refused = db.insert(overlapping);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), lake::ErrorCode::already_exists);
  const auto* keys = refused.error().detail<lake::DuplicateKeys>();
  ASSERT_NE(keys, nullptr) << refused.error().to_string();
  EXPECT_EQ(keys->count(), 6);
  EXPECT_EQ(keys->columns(), std::vector<std::string>{"id"});
  ASSERT_EQ(keys->sample().size(), lake::DuplicateKeys::kSampleSize);
  for (const auto& key : keys->sample()) EXPECT_TRUE(key.starts_with("id=a000")) << key;
  EXPECT_NE(refused.error().to_string().find("and 1 more"), std::string::npos) << refused.error().to_string();
  EXPECT_EQ(count(db, "SELECT count(*) AS n FROM accounts"), 10);
}
#endif

TEST_F(ClientTest, SessionPoolSizeBoundsOpenResults) {
  auto db = open({.session_pool_size = 1});
  ASSERT_TRUE(db.migrate<Event>());
  auto held = db.query("SELECT 42 AS n");
  ASSERT_TRUE(held);
  std::atomic<bool> done = false;
  std::thread second([&] {
    EXPECT_EQ(count(db, "SELECT 7 AS n"), 7);
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(done) << "the only session is held by the first result";
  held->reset();
  second.join();
  EXPECT_TRUE(done);
}

// Every session of the pool reads the latest commit, whichever session
// made it. (An engine that caches table metadata per session serves stale
// snapshots otherwise: Iceberg's Spark catalog does, unless told not to.)
TEST_F(ClientTest, EverySessionOfThePoolReadsTheLatestCommit) {
  auto db = open({.session_pool_size = 2});
  ASSERT_TRUE(db.migrate<Event>());
  std::vector<Event> first{{.seq = 1, .name = "a", .value = 1}};
  ASSERT_TRUE(db.insert(first));
  auto count_held = [](const std::shared_ptr<arrow::RecordBatchReader>& reader) -> std::int64_t {
    std::shared_ptr<arrow::RecordBatch> batch;
    if (!reader->ReadNext(&batch).ok() || !batch || batch->num_rows() != 1) return -1;
    auto value = batch->column(0)->GetScalar(0);
    if (!value.ok()) return -1;
    auto as_int = (*value)->CastTo(arrow::int64());
    return as_int.ok() ? std::static_pointer_cast<arrow::Int64Scalar>(*as_int)->value : -1;
  };
  for (std::int64_t round = 2; round <= 4; ++round) {
    // Both sessions read the table (one result held while the other
    // counts), then a write lands through one of them.
    {
      auto held = db.query("SELECT count(*) AS n FROM events");
      ASSERT_TRUE(held) << held.error().to_string();
      EXPECT_EQ(count(db, "SELECT count(*) AS n FROM events"), round - 1);
      EXPECT_EQ(count_held(*held), round - 1);
    }
    std::vector<Event> more{{.seq = round, .name = "x", .value = 1}};
    ASSERT_TRUE(db.insert(more));
  }
  auto held = db.query("SELECT count(*) AS n FROM events");
  ASSERT_TRUE(held);
  EXPECT_EQ(count(db, "SELECT count(*) AS n FROM events"), 4);
  EXPECT_EQ(count_held(*held), 4);
}

struct AccountV2 {
  [[=lake::pk]] std::string id;
  std::string email;
  std::string balance;  // was int64
  std::int64_t points = 0;  // new
};

TEST_F(ClientTest, AssertSchemaSaysWhatDiffers) {
  auto db = open();
  ASSERT_TRUE(db.migrate<Account>());
  ASSERT_TRUE(db.assert_schema<Account>());
  ASSERT_TRUE(lake::set_table_name<AccountV2>("accounts"));
  auto mismatch = db.assert_schema<AccountV2>();
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().code(), lake::ErrorCode::schema_mismatch);
  const auto& message = mismatch.error().message();
  EXPECT_NE(message.find("column 'balance' is int64 in the table but string in the struct"), std::string::npos) << message;
  EXPECT_NE(message.find("column 'points' (int64) is not in the table"), std::string::npos) << message;
  EXPECT_NE(message.find("column 'country' (string) is in the table but not in the struct"), std::string::npos) << message;
  EXPECT_NE(message.find(lake::schema_fingerprint<AccountV2>().substr(0, 16)), std::string::npos) << message;
  auto missing = db.assert_schema<Event>();
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), lake::ErrorCode::not_found);
}

// Fails writes (or reads) of staging objects.
class FlakyStaging final : public lake::testing::ForwardingBackend {
 public:
  FlakyStaging(std::unique_ptr<lake::Backend> inner, bool fail_writes, bool fail_reads)
      : ForwardingBackend(std::move(inner)), fail_writes_(fail_writes), fail_reads_(fail_reads) {}
  lake::Result<std::unique_ptr<lake::ObjectWriter>> open_writer(std::string_view key, lake::PutMode mode) override {
    if (fail_writes_ && key.starts_with("_staging/")) return lake::fail(lake::ErrorCode::io, "disk full (injected)");
    return ForwardingBackend::open_writer(key, mode);
  }
  lake::Result<std::vector<std::byte>> get_range(std::string_view key, std::int64_t offset,
                                                 std::int64_t length) override {
    if (fail_reads_ && key.starts_with("_staging/")) return lake::fail(lake::ErrorCode::io, "access denied (injected)");
    return ForwardingBackend::get_range(key, offset, length);
  }

 private:
  bool fail_writes_;
  bool fail_reads_;
};

#ifndef LAKE_TEST_ON_SPARK
// The engine leg fails here through the client's backend, which only the
// embedded engine reads through (Spark reads the storage itself); the
// Spark build checks its own legs below.
TEST_F(ClientTest, VerifyNamesTheLegThatFailed) {
  auto db = open();
  EXPECT_TRUE(db.verify());
  EXPECT_TRUE(staging_keys(dir.path).empty());
  for (auto [writes, reads, code] : {std::tuple{true, false, lake::ErrorCode::client_staging},
                                     std::tuple{false, true, lake::ErrorCode::driver_read}}) {
    auto flaky = std::make_shared<FlakyStaging>(std::move(*lake::file_backend(dir.path)), writes, reads);
    auto client = lake::Client::open(lake::duckdb::driver(), lake::delta_dialect(), flaky);
    ASSERT_TRUE(client);
    auto verified = client->verify();
    ASSERT_FALSE(verified);
    EXPECT_EQ(verified.error().code(), code) << verified.error().to_string();
    EXPECT_TRUE(staging_keys(dir.path).empty());
  }
}

// The embedded engine writes the table's files itself, so a large
// insert's rows go straight into them as they come: encoded once, never
// staged. Here every write under _staging/ fails, and the insert lands
// anyway; a keyed insert, which stages (its merge reads every row before
// it writes), does not.
TEST_F(ClientTest, AnEmbeddedInsertStreamsItsRowsIntoTheTableWithoutStaging) {
  auto no_staging = std::make_shared<FlakyStaging>(std::move(*lake::file_backend(dir.path)), true, false);
  auto db = lake::Client::open(lake::duckdb::driver(), dialect(), no_staging, {.staging_batch_bytes = 64 << 10});
  ASSERT_TRUE(db) << db.error().to_string();
  ASSERT_TRUE(db->migrate<Event>());
  auto written = db->insert_range(events(50'000), {.path = lake::WritePath::object_storage});
  ASSERT_TRUE(written) << written.error().to_string();
  EXPECT_TRUE(written->committed);
  EXPECT_EQ(written->path, lake::WritePath::object_storage);
  EXPECT_EQ(written->rows_inserted, 50'000);
  EXPECT_EQ(written->bytes_staged, 0);
  EXPECT_EQ(count(*db, "SELECT count(*) AS n FROM events"), 50'000);
  EXPECT_EQ(count(*db, "SELECT count(DISTINCT seq) AS n FROM events"), 50'000);
  EXPECT_EQ(count(*db, "SELECT max(seq) AS n FROM events"), 49'999);

  ASSERT_TRUE(db->migrate<Account>());
  auto users = accounts(0, 3);
  auto keyed = db->insert(users, {.path = lake::WritePath::object_storage});
  ASSERT_FALSE(keyed);
  EXPECT_EQ(keyed.error().code(), lake::ErrorCode::client_staging) << keyed.error().to_string();
}

// A streamed insert that fails part-way (a bad record after 16,384 good
// ones reached the engine) commits nothing and leaves none of the files
// the engine had begun in the table's folder.
TEST_F(ClientTest, AFailedStreamedInsertLeavesNoFilesInTheTable) {
  auto db = open({.staging_batch_bytes = 64 << 10});
  ASSERT_TRUE(db.migrate<Reading>());
  auto records = [](int total) -> std::generator<Reading> {
    for (int i = 0; i < total; ++i)
      co_yield Reading{.seq = i, .contact = i == total - 1 ? "broken" : std::format("r{}@example.com", i)};
  };
  auto written = db.insert_range(records(20'001), {.path = lake::WritePath::object_storage});
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code(), lake::ErrorCode::validation);
  EXPECT_NE(written.error().message().find("records 16384..20000"), std::string::npos) << written.error().message();
  EXPECT_EQ(db.maintain().stats("readings")->files, 0);
  EXPECT_EQ(parquet_files(table_dir("readings")), 0U);
  EXPECT_TRUE(staging_keys(dir.path).empty());
  // The table takes the next write as if nothing had happened.
  auto good = [](int total) -> std::generator<Reading> {
    for (int i = 0; i < total; ++i) co_yield Reading{.seq = i, .contact = std::format("r{}@example.com", i)};
  };
  auto landed = db.insert_range(good(20'000), {.path = lake::WritePath::object_storage});
  ASSERT_TRUE(landed) << landed.error().to_string();
  EXPECT_EQ(count(db, "SELECT count(*) AS n FROM readings"), 20'000);
}

// The split view verify() exists to catch: the engine reads "the same" key
// from different storage than the client wrote it to (another bucket, a
// stale mount), and there finds someone else's probe. Reads of any staging
// object are served from one decoy object.
class SplitView final : public lake::testing::ForwardingBackend {
 public:
  SplitView(std::unique_ptr<lake::Backend> inner, std::string decoy)
      : ForwardingBackend(std::move(inner)), decoy_(std::move(decoy)) {}
  lake::Result<std::vector<std::byte>> get(std::string_view key) override {
    return ForwardingBackend::get(redirect(key));
  }
  lake::Result<std::vector<std::byte>> get_range(std::string_view key, std::int64_t offset,
                                                 std::int64_t length) override {
    return ForwardingBackend::get_range(redirect(key), offset, length);
  }
  lake::Result<lake::ObjectInfo> head(std::string_view key) override {
    auto info = ForwardingBackend::head(redirect(key));
    if (info) info->key = std::string(key);
    return info;
  }

 private:
  std::string_view redirect(std::string_view key) const { return key.starts_with("_staging/") ? decoy_ : key; }
  std::string decoy_;
};

// Staged parts encoded on several threads are the parts one thread writes,
// byte for byte: one row group per write, parts closed at the same rows.
TEST_F(ClientTest, StagedPartsEncodedOnSeveralThreadsAreTheSameBytes) {
  auto backend = std::move(*lake::file_backend(dir.path));
  auto schema = arrow::schema({arrow::field("n", arrow::int64(), false), arrow::field("text", arrow::utf8())});
  std::vector<std::vector<std::vector<std::byte>>> parts_by_threads;
  for (int threads : {1, 2}) {
    auto writer = lake::StagedPartWriter::open(*backend, std::format("_staging/threads-{}/", threads), schema,
                                               {.part_bytes = 96 << 10, .writer_threads = threads});
    ASSERT_TRUE(writer) << writer.error().to_string();
    for (int batch = 0; batch < 12; ++batch) {
      arrow::Int64Builder n;
      arrow::StringBuilder text;
      for (int i = 0; i < 2000; ++i) {
        ASSERT_TRUE(n.Append(batch * 2000 + i).ok());
        ASSERT_TRUE(text.Append(std::format("row {} of batch {}", i * 7919 % 2000, batch)).ok());
      }
      ASSERT_TRUE((*writer)->write(arrow::RecordBatch::Make(schema, 2000, {*n.Finish(), *text.Finish()})));
    }
    auto parts = (*writer)->close();
    ASSERT_TRUE(parts) << parts.error().to_string();
    auto& bytes = parts_by_threads.emplace_back();
    for (const auto& key : *parts) bytes.push_back(backend->get(key).value());
  }
  ASSERT_EQ(parts_by_threads[0].size(), parts_by_threads[1].size());
  EXPECT_GT(parts_by_threads[0].size(), 1u);
  for (std::size_t i = 0; i < parts_by_threads[0].size(); ++i)
    EXPECT_TRUE(parts_by_threads[0][i] == parts_by_threads[1][i]) << "part " << i << " differs";
}

TEST_F(ClientTest, VerifyCatchesAnEngineThatSeesOtherStorage) {
  auto inner = std::move(*lake::file_backend(dir.path));
  // The decoy: a probe-shaped part holding a different token.
  auto schema = arrow::schema({arrow::field("probe", arrow::utf8(), false)});
  arrow::StringBuilder builder;
  ASSERT_TRUE(builder.Append("someone else's probe").ok());
  auto column = builder.Finish().ValueOrDie();
  auto writer = lake::StagedPartWriter::open(*inner, "_elsewhere/", schema, {}).value();
  ASSERT_TRUE(writer->write(arrow::RecordBatch::Make(schema, 1, {column})));
  auto parts = writer->close().value();
  ASSERT_EQ(parts.size(), 1u);

  auto split = std::make_shared<SplitView>(std::move(inner), parts[0]);
  auto client = lake::Client::open(lake::duckdb::driver(), lake::delta_dialect(), split);
  ASSERT_TRUE(client);
  auto verified = client->verify();
  ASSERT_FALSE(verified);
  EXPECT_EQ(verified.error().code(), lake::ErrorCode::uri_mismatch) << verified.error().to_string();
  EXPECT_NE(verified.error().message().find("not the probe the client wrote"), std::string::npos)
      << verified.error().message();
  EXPECT_TRUE(staging_keys(dir.path).empty());
}

#else
TEST_F(ClientTest, VerifyHasSparkReadTheClientsProbe) {
  auto db = open();
  ASSERT_TRUE(db.verify());
  EXPECT_TRUE(staging_keys(dir.path).empty());
  // The client's leg failing is client_staging, with nothing left behind.
  auto flaky = std::make_shared<FlakyStaging>(std::move(*lake::file_backend(dir.path)), true, false);
  auto driver = lake::spark::driver(lake::testing::spark_connect_server().url);
  ASSERT_TRUE(driver);
  auto client = lake::Client::open(*driver, dialect(), flaky,
                                   {.default_catalog = on_iceberg() ? "ice" : "", .default_database = database});
  ASSERT_TRUE(client);
  auto verified = client->verify();
  ASSERT_FALSE(verified);
  EXPECT_EQ(verified.error().code(), lake::ErrorCode::client_staging) << verified.error().to_string();
  // Spark's leg: staging Spark cannot find is driver_read.
  auto missing = db.driver().read_staging({.prefix = "_staging/none/",
                                          .parts = {"_staging/none/part-00000.parquet"},
                                          .location = db.backend().uri_of("_staging/none/")});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), lake::ErrorCode::driver_read) << missing.error().to_string();
}
#endif

// maintain() shares the client's state: it stays usable when the Client it
// came from was a temporary (under ASan, a dangling one would be caught).
TEST_F(ClientTest, MaintenanceOutlivesTheClientItCameFrom) {
  {
    auto db = open();
    ASSERT_TRUE(db.migrate<Account>());
    auto rows = accounts(0, 3);
    ASSERT_TRUE(db.insert(rows));
  }
  auto maintenance = open().maintain();
  auto stats = maintenance.stats("accounts");
  ASSERT_TRUE(stats) << stats.error().to_string();
  EXPECT_EQ(stats->rows, 3);
  auto history = maintenance.history("accounts", 1);
  ASSERT_TRUE(history) << history.error().to_string();
  EXPECT_EQ(history->size(), 1u);
}

#ifndef LAKE_TEST_ON_SPARK
// Errors that pass through Parquet and DuckDB keep the code they began
// with, and a table whose log is broken is an error, not a missing table.
TEST_F(ClientTest, ABrokenTableIsReportedWithTheCodeOfWhatBroke) {
  {
    auto db = open();
    ASSERT_TRUE(db.migrate<Account>());
    for (int i = 0; i < 2; ++i) {
      auto rows = accounts(i * 3, 3);
      ASSERT_TRUE(db.insert(rows));
    }
  }
  std::vector<std::filesystem::path> data_files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(table_dir("accounts")))
    if (entry.path().extension() == ".parquet") data_files.push_back(entry.path());
  ASSERT_EQ(data_files.size(), 2u);
  std::filesystem::remove(data_files.front());
  auto db = open();
  auto rows = lake::query<Account>(db, "SELECT * FROM accounts");
  ASSERT_FALSE(rows);
  EXPECT_EQ(rows.error().code(), lake::ErrorCode::not_found) << rows.error().to_string();
  EXPECT_NE(rows.error().message().find(data_files.front().filename().string()), std::string::npos)
      << rows.error().to_string();

  const auto current_metadata = on_iceberg() ? lake::testing::current_metadata_file(dir.path, "accounts") : "";
  if (on_iceberg()) {
    // The current metadata file cut short.
    ASSERT_TRUE(std::filesystem::exists(current_metadata)) << current_metadata;
    std::ofstream(current_metadata, std::ios::trunc) << "{\"format-version\": 2,";
  } else {
    std::filesystem::remove(table_dir("accounts") / "_delta_log" / "00000000000000000000.json");
  }
  auto fresh = open();
  auto counted = lake::query_first<CountRow>(fresh, "SELECT count(*) AS n FROM accounts");
  ASSERT_FALSE(counted);
  EXPECT_EQ(counted.error().code(), lake::ErrorCode::invalid_argument) << counted.error().to_string();
  EXPECT_NE(counted.error().message().find(on_iceberg() ? current_metadata.filename().string() : "log entry 0 is missing"),
            std::string::npos)
      << counted.error().to_string();
}
#endif

TEST_F(ClientTest, CleanupStagingRemovesOnlyOldIngestPrefixes) {
  auto db = open();
  auto old_id = lake::IngestId::generate_at(std::chrono::time_point_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now() - std::chrono::hours(48)));
  auto new_id = lake::IngestId::generate();
  EXPECT_EQ(lake::staging::prefix_of(new_id), "_staging/" + new_id.to_string() + "/");
  for (const auto& key : {std::format("_staging/{}/part-00000.parquet", old_id.to_string()),
                          std::format("_staging/{}/part-00001.parquet", old_id.to_string()),
                          std::format("_staging/{}/part-00000.parquet", new_id.to_string()),
                          std::string("_staging/not-an-ingest-id/x.parquet")})
    ASSERT_TRUE(db.backend().put_text(key, "x", lake::PutMode::overwrite));
  auto report = db.cleanup_staging(std::chrono::hours(24));
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_EQ(report->scanned, 3);
  ASSERT_EQ(report->deleted.size(), 1u);
  EXPECT_NE(report->deleted[0].find(old_id.to_string()), std::string::npos);
  EXPECT_TRUE(report->failed.empty());
  EXPECT_EQ(staging_keys(dir.path).size(), 2u);
}

TEST_F(ClientTest, MaintenanceTimeTravelAndHistory) {
  auto db = open();
  ASSERT_TRUE(db.migrate<Event>());
  for (int i = 0; i < 5; ++i) {
    std::vector<Event> rows{{.seq = i, .name = "m", .value = 0}};
    ASSERT_TRUE(db.insert(rows));
  }
  auto stats = db.maintain().stats("events");
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->files, 5);
  EXPECT_EQ(stats->rows, 5);
  EXPECT_EQ(stats->versions, on_iceberg() ? 5 : 6) << "the writes (and Delta's create)";
  if (!on_iceberg()) {
    EXPECT_EQ(stats->version, 5);
  }
  auto optimized = db.maintain().optimize("events");
  ASSERT_TRUE(optimized) << optimized.error().to_string();
  EXPECT_EQ(optimized->files_removed, 5);
  EXPECT_EQ(optimized->files_added, 1);
  EXPECT_EQ(db.maintain().stats("events")->files, 1);
  // A retention of zero: files removed before now. The optimize's removals
  // are stamped in milliseconds, so let one pass.
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto vacuum = db.maintain().vacuum("events", {.retention = std::chrono::hours(0), .allow_short_retention = true,
                                                .dry_run = true});
  ASSERT_TRUE(vacuum) << vacuum.error().to_string();
  // The five compacted data files (Iceberg's expiry also deletes the
  // expired snapshots' manifest lists and manifests).
  EXPECT_EQ(std::ranges::count_if(vacuum->files, [](const std::string& key) { return key.ends_with(".parquet"); }), 5);
  if (!on_iceberg()) {
    EXPECT_EQ(vacuum->files.size(), 5u);
  }
  auto history = db.maintain().history("events", 2);
  ASSERT_TRUE(history);
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].operation, on_iceberg() ? "replace" : "OPTIMIZE");
  // An old version reads as it was; the current one has all rows.
#ifdef LAKE_TEST_ON_SPARK
  // Delta's versions count commits; Iceberg's are snapshot ids (here the
  // second write's, fifth-newest).
  std::int64_t second_write = 2;
  if (on_iceberg()) {
    auto all = db.maintain().history("events");
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 6u);
    second_write = (*all)[4].version;
  }
  EXPECT_EQ(count(db, std::format("SELECT count(*) AS n FROM events VERSION AS OF {}", second_write)), 2);
#else
  std::int64_t second_write = 2;
  if (on_iceberg()) {
    auto all = db.maintain().history("events");
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 6u);  // five appends and the compaction
    second_write = (*all)[4].version;
  }
  EXPECT_EQ(count(db, std::format(R"(SELECT count(*) AS n FROM "events@v{}")", second_write)), 2);
#endif
  EXPECT_EQ(count(db, "SELECT count(*) AS n FROM events"), 5);
  auto bad = db.query(R"(SELECT * FROM "events@yesterday")");
  ASSERT_FALSE(bad);
  auto unknown = db.maintain().stats("nope");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code(), lake::ErrorCode::not_found);
}

TEST_F(ClientTest, MetricsAndLogsCarryTheIngestId) {
  std::ostringstream logs;
  auto db = open({.logger = lake::json_lines_logger(logs, lake::LogLevel::debug)});
  ASSERT_TRUE(db.migrate<Event>());
  std::vector<Event> rows{{.seq = 1, .name = "secret-value-xyz", .value = 1}};
  auto written = db.insert(rows);
  ASSERT_TRUE(written);
  const std::string text = logs.str();
  EXPECT_NE(text.find(R"("msg":"insert committed")"), std::string::npos) << text;
  EXPECT_NE(text.find(std::format(R"("ingest_id":"{}")", written->ingest_id.to_string())), std::string::npos) << text;
  EXPECT_EQ(text.find("secret-value-xyz"), std::string::npos) << "record contents never reach logs";
  const std::string metrics = db.metrics().to_prometheus_text();
  EXPECT_NE(metrics.find(R"(lake_ingests_total{outcome="committed",path="direct",table="events"} 1)"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("# TYPE lake_ingest_duration_seconds histogram"), std::string::npos);
  EXPECT_NE(metrics.find(R"(lake_ingest_duration_seconds_count{path="direct"} 1)"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find(R"(lake_rows_written_total{op="insert",table="events"} 1)"), std::string::npos) << metrics;
  EXPECT_EQ(metrics.find("secret-value-xyz"), std::string::npos);
}

#ifndef LAKE_TEST_ON_SPARK
TEST_F(ClientTest, OptionsAreCheckedAndTheDatabaseNamesTheDirectory) {
  auto bad = lake::local::open(dir.path, {.max_inflight_ingests = 0});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), lake::ErrorCode::invalid_argument);
  EXPECT_NE(bad.error().message().find("max_inflight_ingests"), std::string::npos);
  auto escape = lake::local::open(dir.path, {.default_database = ".."});
  ASSERT_FALSE(escape);
  auto no_attempts = lake::local::open(dir.path, {.write_retry = {.max_attempts = 0}});
  ASSERT_FALSE(no_attempts);
  EXPECT_NE(no_attempts.error().message().find("write_retry.max_attempts"), std::string::npos);
  auto backwards = lake::local::open(
      dir.path, {.write_retry = {.initial_backoff = std::chrono::seconds(2), .max_backoff = std::chrono::seconds(1)}});
  ASSERT_FALSE(backwards);
  EXPECT_EQ(backwards.error().code(), lake::ErrorCode::invalid_argument);
  auto no_threads = lake::local::open(dir.path, {.writer_threads = -1});
  ASSERT_FALSE(no_threads);
  EXPECT_EQ(no_threads.error().code(), lake::ErrorCode::invalid_argument);
  EXPECT_NE(no_threads.error().message().find("writer_threads"), std::string::npos) << no_threads.error().message();
  auto db = open({.default_catalog = "main", .default_database = "sales"});
  ASSERT_TRUE(db.migrate<Event>());
  EXPECT_TRUE(std::filesystem::exists(dir.path / "main" / "sales" / "events" / (on_iceberg() ? "metadata" : "_delta_log")));
  std::vector<Event> rows{{.seq = 1, .name = "n", .value = 1}};
  ASSERT_TRUE(db.insert(rows));
  EXPECT_EQ(count(db, "SELECT count(*) AS n FROM events"), 1);
}
#endif

TEST_F(ClientTest, QueriesBindParametersAndReportMemberMismatches) {
  auto db = open();
  ASSERT_TRUE(db.migrate<Account>());
  auto users = accounts(0, 3);
  ASSERT_TRUE(db.insert(users));
  auto injected = lake::query<Account>(db, "SELECT * FROM accounts WHERE id = ?", "a0000' OR '1'='1");
  ASSERT_TRUE(injected);
  EXPECT_TRUE(injected->empty());
  auto mismatch = lake::query<Account>(db, "SELECT id, email FROM accounts");
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().code(), lake::ErrorCode::schema_mismatch);
  EXPECT_NE(mismatch.error().message().find("balance"), std::string::npos) << mismatch.error().message();
  int streamed = 0;
  for (auto&& row : lake::query_stream<Account>(db, "SELECT * FROM accounts ORDER BY id")) {
    ASSERT_TRUE(row);
    ++streamed;
  }
  EXPECT_EQ(streamed, 3);
#ifdef LAKE_TEST_ON_SPARK
  // exec binds its parameters too, and says how many rows changed where
  // the engine reports it: Delta does, Iceberg's DML reports nothing (0).
  const lake::SqlParams one{lake::SqlValue(std::string("a0001"))};
  EXPECT_EQ(db.exec("DELETE FROM accounts WHERE id = ?", one).value_or(-1), on_iceberg() ? 0 : 1);
  EXPECT_EQ(count(db, "SELECT count(*) AS n FROM accounts"), 2);
#else
  EXPECT_EQ(db.exec("CREATE TEMP TABLE t AS SELECT 1 AS x").value_or(-1), 1);
#endif
}

TEST_F(ClientTest, CloseWaitsThenRefusesEverything) {
  auto db = open();
  ASSERT_TRUE(db.ping());
  ASSERT_TRUE(db.migrate<Event>());
  ASSERT_TRUE(db.close());
  ASSERT_TRUE(db.close()) << "idempotent";
  std::vector<Event> rows{{.seq = 1, .name = "n", .value = 1}};
  auto written = db.insert(rows);
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code(), lake::ErrorCode::closed);
  EXPECT_EQ(db.query("SELECT 1").error().code(), lake::ErrorCode::closed);
  EXPECT_EQ(db.ping().error().code(), lake::ErrorCode::closed);
}

TEST(DeltaDialect, CreateTableSqlForSpark) {
  auto sql = lake::delta_dialect()->create_table_sql({"accounts", "accounts"}, lake::schema_of<Account>(),
                                                      "s3a://bucket/lake/accounts", {{"delta.appendOnly", "false"}});
  ASSERT_TRUE(sql);
  EXPECT_EQ(*sql,
            "CREATE TABLE IF NOT EXISTS `accounts` (`id` STRING NOT NULL, `email` STRING NOT NULL, `balance` BIGINT NOT "
            "NULL, `country` STRING, `created_at` TIMESTAMP NOT NULL, `updated_at` TIMESTAMP NOT NULL, `batch` STRING "
            "NOT NULL, `_ingest_id` STRING) USING DELTA LOCATION 's3a://bucket/lake/accounts' TBLPROPERTIES "
            "('delta.appendOnly' = 'false', 'lake.primaryKeys' = 'id')");
}

// Iceberg's own transforms for the bucket and truncate annotations.
struct Visit {
  [[=lake::pk]] std::int64_t id = 0;
  [[=lake::partition_bucket(8)]] std::string visitor;
  [[=lake::partition_truncate(4)]] std::string page;
  [[=lake::partition]] std::string day;
};

// A table the client created from a partitioned struct is the struct's
// table: assert_schema agrees on every engine and format, bucket and
// truncate partitions included.
TEST_F(ClientTest, AssertSchemaAgreesWithThePartitioningMigrateCreated) {
  auto db = open();
  ASSERT_TRUE(db.migrate<Visit>());
  auto asserted = db.assert_schema<Visit>();
  EXPECT_TRUE(asserted) << asserted.error().to_string();
}

TEST(IcebergDialect, CreateTableSqlForSpark) {
  auto sql = lake::iceberg_dialect()->create_table_sql(
      {"visits", "visits"}, lake::schema_of<Visit>(), "s3a://bucket/lake/visits",
      lake::iceberg_dialect()->table_properties(lake::schema_of<Visit>(), {.idempotency_ttl = std::chrono::hours(1)}));
  ASSERT_TRUE(sql);
  EXPECT_EQ(*sql,
            "CREATE TABLE IF NOT EXISTS `visits` (`id` BIGINT NOT NULL, `visitor` STRING NOT NULL, `page` STRING NOT "
            "NULL, `day` STRING NOT NULL, `_ingest_id` STRING) USING iceberg PARTITIONED BY (bucket(8, `visitor`), "
            "truncate(4, `page`), `day`) LOCATION 's3a://bucket/lake/visits' TBLPROPERTIES ('format-version' = '2', "
            "'lake.primaryKeys' = 'id')");
  auto bad = lake::iceberg_dialect()->create_table_sql({"", ""}, lake::schema_of<Visit>(), "file:///x", {});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), lake::ErrorCode::invalid_argument);
}

}  // namespace

// ---- untyped results: QueryBuilder, DataFrame, Session --------------------------------

struct IdBalance {
  std::string id;
  std::int64_t balance = 0;
};

TEST_F(ClientTest, QueryBuilderBindsValuesAndQuotesNames) {
  auto db = open();
  ASSERT_TRUE(db.migrate<Account>());
  auto rows = accounts(0, 10);
  const std::string injection = "x' OR '1'='1";
  rows.push_back({.id = "evil", .email = "evil@example.com", .balance = 100, .country = injection});
  ASSERT_TRUE(db.insert(rows));

  // The injection string is a value: it matches the one row that holds it.
  auto matched = db.query_builder().from("accounts").select({"id", "country"}).where("country = ?", injection).collect();
  ASSERT_TRUE(matched) << matched.error().to_string();
  ASSERT_EQ(matched->size(), 1u);
  EXPECT_EQ((*matched)[0].get<std::string>("id").value_or("?"), "evil");
  EXPECT_EQ((*matched)[0].get<std::string>("country").value_or("?"), injection);
  EXPECT_EQ((*matched)[0].size(), 2u);

  // Conditions AND together; order, limit and offset apply in SQL.
  auto builder = db.query_builder();
  builder.from("accounts")
      .select({"id", "balance"})
      .where("country = ?", "NL")
      .where("balance >= ? AND id <> ?", 3, "a0005")
      .order_by("balance", lake::Order::descending)
      .limit(2)
      .offset(1);
  auto built = builder.build();
  ASSERT_TRUE(built) << built.error().to_string();
  EXPECT_EQ(built->params.size(), 3u);
  EXPECT_EQ(built->sql.find("NL"), std::string::npos) << built->sql;  // bound, not spliced
  auto page = builder.collect();
  ASSERT_TRUE(page) << page.error().to_string();
  std::vector<std::string> ids;
  for (const auto& row : *page) ids.push_back(row.get<std::string>("id").value_or("?"));
  EXPECT_EQ(ids, (std::vector<std::string>{"a0007", "a0003"}));  // NL: odd balances 9, 7, (5 excluded), 3
  auto table = builder.to_arrow();
  ASSERT_TRUE(table) << table.error().to_string();
  EXPECT_EQ((*table)->num_rows(), 2);
  auto typed = builder.data_frame();
  ASSERT_TRUE(typed) << typed.error().to_string();
  auto as_struct = lake::collect_as<IdBalance>(*typed);
  ASSERT_TRUE(as_struct) << as_struct.error().to_string();
  ASSERT_EQ(as_struct->size(), 2u);
  EXPECT_EQ((*as_struct)[0].balance, 7);

  // A name is an identifier, whatever it holds: this one names no table,
  // and the table is untouched.
  auto odd_name = db.query_builder().from("accounts\"; DROP TABLE accounts; --").collect();
  ASSERT_FALSE(odd_name);
  auto odd_column = db.query_builder().from("accounts").select({"id`, 1 AS `x"}).collect();
  ASSERT_FALSE(odd_column);
  EXPECT_EQ(count(db, "SELECT count(*) AS n FROM accounts"), 11);

  // Mistakes are named before anything runs.
  auto no_table = db.query_builder().where("balance > ?", 1).collect();
  ASSERT_FALSE(no_table);
  EXPECT_EQ(no_table.error().code(), lake::ErrorCode::invalid_argument);
  auto markers = db.query_builder().from("accounts").where("balance > ? AND country = '?'", 1, 2).collect();
  ASSERT_FALSE(markers);
  EXPECT_EQ(markers.error().code(), lake::ErrorCode::invalid_argument);
  EXPECT_NE(markers.error().message().find("1 `?` marker(s) but 2 value(s)"), std::string::npos)
      << markers.error().to_string();
  auto negative = db.query_builder().from("accounts").limit(-1).collect();
  ASSERT_FALSE(negative);
  EXPECT_EQ(negative.error().code(), lake::ErrorCode::invalid_argument);
  auto unbindable = db.query_builder().from("accounts").where("balance > ?", std::uint64_t{1} << 63).build();
  ASSERT_FALSE(unbindable);
  EXPECT_EQ(unbindable.error().code(), lake::ErrorCode::invalid_argument);
}

TEST_F(ClientTest, DataFramesAnalyseCountCollectAndStream) {
  auto db = open();
  ASSERT_TRUE(db.migrate<Account>());
  auto rows = accounts(0, 10);
  ASSERT_TRUE(db.insert(rows));

  auto frame = db.data_frame("SELECT id, balance, country FROM accounts WHERE balance >= ? ORDER BY id", {5});
  ASSERT_TRUE(frame) << frame.error().to_string();
  EXPECT_EQ(frame->schema()->field_names(), (std::vector<std::string>{"id", "balance", "country"}));
  auto counted = frame->count();
  ASSERT_TRUE(counted) << counted.error().to_string();
  EXPECT_EQ(*counted, 5);

  auto collected = frame->collect();
  ASSERT_TRUE(collected) << collected.error().to_string();
  ASSERT_EQ(collected->size(), 5u);
  const lake::Row& first = (*collected)[0];
  EXPECT_EQ(first.get<std::string>("id").value_or("?"), "a0005");
  EXPECT_EQ(first.get<std::int64_t>(1).value_or(-1), 5);
  EXPECT_EQ(first.get<std::optional<std::string>>("country").value_or(std::nullopt), std::optional<std::string>("NL"));
  EXPECT_EQ((*collected)[1].is_null("country").value_or(false), true);
  EXPECT_EQ(first.to_string(), "id=a0005, balance=5, country=NL");
  auto missing = first.get<std::string>("nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), lake::ErrorCode::not_found);
  EXPECT_NE(missing.error().message().find("id, balance, country"), std::string::npos) << missing.error().to_string();
  auto wrong_type = first.get<std::int64_t>("id");
  ASSERT_FALSE(wrong_type);
  EXPECT_EQ(wrong_type.error().code(), lake::ErrorCode::schema_mismatch);
  auto null_into_value = (*collected)[1].get<std::string>("country");
  ASSERT_FALSE(null_into_value);
  EXPECT_EQ(null_into_value.error().code(), lake::ErrorCode::schema_mismatch);

  std::vector<std::string> streamed;
  for (auto&& row : frame->stream()) {
    ASSERT_TRUE(row) << row.error().to_string();
    streamed.push_back(row->get<std::string>("id").value_or("?"));
  }
  EXPECT_EQ(streamed, (std::vector<std::string>{"a0005", "a0006", "a0007", "a0008", "a0009"}));
  auto typed = lake::collect_as<IdBalance>(*frame);
  ASSERT_TRUE(typed) << typed.error().to_string();
  EXPECT_EQ(typed->size(), 5u);
  auto one = lake::first_as<IdBalance>(*frame);
  ASSERT_TRUE(one) << one.error().to_string();
  EXPECT_EQ(one->id, "a0005");
  std::int64_t typed_streamed = 0;
  for (auto&& row : lake::stream_as<IdBalance>(*frame)) typed_streamed += row ? row->balance : -1000;
  EXPECT_EQ(typed_streamed, 5 + 6 + 7 + 8 + 9);

  // Each operation runs the statement again: it sees later writes.
  auto more = accounts(10, 2);
  ASSERT_TRUE(db.insert(more));
  EXPECT_EQ(frame->count().value_or(-1), 7);

  // A statement with a trailing semicolon (and comment) counts too.
  auto limited = db.data_frame("SELECT * FROM accounts ORDER BY id LIMIT 3; -- the first three\n");
  ASSERT_TRUE(limited) << limited.error().to_string();
  EXPECT_EQ(limited->count().value_or(-1), 3);

  // A column typed by a bound value alone: the value gives its type.
  auto by_value = db.data_frame("SELECT ? AS label, id FROM accounts WHERE balance = ?", {"tag", 3});
  ASSERT_TRUE(by_value) << by_value.error().to_string();
  EXPECT_EQ(by_value->schema()->field_names(), (std::vector<std::string>{"label", "id"}));
  auto labelled = by_value->collect();
  ASSERT_TRUE(labelled) << labelled.error().to_string();
  ASSERT_EQ(labelled->size(), 1u);
  EXPECT_EQ((*labelled)[0].get<std::string>("label").value_or("?"), "tag");

  // A bad statement fails when the frame is made.
  auto bad = db.data_frame("SELECT no_such_column FROM accounts");
  ASSERT_FALSE(bad);
  auto absent = db.data_frame("SELECT * FROM no_such_table");
  ASSERT_FALSE(absent);

#ifdef LAKE_TEST_ON_SPARK
  // Spark's own plan: a spark.connect.Relation with the bound values, that
  // runs as it is.
  auto plan = frame->native_plan();
  ASSERT_TRUE(plan) << plan.error().to_string();
  spark::connect::Relation relation;
  ASSERT_TRUE(relation.ParseFromString(*plan));
  EXPECT_EQ(relation.sql().pos_arguments_size(), 1);
  auto replayed = lake::spark::from_relation(db.driver(), *plan);
  ASSERT_TRUE(replayed) << replayed.error().to_string();
  auto replayed_rows = lake::collect_as<IdBalance>(**replayed);
  ASSERT_TRUE(replayed_rows) << replayed_rows.error().to_string();
  EXPECT_EQ(replayed_rows->size(), 7u);
#else
  auto plan = frame->native_plan();
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().code(), lake::ErrorCode::unsupported);
#endif
}

TEST_F(ClientTest, ASessionKeepsItsStateAndItsPlaceInThePool) {
  auto db = open({.session_pool_size = 2});
  ASSERT_TRUE(db.migrate<Account>());
  auto rows = accounts(0, 10);
  ASSERT_TRUE(db.insert(rows));

  auto session = db.session();
  ASSERT_TRUE(session) << session.error().to_string();
  auto made = session->exec("CREATE TEMPORARY VIEW rich AS SELECT * FROM accounts WHERE balance >= 8");
  ASSERT_TRUE(made) << made.error().to_string();
  // The view is there for the session's later statements, in every form.
  auto view = session->table("rich");
  ASSERT_TRUE(view) << view.error().to_string();
  EXPECT_EQ(view->count().value_or(-1), 2);
  auto typed = lake::query<Account>(*session, "SELECT * FROM rich WHERE id = ?", "a0009");
  ASSERT_TRUE(typed) << typed.error().to_string();
  ASSERT_EQ(typed->size(), 1u);
  EXPECT_EQ((*typed)[0].balance, 9);
  auto built = session->query_builder().from("rich").select({"id"}).order_by("id").collect();
  ASSERT_TRUE(built) << built.error().to_string();
  ASSERT_EQ(built->size(), 2u);
  EXPECT_EQ((*built)[1].get<std::string>(0).value_or("?"), "a0009");
  auto frame = session->sql("SELECT count(*) AS n FROM rich WHERE balance > ?", {8});
  ASSERT_TRUE(frame) << frame.error().to_string();
  EXPECT_EQ(lake::first_as<CountRow>(*frame).value_or(CountRow{.n = -1}).n, 1);

  // Other sessions do not see it.
  EXPECT_FALSE(db.data_frame("SELECT * FROM rich"));
  auto other = db.session();
  ASSERT_TRUE(other) << other.error().to_string();
  EXPECT_FALSE(other->table("rich"));

  // The session holds its place in the pool until it is gone: with both
  // held, a client query waits.
  std::atomic<bool> done = false;
  std::thread waiting([&] {
    EXPECT_EQ(count(db, "SELECT count(*) AS n FROM accounts"), 10);
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(done) << "both of the pool's sessions are held";
  *other = std::move(*session);  // the first session's place is released
  waiting.join();
  EXPECT_TRUE(done);

#ifndef LAKE_TEST_ON_SPARK
  // DuckDB runs one result per connection: a statement while a result of
  // the session is still open is refused, not allowed to end it.
  auto open_result = other->query("SELECT * FROM accounts");
  ASSERT_TRUE(open_result) << open_result.error().to_string();
  auto second = other->exec("SELECT 1");
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), lake::ErrorCode::invalid_argument);
  open_result->reset();
  EXPECT_TRUE(other->exec("SELECT 1")) << "the session is free again";
#endif

  ASSERT_TRUE(db.close());
  auto closed = other->exec("SELECT 1");
  ASSERT_FALSE(closed);
  EXPECT_EQ(closed.error().code(), lake::ErrorCode::closed);
}

// What `lakeorm describe` shows: the live table's fingerprint is its struct's.
TEST_F(ClientTest, ALiveTableHasTheFingerprintOfItsStruct) {
  auto db = open();
  ASSERT_TRUE((db.migrate<Account, Event>()));
  for (const auto& [table, fingerprint] : {std::pair{"accounts", lake::schema_fingerprint<Account>()},
                                           std::pair{"events", lake::schema_fingerprint<Event>()}}) {
    auto live = db.driver().describe(db.table_ref(table));
    ASSERT_TRUE(live) << live.error().to_string();
    ASSERT_TRUE(live->has_value()) << table;
    const lake::Schema schema = lake::schema_of_table(**live);
    EXPECT_EQ(lake::schema_fingerprint(schema), fingerprint) << lake::fingerprint_text(schema);
  }
  auto live = db.driver().describe(db.table_ref("accounts"));
  ASSERT_TRUE(live && live->has_value());
  const lake::Schema schema = lake::schema_of_table(**live);
  ASSERT_EQ(schema.primary_keys.size(), 1u);
  EXPECT_EQ(schema.fields[schema.primary_keys[0]].column, "id");
  EXPECT_EQ(schema.find_column(lake::kIngestIdColumn), nullptr);
}

// Peak memory bounds are about the normal build: AddressSanitizer keeps
// freed memory in quarantine, so the ASan pass leaves this test out.
#if defined(LAKE_TEST_ON_SPARK) || !defined(__SANITIZE_ADDRESS__)
std::int64_t peak_rss_mib() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

TEST_F(ClientTest, DataFramesCountWithoutRowsAndStreamInBoundedMemory) {
  auto db = open();
  // 20M rows of 200 bytes would be 4 GB in memory; the count is one row.
  const std::int64_t before = peak_rss_mib();
  auto wide = db.data_frame("SELECT repeat('x', 200) AS s FROM range(20000000)");
  ASSERT_TRUE(wide) << wide.error().to_string();
  auto counted = wide->count();
  ASSERT_TRUE(counted) << counted.error().to_string();
  EXPECT_EQ(*counted, 20'000'000);
  EXPECT_LT(peak_rss_mib() - before, 200) << "counting brought the rows back";

  // Rows of 300 bytes read one batch at a time: 1M of them (300 MB) on the
  // embedded engine; on Spark 650k (195 MB) in 65 partitions, so that the
  // shared test server never holds large task results.
#ifdef LAKE_TEST_ON_SPARK
  constexpr std::int64_t kRows = 650'000;
  constexpr std::int64_t kBound = 100;
  auto streamed = db.data_frame("SELECT repeat('y', 300) AS s FROM range(0, 650000, 1, 65)");
#else
  constexpr std::int64_t kRows = 1'000'000;
  constexpr std::int64_t kBound = 150;
  auto streamed = db.data_frame("SELECT repeat('y', 300) AS s FROM range(1000000)");
#endif
  ASSERT_TRUE(streamed) << streamed.error().to_string();
  std::int64_t rows = 0, bytes = 0;
  for (auto&& row : streamed->stream()) {
    ASSERT_TRUE(row) << row.error().to_string();
    ++rows;
    if (rows % 1000 == 0) bytes += static_cast<std::int64_t>(row->get<std::string>("s").value_or("").size());
  }
  EXPECT_EQ(rows, kRows);
  EXPECT_EQ(bytes, kRows / 1000 * 300);
  EXPECT_LT(peak_rss_mib() - before, kBound) << "the stream held more than a few batches";
}
#endif


#ifdef LAKE_TEST_ON_SPARK
bool same_rows(const std::vector<Account>& a, const std::vector<Account>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].id != b[i].id || a[i].email != b[i].email || a[i].balance != b[i].balance ||
        a[i].country != b[i].country || a[i].created_at != b[i].created_at || a[i].updated_at != b[i].updated_at ||
        a[i].batch != b[i].batch)
      return false;
  return true;
}

// A table Spark wrote reads the same through lake-orm's own Delta reader
// (the embedded client), and one lake-orm wrote reads the same on Spark;
// each then takes the other's writes.
TEST_F(ClientTest, SparkAndTheNativeDeltaImplementationReadEachOthersTables) {
  auto spark = open();
  ASSERT_TRUE(spark.migrate<Account>());
  auto rows = accounts(0, 40);
  ASSERT_TRUE(spark.insert(rows));
  auto staged = accounts(40, 60);
  ASSERT_TRUE(spark.insert(staged, {.path = lake::WritePath::object_storage}));
  auto changed = accounts(10, 5);
  for (auto& c : changed) c.balance = -c.balance;
  ASSERT_TRUE(spark.upsert(changed));

  auto native = open_embedded();
  const char* all = "SELECT * FROM accounts ORDER BY id";
  auto via_spark = lake::query<Account>(spark, all);
  auto via_native = lake::query<Account>(native, all);
  ASSERT_TRUE(via_spark) << via_spark.error().to_string();
  ASSERT_TRUE(via_native) << via_native.error().to_string();
  ASSERT_EQ(via_spark->size(), 100u);
  EXPECT_TRUE(same_rows(*via_spark, *via_native));
  EXPECT_EQ((*via_native)[12].balance, -12);
  ASSERT_TRUE(native.assert_schema<Account>()) << "the table Spark created is the struct's";

  // The other way: lake-orm writes, Spark reads (and writes on top).
  ASSERT_TRUE(native.migrate<Event>());
  std::vector<Event> events_written;
  for (int i = 0; i < 300; ++i) events_written.push_back({.seq = i, .name = std::format("e{}", i), .value = i * 0.25});
  ASSERT_TRUE(native.insert(events_written));
  auto removed = native.delete_where<Event>(cp::less(cp::field_ref("seq"), cp::literal(std::int64_t{100})));
  ASSERT_TRUE(removed) << removed.error().to_string();
  // Spark knows tables by name: migrate registers the existing one (Delta
  // checks it is the struct's) without touching its data.
  auto unknown = spark.query("SELECT count(*) AS n FROM events");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code(), lake::ErrorCode::not_found) << unknown.error().to_string();
  auto registered = spark.migrate<Event>();
  ASSERT_TRUE(registered) << registered.error().to_string();
  EXPECT_EQ(count(spark, "SELECT count(*) AS n FROM events"), 200);
  EXPECT_EQ(count(spark, "SELECT CAST(sum(value * 4) AS BIGINT) AS n FROM events"), (100 + 299) * 200 / 2);
  std::vector<Event> more{{.seq = 1000, .name = "from spark", .value = 1}};
  ASSERT_TRUE(spark.insert(more));
  EXPECT_EQ(count(native, "SELECT count(*) AS n FROM events"), 201);
  auto history = native.maintain().history("events", 1);
  ASSERT_TRUE(history && !history->empty());
  EXPECT_EQ((*history)[0].operation, "WRITE") << "Spark's commit, read from the log";
}

// Spark's own answers for what it refuses: a write to a table that does
// not exist, a predicate it cannot be given, and SQL errors, all typed.
// A table's partitioning as each format has it: Iceberg partitions by the
// bucket and truncate transforms themselves; Delta, which has none,
// partitions by the plain column and records the others for clustering.
TEST_F(ClientTest, PartitionAnnotationsShapeTheTable) {
  auto db = open();
  ASSERT_TRUE(db.migrate<Visit>());
  std::vector<Visit> visits;
  for (int i = 0; i < 30; ++i)
    visits.push_back({.id = i, .visitor = std::format("v{}", i % 7), .page = std::format("/page/{}", i % 4),
                      .day = i % 2 ? "2026-11-21" : "2026-11-22"});
  auto written = db.insert(visits);
  ASSERT_TRUE(written) << written.error().to_string();
  EXPECT_EQ(written->rows_inserted, 30);
  auto stats = db.maintain().stats("visits");
  ASSERT_TRUE(stats) << stats.error().to_string();
  EXPECT_EQ(stats->rows, 30);
  const std::vector<std::string> expected =
      on_iceberg() ? std::vector<std::string>{"bucket(8, visitor)", "truncate(4, page)", "day"}
                   : std::vector<std::string>{"day"};
  EXPECT_EQ(stats->partition_columns, expected);
  EXPECT_EQ(count(db, "SELECT count(*) AS n FROM visits WHERE day = '2026-11-21' AND visitor = 'v3'"), 2);
  // Compaction limited to one partition (Iceberg takes the predicate as
  // text, with its values written in as literals).
  std::vector<Visit> more(visits.begin(), visits.begin() + 3);
  for (auto& v : more) v.id += 100;
  ASSERT_TRUE(db.insert(more));
  auto compacted = db.maintain().optimize(
      "visits", {.where = cp::equal(cp::field_ref("day"), cp::literal("2026-11-22")), .zorder_by = {}});
  ASSERT_TRUE(compacted) << compacted.error().to_string();
  EXPECT_GT(compacted->files_removed, 0);
  EXPECT_EQ(count(db, "SELECT count(*) AS n FROM visits"), 33);
  auto info = db.driver().describe({"visits", (on_iceberg() ? "ice/" : "") + database + "/visits"});
  ASSERT_TRUE(info && *info);
  EXPECT_EQ((*info)->format, on_iceberg() ? "iceberg" : "delta");
  EXPECT_EQ((*info)->properties.at("lake.primaryKeys"), "id");
}

TEST_F(ClientTest, SparkDriverErrorsAreTyped) {
  auto db = open();
  std::vector<Event> rows{{.seq = 1, .name = "n", .value = 1}};
  auto missing = db.insert(rows);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), lake::ErrorCode::not_found) << missing.error().to_string();
  ASSERT_TRUE(db.migrate<Event>());
  auto odd = db.delete_where<Event>(cp::call("utf8_length", {cp::field_ref("name")}));
  ASSERT_FALSE(odd);
  EXPECT_EQ(odd.error().code(), lake::ErrorCode::unsupported);
  EXPECT_NE(odd.error().message().find("utf8_length"), std::string::npos) << odd.error().message();
  auto bad = db.query("SELECT * FROM no_such_table");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("TABLE_OR_VIEW_NOT_FOUND"), std::string::npos) << bad.error().message();
  EXPECT_EQ(count(db, "SELECT count(*) AS n FROM events"), 0) << "nothing was written";

  // The database already has `events` at this client's location; a client
  // whose storage is elsewhere cannot take the name over.
  TempDir elsewhere{"client-elsewhere"};
  auto driver = lake::spark::driver(lake::testing::spark_connect_server().url);
  ASSERT_TRUE(driver);
  auto other = lake::Client::open(*driver, dialect(), std::move(*lake::file_backend(elsewhere.path)),
                                  {.default_catalog = on_iceberg() ? "ice" : "", .default_database = database});
  ASSERT_TRUE(other);
  auto taken = other->migrate<Event>();
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code(), lake::ErrorCode::already_exists) << taken.error().to_string();
}

// Databricks Connect's flow against the real local server: TLS is off (the
// local server speaks plaintext) but everything else is as on a workspace.
// A service principal's id and secret go to a token endpoint in this test
// (HTTP Basic, client_credentials grant), which issues the server's token
// with a 2-second life, so the client must fetch a new one before it
// expires; a wrong secret is permission_denied without the secret in it.
TEST_F(ClientTest, DatabricksOAuthMachineToMachineTokensAreFetchedAndRefreshed) {
  const auto& server = lake::testing::spark_connect_server();
  std::atomic<int> grants = 0;
  lake::testing::LoopbackHttpServer endpoint([&](const lake::testing::LoopbackRequest& request) {
    // base64("sp-lake:s3cr%2Ft") — the secret form-encoded inside Basic (RFC 6749 2.3.1).
    const bool ours = request.header("authorization") == "Basic c3AtbGFrZTpzM2NyJTJGdA==";
    if (request.method != "POST" || request.target != "/oidc/v1/token" ||
        request.body != "grant_type=client_credentials&scope=all-apis")
      return lake::testing::LoopbackResponse{.status = 400, .body = R"({"error":"invalid_request"})"};
    if (!ours)
      return lake::testing::LoopbackResponse{
          .status = 401, .body = R"({"error":"invalid_client","error_description":"Client authentication failed"})"};
    ++grants;
    return lake::testing::LoopbackResponse{
        .status = 200,
        .headers = {{"Content-Type", "application/json"}},
        .body = std::format(R"({{"access_token":"{}","token_type":"Bearer","expires_in":2}})", server.token)};
  });
  const std::string host_port = server.url.substr(5, server.url.find('/', 5) - 5);  // sc://HOST:PORT/;...
  lake::spark::DatabricksSettings settings{.host = host_port.substr(0, host_port.rfind(':')),
                                           .cluster_id = "0123-456789-lakeorm",
                                           .client_id = "sp-lake",
                                           .client_secret = "s3cr/t",
                                           .token_endpoint = endpoint.url() + "/oidc/v1/token",
                                           .port = static_cast<std::uint16_t>(std::stoi(host_port.substr(host_port.rfind(':') + 1))),
                                           .use_tls = false};
  auto driver = lake::spark::databricks_driver(settings);
  ASSERT_TRUE(driver) << driver.error().to_string();
  auto db = lake::Client::open(*driver, lake::delta_dialect(), std::move(*lake::file_backend(dir.path)),
                               {.default_database = database});
  ASSERT_TRUE(db) << db.error().to_string();
  ASSERT_TRUE(db->migrate<Event>());
  std::vector<Event> rows{{.seq = 1, .name = "m2m", .value = 1}};
  ASSERT_TRUE(db->insert(rows));
  const int before = grants;
  EXPECT_GE(before, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // past the refresh point (half its life)
  EXPECT_EQ(count(*db, "SELECT count(*) AS n FROM events"), 1);
  EXPECT_GT(grants, before) << "the token was fetched again before it expired";

  settings.client_secret = "wrong-secret";
  auto refused_driver = lake::spark::databricks_driver(settings);
  ASSERT_TRUE(refused_driver);
  auto refused = lake::Client::open(*refused_driver, lake::delta_dialect(),
                                    std::move(*lake::file_backend(dir.path)), {.default_database = database});
  ASSERT_TRUE(refused);
  auto ping = refused->ping();
  ASSERT_FALSE(ping);
  EXPECT_EQ(ping.error().code(), lake::ErrorCode::permission_denied) << ping.error().to_string();
  EXPECT_NE(ping.error().to_string().find("sp-lake"), std::string::npos);
  EXPECT_EQ(ping.error().to_string().find("wrong-secret"), std::string::npos);

  // A personal access token instead (here the server's own token).
  auto pat_driver = lake::spark::databricks_driver({.host = settings.host,
                                                    .cluster_id = settings.cluster_id,
                                                    .token = server.token,
                                                    .port = settings.port,
                                                    .use_tls = false});
  ASSERT_TRUE(pat_driver) << pat_driver.error().to_string();
  auto with_pat = lake::Client::open(*pat_driver, lake::delta_dialect(), std::move(*lake::file_backend(dir.path)),
                                     {.default_database = database});
  ASSERT_TRUE(with_pat);
  EXPECT_EQ(count(*with_pat, "SELECT count(*) AS n FROM events"), 1);

  // Settings that cannot work are refused up front.
  settings.token = "dapi-pat";
  EXPECT_FALSE(lake::spark::databricks_driver(settings)) << "a token and client credentials at once";
  EXPECT_FALSE(lake::spark::databricks_driver({.host = "h", .token = "t"})) << "no cluster id";
}

// Databricks Connect over TLS, as to a workspace: the local server behind a
// TLS front (tests/support/tls_proxy: OpenSSL, ALPN h2, a certificate for
// 127.0.0.1 from a throwaway authority), which the client trusts through
// gRPC's root-certificates file and checks the name against. TLS to a port
// that speaks plaintext fails the handshake, typed.
TEST_F(ClientTest, DatabricksConnectSpeaksTlsToTheWorkspace) {
  const auto& server = lake::testing::spark_connect_server();
  const std::string host_port = server.url.substr(5, server.url.find('/', 5) - 5);  // sc://HOST:PORT/;...
  const int spark_port = std::stoi(host_port.substr(host_port.rfind(':') + 1));
  lake::testing::TlsProxy front(spark_port, dir.path);
  ::setenv("GRPC_DEFAULT_SSL_ROOTS_FILE_PATH", front.ca_file().c_str(), 1);
  auto driver = lake::spark::databricks_driver({.host = "127.0.0.1",
                                                .cluster_id = "0123-456789-lakeorm",
                                                .token = server.token,
                                                .port = static_cast<std::uint16_t>(front.port()),
                                                .use_tls = true});
  ASSERT_TRUE(driver) << driver.error().to_string();
  auto db = lake::Client::open(*driver, lake::delta_dialect(), std::move(*lake::file_backend(dir.path)),
                               {.default_database = database});
  ASSERT_TRUE(db) << db.error().to_string();
  ASSERT_TRUE(db->migrate<Event>());
  std::vector<Event> rows{{.seq = 1, .name = "over-tls", .value = 1}};
  ASSERT_TRUE(db->insert(rows));
  EXPECT_EQ(count(*db, "SELECT count(*) AS n FROM events WHERE name = 'over-tls'"), 1);
  EXPECT_GE(front.handshakes(), 1);

  auto plaintext = lake::spark::databricks_driver({.host = "127.0.0.1",
                                                   .cluster_id = "0123-456789-lakeorm",
                                                   .token = server.token,
                                                   .port = static_cast<std::uint16_t>(spark_port),
                                                   .use_tls = true},
                                                  {.max_attempts = 1});
  ASSERT_TRUE(plaintext);
  auto refused = lake::Client::open(*plaintext, lake::delta_dialect(), std::move(*lake::file_backend(dir.path)),
                                    {.default_database = database});
  ASSERT_TRUE(refused);
  auto ping = refused->ping();
  ASSERT_FALSE(ping);
  EXPECT_EQ(ping.error().code(), lake::ErrorCode::io) << ping.error().to_string();
  EXPECT_EQ(ping.error().to_string().find(server.token), std::string::npos);
}

// The driver's read-side sources (the seed's FromSQL / FromTable /
// FromDataFrame): Arrow streams the typed *_as reads decode, from SQL with
// bound values, from a table name, and from a raw Spark Connect relation
// (a plan built with Spark's own protocol, here a filtered, sorted read).
TEST_F(ClientTest, SparkSourcesFromSqlTablesAndRelations) {
  auto db = open();
  ASSERT_TRUE(db.migrate<Account>());
  auto rows = accounts(0, 6);
  ASSERT_TRUE(db.insert(rows));

  auto table = lake::spark::from_table(db.driver(), "accounts");
  ASSERT_TRUE(table) << table.error().to_string();
  auto all = lake::collect_as<Account>(**table);
  ASSERT_TRUE(all) << all.error().to_string();
  EXPECT_EQ(all->size(), 6u);
  auto qualified = lake::spark::from_table(
      db.driver(), on_iceberg() ? std::format("ice.{}.accounts", database) : std::format("{}.accounts", database));
  ASSERT_TRUE(qualified) << qualified.error().to_string();
  EXPECT_EQ(lake::collect_as<Account>(**qualified)->size(), 6u);

  const lake::SqlValue low[] = {std::int64_t{4}};
  auto sql = lake::spark::from_sql(db.driver(), "SELECT * FROM accounts WHERE balance >= ? ORDER BY id", low);
  ASSERT_TRUE(sql) << sql.error().to_string();
  auto rich = lake::collect_as<Account>(**sql);
  ASSERT_TRUE(rich);
  ASSERT_EQ(rich->size(), 2u);
  EXPECT_EQ((*rich)[0].id, "a0004");

  // SELECT * FROM accounts WHERE country IS NOT NULL ORDER BY id LIMIT 2, as a plan.
  spark::connect::Relation read;
  read.mutable_read()->mutable_named_table()->set_unparsed_identifier("accounts");
  spark::connect::Relation filtered;
  *filtered.mutable_filter()->mutable_input() = read;
  filtered.mutable_filter()->mutable_condition()->mutable_expression_string()->set_expression("country IS NOT NULL");
  spark::connect::Relation sorted;
  *sorted.mutable_sort()->mutable_input() = filtered;
  sorted.mutable_sort()->set_is_global(true);  // ORDER BY, not a sort within each partition
  auto* order = sorted.mutable_sort()->add_order();
  order->mutable_child()->mutable_unresolved_attribute()->set_unparsed_identifier("id");
  order->set_direction(spark::connect::Expression_SortOrder_SortDirection_SORT_DIRECTION_ASCENDING);
  order->set_null_ordering(spark::connect::Expression_SortOrder_NullOrdering_SORT_NULLS_FIRST);
  spark::connect::Relation limited;
  *limited.mutable_limit()->mutable_input() = sorted;
  limited.mutable_limit()->set_limit(2);
  auto relation = lake::spark::from_relation(db.driver(), limited.SerializeAsString());
  ASSERT_TRUE(relation) << relation.error().to_string();
  auto first = lake::first_as<Account>(**relation);
  ASSERT_TRUE(first) << first.error().to_string();
  EXPECT_EQ(first->id, "a0001");  // the first with a country (odd ids)

  // Mistakes are typed: not a relation, a bad name, another driver.
  auto garbage = lake::spark::from_relation(db.driver(), "\xff\xff not a protobuf");
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().code(), lake::ErrorCode::invalid_argument) << garbage.error().to_string();
  auto empty_part = lake::spark::from_table(db.driver(), "db..accounts");
  ASSERT_FALSE(empty_part);
  EXPECT_EQ(empty_part.error().code(), lake::ErrorCode::invalid_argument);
  auto missing = lake::spark::from_table(db.driver(), "no_such_table");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), lake::ErrorCode::not_found) << missing.error().to_string();
  auto embedded = open_embedded();
  auto not_spark = lake::spark::from_table(embedded.driver(), "accounts");
  ASSERT_FALSE(not_spark);
  EXPECT_EQ(not_spark.error().code(), lake::ErrorCode::invalid_argument) << not_spark.error().to_string();
}

// Spark on object storage: the client's backend is S3 (the run's MinIO),
// and Spark reaches the same bucket through s3a (hadoop-aws on the test
// server). Staged parts go up through our S3 client and Spark reads them in
// place; on Delta, the native implementation reads what Spark committed
// there, and Spark what it commits.
TEST_F(ClientTest, SparkWorksOnTablesInObjectStorage) {
  const auto* minio = lake::testing::minio();
  ASSERT_NE(minio, nullptr);
  auto opened = lake::s3_backend(lake::testing::fresh_s3_uri(), minio->options());
  ASSERT_TRUE(opened) << opened.error().to_string();
  std::shared_ptr<lake::Backend> bucket = std::move(*opened);
  auto driver = lake::spark::driver(lake::testing::spark_connect_server().url);
  ASSERT_TRUE(driver);
  auto db = lake::Client::open(*driver, dialect(), bucket,
                               {.default_catalog = on_iceberg() ? "ice" : "", .default_database = database});
  ASSERT_TRUE(db) << db.error().to_string();
  ASSERT_TRUE(db->migrate<Account>());
  auto few = accounts(0, 3);
  auto direct = db->insert(few);
  ASSERT_TRUE(direct) << direct.error().to_string();
  EXPECT_EQ(direct->rows_inserted, 3);
  auto many = accounts(100, 2000);
  auto staged = db->insert(many, {.path = lake::WritePath::object_storage});
  ASSERT_TRUE(staged) << staged.error().to_string();
  EXPECT_EQ(staged->path, lake::WritePath::object_storage);
  EXPECT_EQ(staged->rows_inserted, 2000);
  EXPECT_TRUE(bucket->list("_staging/")->empty()) << "the staged parts are gone after the commit";
  auto changes = accounts(0, 2);
  for (auto& change : changes) change.balance = 5000;
  auto upserted = db->upsert(changes);
  ASSERT_TRUE(upserted) << upserted.error().to_string();
  EXPECT_EQ(upserted->rows_updated, 2);
  EXPECT_EQ(count(*db, "SELECT count(*) AS n FROM accounts"), 2003);
  EXPECT_EQ(count(*db, "SELECT count(*) AS n FROM accounts WHERE balance = 5000"), 2);
  if (on_iceberg()) {
    EXPECT_FALSE(bucket->list("ice/" + database + "/accounts/metadata/")->empty());
    return;
  }
  auto native = lake::Client::open(lake::duckdb::driver(), lake::delta_dialect(), bucket, {.default_database = database});
  ASSERT_TRUE(native) << native.error().to_string();
  auto back = lake::query<Account>(*native, "SELECT * FROM accounts WHERE id IN ('a0000', 'a0001', 'a0002') ORDER BY id");
  ASSERT_TRUE(back) << back.error().to_string();
  ASSERT_EQ(back->size(), 3u);
  EXPECT_EQ((*back)[0].balance, 5000);
  EXPECT_EQ((*back)[2].balance, 2);
  EXPECT_EQ((*back)[2].batch, direct->ingest_id.to_string());
  std::vector<Account> one{{.id = "n0001", .email = "native@example.com", .balance = 7}};
  ASSERT_TRUE(native->insert(one));
  EXPECT_EQ(count(*db, "SELECT count(*) AS n FROM accounts"), 2004);
  EXPECT_EQ(count(*db, "SELECT count(*) AS n FROM accounts WHERE id = 'n0001' AND balance = 7"), 1);
}

// lakeorm.toml picks the Spark engine: the server from `remote`, its token
// from the environment (never from the file), the format and catalog from
// [table]; the same Client results.
TEST_F(ClientTest, AConfigFileOpensTheClientOnSpark) {
  const auto& server = lake::testing::spark_connect_server();
  const std::string remote = server.url.substr(0, server.url.find(";token="));  // sc://HOST:PORT/
  {
    std::ofstream out(dir.path / "lakeorm.toml");
    out << std::format("[storage]\nroot = \"{}\"\n\n[engine]\nkind = \"spark\"\nremote = \"{};use_ssl=false\"\n\n"
                       "[table]\nformat = \"{}\"\ncatalog = \"{}\"\ndatabase = \"{}\"\n",
                       dir.path.string(), remote, on_iceberg() ? "iceberg" : "delta", on_iceberg() ? "ice" : "",
                       database);
  }
  ::unsetenv("SPARK_CONNECT_AUTHENTICATE_TOKEN");
  auto no_token = lake::open_from_config(dir.path / "lakeorm.toml");
  ASSERT_TRUE(no_token) << no_token.error().to_string();  // nothing contacted yet
  auto refused = no_token->ping();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), lake::ErrorCode::permission_denied) << refused.error().to_string();

  ::setenv("SPARK_CONNECT_AUTHENTICATE_TOKEN", server.token.c_str(), 1);
  auto db = lake::open_from_config(dir.path / "lakeorm.toml");
  ::unsetenv("SPARK_CONNECT_AUTHENTICATE_TOKEN");
  ASSERT_TRUE(db) << db.error().to_string();
  ASSERT_TRUE(db->migrate<Event>());
  std::vector<Event> rows{{.seq = 1, .name = "from-config", .value = 1}, {.seq = 2, .name = "from-config", .value = 2}};
  auto written = db->insert(rows);
  ASSERT_TRUE(written) << written.error().to_string();
  EXPECT_EQ(written->rows_inserted, 2);
  EXPECT_EQ(count(*db, "SELECT count(*) AS n FROM events WHERE name = 'from-config'"), 2);
  EXPECT_TRUE(std::filesystem::exists(table_dir("events") / (on_iceberg() ? "metadata" : "_delta_log")));
}
#endif

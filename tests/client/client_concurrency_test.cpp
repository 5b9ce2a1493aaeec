// Keyed writes from many processes at once, through the public Client API,
// as replicas of one service would make them: each process opens the lake
// itself, migrates, and writes. Writes of disjoint keys must all land (a
// loser of the commit race commits on top of the winners); writes of the
// same keys follow their conflict strategy as if they had run one after
// the other; a writer killed at any point loses nothing acknowledged.
//
// Built twice: on the file backend (label unit; the killed-writer test,
// which has delta-rs read the table afterwards, label interop), and once
// for the object stores, run on MinIO (label s3) and fake-gcs-server
// (label gcs), where commits rest on the store's exclusive create. The
// file-backend build runs again on native Iceberg tables
// (LAKE_TEST_TABLE_FORMAT=iceberg, CTest prefix "iceberg."), pyiceberg and
// DuckDB reading what the killed writers' table holds.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <atomic>
#include <format>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <lake/client.hpp>
#include <lake/drivers/duckdb.hpp>
#include <lake/duplicate_keys.hpp>
#include <lake/local.hpp>
#include <lake/query.hpp>

#include "support/remote_store.hpp"
#include "support/table_format.hpp"
#include "support/temp_dir.hpp"

#ifdef LAKE_SOURCE_DIR
#include "delta/peer_support.hpp"
#include "lake/delta/table.hpp"
#include "support/peer_process.hpp"
#endif

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // <generator>, see lake/query.hpp

namespace {

using lake::testing::TempDir;

struct Order {
  [[=lake::pk]] std::string id;
  std::int64_t writer = 0;
  std::int64_t value = 0;
};

struct IdValue {
  std::string id;
  std::int64_t value = 0;
};

struct Counts {
  std::int64_t rows = 0;
  std::int64_t keys = 0;
};

// The table format the suite runs on: Delta, or Iceberg.
using lake::testing::on_iceberg;

std::string key_of(int writer, int batch, int row) { return std::format("w{}-b{:03}-r{:03}", writer, batch, row); }

std::vector<Order> batch_of(int writer, int batch, int rows, std::int64_t value) {
  std::vector<Order> out;
  out.reserve(static_cast<std::size_t>(rows));
  for (int r = 0; r < rows; ++r) out.push_back({.id = key_of(writer, batch, r), .writer = writer, .value = value});
  return out;
}

// What one child process reports through a pipe (one write, under
// PIPE_BUF, so reports of several children never interleave).
struct Report {
  int writer = -1;
  int writes = 0;        // calls that succeeded
  int retried = 0;       // of those, how many took more than one attempt
  int most_attempts = 0;  // the most attempts one write took
  int refused = 0;       // already_exists (a real key collision)
  char error[240] = {};  // the first unexpected error, if any
};

class ClientConcurrency : public ::testing::Test {
 protected:
  void SetUp() override {
#ifdef LAKE_TEST_ON_OBJECT_STORE
    ASSERT_TRUE(lake::testing::object_store());
    uri_ = lake::testing::fresh_object_store_uri();
#endif
    ASSERT_EQ(::pipe(reports_), 0);
  }
  void TearDown() override {
    ::close(reports_[0]);
    ::close(reports_[1]);
#ifdef LAKE_TEST_ON_OBJECT_STORE
    if (auto store = lake::testing::open_object_store(uri_)) (void)(*store)->remove_prefix("");
#endif
  }

  // A client of the test's lake, opened as a new replica would.
  lake::Result<lake::Client> open_client(lake::ClientOptions options = {}) const {
    // Every Iceberg commit writes the table's whole metadata file, which
    // grows with each snapshot (800 here, none expired), so its commit
    // window is longer than Delta's and 8 writers on 2 cores lose more
    // races: up to 50 attempts for one write were seen where Delta needs
    // 15. The suite is about what lands, not about the default budget.
    if (on_iceberg()) options.write_retry.max_attempts = 256;
#ifdef LAKE_TEST_ON_OBJECT_STORE
    auto store = lake::testing::open_object_store(uri_);
    if (!store) return std::unexpected(store.error());
    return lake::Client::open(lake::duckdb::driver(), on_iceberg() ? lake::iceberg_dialect() : lake::delta_dialect(),
                              std::shared_ptr<lake::Backend>(std::move(*store)), std::move(options));
#else
    return lake::testing::open_local(dir_.path, std::move(options));
#endif
  }

  // Starts `writers` processes running body(writer, report); each opens
  // its own client and migrates first, as a fresh replica does.
  template <class Body>
  std::vector<pid_t> spawn(int writers, Body body) {
    std::vector<pid_t> children;
    for (int w = 0; w < writers; ++w) {
      const pid_t pid = ::fork();
      if (pid == 0) {
        Report report{.writer = w};
        auto note = [&](const lake::Error& error) {
          if (report.error[0] == 0) std::snprintf(report.error, sizeof report.error, "%s", error.to_string().c_str());
        };
        auto db = open_client();
        if (!db) {
          note(db.error());
        } else if (auto migrated = db->migrate<Order>(); !migrated) {
          note(migrated.error());
        } else {
          body(*db, w, report, note);
        }
        const bool ok = report.error[0] == 0;
        (void)!::write(reports_[1], &report, sizeof report);
        ::_exit(ok ? 0 : 1);
      }
      children.push_back(pid);
    }
    return children;
  }

  // Waits for the children; their reports, by writer.
  std::map<int, Report> collect(const std::vector<pid_t>& children) {
    for (pid_t pid : children) {
      int status = 0;
      ::waitpid(pid, &status, 0);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child " << pid;
    }
    std::map<int, Report> reports;
    ::fcntl(reports_[0], F_SETFL, O_NONBLOCK);
    Report report;
    while (::read(reports_[0], &report, sizeof report) == static_cast<ssize_t>(sizeof report)) {
      EXPECT_EQ(report.error[0], 0) << "writer " << report.writer << ": " << report.error;
      reports[report.writer] = report;
    }
    return reports;
  }

  std::map<std::string, std::int64_t> rows_by_key() {
    auto db = open_client();
    EXPECT_TRUE(db) << db.error().to_string();
    std::map<std::string, std::int64_t> rows;
    if (!db) return rows;
    auto all = lake::query<IdValue>(*db, "SELECT id, value FROM orders");
    EXPECT_TRUE(all) << all.error().to_string();
    if (!all) return rows;
    for (const auto& row : *all) EXPECT_TRUE(rows.emplace(row.id, row.value).second) << "key " << row.id << " twice";
    return rows;
  }

  Counts counts() {
    auto db = open_client();
    EXPECT_TRUE(db) << db.error().to_string();
    auto counted = lake::query_first<Counts>(*db, "SELECT count(*) AS rows, count(DISTINCT id) AS keys FROM orders");
    EXPECT_TRUE(counted) << counted.error().to_string();
    return counted ? *counted : Counts{};
  }

  TempDir dir_{"client-concurrency"};
  std::string uri_;
  int reports_[2] = {-1, -1};
};

using Note = std::function<void(const lake::Error&)>;

constexpr int kWriters = 8;
constexpr int kBatches = 100;
constexpr int kRows = 100;
// Rounds of the upsert and mixed suites: fewer on the object stores, where
// every commit is a few round trips to the server (the insert suite keeps
// its 8 x 100 everywhere).
#ifdef LAKE_TEST_ON_OBJECT_STORE
constexpr int kUpsertRounds = 20, kMixedRounds = 10;
#else
constexpr int kUpsertRounds = kBatches / 2, kMixedRounds = kBatches / 4;
#endif

// How many writes lost a race at least once; says so in the test's output,
// with the most attempts one write took.
int total_retried(const std::map<int, Report>& reports) {
  int retried = 0, writes = 0, most = 0;
  for (const auto& [writer, report] : reports) {
    retried += report.retried;
    writes += report.writes;
    most = std::max(most, report.most_attempts);
  }
  std::cerr << std::format("[concurrency] {} of {} writes took more than one attempt, at most {}\n", retried, writes, most);
  return retried;
}

TEST_F(ClientConcurrency, InsertsOfDisjointKeysFromManyProcessesAllLand) {
  auto children = spawn(kWriters, [](lake::Client& db, int w, Report& report, const Note& note) {
    for (int b = 0; b < kBatches; ++b) {
      auto orders = batch_of(w, b, kRows, b);
      auto written = db.insert(orders);
      if (!written) return note(written.error());
      ++report.writes;
      report.retried += written->attempts > 1;
      report.most_attempts = std::max(report.most_attempts, written->attempts);
    }
  });
  auto reports = collect(children);
  ASSERT_EQ(reports.size(), static_cast<std::size_t>(kWriters));
  for (const auto& [writer, report] : reports) EXPECT_EQ(report.writes, kBatches) << "writer " << writer;
  EXPECT_GT(total_retried(reports), 0) << "no write ever lost a commit race: the test did not test concurrency";
  const Counts found = counts();
  EXPECT_EQ(found.rows, kWriters * kBatches * kRows);
  EXPECT_EQ(found.keys, kWriters * kBatches * kRows);
}

TEST_F(ClientConcurrency, UpsertsOfDisjointKeysFromManyProcessesAllLand) {
  constexpr int kRounds = kUpsertRounds;
  // Each round upserts a new batch and the previous one again with new
  // values: inserts and rewrites of the writer's own files, racing the
  // other writers' commits.
  auto children = spawn(kWriters, [](lake::Client& db, int w, Report& report, const Note& note) {
    for (int b = 0; b < kRounds; ++b) {
      for (int batch : {b, b - 1}) {
        if (batch < 0) continue;
        auto orders = batch_of(w, batch, kRows, 1000 * b + batch);
        auto written = db.upsert(orders);
        if (!written) return note(written.error());
        ++report.writes;
        report.retried += written->attempts > 1;
        report.most_attempts = std::max(report.most_attempts, written->attempts);
      }
    }
  });
  auto reports = collect(children);
  ASSERT_EQ(reports.size(), static_cast<std::size_t>(kWriters));
  EXPECT_GT(total_retried(reports), 0);
  auto rows = rows_by_key();
  ASSERT_EQ(rows.size(), static_cast<std::size_t>(kWriters * kRounds * kRows));
  for (int w = 0; w < kWriters; ++w)
    for (int b = 0; b < kRounds; ++b) {
      // The last upsert of batch b was in round b + 1 (or b, for the last).
      const std::int64_t expected = b + 1 < kRounds ? 1000 * (b + 1) + b : 1000 * b + b;
      for (int r = 0; r < kRows; r += 17) EXPECT_EQ(rows[key_of(w, b, r)], expected) << key_of(w, b, r);
    }
}

// Every keyed write at once: insert, upsert, update, remove and a raw
// insertion merged in, each process on keys of its own.
TEST_F(ClientConcurrency, MixedKeyedWritesFromManyProcessesAllLand) {
  constexpr int kRounds = kMixedRounds;
  auto children = spawn(kWriters, [](lake::Client& db, int w, Report& report, const Note& note) {
    auto count = [&](const lake::Result<lake::WriteResult>& written) {
      if (!written) return note(written.error()), false;
      ++report.writes;
      report.retried += written->attempts > 1;
      report.most_attempts = std::max(report.most_attempts, written->attempts);
      return true;
    };
    for (int b = 0; b < kRounds; ++b) {
      auto fresh = batch_of(w, b, kRows, 1);
      if (!count(db.insert(fresh))) return;
      auto raw = batch_of(w + 100, b, kRows, 4);  // keys of this writer's own, staged first
      auto staged = db.insert_raw(raw);
      if (!staged) return note(staged.error());
      if (!count(staged->then_merge())) return;
      if (b >= 1) {
        auto changed = batch_of(w, b - 1, kRows, 2);
        if (!count(db.upsert(changed))) return;
        auto updated = batch_of(w, b - 1, kRows, 3);
        if (!count(db.update(updated))) return;
      }
      if (b >= 2) {
        auto gone = batch_of(w, b - 2, kRows, 0);
        std::erase_if(gone, [](const Order& o) { return o.id.back() % 2 == 0; });  // the even rows stay
        if (!count(db.remove(gone))) return;
      }
    }
  });
  auto reports = collect(children);
  ASSERT_EQ(reports.size(), static_cast<std::size_t>(kWriters));
  EXPECT_GT(total_retried(reports), 0);
  std::map<std::string, std::int64_t> expected;
  for (int w = 0; w < kWriters; ++w)
    for (int b = 0; b < kRounds; ++b)
      for (int r = 0; r < kRows; ++r) {
        const std::string key = key_of(w, b, r);
        const bool removed = b + 2 < kRounds && key.back() % 2 != 0;
        if (!removed) expected[key] = b + 1 < kRounds ? 3 : 1;
        expected[key_of(w + 100, b, r)] = 4;
      }
  EXPECT_EQ(rows_by_key(), expected);
}

// Threads of one process sharing one Client, as a service's request
// handlers do.
TEST_F(ClientConcurrency, InsertsOfDisjointKeysFromManyThreadsAllLand) {
  auto db = open_client({.max_inflight_ingests = 8});
  ASSERT_TRUE(db) << db.error().to_string();
  ASSERT_TRUE(db->migrate<Order>());
  constexpr int kThreads = 8, kInserts = kBatches / 4;
  std::atomic<int> retried = 0, failed = 0;
  std::vector<std::jthread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int b = 0; b < kInserts; ++b) {
        auto orders = batch_of(t, b, kRows, b);
        auto written = db->insert(orders);
        if (!written) {
          ADD_FAILURE() << "thread " << t << ": " << written.error().to_string();
          ++failed;
          return;
        }
        retried += written->attempts > 1;
      }
    });
  threads.clear();
  EXPECT_EQ(failed, 0);
  EXPECT_GT(retried, 0);
  const Counts found = counts();
  EXPECT_EQ(found.rows, kThreads * kInserts * kRows);
  EXPECT_EQ(found.keys, kThreads * kInserts * kRows);
}

// Two writers, the same 1,000 keys, started together.
class KeyCollisions : public ClientConcurrency {
 protected:
  std::map<int, Report> race(lake::ConflictStrategy strategy) {
    int gate[2];
    EXPECT_EQ(::pipe(gate), 0);
    auto children = spawn(2, [&](lake::Client& db, int w, Report& report, const Note& note) {
      char go = 0;
      ::close(gate[1]);
      (void)!::read(gate[0], &go, 1);
      std::vector<Order> orders;
      for (int k = 0; k < 1000; ++k) orders.push_back({.id = std::format("k{:04}", k), .writer = w, .value = 10 + w});
      auto written = db.insert(orders, {.on_conflict = strategy});
      if (written) {
        ++report.writes;
        report.retried += written->attempts > 1;
        return;
      }
      if (written.error().code() != lake::ErrorCode::already_exists) return note(written.error());
      const auto* keys = written.error().detail<lake::DuplicateKeys>();
      if (keys == nullptr || keys->count() != 1000 || keys->sample().empty() ||
          keys->sample().front().find("id=k") != 0)
        return note(lake::Error(lake::ErrorCode::internal, "the refusal does not name the keys: " +
                                                               written.error().to_string()));
      ++report.refused;
    });
    // Both have opened and migrated by the time they block on the gate;
    // a short pause lets the slower one get there.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    ::close(gate[0]);
    ::close(gate[1]);
    return collect(children);
  }

  std::set<std::int64_t> values_held(const std::map<std::string, std::int64_t>& rows) {
    std::set<std::int64_t> values;
    for (const auto& [key, value] : rows) values.insert(value);
    return values;
  }
};

TEST_F(KeyCollisions, UnderErrorExactlyOneBatchLandsAndTheOtherNamesTheKeys) {
  auto reports = race(lake::ConflictStrategy::error);
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[0].writes + reports[1].writes, 1);
  EXPECT_EQ(reports[0].refused + reports[1].refused, 1);
  auto rows = rows_by_key();
  EXPECT_EQ(rows.size(), 1000u);
  EXPECT_EQ(values_held(rows).size(), 1u) << "one writer's batch whole, nothing of the other";
}

TEST_F(KeyCollisions, UnderSkipBothSucceedAndEachKeyIsStoredOnce) {
  auto reports = race(lake::ConflictStrategy::skip);
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[0].writes + reports[1].writes, 2);
  auto rows = rows_by_key();
  EXPECT_EQ(rows.size(), 1000u);
  EXPECT_EQ(values_held(rows).size(), 1u) << "the later insert skipped every key";
}

TEST_F(KeyCollisions, UnderUpdateBothSucceedAndEachKeyHoldsOneWritersValue) {
  auto reports = race(lake::ConflictStrategy::update);
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[0].writes + reports[1].writes, 2);
  auto rows = rows_by_key();
  EXPECT_EQ(rows.size(), 1000u);
  for (const auto& [key, value] : rows) EXPECT_TRUE(value == 10 || value == 11) << key;
}

#ifdef LAKE_SOURCE_DIR
// Writers killed with SIGKILL at random points while others write: every
// acknowledged insert is in the table exactly once, the killed writer's
// unacknowledged one wholly or not at all, and delta-rs reads the same rows.
TEST_F(ClientConcurrency, WritersKilledAtRandomLoseNothingAcknowledged) {
  constexpr int kKilled = 3, kOthers = 3, kInserts = 40;
  // Each writer acknowledges an insert by writing its batch number to a
  // pipe once insert() has returned.
  int acks[2];
  ASSERT_EQ(::pipe(acks), 0);
  // The writers to kill write until they are killed; the others make
  // kInserts inserts meanwhile.
  auto body = [&](lake::Client& db, int w, Report& report, const Note& note) {
    ::close(acks[0]);
    for (int b = 0; b < (w < kKilled ? 999 : kInserts); ++b) {
      auto orders = batch_of(w, b, kRows, b);
      auto written = db.insert(orders);
      if (!written) return note(written.error());
      ++report.writes;
      const std::int32_t ack = w * 1000 + b;
      (void)!::write(acks[1], &ack, sizeof ack);
    }
  };
  auto children = spawn(kKilled + kOthers, body);
  ::close(acks[1]);
  std::mt19937 random{std::random_device{}()};
  for (int k = 0; k < kKilled; ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution(100, 700)(random)));
    ::kill(children[static_cast<std::size_t>(k)], SIGKILL);
  }
  (void)collect(std::vector<pid_t>(children.begin() + kKilled, children.end()));
  for (int k = 0; k < kKilled; ++k) {
    int status = 0;
    ::waitpid(children[static_cast<std::size_t>(k)], &status, 0);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "writer " << k << " ended before it was killed";
  }
  std::set<int> acknowledged;
  std::int32_t ack = 0;
  while (::read(acks[0], &ack, sizeof ack) == sizeof ack) acknowledged.insert(ack);
  ::close(acks[0]);

  auto rows = rows_by_key();  // (a key twice fails there)
  std::map<int, std::set<int>> batches_found;
  for (const auto& [key, value] : rows) {
    int w = 0, b = 0, r = 0;
    ASSERT_EQ(std::sscanf(key.c_str(), "w%d-b%d-r%d", &w, &b, &r), 3) << key;
    batches_found[w * 1000 + b].insert(r);
  }
  std::map<int, int> last_acknowledged;  // writer -> its last acknowledged batch
  for (int batch : acknowledged) last_acknowledged[batch / 1000] = std::max(last_acknowledged[batch / 1000], batch % 1000);
  for (int batch : acknowledged)
    EXPECT_EQ(batches_found[batch].size(), static_cast<std::size_t>(kRows)) << "acknowledged batch " << batch;
  for (const auto& [batch, found] : batches_found) {
    EXPECT_EQ(found.size(), static_cast<std::size_t>(kRows)) << "batch " << batch << " landed in part";
    if (acknowledged.contains(batch)) continue;
    // Only the insert a killed writer was in the middle of may have landed
    // without its acknowledgement.
    const int writer = batch / 1000;
    EXPECT_LT(writer, kKilled) << "batch " << batch;
    const int next = last_acknowledged.contains(writer) ? last_acknowledged.at(writer) + 1 : 0;
    EXPECT_EQ(batch % 1000, next) << "batch " << batch;
  }
  for (int w = kKilled; w < kKilled + kOthers; ++w)
    for (int b = 0; b < kInserts; ++b) EXPECT_TRUE(acknowledged.contains(w * 1000 + b));

  if (on_iceberg()) {
    // What the killed writers left (data files of commits that never
    // happened) is reclaimed by vacuum; pyiceberg and DuckDB read the rows.
    auto db = open_client();
    ASSERT_TRUE(db) << db.error().to_string();
    auto vacuumed = db->maintain().vacuum(
        "orders", {.retention = std::chrono::milliseconds(0), .allow_short_retention = true});
    ASSERT_TRUE(vacuumed) << vacuumed.error().to_string();
    auto stats = db->maintain().stats("orders");
    ASSERT_TRUE(stats) << stats.error().to_string();
    // The table's data objects (a writer killed inside a file's write
    // leaves the file backend's hidden temporary file, which is not an
    // object and which list() does not show).
    auto objects = db->backend().list("orders/data/");
    ASSERT_TRUE(objects) << objects.error().to_string();
    EXPECT_EQ(static_cast<std::int64_t>(objects->size()), stats->files) << "data files no snapshot references are left";
    EXPECT_EQ(stats->rows, static_cast<std::int64_t>(rows.size()));
    auto all = db->query("SELECT id, writer, value FROM orders");
    ASSERT_TRUE(all) << all.error().to_string();
    auto table = (*all)->ToTable();
    ASSERT_TRUE(table.ok()) << table.status().ToString();
    const auto expected = dir_.path / "expected.arrow";
    lake::testing::write_ipc(*table, expected);
    const auto metadata = lake::testing::current_metadata_file(dir_.path, "orders");
    EXPECT_EQ(lake::testing::run_peer_script("tests/iceberg/peers", "read_client_table.py",
                                             {metadata.string(), expected.string(), "id"}),
              0);
    return;
  }
  // delta-rs reads the same rows.
  auto backend = lake::file_backend(dir_.path);
  ASSERT_TRUE(backend);
  auto table = lake::delta::Table::open(std::shared_ptr<lake::Backend>(std::move(*backend)), "orders");
  ASSERT_TRUE(table) << table.error().to_string();
  auto reader = table->scan();
  ASSERT_TRUE(reader) << reader.error().to_string();
  auto all = (*reader)->ToTable();
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ((*all)->num_rows(), static_cast<std::int64_t>(rows.size()));
  const auto expected = dir_.path / "expected.arrow";
  lake::delta::testing::write_ipc(*all, expected);
  EXPECT_EQ(lake::delta::testing::run_peer("table_interop.py",
                                           {"check", (dir_.path / "orders").string(), expected.string(), "deltalake"}),
            0);
}
#endif

}  // namespace

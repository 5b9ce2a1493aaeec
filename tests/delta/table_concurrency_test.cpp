// Several processes writing one table at once, and writers killed at
// arbitrary points: nothing is lost, nothing duplicated, and every reader
// still opens a consistent version. Built twice: on the file backend, and
// once for the object stores, run on S3 (MinIO) and on GCS
// (fake-gcs-server), where the commit's atomicity rests on the store's
// exclusive create (If-None-Match, ifGenerationMatch=0) instead of the
// file system's link().
#include <arrow/compute/api.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include "table_support.hpp"
#include "support/remote_store.hpp"

namespace {

using namespace lake;
using namespace lake::delta;
using namespace lake::delta::testing;
namespace cp = arrow::compute;

class DeltaConcurrency : public ::testing::Test {
 protected:
#ifdef LAKE_TEST_ON_OBJECT_STORE
  // One prefix per test; every process opens its own backend on it. The
  // store is the run's (S3 or GCS); without one the test stops here.
  void SetUp() override {
    ASSERT_TRUE(lake::testing::object_store());
    uri_ = lake::testing::fresh_object_store_uri();
  }

  std::shared_ptr<Backend> backend() {
    auto b = lake::testing::open_object_store(uri_);
    EXPECT_TRUE(b) << b.error().to_string();
    return std::shared_ptr<Backend>(std::move(*b));
  }

  std::string uri_;
#else
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    dir_ = std::filesystem::temp_directory_path() / std::format("lake-concurrency-{}-{}", ::getpid(), name);
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::shared_ptr<Backend> backend() {
    auto b = file_backend(dir_);
    EXPECT_TRUE(b) << b.error().to_string();
    return std::shared_ptr<Backend>(std::move(*b));
  }

  std::filesystem::path dir_;
#endif
};

// Runs `body` in a child process; returns the child's pid. The child exits
// 0 when body returns true.
template <class F>
pid_t spawn(F body) {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(body() ? 0 : 1);
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST_F(DeltaConcurrency, ProcessesAppendingAtOnceLoseAndDuplicateNothing) {
  ASSERT_TRUE(Table::create(backend(), "t", schema_of<Event>(), {}, {.checkpoint_interval = 5}));
  constexpr int kWriters = 4, kBatches = 8, kRows = 50;
  std::vector<pid_t> children;
  for (int w = 0; w < kWriters; ++w) {
    children.push_back(spawn([&, w] {
      auto table = Table::open(backend(), "t", {.max_commit_attempts = 100});
      if (!table) return false;
      for (int b = 0; b < kBatches; ++b) {
        auto r = table->append(batch_of(make_events((w * kBatches + b) * kRows, kRows)));
        if (!r || !r->committed) return false;
      }
      return true;
    }));
  }
  for (pid_t pid : children) EXPECT_EQ(wait_exit(pid), 0);
  auto table = Table::open(backend(), "t");
  ASSERT_TRUE(table) << table.error().to_string();
  EXPECT_EQ(table->version(), kWriters * kBatches);
  EXPECT_EQ(read_all<Event>(*table), make_events(0, kWriters * kBatches * kRows));
}

TEST_F(DeltaConcurrency, ConcurrentDeletesOfTheSameRowsConflictInsteadOfLosingUpdates) {
  {
    auto table = Table::create(backend(), "t", schema_of<Event>());
    ASSERT_TRUE(table);
    ASSERT_TRUE(table->append(batch_of(make_events(0, 300))));
  }
  // Each writer deletes some of the same NL rows and rewrites the NL file:
  // whoever loses the race must see a conflict, never silently resurrect
  // rows the winner deleted.
  constexpr int kWriters = 4;
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  std::vector<pid_t> children;
  for (int w = 0; w < kWriters; ++w) {
    children.push_back(spawn([&, w] {
      auto table = Table::open(backend(), "t");
      if (!table) return false;
      auto r = table->delete_where(cp::and_(cp::equal(cp::field_ref("country"), cp::literal("NL")),
                                            cp::equal(cp::field_ref("amount"), cp::literal(w * 3))));
      char outcome = r ? 'c' : (r.error().code() == ErrorCode::conflict ? 'x' : 'e');
      if (outcome == 'e') std::fprintf(stderr, "writer %d: %s\n", w, r.error().to_string().c_str());
      return ::write(pipe_fds[1], &outcome, 1) == 1;
    }));
  }
  ::close(pipe_fds[1]);
  for (pid_t pid : children) EXPECT_EQ(wait_exit(pid), 0);
  std::string outcomes(kWriters, '?');
  ASSERT_EQ(::read(pipe_fds[0], outcomes.data(), kWriters), kWriters);
  ::close(pipe_fds[0]);
  EXPECT_EQ(outcomes.find('e'), std::string::npos) << outcomes;
  EXPECT_NE(outcomes.find('c'), std::string::npos) << outcomes;

  // Whatever committed is fully applied, whatever conflicted not at all.
  auto table = Table::open(backend(), "t");
  ASSERT_TRUE(table);
  auto rows = read_all<Event>(*table);
  std::set<std::int32_t> deleted_amounts;
  for (const auto& e : make_events(0, 300))
    if (e.country == "NL" && std::ranges::find(rows, e.id, &Event::id) == rows.end()) deleted_amounts.insert(e.amount);
  const auto commits = std::ranges::count(outcomes, 'c');
  EXPECT_EQ(static_cast<std::int64_t>(deleted_amounts.size()), commits);
  EXPECT_EQ(table->version(), 1 + commits);
}

TEST_F(DeltaConcurrency, WritersKilledAtAnyPointLeaveAConsistentTable) {
  {
    auto table = Table::create(backend(), "t", schema_of<Event>(), {}, {.checkpoint_interval = 3});
    ASSERT_TRUE(table);
  }
  std::mt19937 random(20261121);
  for (int round = 0; round < 12; ++round) {
    pid_t child = spawn([&, round] {
      auto table = Table::open(backend(), "t", {.target_file_bytes = 4096, .checkpoint_interval = 3});
      if (!table) return false;
      for (int i = 0;; ++i) {
        const std::int64_t first = (round * 1000 + i) * 20;
        (void)table->append(batch_of(make_events(first, 20)));
        if (i % 3 == 2) (void)table->delete_where(cp::equal(cp::field_ref("amount"), cp::literal(i % 100)));
        if (i % 5 == 4) (void)table->optimize();
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(5, 400)(random)));
    ::kill(child, SIGKILL);
    EXPECT_EQ(wait_exit(child), 128 + SIGKILL);

    // Every reader opens the latest version, and every file it references
    // is there and holds the rows the log says.
    auto table = Table::open(backend(), "t");
    ASSERT_TRUE(table) << "round " << round << ": " << table.error().to_string();
    auto rows = read_all<Event>(*table);
    EXPECT_EQ(static_cast<std::int64_t>(rows.size()), table->snapshot().num_records()) << "round " << round;
    std::set<std::int64_t> ids;
    for (const auto& e : rows) EXPECT_TRUE(ids.insert(e.id).second) << "duplicate row " << e.id;
    for (const auto& [file, add] : table->snapshot().files()) {
      auto key = table->key_of(add);
      ASSERT_TRUE(key);
      EXPECT_TRUE(table->backend().head(*key)) << "round " << round << ": missing " << *key;
    }
  }
}

}  // namespace

// The file and memory backends: the storage contract (StorageTest) on
// each, and what only a real directory has (FileBackendTest): other
// processes, the on-disk temp files, the root directory.
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <barrier>
#include <cerrno>
#include <filesystem>
#include <format>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "lake/storage/backend.hpp"
#include "storage_contract.hpp"

namespace lake::storage_testing {

ContractBackend make_contract_backend(const std::string& kind) {
  if (kind == "memory") return {.backend = lake::memory_backend()};
  ContractBackend made{.dir = fresh_temp_dir()};
  auto backend = lake::file_backend(made.dir);
  if (!backend) {
    ADD_FAILURE() << backend.error().to_string();
    return made;
  }
  made.backend = std::move(*backend);
  return made;
}

namespace {

INSTANTIATE_TEST_SUITE_P(Backends, StorageTest, ::testing::Values("file", "memory"),
                         [](const auto& param_info) { return param_info.param; });

class FileBackendTest : public ::testing::Test {
 protected:
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path dir_ = fresh_temp_dir();
};

TEST_F(FileBackendTest, CreatesRootAndReportsCanonicalUri) {
  const fs::path root = dir_ / "nested" / "lake";
  auto backend = lake::file_backend(dir_ / "nested" / "." / "lake");
  ASSERT_TRUE(backend) << backend.error().to_string();
  EXPECT_TRUE(fs::is_directory(root));
  EXPECT_EQ((*backend)->root_uri(), "file://" + fs::canonical(root).string());
  ASSERT_TRUE((*backend)->put_text("x/y", "z", PutMode::create));
  EXPECT_TRUE(fs::is_regular_file(root / "x" / "y"));
}

TEST_F(FileBackendTest, RootThatCannotBeCreatedIsAnIoError) {
  { std::ofstream(dir_ / "file") << "x"; }
  auto backend = lake::file_backend(dir_ / "file" / "sub");
  ASSERT_FALSE(backend);
  EXPECT_EQ(backend.error().code(), ErrorCode::io);
  EXPECT_NE(backend.error().message().find((dir_ / "file" / "sub").string()), std::string::npos)
      << backend.error().message();
}

TEST_F(FileBackendTest, TempFileNamesAreReservedAndHidden) {
  auto backend = lake::file_backend(dir_);
  ASSERT_TRUE(backend);
  EXPECT_EQ((*backend)->put_text("a/.b.tmp-1", "x", PutMode::create).error().code(), ErrorCode::invalid_argument);
  // A crashed writer's leftover temp file is not an object.
  fs::create_directories(dir_ / "a");
  { std::ofstream(dir_ / "a" / ".b.tmp-123") << "partial"; }
  auto objects = (*backend)->list("");
  ASSERT_TRUE(objects);
  EXPECT_TRUE(objects->empty());
}

TEST_F(FileBackendTest, RemovingTheLastObjectLeavesNoEmptyDirectories) {
  auto backend = lake::file_backend(dir_);
  ASSERT_TRUE(backend);
  ASSERT_TRUE((*backend)->put_text("_staging/id1/part-0.parquet", "x", PutMode::create));
  ASSERT_TRUE((*backend)->put_text("_staging/id1/part-1.parquet", "x", PutMode::create));
  ASSERT_TRUE((*backend)->put_text("_staging/id2/part-0.parquet", "x", PutMode::create));
  ASSERT_TRUE((*backend)->remove("_staging/id1/part-0.parquet"));
  EXPECT_TRUE(fs::is_directory(dir_ / "_staging" / "id1"));  // part-1 is still there
  ASSERT_EQ((*backend)->remove_prefix("_staging/id1/").value_or(0), 1u);
  EXPECT_FALSE(fs::exists(dir_ / "_staging" / "id1"));
  EXPECT_TRUE(fs::is_directory(dir_ / "_staging" / "id2"));
  ASSERT_TRUE((*backend)->remove("_staging/id2/part-0.parquet"));
  EXPECT_FALSE(fs::exists(dir_ / "_staging"));
  EXPECT_TRUE(fs::is_directory(dir_));  // the root stays
  // Writing into a pruned directory makes it again.
  ASSERT_TRUE((*backend)->put_text("_staging/id1/part-2.parquet", "y", PutMode::create));
  EXPECT_EQ((*backend)->get_text("_staging/id1/part-2.parquet").value_or(""), "y");
}

// Staged writes starting and ending at once under one parent: each put
// makes _staging/<id>/ while other writers' removes prune _staging/ the
// moment it is empty. A put must never fail because a parent it made or
// found was pruned under it (seen as "create directory for ..." failures of
// concurrent keyed inserts).
TEST_F(FileBackendTest, PutsSurviveConcurrentPruningOfTheirParents) {
  auto backend = lake::file_backend(dir_);
  ASSERT_TRUE(backend);
  constexpr int kThreads = 8, kRounds = 300;
  std::atomic<int> failures = 0;
  std::vector<std::jthread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        const std::string key = std::format("_staging/{}-{}/part-0.parquet", t, i);
        if (auto put = (*backend)->put_text(key, "x", PutMode::create); !put) {
          if (failures++ == 0) ADD_FAILURE() << put.error().to_string();
          continue;
        }
        if (!(*backend)->remove(key)) ++failures;
      }
    });
  threads.clear();
  EXPECT_EQ(failures, 0);
  EXPECT_FALSE(fs::exists(dir_ / "_staging"));
}

// Put-if-absent across processes: 4 children race for the same 100 keys.
// Each key must end up written exactly once, whole, by one child, and the
// wins the children report must account for every key.
TEST_F(FileBackendTest, ProcessesRaceToCreate) {
  constexpr int kChildren = 4;
  constexpr int kKeys = 100;
  auto key = [](int n) { return std::format("race/{:020}.json", n); };
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  std::map<pid_t, int> result_fd;  // child -> read end of its result pipe
  for (int c = 0; c < kChildren; ++c) {
    int result[2];
    ASSERT_EQ(::pipe(result), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(go[1]);
      ::close(result[0]);
      char byte;
      while (::read(go[0], &byte, 1) < 0 && errno == EINTR) {
      }  // EOF: the parent let everyone go at once
      auto backend = lake::file_backend(dir_);
      if (!backend) ::_exit(2);
      const std::string me = std::to_string(::getpid());
      int wins = 0;
      for (int n = 0; n < kKeys; ++n) {
        auto ok = (*backend)->put_text(key(n), me, PutMode::create);
        if (ok)
          ++wins;
        else if (ok.error().code() != ErrorCode::already_exists)
          ::_exit(3);
      }
      if (::write(result[1], &wins, sizeof wins) != sizeof wins) ::_exit(4);
      ::_exit(0);
    }
    ::close(result[1]);
    result_fd[pid] = result[0];
  }
  ::close(go[0]);
  ::close(go[1]);

  std::map<std::string, int> reported;  // pid text -> wins
  int total = 0;
  for (auto [pid, fd] : result_fd) {
    int wins = -1;
    EXPECT_EQ(::read(fd, &wins, sizeof wins), static_cast<ssize_t>(sizeof wins)) << "child " << pid;
    ::close(fd);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child " << pid << " status " << status;
    reported[std::to_string(pid)] = wins;
    total += wins;
  }
  EXPECT_EQ(total, kKeys);

  auto backend = lake::file_backend(dir_);
  ASSERT_TRUE(backend);
  std::vector<std::string> expected_keys;
  for (int n = 0; n < kKeys; ++n) expected_keys.push_back(key(n));
  auto objects = (*backend)->list("race/");
  ASSERT_TRUE(objects);
  EXPECT_EQ(keys_of(*objects), expected_keys);
  std::map<std::string, int> observed;  // pid text -> keys holding it
  for (int n = 0; n < kKeys; ++n) {
    auto content = (*backend)->get_text(key(n));
    ASSERT_TRUE(content) << key(n);
    EXPECT_TRUE(reported.contains(*content)) << key(n) << " holds '" << *content << "'";
    ++observed[*content];
  }
  for (const auto& [pid, wins] : reported) EXPECT_EQ(observed[pid], wins) << "child " << pid;
  EXPECT_EQ(files_on_disk(dir_).size(), static_cast<std::size_t>(kKeys)) << "temp files left behind";
}

}  // namespace
}  // namespace lake::storage_testing

// The storage contract, checked against every backend: each StorageTest
// runs once on a file backend (fresh temp directory) and once on a memory
// backend. FileBackend* tests cover what only a real directory has: other
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

namespace {

namespace fs = std::filesystem;
using lake::Backend;
using lake::ErrorCode;
using lake::PutMode;

std::vector<std::byte> bytes_of(std::string_view text) {
  auto span = std::as_bytes(std::span(text.data(), text.size()));
  return {span.begin(), span.end()};
}

std::vector<std::string> keys_of(const std::vector<lake::ObjectInfo>& objects) {
  std::vector<std::string> keys;
  for (const auto& object : objects) keys.push_back(object.key);
  return keys;
}

fs::path fresh_temp_dir() {
  static std::atomic<int> counter{0};
  std::random_device device;
  fs::path dir = fs::temp_directory_path() /
                 std::format("lake-storage-test-{}-{}-{:08x}", ::getpid(), counter.fetch_add(1), device());
  fs::create_directories(dir);
  return dir;
}

// Every regular file under dir, whatever its name (temp files included).
std::vector<std::string> files_on_disk(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.is_regular_file()) out.push_back(fs::relative(entry.path(), dir).string());
  return out;
}

class StorageTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "file") {
      dir_ = fresh_temp_dir();
      auto backend = lake::file_backend(dir_);
      ASSERT_TRUE(backend) << backend.error().to_string();
      backend_ = std::move(*backend);
    } else {
      backend_ = lake::memory_backend();
    }
  }
  void TearDown() override {
    backend_.reset();
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  Backend& backend() { return *backend_; }
  bool is_file() const { return !dir_.empty(); }

  void put(std::string_view key, std::string_view text) {
    auto ok = backend_->put_text(key, text, PutMode::overwrite);
    ASSERT_TRUE(ok) << ok.error().to_string();
  }
  std::vector<std::string> list(std::string_view prefix, std::string_view start_after = {}) {
    auto objects = backend_->list(prefix, start_after);
    EXPECT_TRUE(objects) << objects.error().to_string();
    return objects ? keys_of(*objects) : std::vector<std::string>{};
  }

  fs::path dir_;
  std::unique_ptr<Backend> backend_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StorageTest, ::testing::Values("file", "memory"),
                         [](const auto& param_info) { return param_info.param; });

TEST_P(StorageTest, PutGetRoundTripsBinaryData) {
  std::vector<std::byte> data;
  for (int round = 0; round < 3; ++round)
    for (int b = 0; b < 256; ++b) data.push_back(static_cast<std::byte>(b));  // includes zero bytes
  ASSERT_TRUE(backend().put("bin/data.bin", data, PutMode::overwrite));
  auto got = backend().get("bin/data.bin");
  ASSERT_TRUE(got) << got.error().to_string();
  EXPECT_EQ(*got, data);

  ASSERT_TRUE(backend().put("bin/empty", {}, PutMode::create));
  auto empty = backend().get("bin/empty");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());

  const std::string text("a\0b\0", 4);
  put("text", text);
  EXPECT_EQ(backend().get_text("text").value_or(""), text);
}

TEST_P(StorageTest, OverwriteReplaces) {
  put("k", "a much longer first version");
  put("k", "short");
  EXPECT_EQ(backend().get_text("k").value_or(""), "short");
  EXPECT_EQ(backend().head("k").value().size, 5);
}

TEST_P(StorageTest, CreateOnExistingKeyFailsAndKeepsOriginal) {
  ASSERT_TRUE(backend().put_text("log/0.json", "first", PutMode::create));
  auto second = backend().put_text("log/0.json", "second", PutMode::create);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), ErrorCode::already_exists);
  EXPECT_NE(second.error().message().find("log/0.json"), std::string::npos) << second.error().message();
  EXPECT_EQ(backend().get_text("log/0.json").value_or(""), "first");
  EXPECT_EQ(list(""), std::vector<std::string>{"log/0.json"});
}

TEST_P(StorageTest, MissingKeyIsNotFound) {
  EXPECT_EQ(backend().get("missing").error().code(), ErrorCode::not_found);
  EXPECT_EQ(backend().get_range("missing", 0, 1).error().code(), ErrorCode::not_found);
  EXPECT_EQ(backend().head("no/such/key").error().code(), ErrorCode::not_found);
  // A "directory" (a prefix of other keys) is not an object.
  put("dir/x", "x");
  EXPECT_EQ(backend().get("dir").error().code(), ErrorCode::not_found);
  EXPECT_EQ(backend().head("dir").error().code(), ErrorCode::not_found);
  EXPECT_EQ(backend().get("dir/x/y").error().code(), ErrorCode::not_found);
}

TEST_P(StorageTest, GetRange) {
  put("r", "0123456789");
  auto range = [&](std::int64_t offset, std::int64_t length) {
    auto got = backend().get_range("r", offset, length);
    EXPECT_TRUE(got) << got.error().to_string();
    return got ? std::string(reinterpret_cast<const char*>(got->data()), got->size()) : "<error>";
  };
  EXPECT_EQ(range(3, 4), "3456");
  EXPECT_EQ(range(0, 10), "0123456789");
  EXPECT_EQ(range(8, 10), "89");  // past the end: fewer bytes
  EXPECT_EQ(range(10, 5), "");    // at the end
  EXPECT_EQ(range(25, 5), "");    // beyond the size
  EXPECT_EQ(range(4, 0), "");
  EXPECT_EQ(backend().get_range("r", -1, 2).error().code(), ErrorCode::invalid_argument);
}

TEST_P(StorageTest, HeadReportsSizeAndTime) {
  const auto before = lake::now() - std::chrono::minutes{1};
  put("h/obj", "12345678");
  auto info = backend().head("h/obj");
  ASSERT_TRUE(info) << info.error().to_string();
  EXPECT_EQ(info->key, "h/obj");
  EXPECT_EQ(info->size, 8);
  EXPECT_GT(info->modified, before);
  EXPECT_LT(info->modified, lake::now() + std::chrono::minutes{1});
}

TEST_P(StorageTest, ListIsRecursiveAndSortedInByteOrder) {
  // Put in an order unlike the expected one; directory walks are unordered.
  for (auto key : {"t/_delta_log/00000000000000000010.json", "ab", "a/c/d", "t/_delta_log/_last_checkpoint", "b",
                   "t/_delta_log/00000000000000000009.json", "a/b", "a-z"})
    put(key, key);
  // '-' (0x2d) < '/' (0x2f) < '0' < '_' (0x5f) < 'b': byte order, not path order.
  const std::vector<std::string> all{"a-z",
                                     "a/b",
                                     "a/c/d",
                                     "ab",
                                     "b",
                                     "t/_delta_log/00000000000000000009.json",
                                     "t/_delta_log/00000000000000000010.json",
                                     "t/_delta_log/_last_checkpoint"};
  EXPECT_EQ(list(""), all);
  EXPECT_EQ(list("a/"), (std::vector<std::string>{"a/b", "a/c/d"}));
  EXPECT_EQ(list("a"), (std::vector<std::string>{"a-z", "a/b", "a/c/d", "ab"}));
  EXPECT_EQ(list("t/_delta_log/"), (std::vector<std::string>(all.begin() + 5, all.end())));

  auto objects = backend().list("t/");
  ASSERT_TRUE(objects);
  for (const auto& object : *objects) EXPECT_EQ(object.size, static_cast<std::int64_t>(object.key.size()));
}

TEST_P(StorageTest, ListWithPartialNamePrefix) {
  for (auto key : {"t/_delta_log/00000000000000000009.json", "t/_delta_log/00000000000000000010.json",
                   "t/_delta_log/00000000000000000010.checkpoint.parquet", "t/_delta_log/_commits/x.json", "a/c/d"})
    put(key, "x");
  EXPECT_EQ(list("t/_delta_log/0000000000000000001"),
            (std::vector<std::string>{"t/_delta_log/00000000000000000010.checkpoint.parquet",
                                      "t/_delta_log/00000000000000000010.json"}));
  EXPECT_EQ(list("t/_delta_log/00000000000000000009"),
            std::vector<std::string>{"t/_delta_log/00000000000000000009.json"});
  EXPECT_EQ(list("t/_delta_log/_c"), std::vector<std::string>{"t/_delta_log/_commits/x.json"});
  EXPECT_EQ(list("a/c"), std::vector<std::string>{"a/c/d"});
  EXPECT_EQ(list("t/_d"), list("t/"));
}

TEST_P(StorageTest, ListStartsAfterAKey) {
  for (auto key : {"t/_delta_log/00000000000000000009.json", "t/_delta_log/00000000000000000010.json",
                   "t/_delta_log/00000000000000000010.checkpoint.parquet", "t/_delta_log/00000000000000000011.json",
                   "t/_delta_log/_last_checkpoint", "t/a/x.parquet", "t/z/y.parquet", "u"})
    put(key, "x");
  // A checkpoint's version: its own entries and every later one.
  EXPECT_EQ(list("t/_delta_log/", "t/_delta_log/00000000000000000010"),
            (std::vector<std::string>{"t/_delta_log/00000000000000000010.checkpoint.parquet",
                                      "t/_delta_log/00000000000000000010.json",
                                      "t/_delta_log/00000000000000000011.json", "t/_delta_log/_last_checkpoint"}));
  // Strictly after: the key itself is not listed.
  EXPECT_EQ(list("t/_delta_log/", "t/_delta_log/00000000000000000011.json"),
            std::vector<std::string>{"t/_delta_log/_last_checkpoint"});
  // Across directories, whole subtrees before the key are skipped.
  EXPECT_EQ(list("t/", "t/_delta_log/_last_checkpoint"), (std::vector<std::string>{"t/a/x.parquet", "t/z/y.parquet"}));
  EXPECT_EQ(list("t/", "t/a/x.parquet"), std::vector<std::string>{"t/z/y.parquet"});
  EXPECT_EQ(list("", "t/a"), (std::vector<std::string>{"t/a/x.parquet", "t/z/y.parquet", "u"}));
  // A key before the prefix lists the whole prefix; one after it, nothing.
  EXPECT_EQ(list("t/z/", "a"), std::vector<std::string>{"t/z/y.parquet"});
  EXPECT_TRUE(list("t/a/", "t/b").empty());
}

TEST_P(StorageTest, ListOfMissingPrefixIsEmpty) {
  put("a/b", "x");
  EXPECT_TRUE(list("nope/").empty());
  EXPECT_TRUE(list("nope").empty());
  EXPECT_TRUE(list("a/zzz/").empty());
  EXPECT_TRUE(list("a/b/").empty());  // an object, not a directory
  EXPECT_EQ(backend().list("../").error().code(), ErrorCode::invalid_argument);
}

TEST_P(StorageTest, RemoveIsIdempotent) {
  put("d/x", "x");
  ASSERT_TRUE(backend().remove("d/x"));
  EXPECT_EQ(backend().get("d/x").error().code(), ErrorCode::not_found);
  EXPECT_TRUE(backend().remove("d/x"));
  EXPECT_TRUE(backend().remove("never/was/here"));
  EXPECT_TRUE(list("").empty());
}

TEST_P(StorageTest, RemovePrefixCountsRemovedObjects) {
  for (auto key : {"s/1/a", "s/1/b", "s/1/c/d", "s/2/a", "s/2/b", "s1"}) put(key, "x");
  EXPECT_EQ(backend().remove_prefix("s/1/").value_or(99), 3u);
  EXPECT_EQ(list("s/"), (std::vector<std::string>{"s/2/a", "s/2/b"}));
  EXPECT_EQ(backend().remove_prefix("s/").value_or(99), 2u);
  EXPECT_EQ(backend().remove_prefix("s/").value_or(99), 0u);
  EXPECT_EQ(list(""), std::vector<std::string>{"s1"});
}

TEST_P(StorageTest, StagingPrefixAndUris) {
  const auto id = lake::IngestId::generate();
  EXPECT_EQ(Backend::staging_prefix(id), "_staging/" + id.to_string() + "/");
  const std::string root = backend().root_uri();
  EXPECT_TRUE(root.starts_with(GetParam() + "://")) << root;
  EXPECT_EQ(backend().name(), GetParam());
  EXPECT_EQ(backend().uri_of("a/b.parquet"), root + "/a/b.parquet");
  EXPECT_EQ(backend().uri_of(""), root);
}

TEST_P(StorageTest, WriterPublishesOnlyOnClose) {
  auto writer = backend().open_writer("w/obj", PutMode::create);
  ASSERT_TRUE(writer) << writer.error().to_string();
  ASSERT_TRUE((*writer)->write(bytes_of("hello, ")));
  ASSERT_TRUE((*writer)->write(bytes_of("world")));
  EXPECT_EQ((*writer)->bytes_written(), 12);
  EXPECT_EQ(backend().get("w/obj").error().code(), ErrorCode::not_found);
  EXPECT_TRUE(list("").empty());

  auto closed = (*writer)->close();
  ASSERT_TRUE(closed) << closed.error().to_string();
  EXPECT_EQ(backend().get_text("w/obj").value_or(""), "hello, world");
  EXPECT_EQ(list(""), std::vector<std::string>{"w/obj"});
  EXPECT_TRUE((*writer)->close());  // idempotent once it has succeeded
  EXPECT_FALSE((*writer)->write(bytes_of("more")));
  EXPECT_EQ((*writer)->bytes_written(), 12);
  if (is_file()) {
    EXPECT_EQ(files_on_disk(dir_), std::vector<std::string>{"w/obj"});
  }
}

TEST_P(StorageTest, WriterDestroyedWithoutCloseDiscards) {
  {
    auto writer = backend().open_writer("w/obj", PutMode::overwrite);
    ASSERT_TRUE(writer);
    ASSERT_TRUE((*writer)->write(bytes_of("partial")));
  }
  EXPECT_EQ(backend().get("w/obj").error().code(), ErrorCode::not_found);
  EXPECT_TRUE(list("").empty());
  if (is_file()) {
    EXPECT_TRUE(files_on_disk(dir_).empty()) << "temp file left behind";
  }
}

TEST_P(StorageTest, WriterOverwriteReplaces) {
  put("w/obj", "old");
  auto writer = backend().open_writer("w/obj", PutMode::overwrite);
  ASSERT_TRUE(writer);
  ASSERT_TRUE((*writer)->write(bytes_of("new")));
  EXPECT_EQ(backend().get_text("w/obj").value_or(""), "old");
  ASSERT_TRUE((*writer)->close());
  EXPECT_EQ(backend().get_text("w/obj").value_or(""), "new");
}

TEST_P(StorageTest, CreateModeWriterOnExistingKeyFailsAtClose) {
  put("w/obj", "original");
  auto writer = backend().open_writer("w/obj", PutMode::create);
  ASSERT_TRUE(writer);
  ASSERT_TRUE((*writer)->write(bytes_of("usurper")));
  auto closed = (*writer)->close();
  ASSERT_FALSE(closed);
  EXPECT_EQ(closed.error().code(), ErrorCode::already_exists);
  EXPECT_EQ(backend().get_text("w/obj").value_or(""), "original");
  EXPECT_FALSE((*writer)->close());  // a failed close stays failed
  writer->reset();
  EXPECT_EQ(list(""), std::vector<std::string>{"w/obj"});
  if (is_file()) {
    EXPECT_EQ(files_on_disk(dir_), std::vector<std::string>{"w/obj"});
  }
}

TEST_P(StorageTest, RejectsInvalidKeys) {
  const std::vector<std::string> bad{"../x", "/abs", "a//b", "", "a/./b", "a/..", "..", ".", "a/", "a\\b",
                                     std::string("a\0b", 3)};
  for (const auto& key : bad) {
    auto ok = backend().put_text(key, "x", PutMode::overwrite);
    ASSERT_FALSE(ok) << "accepted '" << key << "'";
    EXPECT_EQ(ok.error().code(), ErrorCode::invalid_argument) << key;
    if (key == "../x" || key == "a//b") {
      EXPECT_NE(ok.error().message().find(key), std::string::npos);
    }
    EXPECT_FALSE(lake::check_key(key)) << key;
  }
  EXPECT_EQ(backend().get("../x").error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(backend().head("/abs").error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(backend().remove("a//b").error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(backend().open_writer("a/../b", PutMode::create).error().code(), ErrorCode::invalid_argument);
  EXPECT_TRUE(lake::check_key("t/_delta_log/00000000000000000000.json"));
  EXPECT_TRUE(lake::check_key("a..b/.hidden"));  // only whole "." / ".." segments are special
  EXPECT_TRUE(list("").empty());
  if (is_file()) {
    // Nothing escaped the root (a name unique to this run, /tmp is shared).
    const std::string sibling = dir_.filename().string() + "-escaped";
    EXPECT_FALSE(backend().put_text("../" + sibling, "x", PutMode::create));
    EXPECT_FALSE(fs::exists(dir_.parent_path() / sibling));
  }
}

// Put-if-absent under contention: in each round 8 threads race for one key
// and exactly one may win.
TEST_P(StorageTest, ConcurrentCreateHasExactlyOneWinner) {
  constexpr int kThreads = 8;
  constexpr int kRounds = 200;
  std::vector<std::array<int, kThreads>> won(kRounds);
  std::atomic<int> unexpected_errors{0};
  std::barrier start(kThreads);
  // A reader polls the contested key: it may find nothing, or one writer's
  // whole content, never a partial object.
  std::atomic<int> current_round{0};
  std::atomic<bool> done{false};
  std::atomic<int> partial_reads{0};
  std::jthread reader([&] {
    while (!done.load()) {
      auto got = backend().get_text(std::format("race/{:05}", current_round.load()));
      if (got ? !(got->size() == 8 && got->starts_with("thread-")) : got.error().code() != ErrorCode::not_found)
        ++partial_reads;
      std::this_thread::yield();
    }
  });
  std::vector<std::jthread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        start.arrive_and_wait();
        if (t == 0) current_round.store(round);
        auto ok = backend().put_text(std::format("race/{:05}", round), std::format("thread-{}", t), PutMode::create);
        won[round][t] = ok ? 1 : 0;
        if (!ok && ok.error().code() != ErrorCode::already_exists) ++unexpected_errors;
      }
    });
  threads.clear();
  done.store(true);
  reader.join();
  EXPECT_EQ(unexpected_errors.load(), 0);
  EXPECT_EQ(partial_reads.load(), 0);
  for (int round = 0; round < kRounds; ++round) {
    int winners = 0, winner = -1;
    for (int t = 0; t < kThreads; ++t)
      if (won[round][t]) ++winners, winner = t;
    ASSERT_EQ(winners, 1) << "round " << round;
    EXPECT_EQ(backend().get_text(std::format("race/{:05}", round)).value_or(""), std::format("thread-{}", winner));
  }
  EXPECT_EQ(list("race/").size(), static_cast<std::size_t>(kRounds));
  if (is_file()) {
    EXPECT_EQ(files_on_disk(dir_).size(), static_cast<std::size_t>(kRounds));
  }
}

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

// The storage contract, checked against every backend: each test binary
// instantiates StorageTest for its kinds (local_backends_test.cpp: file
// and memory; s3_backend_test.cpp: S3 on MinIO).
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
namespace {

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

TEST_P(StorageTest, UrisOfKeys) {
  const std::string root = backend().root_uri();
  // The URI scheme is the backend's name, except GCS's: gs://.
  const std::string scheme = GetParam() == "gcs" ? "gs" : GetParam();
  EXPECT_TRUE(root.starts_with(scheme + "://")) << root;
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

}  // namespace
}  // namespace lake::storage_testing

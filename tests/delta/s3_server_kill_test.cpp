// The S3 server itself killed (SIGKILL) in the middle of a write, then
// started again on the same data: the write fails cleanly, and what the
// restarted server holds is the table as it was (no commit, no visible
// object from the abandoned upload). Each test runs its own MinIO (the
// run's shared one must not die), started from the binary tools/servers
// builds for the run's fixture.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <format>
#include <memory>
#include <string>
#include <thread>

#include "support/forwarding_backend.hpp"
#include "support/minio_env.hpp"
#include "support/temp_dir.hpp"
#include "table_support.hpp"

namespace {

using namespace lake;
using namespace lake::delta;
using namespace lake::delta::testing;
using namespace std::chrono_literals;

// The output of a command, trailing newline dropped; empty on failure.
std::string output_of(const std::string& command) {
  std::string out;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  if (!pipe) return out;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe.get())) out += buffer.data();
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

// A MinIO of this test's own, on a fixed port and data directory, so it can
// be killed and started again as the same server.
class OwnMinio {
 public:
  explicit OwnMinio(std::filesystem::path dir) : dir_(std::move(dir)) {
    binary_ = output_of(std::format("{}/tools/servers path minio", LAKE_SOURCE_DIR));
    port_ = std::stoi(output_of("python3 -c 'import socket; s = socket.socket(); s.bind((\"127.0.0.1\", 0)); "
                                "print(s.getsockname()[1])'"));
    std::filesystem::create_directories(dir_ / "data");
  }
  OwnMinio(const OwnMinio&) = delete;
  OwnMinio& operator=(const OwnMinio&) = delete;
  ~OwnMinio() { kill(); }

  [[nodiscard]] bool start() {
    if (binary_.empty()) return false;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setsid();
      ::setenv("MINIO_ROOT_USER", kUser, 1);
      ::setenv("MINIO_ROOT_PASSWORD", kSecret, 1);
      ::setenv("MINIO_BROWSER", "off", 1);
      ::setenv("MINIO_UPDATE", "off", 1);
      const std::string address = std::format("127.0.0.1:{}", port_);
      const std::string console = std::format("127.0.0.1:{}", port_ + 1);
      const std::string data = (dir_ / "data").string();
      std::freopen((dir_ / "server.log").c_str(), "a", stdout);
      std::freopen((dir_ / "server.log").c_str(), "a", stderr);
      ::execl(binary_.c_str(), binary_.c_str(), "server", "--quiet", "--address", address.c_str(),
              "--console-address", console.c_str(), data.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    // Ready when a bucket can be made (creating an existing one is fine).
    for (int i = 0; i < 150; ++i) {
      if (lake::testing::create_bucket(server(), "kill-test")) return true;
      std::this_thread::sleep_for(200ms);
    }
    return false;
  }

  // SIGKILL: no shutdown, no flushing; whatever the server had half done
  // stays half done on disk.
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = 0;
  }

  [[nodiscard]] lake::testing::MinioServer server() const {
    return {std::format("http://127.0.0.1:{}", port_), kUser, kSecret};
  }
  [[nodiscard]] S3Options options() const {
    S3Options options = server().options();
    // A dead server is found out quickly: few, short retries.
    options.connection = {.max_attempts = 3, .base_backoff = 10ms, .max_backoff = 50ms, .connect_timeout = 2s};
    options.part_bytes = 5 * 1024 * 1024;
    options.parts_in_flight = 1;
    return options;
  }

 private:
  static constexpr const char* kUser = "lake-kill-test";
  static constexpr const char* kSecret = "kill-test-secret-not-for-anything";
  std::filesystem::path dir_;
  std::string binary_;
  int port_ = 0;
  pid_t pid_ = 0;
};

// Kills the server from inside the write path, as the n-th data file is
// about to go up: a deterministic "mid-write".
class KillingBackend final : public lake::testing::ForwardingBackend {
 public:
  KillingBackend(std::unique_ptr<Backend> inner, OwnMinio& minio, int kill_at)
      : ForwardingBackend(std::move(inner)), minio_(minio), kill_at_(kill_at) {}
  Result<std::unique_ptr<ObjectWriter>> open_writer(std::string_view key, PutMode mode) override {
    if (key.ends_with(".parquet") && ++data_files_ == kill_at_) minio_.kill();
    return ForwardingBackend::open_writer(key, mode);
  }
  Status put(std::string_view key, std::span<const std::byte> data, PutMode mode) override {
    if (key.ends_with(".parquet") && ++data_files_ == kill_at_) minio_.kill();
    return ForwardingBackend::put(key, data, mode);
  }

 private:
  OwnMinio& minio_;
  int kill_at_;
  int data_files_ = 0;
};

class S3ServerKilled : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(minio_.start()) << "MinIO did not start; see " << dir_.path / "server.log"; }

  std::shared_ptr<Backend> backend() {
    auto opened = s3_backend("s3://kill-test/lake", minio_.options());
    EXPECT_TRUE(opened) << opened.error().to_string();
    return opened ? std::shared_ptr<Backend>(std::move(*opened)) : nullptr;
  }

  lake::testing::TempDir dir_{"s3-kill"};
  OwnMinio minio_{dir_.path};
};

TEST_F(S3ServerKilled, MidAppendTheRestartedServerHasTheTableAsItWas) {
  {
    auto table = Table::create(backend(), "t", schema_of<Event>());
    ASSERT_TRUE(table) << table.error().to_string();
    ASSERT_TRUE(table->append(batch_of(make_events(0, 100))));
  }
  {
    auto inner = s3_backend("s3://kill-test/lake", minio_.options());
    ASSERT_TRUE(inner) << inner.error().to_string();
    auto killing = std::make_shared<KillingBackend>(std::move(*inner), minio_, 3);
    auto table = Table::open(killing, "t", {.target_file_bytes = 4096});
    ASSERT_TRUE(table) << table.error().to_string();
    auto failed = table->append(batch_of(make_events(100, 3000)));
    ASSERT_FALSE(failed) << "the append went through a dead server";
    EXPECT_EQ(failed.error().code(), ErrorCode::io) << failed.error().to_string();
  }

  ASSERT_TRUE(minio_.start()) << "MinIO did not come back";
  auto table = Table::open(backend(), "t");
  ASSERT_TRUE(table) << table.error().to_string();
  EXPECT_EQ(table->version(), 1);
  EXPECT_EQ(read_all<Event>(*table), make_events(0, 100));
  auto appended = table->append(batch_of(make_events(100, 3000)));
  ASSERT_TRUE(appended) << appended.error().to_string();
  EXPECT_EQ(appended->version, 2);
  EXPECT_EQ(read_all<Event>(*table), make_events(0, 3100));
}

TEST_F(S3ServerKilled, MidMultipartUploadNoObjectAppearsAfterTheRestart) {
  auto store = backend();
  ASSERT_TRUE(store);
  auto writer = store->open_writer("big.bin", PutMode::create);
  ASSERT_TRUE(writer) << writer.error().to_string();
  const std::vector<std::byte> part(6 * 1024 * 1024, std::byte{7});
  ASSERT_TRUE((*writer)->write(part));  // the first 5 MiB part goes up in the background
  std::this_thread::sleep_for(1s);
  minio_.kill();
  Status written = (*writer)->write(part);
  if (written) written = (*writer)->close();
  ASSERT_FALSE(written) << "the upload finished on a dead server";
  EXPECT_EQ(written.error().code(), ErrorCode::io) << written.error().to_string();
  writer->reset();

  ASSERT_TRUE(minio_.start()) << "MinIO did not come back";
  auto again = backend();
  ASSERT_TRUE(again);
  auto head = again->head("big.bin");
  ASSERT_FALSE(head);
  EXPECT_EQ(head.error().code(), ErrorCode::not_found) << head.error().to_string();
  auto listed = again->list("");
  ASSERT_TRUE(listed) << listed.error().to_string();
  EXPECT_TRUE(listed->empty());
  // And the key is free for a writer that finishes.
  ASSERT_TRUE(again->put_text("big.bin", "whole", PutMode::create));
}

}  // namespace

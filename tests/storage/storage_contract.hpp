// The storage contract's test suite, shared by every backend's test
// binary: storage_contract.cpp holds the tests (StorageTest), and each
// binary defines make_contract_backend() for the kinds it instantiates the
// suite with ("file", "memory", "s3").
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <format>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <unistd.h>

#include "lake/storage/backend.hpp"

namespace lake::storage_testing {

namespace fs = std::filesystem;

inline std::vector<std::byte> bytes_of(std::string_view text) {
  auto span = std::as_bytes(std::span(text.data(), text.size()));
  return {span.begin(), span.end()};
}

inline std::vector<std::string> keys_of(const std::vector<lake::ObjectInfo>& objects) {
  std::vector<std::string> keys;
  for (const auto& object : objects) keys.push_back(object.key);
  return keys;
}

inline fs::path fresh_temp_dir() {
  static std::atomic<int> counter{0};
  std::random_device device;
  fs::path dir = fs::temp_directory_path() /
                 std::format("lake-storage-test-{}-{}-{:08x}", ::getpid(), counter.fetch_add(1), device());
  fs::create_directories(dir);
  return dir;
}

// Every regular file under dir, whatever its name (temp files included).
inline std::vector<std::string> files_on_disk(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.is_regular_file()) out.push_back(fs::relative(entry.path(), dir).string());
  return out;
}

// A backend for one test: a fresh, empty root. `dir` is the file
// backend's directory (for on-disk checks), empty for other kinds;
// `cleanup` removes what the test left (object stores).
struct ContractBackend {
  std::unique_ptr<Backend> backend{};
  fs::path dir{};
  std::function<void()> cleanup{};
};

// Random-looking bytes (xorshift), the same for a seed: large objects
// for the object-store suites.
inline std::vector<std::byte> pattern_bytes(std::size_t size, unsigned seed) {
  std::vector<std::byte> data(size);
  std::uint32_t x = seed * 2654435761U + 1;
  for (auto& b : data) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    b = static_cast<std::byte>(x);
  }
  return data;
}

// An object-store backend for the contract (opened on a fresh prefix):
// fails the test when it did not open; cleanup removes everything under
// its root.
inline ContractBackend object_store_contract_backend(Result<std::unique_ptr<Backend>> opened) {
  ContractBackend made;
  if (!opened) {
    ADD_FAILURE() << opened.error().to_string();
    return made;
  }
  made.backend = std::move(*opened);
  Backend* raw = made.backend.get();
  made.cleanup = [raw] {
    auto removed = raw->remove_prefix("");
    EXPECT_TRUE(removed) << removed.error().to_string();
  };
  return made;
}

// Puts "<dir>/00000" ... (count one-byte objects) from 8 threads, each an
// exclusive create; returns what failed.
inline std::vector<std::string> put_many_concurrently(Backend& backend, std::string_view dir, int count) {
  std::vector<std::string> failures;
  std::mutex mutex;
  std::vector<std::jthread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = t; i < count; i += 8)
        if (auto ok = backend.put_text(std::format("{}/{:05}", dir, i), "x", PutMode::create); !ok) {
          std::scoped_lock lock(mutex);
          failures.push_back(ok.error().to_string());
        }
    });
  threads.clear();
  return failures;
}

// A test on a fresh object-store backend that open() makes (on a prefix no
// other test uses); TearDown removes whatever the test left.
class ObjectStoreTest : public ::testing::Test {
 protected:
  virtual Result<std::unique_ptr<Backend>> open() = 0;
  void SetUp() override {
    auto opened = open();
    ASSERT_TRUE(opened) << opened.error().to_string();
    backend_ = std::move(*opened);
  }
  void TearDown() override {
    if (!backend_) return;
    auto removed = backend_->remove_prefix("");
    EXPECT_TRUE(removed) << removed.error().to_string();
  }

  std::unique_ptr<Backend> backend_;
};

// Defined by each test binary for the kinds it instantiates StorageTest
// with; fails the test (ADD_FAILURE) and returns no backend when the kind
// cannot be set up.
ContractBackend make_contract_backend(const std::string& kind);

class StorageTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto made = make_contract_backend(GetParam());
    ASSERT_TRUE(made.backend) << "no " << GetParam() << " backend";
    backend_ = std::move(made.backend);
    dir_ = std::move(made.dir);
    cleanup_ = std::move(made.cleanup);
  }
  void TearDown() override {
    if (cleanup_) cleanup_();
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
  std::function<void()> cleanup_;
};

}  // namespace lake::storage_testing

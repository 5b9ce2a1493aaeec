// The storage contract's test suite, shared by every backend's test
// binary: storage_contract.cpp holds the tests (StorageTest), and each
// binary defines make_contract_backend() for the kinds it instantiates the
// suite with ("file", "memory", "s3").
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <format>
#include <functional>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <string_view>
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

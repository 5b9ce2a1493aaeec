// A fresh directory under the system temp dir, removed with everything in
// it when the test is done.
#pragma once

#include <filesystem>
#include <format>
#include <random>
#include <string_view>
#include <system_error>

namespace lake::testing {

struct TempDir {
  std::filesystem::path path;
  explicit TempDir(std::string_view prefix) {
    std::random_device rd;
    path = std::filesystem::temp_directory_path() / std::format("lake-{}-{:x}{:x}", prefix, rd(), rd());
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

}  // namespace lake::testing

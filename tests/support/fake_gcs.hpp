// The fake-gcs-server a test run shares (started by the fake_gcs_start
// CTest fixture, see tools/servers and tests/storage/CMakeLists.txt): where
// it is, options for lake::gcs_backend, and a fresh prefix per test. Tests
// that use it carry the label `gcs` and FIXTURES_REQUIRED fake_gcs; a
// missing server fails them, it never skips them.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <format>
#include <fstream>
#include <map>
#include <optional>
#include <string>

#include "lake/ingest_id.hpp"
#include "lake/storage/gcs.hpp"
#include "storage/gcs/gcs_client.hpp"

namespace lake::testing {

inline constexpr std::string_view kGcsTestBucket = "lake-test";

struct FakeGcsServer {
  std::string endpoint;

  [[nodiscard]] GcsOptions options() const {
    return {.endpoint = endpoint, .anonymous = true, .connection = {.base_backoff = std::chrono::milliseconds(20)}};
  }
};

// The fixture's server, read once from $LAKE_FAKE_GCS_DIR/env, with the
// test bucket created; nullptr (and a test failure) when there is none.
inline const FakeGcsServer* fake_gcs() {
  static const std::optional<FakeGcsServer> found = []() -> std::optional<FakeGcsServer> {
    const char* dir = std::getenv("LAKE_FAKE_GCS_DIR");
    if (!dir) return std::nullopt;
    std::ifstream in(std::filesystem::path(dir) / "env");
    std::map<std::string, std::string> values;
    for (std::string line; std::getline(in, line);)
      if (auto eq = line.find('='); eq != std::string::npos) values[line.substr(0, eq)] = line.substr(eq + 1);
    if (values["LAKE_GCS_ENDPOINT"].empty()) return std::nullopt;
    FakeGcsServer server{values["LAKE_GCS_ENDPOINT"]};
    gcs::GcsClient admin({.endpoint = server.endpoint, .bucket = std::string(kGcsTestBucket)}, nullptr);
    if (auto made = admin.create_bucket("lake-test-project"); !made) {
      ADD_FAILURE() << made.error().to_string();
      return std::nullopt;
    }
    return server;
  }();
  if (!found) ADD_FAILURE() << "no fake-gcs-server: $LAKE_FAKE_GCS_DIR/env is missing (did fake_gcs_start fail?)";
  return found ? &*found : nullptr;
}

// "gs://lake-test/<test name>-<uuid>": a prefix no other test uses.
inline std::string fresh_gcs_uri() {
  std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  std::ranges::replace(test, '/', '-');
  return std::format("gs://{}/{}-{}", kGcsTestBucket, test, IngestId::generate().to_string());
}

}  // namespace lake::testing

// The MinIO server a test run shares (started by the minio_start CTest
// fixture, see tools/servers and tests/storage/CMakeLists.txt): where it
// is, options for lake::s3_backend, and a fresh prefix per test. Tests that
// use it carry the label `s3` and FIXTURES_REQUIRED minio; a missing
// server fails them, it never skips them.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <format>
#include <optional>
#include <string>

#include "lake/ingest_id.hpp"
#include "support/minio_env.hpp"

namespace lake::testing {

inline constexpr std::string_view kTestBucket = "lake-test";

// The fixture's server, read once from $LAKE_MINIO_DIR/env, with the test
// bucket created; nullptr (and a test failure) when there is none.
inline const MinioServer* minio() {
  static const std::optional<MinioServer> found = []() -> std::optional<MinioServer> {
    auto server = minio_from_env();
    if (!server) return std::nullopt;
    if (auto made = create_bucket(*server, kTestBucket); !made) {
      ADD_FAILURE() << made.error().to_string();
      return std::nullopt;
    }
    return server;
  }();
  if (!found) ADD_FAILURE() << "no MinIO server: $LAKE_MINIO_DIR/env is missing (did the minio_start fixture fail?)";
  return found ? &*found : nullptr;
}

// "s3://lake-test/<test name>-<uuid>": a prefix no other test uses.
inline std::string fresh_s3_uri() {
  std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  std::ranges::replace(test, '/', '-');
  return std::format("s3://{}/{}-{}", kTestBucket, test, IngestId::generate().to_string());
}

}  // namespace lake::testing

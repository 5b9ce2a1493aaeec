// The MinIO server a test run shares (started by the minio_start CTest
// fixture, see tools/servers and tests/storage/CMakeLists.txt): where it
// is, options for lake::s3_backend, and a fresh prefix per test. Tests that
// use it carry the label `s3` and FIXTURES_REQUIRED minio; a missing
// server fails them, it never skips them.
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
#include "lake/storage/s3.hpp"
#include "storage/s3/s3_client.hpp"

namespace lake::testing {

inline constexpr std::string_view kTestBucket = "lake-test";

struct MinioServer {
  std::string endpoint;
  std::string access_key;
  std::string secret_key;

  [[nodiscard]] S3Options options() const {
    return {.endpoint = endpoint, .region = "us-east-1", .path_style = true, .access_key_id = access_key,
            .secret_access_key = secret_key};
  }
};

// The fixture's server, read once from $LAKE_MINIO_DIR/env, with the test
// bucket created; nullptr (and a test failure) when there is none.
inline const MinioServer* minio() {
  static const std::optional<MinioServer> found = []() -> std::optional<MinioServer> {
    const char* dir = std::getenv("LAKE_MINIO_DIR");
    if (!dir) return std::nullopt;
    std::ifstream in(std::filesystem::path(dir) / "env");
    std::map<std::string, std::string> values;
    for (std::string line; std::getline(in, line);)
      if (auto eq = line.find('='); eq != std::string::npos) values[line.substr(0, eq)] = line.substr(eq + 1);
    if (values["LAKE_S3_ENDPOINT"].empty()) return std::nullopt;
    MinioServer server{values["LAKE_S3_ENDPOINT"], values["LAKE_S3_ACCESS_KEY"], values["LAKE_S3_SECRET_KEY"]};
    s3::S3Client admin(std::string(kTestBucket), server.options(), {server.access_key, server.secret_key},
                       "us-east-1");
    if (auto made = admin.create_bucket(); !made) {
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

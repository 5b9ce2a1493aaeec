// The MinIO server of a test or benchmark run, as `tools/servers start
// minio DIR` describes it in DIR/env: where it listens and its root
// credentials. No test framework here, so the benchmarks use it too.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "lake/storage/s3.hpp"
#include "storage/s3/s3_client.hpp"

namespace lake::testing {

struct MinioServer {
  std::string endpoint;
  std::string access_key;
  std::string secret_key;

  [[nodiscard]] S3Options options() const {
    return {.endpoint = endpoint, .region = "us-east-1", .path_style = true, .access_key_id = access_key,
            .secret_access_key = secret_key};
  }
};

// The server $LAKE_MINIO_DIR/env describes; nullopt without one.
inline std::optional<MinioServer> minio_from_env() {
  const char* dir = std::getenv("LAKE_MINIO_DIR");
  if (!dir || !*dir) return std::nullopt;
  std::ifstream in(std::filesystem::path(dir) / "env");
  std::map<std::string, std::string> values;
  for (std::string line; std::getline(in, line);)
    if (auto eq = line.find('='); eq != std::string::npos) values[line.substr(0, eq)] = line.substr(eq + 1);
  if (values["LAKE_S3_ENDPOINT"].empty()) return std::nullopt;
  return MinioServer{values["LAKE_S3_ENDPOINT"], values["LAKE_S3_ACCESS_KEY"], values["LAKE_S3_SECRET_KEY"]};
}

// Creates `bucket` on the server (succeeds when it is there already).
inline Status create_bucket(const MinioServer& server, std::string_view bucket) {
  s3::S3Client admin(std::string(bucket), server.options(), {server.access_key, server.secret_key}, "us-east-1");
  return admin.create_bucket();
}

}  // namespace lake::testing

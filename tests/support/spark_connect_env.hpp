// The Spark Connect server of a run, as `tools/servers start spark-connect
// DIR` describes it in DIR/env ($LAKE_SPARK_CONNECT_DIR is DIR): its
// connection string (with the server's bearer token), the token alone, and
// the directory its tables live under. Free of GoogleTest, so the
// benchmarks read it too (tests use spark_connect.hpp).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>

namespace lake::testing {

struct SparkConnectServer {
  std::string url;    // sc://127.0.0.1:PORT/;token=...;use_ssl=false
  std::string token;
  std::filesystem::path warehouse;
};

inline std::optional<SparkConnectServer> spark_connect_from_env() {
  const char* dir = std::getenv("LAKE_SPARK_CONNECT_DIR");
  if (!dir || !*dir) return std::nullopt;
  std::ifstream in(std::filesystem::path(dir) / "env");
  std::map<std::string, std::string> values;
  for (std::string line; std::getline(in, line);)
    if (auto eq = line.find('='); eq != std::string::npos) values[line.substr(0, eq)] = line.substr(eq + 1);
  if (values["LAKE_SPARK_CONNECT_URL"].empty()) return std::nullopt;
  return SparkConnectServer{values["LAKE_SPARK_CONNECT_URL"], values["LAKE_SPARK_CONNECT_TOKEN"],
                            values["LAKE_SPARK_CONNECT_WAREHOUSE"]};
}

}  // namespace lake::testing

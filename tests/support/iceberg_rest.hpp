// The run's Iceberg REST catalog service, as `tools/servers start
// iceberg-rest DIR` describes it in DIR/env ($LAKE_ICEBERG_REST_DIR is
// DIR): Iceberg's own RESTCatalogServer, started once per test run by the
// CTest fixture `iceberg_rest` (tests/iceberg/CMakeLists.txt).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <format>
#include <fstream>
#include <string>

#include <unistd.h>

namespace lake::testing {

// The service's URL; empty (with a test failure, never a skip) when the
// fixture did not run.
inline std::string iceberg_rest_uri() {
  const char* dir = std::getenv("LAKE_ICEBERG_REST_DIR");
  std::string uri;
  if (dir && *dir) {
    std::ifstream in(std::filesystem::path(dir) / "env");
    for (std::string line; std::getline(in, line);)
      if (line.starts_with("LAKE_ICEBERG_REST_URI=")) uri = line.substr(line.find('=') + 1);
  }
  if (uri.empty()) ADD_FAILURE() << "no Iceberg REST catalog: run through ctest (fixture iceberg_rest), or start one "
                                    "with tools/servers start iceberg-rest DIR and set LAKE_ICEBERG_REST_DIR=DIR";
  return uri;
}

// A namespace no other test (or earlier repeat of this one) uses on the
// run's one service.
inline std::string unique_namespace(std::string_view stem) {
  return std::format("{}_{}_{}", stem, ::getpid(),
                     std::chrono::steady_clock::now().time_since_epoch().count() % 1'000'000'000);
}

}  // namespace lake::testing

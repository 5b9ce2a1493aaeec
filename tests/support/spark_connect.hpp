// The Spark Connect server of a test run (spark_connect_env.hpp), or a
// test failure (not a skip) when the run's fixture did not start it.
#pragma once

#include <gtest/gtest.h>

#include "support/spark_connect_env.hpp"

namespace lake::testing {

// The fixture's server; a test failure (not a skip) when it is missing.
inline const SparkConnectServer& spark_connect_server() {
  static const std::optional<SparkConnectServer> server = spark_connect_from_env();
  if (!server) {
    ADD_FAILURE() << "no Spark Connect server: $LAKE_SPARK_CONNECT_DIR/env is missing "
                     "(did the spark_connect_start fixture fail?)";
    static const SparkConnectServer none{};
    return none;
  }
  return *server;
}

}  // namespace lake::testing

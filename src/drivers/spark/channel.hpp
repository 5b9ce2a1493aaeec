// One gRPC channel to a Spark Connect server, with what every call on it
// carries: the bearer token (`authorization: Bearer ...`, added per call so
// it works on TLS and on a plaintext loopback server alike) and the
// connection string's extra headers (e.g. x-databricks-cluster-id).
// Thread-safe; shared by a session and its executions.
#pragma once

#include <chrono>
#include <memory>

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include "drivers/spark/connection_settings.hpp"
#include "lake/error.hpp"
#include "spark/connect/base.grpc.pb.h"

namespace lake::spark {

class SparkConnectChannel {
 public:
  [[nodiscard]] static Result<std::shared_ptr<SparkConnectChannel>> open(ConnectionSettings settings);

  [[nodiscard]] ::spark::connect::SparkConnectService::Stub& stub() const noexcept { return *stub_; }
  [[nodiscard]] const ConnectionSettings& settings() const noexcept { return settings_; }

  // A context for one call: the metadata, and a deadline unless it is zero
  // (streams have none: a long query is not a failure). Fails only when
  // the settings' token source cannot produce a token.
  [[nodiscard]] Result<std::unique_ptr<grpc::ClientContext>> context(std::chrono::milliseconds timeout) const;

 private:
  SparkConnectChannel(ConnectionSettings settings, std::shared_ptr<grpc::Channel> channel);

  ConnectionSettings settings_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<::spark::connect::SparkConnectService::Stub> stub_;
};

}  // namespace lake::spark

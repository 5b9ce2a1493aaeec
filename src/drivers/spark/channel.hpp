// One gRPC channel to a Spark Connect server, with what every call on it
// carries: the bearer token (`authorization: Bearer ...`, added per call so
// it works on TLS and on a plaintext loopback server alike) and the
// connection string's extra headers (e.g. x-databricks-cluster-id).
// Thread-safe; shared by a session and its executions.
#pragma once

#include <atomic>
#include <chrono>
#include <list>
#include <memory>
#include <mutex>

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

  // Sends ReleaseExecute without waiting for the answer (pyspark frees a
  // stream's buffered responses this way as it reads them); a failure only
  // means the server frees them later on its own. The call's state lives
  // here, not in its callback, so the channel is never destroyed on a gRPC
  // callback thread (gRPC cannot tear a channel down from its own thread).
  void release_in_background(::spark::connect::ReleaseExecuteRequest request, std::chrono::milliseconds timeout) const;

  // Cancels the background calls still in flight and waits for their
  // callbacks.
  ~SparkConnectChannel();
  SparkConnectChannel(const SparkConnectChannel&) = delete;
  SparkConnectChannel& operator=(const SparkConnectChannel&) = delete;

 private:
  struct BackgroundCall {
    std::unique_ptr<grpc::ClientContext> context;
    ::spark::connect::ReleaseExecuteRequest request;
    ::spark::connect::ReleaseExecuteResponse response;
    std::atomic<bool> done = false;  // the callback's only action, its last
  };

  SparkConnectChannel(ConnectionSettings settings, std::shared_ptr<grpc::Channel> channel);

  ConnectionSettings settings_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<::spark::connect::SparkConnectService::Stub> stub_;
  mutable std::mutex background_mutex_;
  mutable std::list<std::unique_ptr<BackgroundCall>> background_;
};

}  // namespace lake::spark

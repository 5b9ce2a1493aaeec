// One reattachable ExecutePlan: the responses of a plan the server runs
// under an operation id the client chose.
//
// The request asks for reattachable execution, so the server keeps the
// operation (and the responses not yet acknowledged) when the stream
// breaks; the client then calls ReattachExecute with the last response id
// it saw and continues where it stopped, without running the plan again.
// A stream that ends without `result_complete` (the server caps how long
// one stream lives) is continued the same way. Reattaching is bounded by
// the retry policy. As responses are read, ReleaseExecute(release_until)
// tells the server (asynchronously) that it may free those it kept for a
// reattach; when the results are done (or the execution is dropped early)
// ReleaseExecute(release_all) tells it to forget the operation.
//
// Not thread-safe, except that another thread may interrupt the operation
// through the session (Session::interrupt_operation).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <grpcpp/client_context.h>
#include <grpcpp/support/sync_stream.h>

#include "drivers/spark/channel.hpp"
#include "drivers/spark/retry_policy.hpp"
#include "drivers/spark/session_identity.hpp"
#include "lake/error.hpp"

namespace lake::spark {

class Execution {
 public:
  // Starts `plan` (the request is sent before this returns).
  [[nodiscard]] static Result<std::unique_ptr<Execution>> start(std::shared_ptr<const SparkConnectChannel> channel,
                                                                SessionIdentity identity, RetryPolicy retry,
                                                                ::spark::connect::Plan plan);
  Execution(const Execution&) = delete;
  Execution& operator=(const Execution&) = delete;
  // Cancels the stream and releases the operation if it is not done.
  ~Execution();

  // The next response, or nullopt once the server said the result is
  // complete (the operation is released then).
  [[nodiscard]] Result<std::optional<::spark::connect::ExecutePlanResponse>> next();

  [[nodiscard]] const std::string& operation_id() const noexcept { return operation_id_; }
  // How often the stream was continued with ReattachExecute.
  [[nodiscard]] int reattach_count() const noexcept { return reattach_count_; }
  // How many release_until calls went out.
  [[nodiscard]] int released_until_count() const noexcept { return released_until_count_; }

  // Drops the current gRPC stream the way a lost connection would (the
  // server keeps running the operation); the next next() reattaches. For
  // tests of reattachment, and for callers that want a fresh stream.
  void break_stream();

 private:
  Execution(std::shared_ptr<const SparkConnectChannel> channel, SessionIdentity identity, RetryPolicy retry,
            std::string operation_id, ::spark::connect::Plan plan);

  // Opens the stream: the ExecutePlan itself until the server is known to
  // have the operation, ReattachExecute after that.
  [[nodiscard]] Status open_stream();
  // Ends the open stream, returning its status.
  grpc::Status close_stream();
  void release();
  // Lets the server free the responses up to and including this one.
  void release_until(const std::string& response_id);

  std::shared_ptr<const SparkConnectChannel> channel_;
  SessionIdentity identity_;
  RetryPolicy retry_;
  std::string operation_id_;
  ::spark::connect::Plan plan_;
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientReader<::spark::connect::ExecutePlanResponse>> stream_;
  std::string last_response_id_;
  bool server_has_operation_ = false;
  bool stream_is_reattach_ = false;
  bool broken_by_client_ = false;
  bool done_ = false;
  bool released_ = false;
  int reattach_count_ = 0;
  int released_until_count_ = 0;
  int failed_attempts_ = 0;
};

}  // namespace lake::spark

#include "drivers/spark/execution.hpp"

#include <utility>

#include "core/propagate.hpp"
#include "drivers/spark/call_errors.hpp"
#include "drivers/spark/spark_errors.hpp"

namespace lake::spark {
namespace {

constexpr std::chrono::seconds release_timeout{30};
constexpr std::chrono::milliseconds no_deadline{0};

}  // namespace

Execution::Execution(std::shared_ptr<const SparkConnectChannel> channel, SessionIdentity identity, RetryPolicy retry,
                     std::string operation_id, ::spark::connect::Plan plan)
    : channel_(std::move(channel)),
      identity_(std::move(identity)),
      retry_(retry),
      operation_id_(std::move(operation_id)),
      plan_(std::move(plan)) {}

Result<std::unique_ptr<Execution>> Execution::start(std::shared_ptr<const SparkConnectChannel> channel,
                                                    SessionIdentity identity, RetryPolicy retry,
                                                    ::spark::connect::Plan plan) {
  std::unique_ptr<Execution> execution(
      new Execution(std::move(channel), std::move(identity), retry, random_uuid(), std::move(plan)));
  LAKE_RETURN_IF_ERROR(execution->open_stream());
  return execution;
}

Execution::~Execution() {
  if (stream_) {
    context_->TryCancel();
    (void)close_stream();
    // The request went out, so the server may hold the operation even if
    // no response arrived: release it (harmless when it does not).
    server_has_operation_ = true;
  }
  release();
}

Status Execution::open_stream() {
  auto context = channel_->context(no_deadline);
  LAKE_RETURN_IF_ERROR(context);
  context_ = std::move(*context);
  if (!server_has_operation_) {
    ::spark::connect::ExecutePlanRequest request;
    identity_.stamp(request);
    request.set_operation_id(operation_id_);
    *request.mutable_plan() = plan_;
    request.add_request_options()->mutable_reattach_options()->set_reattachable(true);
    stream_ = channel_->stub().ExecutePlan(context_.get(), request);
    stream_is_reattach_ = false;
    return {};
  }
  ::spark::connect::ReattachExecuteRequest request;
  identity_.stamp(request);
  request.set_operation_id(operation_id_);
  if (!last_response_id_.empty()) request.set_last_response_id(last_response_id_);
  stream_ = channel_->stub().ReattachExecute(context_.get(), request);
  stream_is_reattach_ = true;
  ++reattach_count_;
  return {};
}

grpc::Status Execution::close_stream() {
  grpc::Status status = stream_->Finish();
  stream_.reset();
  context_.reset();
  return status;
}

void Execution::break_stream() {
  if (!stream_ || done_) return;
  broken_by_client_ = true;
  context_->TryCancel();
}

Result<std::optional<::spark::connect::ExecutePlanResponse>> Execution::next() {
  while (!done_) {
    if (!stream_) {
      LAKE_RETURN_IF_ERROR(open_stream());
    }
    ::spark::connect::ExecutePlanResponse response;
    if (stream_->Read(&response)) {
      server_has_operation_ = true;
      failed_attempts_ = 0;
      if (auto same = identity_.observe(response); !same) {
        // Another server-side session: nothing it says is about ours.
        context_->TryCancel();
        (void)close_stream();
        done_ = true;
        return std::unexpected(same.error());
      }
      if (!response.response_id().empty()) last_response_id_ = response.response_id();
      if (response.has_result_complete()) {
        // The last response: drain the (now ending) stream and let go.
        ::spark::connect::ExecutePlanResponse rest;
        while (stream_->Read(&rest)) {
        }
        (void)close_stream();
        done_ = true;
        release();
        return std::nullopt;
      }
      if (!response.response_id().empty()) release_until(response.response_id());
      return response;
    }
    const grpc::Status status = close_stream();
    const bool broken_by_us = std::exchange(broken_by_client_, false);
    // A stream the server ended early (it caps a stream's life) or that we
    // dropped ourselves: continue from the last response.
    if (status.ok() || (broken_by_us && status.error_code() == grpc::StatusCode::CANCELLED)) {
      server_has_operation_ = true;
      continue;
    }
    Error error =
        error_of_call(status, stream_is_reattach_ ? "spark ReattachExecute" : "spark ExecutePlan", *channel_, identity_);
    const auto* detail = error.detail<SparkErrorDetail>();
    // A resent ExecutePlan whose first attempt did reach the server.
    if (!server_has_operation_ && detail != nullptr &&
        detail->error_class() == "INVALID_HANDLE.OPERATION_ALREADY_EXISTS") {
      server_has_operation_ = true;
      continue;
    }
    if (worth_retrying(error) && ++failed_attempts_ < retry_.max_attempts) {
      sleep_for(retry_.backoff(failed_attempts_));
      continue;
    }
    done_ = true;
    release();
    return fail(std::move(error));
  }
  return std::nullopt;
}

void Execution::release_until(const std::string& response_id) {
  // Asynchronous, as pyspark does it: the reader goes on while the server
  // frees what it buffered (it keeps the responses after this one, which a
  // reattach would resume from).
  ::spark::connect::ReleaseExecuteRequest request;
  identity_.stamp(request);
  request.set_operation_id(operation_id_);
  request.mutable_release_until()->set_response_id(response_id);
  ++released_until_count_;
  channel_->release_in_background(std::move(request), release_timeout);
}

void Execution::release() {
  if (released_ || !server_has_operation_) return;
  released_ = true;
  ::spark::connect::ReleaseExecuteRequest request;
  identity_.stamp(request);
  request.set_operation_id(operation_id_);
  request.mutable_release_all();
  ::spark::connect::ReleaseExecuteResponse response;
  // Best effort: the server also forgets an abandoned operation after a
  // timeout, and a failure here must not hide the caller's result.
  auto context = channel_->context(release_timeout);
  if (context) (void)channel_->stub().ReleaseExecute(context->get(), request, &response);
}

}  // namespace lake::spark

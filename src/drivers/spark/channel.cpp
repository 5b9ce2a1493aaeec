#include "drivers/spark/channel.hpp"

#include "core/propagate.hpp"
#include "drivers/spark/bearer_tokens.hpp"

#include <algorithm>
#include <thread>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

namespace lake::spark {
namespace {

// Spark's own limit for one message (an Arrow batch, a local relation).
constexpr int max_message_bytes = 128 << 20;

}  // namespace

SparkConnectChannel::SparkConnectChannel(ConnectionSettings settings, std::shared_ptr<grpc::Channel> channel)
    : settings_(std::move(settings)),
      channel_(std::move(channel)),
      stub_(::spark::connect::SparkConnectService::NewStub(channel_)) {}

Result<std::shared_ptr<SparkConnectChannel>> SparkConnectChannel::open(ConnectionSettings settings) {
  if (settings.host.empty()) return fail(ErrorCode::invalid_argument, "spark: no host to connect to");
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(max_message_bytes);
  arguments.SetMaxSendMessageSize(max_message_bytes);
  arguments.SetUserAgentPrefix(settings.user_agent.empty() ? "lake-orm" : settings.user_agent);
  std::shared_ptr<grpc::ChannelCredentials> credentials =
      settings.use_tls ? grpc::SslCredentials(grpc::SslCredentialsOptions{}) : grpc::InsecureChannelCredentials();
  auto channel = grpc::CreateCustomChannel(settings.target(), credentials, arguments);
  if (!channel) return fail(ErrorCode::io, "spark: cannot create a channel to " + settings.describe());
  return std::shared_ptr<SparkConnectChannel>(new SparkConnectChannel(std::move(settings), std::move(channel)));
}

Result<std::unique_ptr<grpc::ClientContext>> SparkConnectChannel::context(std::chrono::milliseconds timeout) const {
  auto context = std::make_unique<grpc::ClientContext>();
  if (settings_.token_source) {
    auto token = settings_.token_source->token();
    LAKE_RETURN_IF_ERROR(token);
    context->AddMetadata("authorization", "Bearer " + *token);
  } else if (!settings_.bearer_token.empty()) {
    context->AddMetadata("authorization", "Bearer " + settings_.bearer_token);
  }
  for (const auto& [key, value] : settings_.headers) context->AddMetadata(key, value);
  if (timeout.count() > 0) context->set_deadline(std::chrono::system_clock::now() + timeout);
  return context;
}

void SparkConnectChannel::release_in_background(::spark::connect::ReleaseExecuteRequest request,
                                                std::chrono::milliseconds timeout) const {
  auto context = this->context(timeout);
  if (!context) return;
  auto call = std::make_unique<BackgroundCall>();
  call->context = std::move(*context);
  call->request = std::move(request);
  BackgroundCall* pending = call.get();
  {
    std::scoped_lock lock(background_mutex_);
    // Finished calls are let go here, on a caller's thread.
    std::erase_if(background_, [](const auto& c) { return c->done.load(std::memory_order_acquire); });
    background_.push_back(std::move(call));
  }
  stub_->async()->ReleaseExecute(pending->context.get(), &pending->request, &pending->response,
                                 [pending](const grpc::Status&) { pending->done.store(true, std::memory_order_release); });
}

SparkConnectChannel::~SparkConnectChannel() {
  std::scoped_lock lock(background_mutex_);
  // The callback only sets its flag (it may even run inline, from
  // TryCancel, without deadlocking on the lock held here).
  for (const auto& call : background_)
    if (!call->done.load(std::memory_order_acquire)) call->context->TryCancel();
  while (std::ranges::any_of(background_, [](const auto& c) { return !c->done.load(std::memory_order_acquire); }))
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

}  // namespace lake::spark

#include "storage/object_store/retry.hpp"
#include "core/propagate.hpp"

#include <algorithm>
#include <cstdint>
#include <format>
#include <string>
#include <random>
#include <thread>

namespace lake::object_store {

bool transient_status(long status) { return status >= 500 || status == 429 || status == 408; }

Status check_connection(const ConnectionOptions& options, std::string_view owner) {
  const auto wrong = [&](std::string_view field, auto value, std::string_view rule) {
    return fail(ErrorCode::invalid_argument, std::format("{}::connection.{} {} {}", owner, field, value, rule));
  };
  if (options.max_attempts < 1) return wrong("max_attempts", options.max_attempts, "must be at least 1");
  if (options.base_backoff.count() < 0) return wrong("base_backoff", options.base_backoff, "must not be negative");
  if (options.max_backoff.count() < 0) return wrong("max_backoff", options.max_backoff, "must not be negative");
  if (options.connect_timeout.count() < 1) return wrong("connect_timeout", options.connect_timeout, "must be positive");
  if (options.stall_timeout.count() < 1) return wrong("stall_timeout", options.stall_timeout, "must be positive");
  return {};
}

std::chrono::milliseconds backoff_delay(const ConnectionOptions& connection, int attempt) {
  thread_local std::mt19937_64 random{std::random_device{}()};
  const auto cap = std::min<std::int64_t>(connection.max_backoff.count(),
                                          connection.base_backoff.count() << std::clamp(attempt - 1, 0, 20));
  std::uniform_int_distribution<std::int64_t> wait(0, std::max<std::int64_t>(cap, 1));
  return std::chrono::milliseconds(wait(random));
}

void wait_before_retry(const ConnectionOptions& connection, int attempt) {
  std::this_thread::sleep_for(backoff_delay(connection, attempt));
}

Result<HttpResponse> send_with_retries(
    const ConnectionOptions& connection, std::string_view store, const std::function<Result<HttpRequest>(int attempt)>& prepare,
    const std::function<std::optional<Error>(const HttpResponse&)>& transient) {
  for (int attempt = 1;; ++attempt) {
    auto request = prepare(attempt);
    LAKE_RETURN_IF_ERROR(request);
    request->connection = connection;
    auto response = send(*request);
    std::optional<Error> failure;
    bool again = false;
    if (!response) {
      failure = std::move(response.error().error);
      again = response.error().retryable;
    } else if (auto error = transient(*response)) {
      failure = std::move(*error);
      again = true;
    } else {
      return std::move(*response);
    }
    if (!again || attempt >= connection.max_attempts)
      return fail(failure->with_context(attempt > 1 ? std::format("after {} attempts", attempt) : std::string(store)));
    wait_before_retry(connection, attempt);
  }
}

}  // namespace lake::object_store

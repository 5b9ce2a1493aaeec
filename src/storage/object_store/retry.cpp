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

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempt) {
  thread_local std::mt19937_64 random{std::random_device{}()};
  const auto cap = std::min<std::int64_t>(policy.max_backoff.count(),
                                          policy.base_backoff.count() << std::clamp(attempt - 1, 0, 20));
  std::uniform_int_distribution<std::int64_t> wait(0, std::max<std::int64_t>(cap, 1));
  return std::chrono::milliseconds(wait(random));
}

void wait_before_retry(const RetryPolicy& policy, int attempt) {
  std::this_thread::sleep_for(backoff_delay(policy, attempt));
}

Result<HttpResponse> send_with_retries(
    const RetryPolicy& policy, std::string_view store, const std::function<Result<HttpRequest>(int attempt)>& prepare,
    const std::function<std::optional<Error>(const HttpResponse&)>& transient) {
  for (int attempt = 1;; ++attempt) {
    auto request = prepare(attempt);
    LAKE_RETURN_IF_ERROR(request);
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
    if (!again || attempt >= policy.max_attempts)
      return fail(failure->with_context(attempt > 1 ? std::format("after {} attempts", attempt) : std::string(store)));
    wait_before_retry(policy, attempt);
  }
}

}  // namespace lake::object_store

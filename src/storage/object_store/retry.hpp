// When and how long object-store clients wait before trying a request
// again: the status codes worth a retry, and full-jitter exponential
// backoff (a uniform wait up to a cap that doubles per attempt, so clients
// retrying together spread out instead of hammering the server in step).
#pragma once

#include <chrono>

namespace lake::object_store {

struct RetryPolicy {
  int max_attempts = 6;
  std::chrono::milliseconds base_backoff{100};
  std::chrono::milliseconds max_backoff{5'000};
};

// 5xx, 429 (throttled) and 408 (request timeout): the server may well
// accept the same request later.
[[nodiscard]] bool transient_status(long status);

// The wait after failed attempt `attempt` (1-based): uniform in
// [0, min(max_backoff, base_backoff * 2^(attempt-1))].
[[nodiscard]] std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempt);
// Sleeps for backoff_delay(policy, attempt).
void wait_before_retry(const RetryPolicy& policy, int attempt);

}  // namespace lake::object_store

#include "storage/object_store/retry.hpp"

#include <algorithm>
#include <cstdint>
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

}  // namespace lake::object_store

// Bounded retry for Spark Connect calls: a cluster still starting
// (ErrorCode::cluster_not_ready) or a transient transport failure is tried
// again after a jittered, growing pause, up to a fixed number of attempts,
// so a caller waits at most a known time before seeing the error. Other
// errors return at once.
#pragma once

#include <chrono>
#include <concepts>
#include <format>
#include <functional>
#include <thread>
#include <type_traits>

#include "drivers/spark/spark_errors.hpp"
#include "lake/error.hpp"

namespace lake::spark {

struct RetryPolicy {
  int max_attempts = 8;                               // including the first
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{30'000};
  double multiplier = 2.0;

  // The pause before attempt `attempt` + 1 (attempt counts from 1): the
  // exponential backoff, capped, jittered (half to all of it).
  [[nodiscard]] std::chrono::milliseconds backoff(int attempt) const;
};

using Sleeper = std::function<void(std::chrono::milliseconds)>;
inline void sleep_for(std::chrono::milliseconds pause) { std::this_thread::sleep_for(pause); }

// Runs `call` (returning some Result<T>) until it succeeds, fails with an
// error not worth retrying, or the policy's attempts are used up; the last
// error is returned with the number of attempts in its message.
template <class Call>
  requires std::invocable<Call&>
auto with_retry(const RetryPolicy& policy, Call&& call, const Sleeper& sleep = sleep_for)
    -> std::invoke_result_t<Call&> {
  for (int attempt = 1;; ++attempt) {
    auto result = call();
    if (result || !worth_retrying(result.error())) return result;
    if (attempt >= policy.max_attempts) {
      return fail(result.error().with_context(
          std::format("gave up after {} attempt{}", attempt, attempt == 1 ? "" : "s")));
    }
    sleep(policy.backoff(attempt));
  }
}

}  // namespace lake::spark

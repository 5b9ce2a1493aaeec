#include "drivers/spark/retry_policy.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace lake::spark {

std::chrono::milliseconds RetryPolicy::backoff(int attempt) const {
  const double ceiling = std::min(static_cast<double>(max_backoff.count()),
                                  static_cast<double>(initial_backoff.count()) * std::pow(multiplier, attempt - 1));
  // Between half and all of it, so that many clients waiting for one
  // cluster do not come back in lockstep.
  thread_local std::mt19937_64 random{std::random_device{}()};
  std::uniform_real_distribution<double> fraction(0.5, 1.0);
  return std::chrono::milliseconds(static_cast<std::int64_t>(ceiling * fraction(random)));
}

}  // namespace lake::spark

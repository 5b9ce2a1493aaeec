// When and how long object-store clients wait before trying a request
// again: the status codes worth a retry, and full-jitter exponential
// backoff (a uniform wait up to a cap that doubles per attempt, so clients
// retrying together spread out instead of hammering the server in step).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string_view>

#include "lake/error.hpp"
#include "lake/storage/connection.hpp"
#include "storage/object_store/http.hpp"

namespace lake::object_store {

// ConnectionOptions (lake/storage/connection.hpp) is both what a user
// configures and what the clients run: its retry fields are the policy
// here, its TLS and timeout fields go on every request sent.

// invalid_argument naming the field ("<owner>::connection.<field>") when an
// option is out of range: max_attempts below 1, a negative backoff, a
// timeout under a millisecond.
[[nodiscard]] Status check_connection(const ConnectionOptions& options, std::string_view owner);

// 5xx, 429 (throttled) and 408 (request timeout): the server may well
// accept the same request later.
[[nodiscard]] bool transient_status(long status);

// The wait after failed attempt `attempt` (1-based): uniform in
// [0, min(max_backoff, base_backoff * 2^(attempt-1))].
[[nodiscard]] std::chrono::milliseconds backoff_delay(const ConnectionOptions& connection, int attempt);
// Sleeps for backoff_delay(connection, attempt).
void wait_before_retry(const ConnectionOptions& connection, int attempt);

// The retry loop every object-store client runs. For attempt 1, 2, ...:
// `prepare` builds the request (signing it, or fetching a token, afresh
// each time: a retry after a long backoff may need a new signature date or
// token); an error from it ends the loop at once. The request is sent with
// `connection`'s TLS settings and timeouts (whatever `prepare` set); a
// transport failure is retried when it is marked retryable, and an answer
// when `transient` returns the error it stands for (a 503, a throttle).
// Any other answer is returned, whatever its status, for the caller to
// map. When the attempts run out, the last failure comes back with "after
// N attempts" (or `store`, e.g. "S3", when there was only one).
[[nodiscard]] Result<HttpResponse> send_with_retries(
    const ConnectionOptions& connection, std::string_view store, const std::function<Result<HttpRequest>(int attempt)>& prepare,
    const std::function<std::optional<Error>(const HttpResponse&)>& transient);

}  // namespace lake::object_store

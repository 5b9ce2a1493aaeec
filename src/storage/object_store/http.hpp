// One HTTP exchange over libcurl, the transport under the S3 client.
//
// The body goes out from memory or from a callback (streamed uploads), and
// comes back into memory (bounded by the caller: ranged reads, listings).
// Transport failures come back as TransportError with a `retryable` flag
// (connection refused or reset, timeouts), so the S3 layer decides about
// retries in one place. curl's errors are translated here and only here.
#pragma once

#include <chrono>
#include <cstddef>
#include <expected>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lake/error.hpp"

namespace lake::s3 {

struct HttpRequest {
  std::string method;
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers{};
  std::span<const std::byte> body{};
  // TLS: verify the peer and its name (on unless the caller turned it off
  // explicitly); an extra CA bundle for private endpoints.
  bool verify_tls = true;
  std::string ca_file{};
  std::chrono::milliseconds connect_timeout{10'000};
  // Abort when fewer than 1 byte/s flows for this long (a stalled server),
  // rather than capping the whole transfer.
  std::chrono::milliseconds stall_timeout{60'000};
};

struct HttpResponse {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers{};  // names lower-cased
  std::vector<std::byte> body{};

  [[nodiscard]] std::string_view header(std::string_view lower_name) const;
  [[nodiscard]] std::string_view body_text() const {
    return {reinterpret_cast<const char*>(body.data()), body.size()};
  }
};

// The exchange failed before a response arrived. Never carries request
// headers (they hold signatures and tokens).
struct TransportFailure {
  Error error;
  bool retryable = false;
};

[[nodiscard]] std::expected<HttpResponse, TransportFailure> send(const HttpRequest& request);

}  // namespace lake::s3

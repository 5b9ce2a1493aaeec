// One HTTP exchange over libcurl, the transport under the object-store
// clients (S3, GCS) and the OAuth token exchange.
//
// Each thread keeps one curl handle, and with it curl's connection cache:
// consecutive requests to a server reuse the connection (no TCP or TLS
// handshake). A process forked from a thread with a handle never touches
// the parent's connections (see http.cpp).
//
// The body goes out from memory (one part or chunk at a time for streamed
// uploads), and comes back into memory (bounded by the caller: ranged
// reads, listings). Transport failures come back as TransportFailure with a
// `retryable` flag (connection refused or reset, timeouts), so each client
// decides about retries in one place. curl's errors are translated here and
// only here.
#pragma once

#include <chrono>
#include <cstddef>
#include <expected>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lake/error.hpp"
#include "lake/storage/connection.hpp"

namespace lake::object_store {

struct HttpRequest {
  std::string method;
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers{};
  std::span<const std::byte> body{};
  // TLS (the peer and its name are verified unless the user turned that
  // off), the CA bundle and the timeouts; the retry fields are for
  // send_with_retries, not this one exchange.
  ConnectionOptions connection{};
  // What errors call the request; empty: "<method> <url>". Set it when the
  // URL itself is a capability (a resumable upload's session URL).
  std::string description{};
  // Send on a new connection. For requests that must not be repeated
  // behind the caller's back: curl silently sends a request again when a
  // reused connection dies before any answer, and for an exclusive create
  // whose first copy did land, the second would be refused and our own
  // success would look like another writer's. On a new connection curl
  // never does that, so every repeat goes through the caller's retry
  // logic, which knows how to recognise its own write.
  bool fresh_connection = false;
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

// `text` with every byte but RFC 3986's unreserved ones (letters, digits,
// "-._~") as %XX: a path segment, a query value, a form field.
[[nodiscard]] std::string percent_encode(std::string_view text);

// Reads of whole objects or byte ranges, the same on every store: the
// Range header for the inclusive range [first, last], and the body of the
// answer: 200 or 206 give it, 416 (a range starting past the end) gives
// nothing, any other status gives nullopt (an error for the caller to map).
[[nodiscard]] std::pair<std::string, std::string> range_header(std::pair<std::int64_t, std::int64_t> range);
[[nodiscard]] std::optional<std::vector<std::byte>> take_read_body(HttpResponse& response);

}  // namespace lake::object_store

// How an object-store backend talks to its server: TLS, retries and
// timeouts. The same options for every store (S3Options::connection,
// GcsOptions::connection), and under them for the OAuth token exchanges.
//
//   auto backend = lake::s3_backend("s3://bucket/lake",
//                                   {.region = "eu-west-1",
//                                    .connection = {.max_attempts = 10, .stall_timeout = std::chrono::minutes(2)}});
#pragma once

#include <chrono>
#include <string>

namespace lake {

struct ConnectionOptions {
  bool verify_tls = true;  // off only for a test endpoint with a self-signed certificate
  std::string ca_file{};   // an extra CA bundle (private endpoints)

  // Attempts per request on 5xx, throttling (429, S3's SlowDown) and
  // dropped connections, with full-jitter exponential backoff: the wait
  // after attempt n is uniform in [0, min(max_backoff, base_backoff * 2^(n-1))].
  int max_attempts = 6;
  std::chrono::milliseconds base_backoff{100};
  std::chrono::milliseconds max_backoff{5'000};

  std::chrono::milliseconds connect_timeout{10'000};
  // A request is abandoned when less than a byte a second flows for this
  // long (a stalled server); a large transfer that keeps moving is never cut.
  std::chrono::milliseconds stall_timeout{60'000};
};

}  // namespace lake

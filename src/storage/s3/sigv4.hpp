// AWS Signature Version 4 for S3 requests (header-based authentication).
//
// The signature covers the method, the path, the query, the headers named
// in SignedHeaders and the payload's SHA-256 (or UNSIGNED-PAYLOAD). sign()
// adds x-amz-date, x-amz-content-sha256 and, with temporary credentials,
// x-amz-security-token, then the Authorization header, so a request is
// signed in one call.
//
// The secret key never leaves this file's functions: errors and logs name
// the access key id at most.
#pragma once

#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lake::s3 {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token{};  // temporary credentials (STS) only
};

// Where a signature is valid: the region ("us-east-1") and the service
// ("s3").
struct SigningScope {
  std::string region;
  std::string service = "s3";
};

struct RequestToSign {
  std::string method;  // "GET", "PUT", ...
  // The request path as sent, already percent-encoded ("/bucket/a%24b").
  std::string path;
  // Query parameters, not encoded; order does not matter.
  std::vector<std::pair<std::string, std::string>> query{};
  // Headers as sent; must include "host". Names are case-insensitive.
  std::vector<std::pair<std::string, std::string>> headers{};
};

// The payload hash for requests whose body is not hashed (streamed
// uploads over TLS).
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
// SHA-256 of the empty string: the payload hash of a bodyless request.
inline constexpr std::string_view kEmptyPayloadSha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// Lower-case hex SHA-256 of `data`.
[[nodiscard]] std::string sha256_hex(std::span<const std::byte> data);
[[nodiscard]] std::string sha256_hex(std::string_view text);

// RFC 3986 percent-encoding as SigV4 wants it: unreserved characters
// (A-Z a-z 0-9 - . _ ~) stay, everything else is %XX in upper case; '/'
// stays when encode_slash is false (object keys in paths).
[[nodiscard]] std::string uri_encode(std::string_view text, bool encode_slash);

// "20130524T000000Z": the x-amz-date form of a time.
[[nodiscard]] std::string amz_date(std::chrono::sys_seconds at);

// The canonical request and the string to sign, exposed for tests and for
// diagnosing SignatureDoesNotMatch (S3 returns its own canonical request).
[[nodiscard]] std::string canonical_request(const RequestToSign& request, std::string_view payload_sha256);
[[nodiscard]] std::string string_to_sign(std::string_view canonical, const SigningScope& scope,
                                         std::chrono::sys_seconds at);

// Adds x-amz-date, x-amz-content-sha256 (payload_sha256), x-amz-security-token
// when the credentials carry one, and Authorization to request.headers.
void sign(RequestToSign& request, std::string_view payload_sha256, const Credentials& credentials,
          const SigningScope& scope, std::chrono::sys_seconds at);

}  // namespace lake::s3

// OAuth 2.0 for service accounts (Google's "two-legged" flow, RFC 7523):
// the account's private key signs a JWT (RS256) naming the account, the
// scope and the token endpoint, and the endpoint trades it for a
// short-lived access token.
//
// TokenSource is what the GCS client asks for an Authorization header;
// ServiceAccountTokens caches the token and fetches a new one a margin
// before it expires, one fetch at a time however many threads ask.
//
// The private key and tokens stay inside these types: errors name the
// account's email and the token endpoint, never the key, the JWT or a token.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "lake/error.hpp"
#include "lake/storage/connection.hpp"
#include "storage/object_store/http.hpp"
#include "storage/object_store/oauth_token.hpp"
#include "storage/object_store/retry.hpp"

namespace lake::gcs {

// The fields of a service-account key file that the flow needs.
struct ServiceAccountKey {
  std::string client_email;
  std::string private_key_id{};
  std::string private_key;  // PEM (PKCS#8)
  std::string token_uri;
  std::string project_id{};
};

// Parses a key file's JSON. invalid_argument names what is missing or of
// the wrong type ("type" must be "service_account"); the key is never
// quoted.
[[nodiscard]] Result<ServiceAccountKey> parse_service_account_key(std::string_view json);

// Base64url without padding (JWT's encoding).
[[nodiscard]] std::string base64url(std::span<const std::byte> data);
[[nodiscard]] std::string base64url(std::string_view text);

// The signed assertion: header {"alg":"RS256","typ":"JWT","kid":...},
// claims {iss, scope, aud = token_uri, iat = now, exp = now + lifetime}.
// invalid_argument when the private key does not load.
[[nodiscard]] Result<std::string> make_signed_jwt(const ServiceAccountKey& key, std::string_view scope,
                                                  std::chrono::sys_seconds now,
                                                  std::chrono::seconds lifetime = std::chrono::hours(1));

// A source of the Authorization header value ("Bearer ...").
class TokenSource {
 public:
  virtual ~TokenSource() = default;
  [[nodiscard]] virtual Result<std::string> authorization() = 0;
};

struct TokenExchangeOptions {
  ConnectionOptions connection{};
  std::chrono::seconds refresh_margin{300};
};

class ServiceAccountTokens final : public TokenSource {
 public:
  // Checks that the key loads (invalid_argument otherwise); fetches
  // nothing yet.
  [[nodiscard]] static Result<std::unique_ptr<ServiceAccountTokens>> make(ServiceAccountKey key, std::string scope,
                                                                          TokenExchangeOptions options);

  // The cached token, or a new one when it is within the refresh margin of
  // expiring (the margin is at most half the token's lifetime). A refused
  // grant (400 invalid_grant, 401, 403) is permission_denied.
  [[nodiscard]] Result<std::string> authorization() override;

  // How many tokens were fetched so far (for tests and metrics).
  [[nodiscard]] int fetches() const;
  [[nodiscard]] const std::string& client_email() const { return key_.client_email; }

 private:
  ServiceAccountTokens(ServiceAccountKey key, std::string scope, TokenExchangeOptions options)
      : key_(std::move(key)), scope_(std::move(scope)), options_(std::move(options)) {}
  [[nodiscard]] Result<object_store::OAuthToken> fetch();

  ServiceAccountKey key_;
  std::string scope_;
  TokenExchangeOptions options_;
  object_store::TokenCache cache_;
};

}  // namespace lake::gcs

// Where a session's bearer token comes from when it is not fixed in the
// connection string: OAuth machine-to-machine (the client-credentials
// grant), as Databricks service principals use it. The token is fetched
// from the workspace's token endpoint on first use, cached, and fetched
// again before it expires (a refresh margin of at most half its lifetime),
// so a long-lived client never sends an expired one.
//
// The client secret and the tokens are secrets: they live here and in the
// requests' Authorization headers only; describe() and every error name
// the client id and the endpoint, never them.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "lake/error.hpp"
#include "storage/object_store/oauth_token.hpp"

namespace lake::spark {

class BearerTokenSource {
 public:
  virtual ~BearerTokenSource() = default;
  // A token valid for at least the refresh margin. Thread-safe.
  [[nodiscard]] virtual Result<std::string> token() = 0;
  // For errors and logs: "oauth m2m client <id> via <endpoint>".
  [[nodiscard]] virtual std::string describe() const = 0;
};

struct ClientCredentials {
  std::string token_endpoint{};  // https://<workspace>/oidc/v1/token
  std::string client_id{};
  std::string client_secret{};  // secret
  std::string scope = "all-apis";
  std::chrono::seconds refresh_margin{std::chrono::minutes(5)};
  bool verify_tls = true;
  int max_attempts = 4;  // transient failures (5xx, 429, transport) are retried
};

class ClientCredentialsTokens final : public BearerTokenSource {
 public:
  // invalid_argument when the endpoint, id or secret is missing; fetches
  // nothing yet.
  [[nodiscard]] static Result<std::shared_ptr<ClientCredentialsTokens>> make(ClientCredentials credentials);

  // The cached token, or a new one. A refused grant (400, 401, 403) is
  // permission_denied naming the client id.
  [[nodiscard]] Result<std::string> token() override;
  [[nodiscard]] std::string describe() const override;
  // Tokens fetched so far (for tests and metrics).
  [[nodiscard]] int fetches() const;

 private:
  explicit ClientCredentialsTokens(ClientCredentials credentials) : credentials_(std::move(credentials)) {}
  [[nodiscard]] Result<object_store::OAuthToken> fetch();

  ClientCredentials credentials_;
  object_store::TokenCache cache_;
};

}  // namespace lake::spark

// OAuth 2.0 access tokens from a token endpoint, for every client that
// needs one (GCS service accounts' JWT-bearer grant, Databricks' client-
// credentials grant): the exchange (a form POST, the token and its
// lifetime read from the answer, OAuth's error body turned into a typed
// error) and the cache (the token kept until a margin before it expires,
// one fetch at a time however many threads ask).
//
// Tokens, assertions and client secrets are secrets: they stay in the
// requests and the cache; errors name only what the caller says the grant
// is ("OAuth token for <account> from <endpoint>").
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "lake/error.hpp"
#include "storage/object_store/http.hpp"
#include "storage/object_store/retry.hpp"

namespace lake::object_store {

struct OAuthToken {
  std::string value;
  std::chrono::steady_clock::time_point refresh_at;  // fetch a new one from then on
};

struct OAuthExchange {
  std::string what;     // for errors: "OAuth token for <who> from <endpoint>"
  std::string service;  // for retry messages: "GCS", "OAuth"
  ConnectionOptions connection{};  // retries, TLS and timeouts of the exchange
  // Refresh this long before the token expires (at most half its lifetime).
  std::chrono::seconds refresh_margin{300};
  // Builds the request of one attempt (a fresh assertion each time, if the
  // grant has one).
  std::function<Result<HttpRequest>(int attempt)> prepare;
};

// Posts the grant (transient failures retried per `exchange.connection`). A
// refused grant (400, 401, 403) is ErrorCode::permission_denied with
// OAuth's error and description; an answer without an access_token is io.
// A missing expires_in counts as an hour.
[[nodiscard]] Result<OAuthToken> exchange_token(const OAuthExchange& exchange);

class TokenCache {
 public:
  // The cached token, or the one `fetch` brings when there is none or it
  // is due for refresh.
  [[nodiscard]] Result<std::string> get(const std::function<Result<OAuthToken>()>& fetch);
  // Forgets the token (the service refused it): the next get fetches one.
  void invalidate();
  // Tokens fetched so far (for tests and metrics).
  [[nodiscard]] int fetches() const;

 private:
  mutable std::mutex mutex_;
  std::optional<OAuthToken> token_;
  int fetches_ = 0;
};

}  // namespace lake::object_store

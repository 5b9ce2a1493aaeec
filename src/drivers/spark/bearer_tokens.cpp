#include "drivers/spark/bearer_tokens.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <format>

#include "lake/schema/detail/json_codec.hpp"
#include "storage/object_store/http.hpp"
#include "storage/object_store/retry.hpp"

namespace lake::spark {
namespace {

// application/x-www-form-urlencoded, which the client id and secret also
// get inside HTTP Basic (RFC 6749 section 2.3.1).
std::string form_encode(std::string_view text) { return object_store::percent_encode(text); }

}  // namespace

Result<std::shared_ptr<ClientCredentialsTokens>> ClientCredentialsTokens::make(ClientCredentials credentials) {
  if (credentials.token_endpoint.empty())
    return fail(ErrorCode::invalid_argument, "OAuth client credentials: no token endpoint");
  if (credentials.client_id.empty()) return fail(ErrorCode::invalid_argument, "OAuth client credentials: no client id");
  if (credentials.client_secret.empty())
    return fail(ErrorCode::invalid_argument,
                std::format("OAuth client credentials: no client secret for client {}", credentials.client_id));
  return std::shared_ptr<ClientCredentialsTokens>(new ClientCredentialsTokens(std::move(credentials)));
}

std::string ClientCredentialsTokens::describe() const {
  return std::format("oauth m2m client {} via {}", credentials_.client_id, credentials_.token_endpoint);
}

int ClientCredentialsTokens::fetches() const { return cache_.fetches(); }

Result<std::string> ClientCredentialsTokens::token() {
  return cache_.get([this] { return fetch(); });
}

Result<object_store::OAuthToken> ClientCredentialsTokens::fetch() {
  const std::string pair = form_encode(credentials_.client_id) + ":" + form_encode(credentials_.client_secret);
  const std::string authorization =
      "Basic " + lake::detail::base64_encode(lake::bytes(reinterpret_cast<const std::byte*>(pair.data()),
                                                         reinterpret_cast<const std::byte*>(pair.data() + pair.size())));
  const std::string body = "grant_type=client_credentials&scope=" + form_encode(credentials_.scope);
  return object_store::exchange_token(object_store::OAuthExchange{
      .what = std::format("OAuth token for client {} from {}", credentials_.client_id, credentials_.token_endpoint),
      .service = "OAuth",
      .connection = {.verify_tls = credentials_.verify_tls, .max_attempts = std::max(1, credentials_.max_attempts)},
      .refresh_margin = credentials_.refresh_margin,
      .prepare = [&](int) -> Result<object_store::HttpRequest> {
        // Field by field: GCC 16 at -O3 takes the designated initializer's
        // defaulted members for uninitialized (-Wmaybe-uninitialized).
        object_store::HttpRequest request;
        request.method = "POST";
        request.url = credentials_.token_endpoint;
        request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                           {"Authorization", authorization},
                           {"Accept", "application/json"}};
        request.body = std::as_bytes(std::span(body));
        request.description = "POST " + credentials_.token_endpoint;
        return request;
      }});
}

}  // namespace lake::spark

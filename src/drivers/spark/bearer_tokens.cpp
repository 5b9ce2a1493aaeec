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
std::string form_encode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
      out += static_cast<char>(c);
    else
      out += std::format("%{:02X}", c);
  }
  return out;
}

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

int ClientCredentialsTokens::fetches() const {
  std::scoped_lock lock(mutex_);
  return fetches_;
}

Result<std::string> ClientCredentialsTokens::token() {
  std::scoped_lock lock(mutex_);  // one fetch at a time; the others wait for its token
  if (token_ && std::chrono::steady_clock::now() < token_->refresh_at) return token_->value;
  auto fetched = fetch();
  if (!fetched) return std::unexpected(fetched.error());
  token_ = std::move(*fetched);
  ++fetches_;
  return token_->value;
}

Result<ClientCredentialsTokens::Token> ClientCredentialsTokens::fetch() {
  using object_store::HttpRequest;
  using object_store::HttpResponse;
  const std::string what = std::format("OAuth token for client {} from {}", credentials_.client_id,
                                       credentials_.token_endpoint);
  // OAuth's error body: {"error": "invalid_client", "error_description": "..."}.
  auto failure = [&](const HttpResponse& response) {
    std::string reason;
    const auto document = nlohmann::json::parse(response.body_text(), nullptr, false);
    if (document.is_object()) {
      if (auto code = document.find("error"); code != document.end() && code->is_string())
        reason = code->get<std::string>();
      if (auto text = document.find("error_description"); text != document.end() && text->is_string())
        reason += (reason.empty() ? "" : ": ") + text->get<std::string>();
    }
    const bool refused = response.status == 400 || response.status == 401 || response.status == 403;
    return Error(refused ? ErrorCode::permission_denied : ErrorCode::io,
                 std::format("{}: HTTP {}{}", what, response.status, reason.empty() ? "" : " " + reason));
  };
  const std::string pair = form_encode(credentials_.client_id) + ":" + form_encode(credentials_.client_secret);
  const std::string authorization =
      "Basic " + lake::detail::base64_encode(lake::bytes(reinterpret_cast<const std::byte*>(pair.data()),
                                                         reinterpret_cast<const std::byte*>(pair.data() + pair.size())));
  const std::string body = "grant_type=client_credentials&scope=" + form_encode(credentials_.scope);
  auto started = std::chrono::steady_clock::now();
  auto prepare = [&](int) -> Result<HttpRequest> {
    started = std::chrono::steady_clock::now();
    return HttpRequest{.method = "POST",
                       .url = credentials_.token_endpoint,
                       .headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                                   {"Authorization", authorization},
                                   {"Accept", "application/json"}},
                       .body = std::as_bytes(std::span(body)),
                       .verify_tls = credentials_.verify_tls,
                       .description = "POST " + credentials_.token_endpoint};
  };
  auto transient = [&](const HttpResponse& response) -> std::optional<Error> {
    if (!object_store::transient_status(response.status)) return std::nullopt;
    return failure(response);
  };
  object_store::RetryPolicy policy;
  policy.max_attempts = std::max(1, credentials_.max_attempts);
  auto response = object_store::send_with_retries(policy, "OAuth", prepare, transient);
  if (!response) return std::unexpected(response.error());
  if (response->status != 200) return fail(failure(*response));
  const auto document = nlohmann::json::parse(response->body_text(), nullptr, false);
  if (!document.is_object() || !document.contains("access_token") || !document["access_token"].is_string())
    return fail(ErrorCode::io, std::format("{}: the response has no access_token", what));
  std::int64_t expires_in = 3600;
  if (auto found = document.find("expires_in"); found != document.end() && found->is_number_integer())
    expires_in = found->get<std::int64_t>();
  const auto lifetime = std::chrono::seconds(std::max<std::int64_t>(expires_in, 0));
  const auto margin = std::min<std::chrono::seconds>(credentials_.refresh_margin, lifetime / 2);
  return Token{document["access_token"].get<std::string>(), started + lifetime - margin};
}

}  // namespace lake::spark

#include "storage/object_store/oauth_token.hpp"
#include "core/propagate.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <format>

namespace lake::object_store {

Result<OAuthToken> exchange_token(const OAuthExchange& exchange) {
  // OAuth's error body: {"error": "invalid_grant", "error_description": "..."}.
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
                 std::format("{}: HTTP {}{}", exchange.what, response.status, reason.empty() ? "" : " " + reason));
  };
  // The token's lifetime counts from when the request that got it left.
  auto started = std::chrono::steady_clock::now();
  auto prepare = [&](int attempt) {
    started = std::chrono::steady_clock::now();
    return exchange.prepare(attempt);
  };
  auto transient = [&](const HttpResponse& response) -> std::optional<Error> {
    if (!transient_status(response.status)) return std::nullopt;
    return failure(response);
  };
  auto response = send_with_retries(exchange.connection, exchange.service, prepare, transient);
  LAKE_RETURN_IF_ERROR(response);
  if (response->status != 200) return fail(failure(*response));
  const auto document = nlohmann::json::parse(response->body_text(), nullptr, false);
  if (!document.is_object() || !document.contains("access_token") || !document["access_token"].is_string())
    return fail(ErrorCode::io, std::format("{}: the response has no access_token", exchange.what));
  std::int64_t expires_in = 3600;
  if (auto found = document.find("expires_in"); found != document.end() && found->is_number_integer())
    expires_in = found->get<std::int64_t>();
  const auto lifetime = std::chrono::seconds(std::max<std::int64_t>(expires_in, 0));
  const auto margin = std::min<std::chrono::seconds>(exchange.refresh_margin, lifetime / 2);
  return OAuthToken{document["access_token"].get<std::string>(), started + lifetime - margin};
}

Result<std::string> TokenCache::get(const std::function<Result<OAuthToken>()>& fetch) {
  std::scoped_lock lock(mutex_);  // one fetch at a time; the others wait for its token
  if (!token_ || std::chrono::steady_clock::now() >= token_->refresh_at) {
    auto fresh = fetch();
    LAKE_RETURN_IF_ERROR(fresh);
    token_ = std::move(*fresh);
    ++fetches_;
  }
  return token_->value;
}

void TokenCache::invalidate() {
  std::scoped_lock lock(mutex_);
  token_.reset();
}

int TokenCache::fetches() const {
  std::scoped_lock lock(mutex_);
  return fetches_;
}

}  // namespace lake::object_store

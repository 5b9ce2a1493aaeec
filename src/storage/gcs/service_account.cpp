#include "storage/gcs/service_account.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <format>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/propagate.hpp"
#include "storage/s3/sigv4.hpp"  // uri_encode: RFC 3986, as form bodies want it too

namespace lake::gcs {
namespace {

using Json = nlohmann::json;
using object_store::HttpRequest;
using object_store::HttpResponse;

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct KeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct MdContextDeleter {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};

std::unique_ptr<EVP_PKEY, KeyDeleter> load_private_key(std::string_view pem) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return nullptr;
  std::unique_ptr<EVP_PKEY, KeyDeleter> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  // OpenSSL's error queue would name PEM parsing details; nothing of them
  // is reported, and the queue must not leak into later calls.
  ERR_clear_error();
  if (key && EVP_PKEY_base_id(key.get()) != EVP_PKEY_RSA) return nullptr;
  return key;
}

Error key_error(std::string_view what) {
  return Error(ErrorCode::invalid_argument, std::format("service-account key: {}", what));
}

}  // namespace

Result<ServiceAccountKey> parse_service_account_key(std::string_view json) {
  const Json document = Json::parse(json, nullptr, false);
  if (document.is_discarded() || !document.is_object()) return fail(key_error("not a JSON object"));
  auto text = [&](const char* name) -> std::optional<std::string> {
    auto found = document.find(name);
    if (found == document.end() || !found->is_string()) return std::nullopt;
    return found->get<std::string>();
  };
  if (auto type = text("type"); type != "service_account")
    return fail(key_error(std::format("\"type\" is {}, not \"service_account\"",
                                      type ? "\"" + *type + "\"" : std::string("missing"))));
  ServiceAccountKey key;
  for (auto [name, field] : {std::pair{"client_email", &key.client_email}, std::pair{"private_key", &key.private_key},
                             std::pair{"token_uri", &key.token_uri}}) {
    auto value = text(name);
    if (!value || value->empty()) return fail(key_error(std::format("\"{}\" is missing or not a string", name)));
    *field = std::move(*value);
  }
  key.private_key_id = text("private_key_id").value_or("");
  key.project_id = text("project_id").value_or("");
  if (!key.token_uri.starts_with("https://") && !key.token_uri.starts_with("http://"))
    return fail(key_error(std::format("token_uri '{}' is not an http(s) URL", key.token_uri)));
  return key;
}

std::string base64url(std::span<const std::byte> data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

std::string base64url(std::string_view text) { return base64url(std::as_bytes(std::span(text))); }

Result<std::string> make_signed_jwt(const ServiceAccountKey& key, std::string_view scope, std::chrono::sys_seconds now,
                                    std::chrono::seconds lifetime) {
  auto private_key = load_private_key(key.private_key);
  if (!private_key)
    return fail(key_error(std::format("the private_key of {} is not a PEM RSA private key", key.client_email)));
  Json header = {{"alg", "RS256"}, {"typ", "JWT"}};
  if (!key.private_key_id.empty()) header["kid"] = key.private_key_id;
  const auto issued = now.time_since_epoch().count();
  const Json claims = {{"iss", key.client_email},
                       {"scope", scope},
                       {"aud", key.token_uri},
                       {"iat", issued},
                       {"exp", issued + lifetime.count()}};
  const std::string signing_input = base64url(header.dump()) + "." + base64url(claims.dump());

  std::unique_ptr<EVP_MD_CTX, MdContextDeleter> context(EVP_MD_CTX_new());
  std::size_t size = 0;
  if (!context || EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr, private_key.get()) != 1 ||
      EVP_DigestSign(context.get(), nullptr, &size, reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    ERR_clear_error();
    return fail(ErrorCode::internal, std::format("signing the token request of {} failed", key.client_email));
  }
  std::vector<std::byte> signature(size);
  if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                     reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) != 1) {
    ERR_clear_error();
    return fail(ErrorCode::internal, std::format("signing the token request of {} failed", key.client_email));
  }
  signature.resize(size);
  return signing_input + "." + base64url(signature);
}

Result<std::unique_ptr<ServiceAccountTokens>> ServiceAccountTokens::make(ServiceAccountKey key, std::string scope,
                                                                         TokenExchangeOptions options) {
  if (!load_private_key(key.private_key))
    return fail(key_error(std::format("the private_key of {} is not a PEM RSA private key", key.client_email)));
  return std::unique_ptr<ServiceAccountTokens>(
      new ServiceAccountTokens(std::move(key), std::move(scope), std::move(options)));
}

int ServiceAccountTokens::fetches() const { return cache_.fetches(); }

Result<std::string> ServiceAccountTokens::authorization() {
  auto token = cache_.get([this] { return fetch(); });
  LAKE_RETURN_IF_ERROR(token);
  return "Bearer " + *token;
}

Result<object_store::OAuthToken> ServiceAccountTokens::fetch() {
  std::string body;  // the request's, alive while it is sent
  return object_store::exchange_token(object_store::OAuthExchange{
      .what = std::format("OAuth token for {} from {}", key_.client_email, key_.token_uri),
      .service = "GCS",
      .connection = options_.connection,
      .refresh_margin = options_.refresh_margin,
      .prepare = [&](int) -> Result<HttpRequest> {
        // A fresh assertion per attempt: its iat/exp window is short.
        auto jwt =
            make_signed_jwt(key_, scope_, std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
        LAKE_RETURN_IF_ERROR(jwt);
        body = "grant_type=" + s3::uri_encode("urn:ietf:params:oauth:grant-type:jwt-bearer", true) +
               "&assertion=" + *jwt;
        // Field by field: GCC 16 at -O3 takes a designated initializer's
        // defaulted members for uninitialized (-Wmaybe-uninitialized).
        HttpRequest request;
        request.method = "POST";
        request.url = key_.token_uri;
        request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
        request.body = std::as_bytes(std::span(body));
        request.description = "POST " + key_.token_uri;
        return request;
      }});
}

}  // namespace lake::gcs

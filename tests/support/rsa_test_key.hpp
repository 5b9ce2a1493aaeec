// Freshly generated RSA keys for service-account tests: the PEM a key file
// carries, a key file's JSON around it, and RS256 JWT verification the way
// Google's token endpoint does it (signature, then the claims).
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lake::testing {

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

class RsaTestKey {
 public:
  RsaTestKey() : key_(EVP_RSA_gen(2048)) {}

  [[nodiscard]] std::string private_pem() const {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return {data, static_cast<std::size_t>(size)};
  }

  // A key file as Google's console writes one.
  [[nodiscard]] std::string key_file_json(std::string_view email, std::string_view token_uri) const {
    return nlohmann::json{{"type", "service_account"},
                          {"project_id", "lake-test-project"},
                          {"private_key_id", "0123456789abcdef"},
                          {"private_key", private_pem()},
                          {"client_email", std::string(email)},
                          {"client_id", "1234567890"},
                          {"auth_uri", "https://accounts.google.com/o/oauth2/auth"},
                          {"token_uri", std::string(token_uri)}}
        .dump(2);
  }

  // Whether `jwt` is "header.claims.signature" with a valid RS256
  // signature by this key; the decoded claims when it is.
  [[nodiscard]] std::optional<nlohmann::json> verify(std::string_view jwt, nlohmann::json* header_out = nullptr) const {
    const auto first = jwt.find('.');
    const auto second = jwt.find('.', first + 1);
    if (first == std::string_view::npos || second == std::string_view::npos) return std::nullopt;
    const std::string_view signing_input = jwt.substr(0, second);
    const std::string signature = base64url_decode(jwt.substr(second + 1));
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    if (EVP_DigestVerifyInit(context.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1) return std::nullopt;
    if (EVP_DigestVerify(context.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                         reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) != 1)
      return std::nullopt;
    auto header = nlohmann::json::parse(base64url_decode(jwt.substr(0, first)), nullptr, false);
    auto claims = nlohmann::json::parse(base64url_decode(jwt.substr(first + 1, second - first - 1)), nullptr, false);
    if (header.is_discarded() || claims.is_discarded() || header.value("alg", "") != "RS256") return std::nullopt;
    if (header_out) *header_out = header;
    return claims;
  }

  static std::string base64url_decode(std::string_view text) {
    std::string standard(text);
    for (char& c : standard) {
      if (c == '-') c = '+';
      if (c == '_') c = '/';
    }
    while (standard.size() % 4 != 0) standard.push_back('=');
    std::string out(standard.size(), '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(standard.data()),
                                  static_cast<int>(standard.size()));
    if (n < 0) return {};
    out.resize(static_cast<std::size_t>(n));
    // EVP_DecodeBlock counts the padding's zero bytes.
    for (std::size_t i = text.size(); i % 4 != 0; ++i) out.pop_back();
    return out;
  }

 private:
  std::unique_ptr<EVP_PKEY, PkeyDeleter> key_;
};

}  // namespace lake::testing

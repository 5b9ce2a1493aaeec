#include "storage/s3/sigv4.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <format>

namespace lake::s3 {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

using Digest = std::array<unsigned char, 32>;

std::string to_hex(std::span<const unsigned char> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    hex.push_back(kDigits[b >> 4]);
    hex.push_back(kDigits[b & 0xF]);
  }
  return hex;
}

Digest hmac(std::span<const unsigned char> key, std::string_view data) {
  Digest out{};
  unsigned int size = 0;
  // One-shot HMAC cannot fail with SHA-256 and in-memory buffers.
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out.data(), &size);
  return out;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Header values are signed trimmed, with runs of spaces collapsed to one.
std::string trim_value(std::string_view value) {
  std::string out;
  bool space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

// Sorted (name, value) pairs, names lower-cased, repeated names joined by
// ','; the header list and SignedHeaders come from the same pairs.
std::vector<std::pair<std::string, std::string>> canonical_headers(
    const std::vector<std::pair<std::string, std::string>>& headers) {
  std::vector<std::pair<std::string, std::string>> sorted;
  for (const auto& [name, value] : headers) sorted.emplace_back(lower(name), trim_value(value));
  std::ranges::stable_sort(sorted, {}, &std::pair<std::string, std::string>::first);
  std::vector<std::pair<std::string, std::string>> merged;
  for (auto& [name, value] : sorted) {
    if (!merged.empty() && merged.back().first == name) {
      merged.back().second += "," + value;
    } else {
      merged.emplace_back(std::move(name), std::move(value));
    }
  }
  return merged;
}

std::string signed_header_names(const std::vector<std::pair<std::string, std::string>>& canonical) {
  std::string names;
  for (const auto& [name, value] : canonical) {
    if (!names.empty()) names += ';';
    names += name;
  }
  return names;
}

std::string scope_of(const SigningScope& scope, std::chrono::sys_seconds at) {
  return std::format("{}/{}/{}/aws4_request", amz_date(at).substr(0, 8), scope.region, scope.service);
}

}  // namespace

std::string sha256_hex(std::span<const std::byte> data) {
  Digest digest{};
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr);
  return to_hex(digest);
}

std::string sha256_hex(std::string_view text) { return sha256_hex(std::as_bytes(std::span(text))); }

std::string uri_encode(std::string_view text, bool encode_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    const bool unreserved = std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved || (c == '/' && !encode_slash)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kDigits[c >> 4]);
      out.push_back(kDigits[c & 0xF]);
    }
  }
  return out;
}

std::string amz_date(std::chrono::sys_seconds at) { return std::format("{:%Y%m%dT%H%M%SZ}", at); }

std::string canonical_request(const RequestToSign& request, std::string_view payload_sha256) {
  std::vector<std::pair<std::string, std::string>> query;
  for (const auto& [name, value] : request.query) query.emplace_back(uri_encode(name, true), uri_encode(value, true));
  std::ranges::sort(query);
  std::string query_text;
  for (const auto& [name, value] : query) {
    if (!query_text.empty()) query_text += '&';
    query_text += name + '=' + value;
  }
  const auto headers = canonical_headers(request.headers);
  std::string header_text;
  for (const auto& [name, value] : headers) header_text += name + ':' + value + '\n';
  return std::format("{}\n{}\n{}\n{}\n{}\n{}", request.method, request.path.empty() ? "/" : request.path, query_text,
                     header_text, signed_header_names(headers), payload_sha256);
}

std::string string_to_sign(std::string_view canonical, const SigningScope& scope, std::chrono::sys_seconds at) {
  return std::format("{}\n{}\n{}\n{}", kAlgorithm, amz_date(at), scope_of(scope, at), sha256_hex(canonical));
}

void sign(RequestToSign& request, std::string_view payload_sha256, const Credentials& credentials,
          const SigningScope& scope, std::chrono::sys_seconds at) {
  request.headers.emplace_back("x-amz-date", amz_date(at));
  request.headers.emplace_back("x-amz-content-sha256", std::string(payload_sha256));
  if (!credentials.session_token.empty()) request.headers.emplace_back("x-amz-security-token", credentials.session_token);

  const std::string canonical = canonical_request(request, payload_sha256);
  const std::string signed_names = signed_header_names(canonical_headers(request.headers));
  const std::string secret = "AWS4" + credentials.secret_access_key;
  Digest key = hmac(std::span(reinterpret_cast<const unsigned char*>(secret.data()), secret.size()),
                    amz_date(at).substr(0, 8));
  key = hmac(key, scope.region);
  key = hmac(key, scope.service);
  key = hmac(key, "aws4_request");
  const std::string signature = to_hex(hmac(key, string_to_sign(canonical, scope, at)));
  request.headers.emplace_back("Authorization",
                               std::format("{} Credential={}/{},SignedHeaders={},Signature={}", kAlgorithm,
                                           credentials.access_key_id, scope_of(scope, at), signed_names, signature));
}

}  // namespace lake::s3

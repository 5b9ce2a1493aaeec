#include "drivers/spark/connection_settings.hpp"

#include "core/propagate.hpp"
#include "drivers/spark/bearer_tokens.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <format>

namespace lake::spark {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

Result<bool> parse_bool(std::string_view key, std::string_view value) {
  const std::string v = lower(value);
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  return fail(ErrorCode::invalid_argument,
              std::format("spark connection string: parameter '{}' must be true or false, not '{}'", key, value));
}

}  // namespace

std::string ConnectionSettings::target() const {
  // An IPv6 literal keeps its brackets in a gRPC target.
  if (host.find(':') != std::string::npos) return std::format("[{}]:{}", host, port);
  return std::format("{}:{}", host, port);
}

std::string ConnectionSettings::describe() const {
  std::string out = std::format("sc://{}", target());
  std::vector<std::string> traits;
  if (use_tls) traits.emplace_back("tls");
  if (token_source)
    traits.push_back(token_source->describe());
  else if (!bearer_token.empty())
    traits.emplace_back("token");
  if (!headers.empty()) {
    std::string names = "headers";
    for (const auto& [key, value] : headers) names += " " + key;
    traits.push_back(std::move(names));
  }
  if (!traits.empty()) {
    out += " (";
    for (std::size_t i = 0; i < traits.size(); ++i) out += (i ? ", " : "") + traits[i];
    out += ")";
  }
  return out;
}

Result<ConnectionSettings> parse_connection_string(std::string_view text) {
  constexpr std::string_view scheme = "sc://";
  if (!text.starts_with(scheme)) {
    return fail(ErrorCode::invalid_argument, "spark connection string must start with sc://");
  }
  std::string_view rest = text.substr(scheme.size());
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view params = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);

  ConnectionSettings settings;
  std::string_view port_text;
  if (authority.starts_with('[')) {  // [IPv6]:port
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return fail(ErrorCode::invalid_argument, "spark connection string: unterminated [IPv6] host");
    }
    settings.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (after.starts_with(':')) port_text = after.substr(1);
  } else {
    const auto colon = authority.rfind(':');
    settings.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (settings.host.empty()) return fail(ErrorCode::invalid_argument, "spark connection string has no host");
  if (!port_text.empty()) {
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 || port > 65535) {
      return fail(ErrorCode::invalid_argument, std::format("spark connection string: bad port '{}'", port_text));
    }
    settings.port = static_cast<std::uint16_t>(port);
  }

  // pyspark separates parameters with ';' and allows a leading one.
  bool tls_explicit = false;
  while (!params.empty()) {
    const auto semi = params.find(';');
    std::string_view item = params.substr(0, semi);
    params = semi == std::string_view::npos ? std::string_view{} : params.substr(semi + 1);
    if (item.empty()) continue;
    const auto eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return fail(ErrorCode::invalid_argument,
                  std::format("spark connection string: parameter '{}' is not key=value", item.substr(0, eq)));
    }
    const std::string key = lower(item.substr(0, eq));
    const std::string_view value = item.substr(eq + 1);
    if (key == "token") {
      settings.bearer_token = std::string(value);
    } else if (key == "use_ssl") {
      auto flag = parse_bool(key, value);
      LAKE_RETURN_IF_ERROR(flag);
      settings.use_tls = *flag;
      tls_explicit = true;
    } else if (key == "user_id") {
      settings.user_id = std::string(value);
    } else if (key == "user_agent") {
      settings.user_agent = std::string(value);
    } else if (key == "session_id") {
      settings.session_id = std::string(value);
    } else {
      settings.headers.emplace_back(key, std::string(value));
    }
  }
  if (!settings.bearer_token.empty() && !tls_explicit) settings.use_tls = true;
  return settings;
}

}  // namespace lake::spark

// Databricks Connect settings: a workspace host, a cluster id, and a
// personal access token or OAuth M2M credentials, as Spark Connect
// connection settings.
#include <charconv>
#include <cstdlib>
#include <format>
#include <string_view>

#include "core/propagate.hpp"
#include "drivers/spark/bearer_tokens.hpp"
#include "drivers/spark/spark_driver.hpp"
#include "lake/drivers/spark.hpp"

namespace lake::spark {
namespace {

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

std::string bare_host(std::string host) {
  for (std::string_view scheme : {"https://", "http://"})
    if (host.starts_with(scheme)) host.erase(0, scheme.size());
  while (host.ends_with('/')) host.pop_back();
  return host;
}

bool is_loopback(std::string_view host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.starts_with("127.");
}

// DATABRICKS_HOST as Databricks' tools take it: a host, or a URL
// (https://host[:port][/]). http:// turns TLS off, which only a local
// stand-in may ask for: a token must never cross a network in clear.
Status apply_workspace_url(std::string url, DatabricksSettings& settings) {
  while (url.ends_with('/')) url.pop_back();
  if (url.starts_with("http://")) {
    url.erase(0, 7);
    settings.use_tls = false;
  } else if (url.starts_with("https://")) {
    url.erase(0, 8);
  } else if (url.find("://") != std::string::npos) {
    return fail(ErrorCode::invalid_argument,
                std::format("DATABRICKS_HOST '{}' is neither a host nor an https:// URL", url));
  }
  // host:port, and [v6]:port; a bare v6 address has no port.
  const auto colon = url.rfind(':');
  const bool has_port = colon != std::string::npos && (url.starts_with('[') ? url[colon - 1] == ']'
                                                                             : url.find(':') == colon);
  if (has_port) {
    const std::string_view digits = std::string_view(url).substr(colon + 1);
    unsigned port = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (error != std::errc{} || end != digits.data() + digits.size() || port == 0 || port > 65535)
      return fail(ErrorCode::invalid_argument, std::format("DATABRICKS_HOST has a bad port '{}'", digits));
    settings.port = static_cast<std::uint16_t>(port);
    url.resize(colon);
  }
  if (url.empty()) return fail(ErrorCode::invalid_argument, "DATABRICKS_HOST names no host");
  if (!settings.use_tls && !is_loopback(url))
    return fail(ErrorCode::invalid_argument,
                std::format("DATABRICKS_HOST '{}' uses http://: tokens would travel in clear; only a loopback host "
                            "(a local stand-in) may",
                            url));
  settings.host = std::move(url);
  return {};
}

}  // namespace

Result<DatabricksSettings> databricks_settings_from_environment(std::string_view given_host,
                                                                std::string_view given_cluster_id) {
  DatabricksSettings settings{.host = {},
                              .cluster_id = given_cluster_id.empty() ? environment("DATABRICKS_CLUSTER_ID")
                                                                     : std::string(given_cluster_id),
                              .token = environment("DATABRICKS_TOKEN"),
                              .client_id = environment("DATABRICKS_CLIENT_ID"),
                              .client_secret = environment("DATABRICKS_CLIENT_SECRET"),
                              .token_endpoint = environment("DATABRICKS_OAUTH_TOKEN_URL")};
  const std::string host = given_host.empty() ? environment("DATABRICKS_HOST") : std::string(given_host);
  if (host.empty()) return fail(ErrorCode::invalid_argument, "DATABRICKS_HOST is not set");
  LAKE_RETURN_IF_ERROR(apply_workspace_url(host, settings));
  if (settings.cluster_id.empty()) return fail(ErrorCode::invalid_argument, "DATABRICKS_CLUSTER_ID is not set");
  if (settings.token.empty() && settings.client_id.empty())
    return fail(ErrorCode::invalid_argument,
                "neither DATABRICKS_TOKEN nor DATABRICKS_CLIENT_ID (with DATABRICKS_CLIENT_SECRET) is set");
  return settings;
}

Result<std::shared_ptr<Driver>> databricks_driver(const DatabricksSettings& databricks, DriverOptions options) {
  const std::string host = bare_host(databricks.host);
  if (host.empty()) return fail(ErrorCode::invalid_argument, "databricks: no workspace host");
  if (databricks.cluster_id.empty()) return fail(ErrorCode::invalid_argument, "databricks: no cluster id");
  const bool pat = !databricks.token.empty();
  const bool m2m = !databricks.client_id.empty() || !databricks.client_secret.empty();
  if (pat == m2m)
    return fail(ErrorCode::invalid_argument,
                "databricks: give either a personal access token or a client id and secret (OAuth M2M), not both "
                "or neither");
  ConnectionSettings settings;
  settings.host = host;
  settings.port = databricks.port;
  settings.use_tls = databricks.use_tls;
  settings.user_agent = "lake-orm";
  settings.headers.emplace_back("x-databricks-cluster-id", databricks.cluster_id);
  if (pat) {
    settings.bearer_token = databricks.token;
  } else {
    auto tokens = ClientCredentialsTokens::make(
        {.token_endpoint = databricks.token_endpoint.empty() ? std::format("https://{}/oidc/v1/token", host)
                                                             : databricks.token_endpoint,
         .client_id = databricks.client_id,
         .client_secret = databricks.client_secret});
    if (!tokens) return std::unexpected(tokens.error().with_context("databricks"));
    settings.token_source = std::move(*tokens);
  }
  return make_driver(std::move(settings), options);
}

}  // namespace lake::spark

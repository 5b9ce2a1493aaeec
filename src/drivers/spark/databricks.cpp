// Databricks Connect settings: a workspace host, a cluster id, and a
// personal access token or OAuth M2M credentials, as Spark Connect
// connection settings.
#include <cstdlib>
#include <format>

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

}  // namespace

Result<DatabricksSettings> databricks_settings_from_environment() {
  DatabricksSettings settings{.host = environment("DATABRICKS_HOST"),
                              .cluster_id = environment("DATABRICKS_CLUSTER_ID"),
                              .token = environment("DATABRICKS_TOKEN"),
                              .client_id = environment("DATABRICKS_CLIENT_ID"),
                              .client_secret = environment("DATABRICKS_CLIENT_SECRET"),
                              .token_endpoint = environment("DATABRICKS_OAUTH_TOKEN_URL")};
  if (settings.host.empty()) return fail(ErrorCode::invalid_argument, "DATABRICKS_HOST is not set");
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

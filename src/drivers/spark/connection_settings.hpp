// Where and how to reach a Spark Connect server: the `sc://` connection
// string every Spark Connect client accepts,
//
//   sc://host[:port][/;param=value;param=value...]
//
// with the parameters pyspark's ChannelBuilder knows: `token` (a bearer
// token, e.g. a Databricks personal access token), `use_ssl`, `user_id`,
// `user_agent`, `session_id`; any other parameter (e.g.
// `x-databricks-cluster-id`) is sent as a gRPC metadata header on every
// call, which is how Databricks routes a request to a cluster.
//
// The token is a secret: it lives only here and in the `authorization`
// header of each call, and describe() (what errors and logs may show)
// leaves it out.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lake/error.hpp"

namespace lake::spark {

class BearerTokenSource;

inline constexpr std::uint16_t default_spark_connect_port = 15002;

struct ConnectionSettings {
  std::string host;
  std::uint16_t port = default_spark_connect_port;
  // TLS to the server (system roots). A token implies it unless the string
  // says use_ssl=false, as pyspark does: tokens are for remote clusters,
  // while a local server with a pre-shared token speaks plaintext on
  // loopback.
  bool use_tls = false;
  std::string bearer_token{};  // secret; empty when there is none
  // Tokens that change (OAuth machine-to-machine), asked for one on every
  // call; when set, bearer_token is unused.
  std::shared_ptr<BearerTokenSource> token_source{};
  std::string user_id{};       // UserContext.user_id (default: "lake-orm")
  std::string user_agent{};    // goes into client_type, for the server's logs
  std::string session_id{};    // reuse a server session (a UUID); empty: a new one
  // Extra gRPC metadata sent with every call, lower-case keys.
  std::vector<std::pair<std::string, std::string>> headers{};

  // "host:port" as gRPC wants it.
  [[nodiscard]] std::string target() const;
  // The connection string without secrets, for errors and logs:
  // "sc://host:port (tls, token, headers x-databricks-cluster-id)".
  [[nodiscard]] std::string describe() const;
};

// Parses an sc:// connection string. Errors (invalid_argument) name the
// offending part, never the token's value.
[[nodiscard]] Result<ConnectionSettings> parse_connection_string(std::string_view text);

}  // namespace lake::spark

// The Spark Connect client's pieces that need no Spark: connection
// strings, literals, error translation, bounded retry, and the call
// metadata and cluster-not-ready retry against a scripted in-process gRPC
// server speaking the real service definition.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include "drivers/spark/connection_settings.hpp"
#include "drivers/spark/retry_policy.hpp"
#include "drivers/spark/session.hpp"
#include "drivers/spark/spark_errors.hpp"
#include "drivers/spark/sql_parameters.hpp"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace {

using lake::ErrorCode;
using namespace std::chrono_literals;

TEST(SparkConnectionString, ParsesHostPortAndParameters) {
  auto settings = lake::spark::parse_connection_string(
      "sc://example.cloud.databricks.com:443/;token=dapi-secret;x-databricks-cluster-id=0123-abc;user_id=svc");
  ASSERT_TRUE(settings) << settings.error().to_string();
  EXPECT_EQ(settings->host, "example.cloud.databricks.com");
  EXPECT_EQ(settings->port, 443);
  EXPECT_TRUE(settings->use_tls);  // a token implies TLS
  EXPECT_EQ(settings->bearer_token, "dapi-secret");
  EXPECT_EQ(settings->user_id, "svc");
  ASSERT_EQ(settings->headers.size(), 1U);
  EXPECT_EQ(settings->headers[0].first, "x-databricks-cluster-id");
  EXPECT_EQ(settings->headers[0].second, "0123-abc");
  EXPECT_EQ(settings->target(), "example.cloud.databricks.com:443");
}

TEST(SparkConnectionString, DefaultsAndExplicitPlaintext) {
  auto plain = lake::spark::parse_connection_string("sc://localhost");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->port, lake::spark::default_spark_connect_port);
  EXPECT_FALSE(plain->use_tls);
  auto local_token = lake::spark::parse_connection_string("sc://127.0.0.1:15002/;use_ssl=false;token=t");
  ASSERT_TRUE(local_token);
  EXPECT_FALSE(local_token->use_tls);
  auto v6 = lake::spark::parse_connection_string("sc://[::1]:15003");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->target(), "[::1]:15003");
}

TEST(SparkConnectionString, RejectsMalformedWithoutEchoingSecrets) {
  EXPECT_FALSE(lake::spark::parse_connection_string("http://host"));
  EXPECT_FALSE(lake::spark::parse_connection_string("sc://host:99999"));
  EXPECT_FALSE(lake::spark::parse_connection_string("sc://:15002"));
  auto bad = lake::spark::parse_connection_string("sc://host/;token=s3cr3t;use_ssl=maybe");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(bad.error().message().find("s3cr3t"), std::string::npos);
}

TEST(SparkConnectionString, DescribeLeavesTheTokenOut) {
  auto settings = lake::spark::parse_connection_string("sc://h:1/;token=very-secret;x-databricks-cluster-id=c1");
  ASSERT_TRUE(settings);
  const std::string described = settings->describe();
  EXPECT_EQ(described.find("very-secret"), std::string::npos) << described;
  EXPECT_NE(described.find("token"), std::string::npos) << described;
  EXPECT_NE(described.find("x-databricks-cluster-id"), std::string::npos) << described;
}

TEST(SparkSqlParameters, ValuesBecomeTypedLiterals) {
  const lake::SqlValue values[] = {nullptr, true, std::int64_t{42}, 2.5, std::string("x' OR '1'='1"),
                                   lake::SqlDecimal{.unscaled = 1234, .precision = 10, .scale = 2}};
  auto relation = lake::spark::sql_relation("SELECT ?, ?, ?, ?, ?, ?", values, {});
  ASSERT_TRUE(relation) << relation.error().to_string();
  const auto& sql = relation->sql();
  EXPECT_EQ(sql.query(), "SELECT ?, ?, ?, ?, ?, ?");  // the text is never touched
  ASSERT_EQ(sql.pos_arguments_size(), 6);
  EXPECT_TRUE(sql.pos_arguments(0).literal().has_null());
  EXPECT_TRUE(sql.pos_arguments(1).literal().boolean());
  EXPECT_EQ(sql.pos_arguments(2).literal().long_(), 42);
  EXPECT_EQ(sql.pos_arguments(3).literal().double_(), 2.5);
  EXPECT_EQ(sql.pos_arguments(4).literal().string(), "x' OR '1'='1");
  EXPECT_EQ(sql.pos_arguments(5).literal().decimal().value(), "12.34");
  EXPECT_EQ(sql.pos_arguments(5).literal().decimal().scale(), 2);
}

TEST(SparkSqlParameters, NamedAndTheirMistakes) {
  const lake::spark::NamedSqlValue named[] = {{"a", std::int64_t{1}}, {"b", std::string("two")}};
  auto relation = lake::spark::sql_relation("SELECT :a, :b", {}, named);
  ASSERT_TRUE(relation);
  EXPECT_EQ(relation->sql().named_arguments().at("b").literal().string(), "two");
  const lake::spark::NamedSqlValue twice[] = {{"a", std::int64_t{1}}, {"a", std::int64_t{2}}};
  EXPECT_FALSE(lake::spark::sql_relation("SELECT :a", {}, twice));
  const lake::SqlValue one[] = {std::int64_t{1}};
  auto both = lake::spark::sql_relation("SELECT ?, :a", one, named);
  ASSERT_FALSE(both);
  EXPECT_EQ(both.error().code(), ErrorCode::invalid_argument);
}

grpc::Status spark_status(grpc::StatusCode code, const std::string& message, const std::string& error_class,
                          const std::string& sql_state) {
  google::rpc::ErrorInfo info;
  info.set_reason("org.apache.spark.sql.AnalysisException");
  info.set_domain("org.apache.spark");
  (*info.mutable_metadata())["errorClass"] = error_class;
  (*info.mutable_metadata())["sqlState"] = sql_state;
  (*info.mutable_metadata())["errorId"] = "error-1";
  google::rpc::Status details;
  details.set_code(static_cast<int>(code));
  details.set_message(message);
  details.add_details()->PackFrom(info);
  return grpc::Status(code, message, details.SerializeAsString());
}

TEST(SparkErrors, SparkErrorClassesMapToLakeCodes) {
  const auto not_found = lake::spark::from_grpc_status(
      spark_status(grpc::StatusCode::INTERNAL, "[TABLE_OR_VIEW_NOT_FOUND] The table `t` cannot be found. SQLSTATE: 42P01",
                   "TABLE_OR_VIEW_NOT_FOUND", "42P01"),
      "spark ExecutePlan");
  EXPECT_EQ(not_found.code(), ErrorCode::not_found);
  const auto* detail = not_found.detail<lake::spark::SparkErrorDetail>();
  ASSERT_NE(detail, nullptr);
  EXPECT_EQ(detail->error_class(), "TABLE_OR_VIEW_NOT_FOUND");
  EXPECT_EQ(detail->sql_state(), "42P01");
  EXPECT_EQ(detail->error_id(), "error-1");

  // The class is put in front when Spark's text lacks it.
  const auto syntax = lake::spark::from_grpc_status(
      spark_status(grpc::StatusCode::INTERNAL, "Syntax error at or near 'SELEC'", "PARSE_SYNTAX_ERROR", "42601"), "spark");
  EXPECT_EQ(syntax.code(), ErrorCode::invalid_argument);
  EXPECT_NE(syntax.message().find("[PARSE_SYNTAX_ERROR]"), std::string::npos) << syntax.message();
  EXPECT_NE(syntax.message().find("42601"), std::string::npos) << syntax.message();

  const auto cancelled = lake::spark::from_grpc_status(
      spark_status(grpc::StatusCode::INTERNAL, "[OPERATION_CANCELED] Operation has been canceled.", "OPERATION_CANCELED",
                   "HY008"),
      "spark");
  EXPECT_EQ(cancelled.code(), ErrorCode::cancelled);
  const auto auth = lake::spark::from_grpc_status(
      grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "Invalid authentication token"), "spark");
  EXPECT_EQ(auth.code(), ErrorCode::permission_denied);
  EXPECT_FALSE(lake::spark::worth_retrying(auth));
  const auto down = lake::spark::from_grpc_status(grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection refused"),
                                                  "spark");
  EXPECT_EQ(down.code(), ErrorCode::io);
  EXPECT_TRUE(lake::spark::worth_retrying(down));
}

TEST(SparkErrors, ClusterNotReadyIsTypedAndRetryable) {
  const grpc::Status pending(grpc::StatusCode::FAILED_PRECONDITION,
                             "[FailedPrecondition] Cluster 0123-abc is in state Pending; retry later (requestId=r1)");
  EXPECT_TRUE(lake::spark::is_cluster_not_ready(pending));
  const auto error = lake::spark::from_grpc_status(pending, "spark Config");
  EXPECT_EQ(error.code(), ErrorCode::cluster_not_ready);
  EXPECT_TRUE(error.retryable());
  EXPECT_TRUE(lake::spark::worth_retrying(error));
  EXPECT_FALSE(lake::spark::is_cluster_not_ready(
      grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "[FailedPrecondition] cluster state TERMINATED")));
}

TEST(SparkRetry, BoundedAttemptsForRetryableErrorsOnly) {
  const lake::spark::RetryPolicy policy{.max_attempts = 3, .initial_backoff = 10ms, .max_backoff = 40ms, .multiplier = 2};
  std::vector<std::chrono::milliseconds> pauses;
  const lake::spark::Sleeper record = [&](std::chrono::milliseconds pause) { pauses.push_back(pause); };
  int calls = 0;
  auto always_pending = lake::spark::with_retry(
      policy,
      [&]() -> lake::Result<int> {
        ++calls;
        return lake::fail(ErrorCode::cluster_not_ready, "warming up");
      },
      record);
  ASSERT_FALSE(always_pending);
  EXPECT_EQ(always_pending.error().code(), ErrorCode::cluster_not_ready);
  EXPECT_EQ(calls, 3);
  ASSERT_EQ(pauses.size(), 2U);
  EXPECT_LE(pauses[0], 10ms);
  EXPECT_LE(pauses[1], 20ms);

  calls = 0;
  auto bad_sql = lake::spark::with_retry(
      policy,
      [&]() -> lake::Result<int> {
        ++calls;
        return lake::fail(ErrorCode::invalid_argument, "syntax");
      },
      record);
  EXPECT_FALSE(bad_sql);
  EXPECT_EQ(calls, 1);
}

// A Spark Connect "server" whose cluster is pending for the first two
// Config calls; it records the metadata every call brought.
class PendingCluster final : public spark::connect::SparkConnectService::Service {
 public:
  grpc::Status Config(grpc::ServerContext* context, const spark::connect::ConfigRequest* request,
                      spark::connect::ConfigResponse* response) override {
    std::lock_guard lock(mutex_);
    for (const auto& [key, value] : context->client_metadata()) {
      metadata_.emplace_back(std::string(key.data(), key.size()), std::string(value.data(), value.size()));
    }
    session_ids_.push_back(request->session_id());
    if (++calls_ <= 2) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          "[FailedPrecondition] Cluster is in state Pending (requestId=abc)");
    }
    for (const auto& key : request->operation().get().keys()) {
      auto* pair = response->add_pairs();
      pair->set_key(key);
      pair->set_value("v-" + key);
    }
    return grpc::Status::OK;
  }

  std::mutex mutex_;
  int calls_ = 0;
  std::vector<std::pair<std::string, std::string>> metadata_;
  std::vector<std::string> session_ids_;
};

TEST(SparkSessionRetry, ClusterNotReadyIsRetriedWithHeadersOnEveryCall) {
  PendingCluster service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_TRUE(server);
  ASSERT_GT(port, 0);

  lake::spark::SessionOptions options;
  options.retry = {.max_attempts = 4, .initial_backoff = 20ms, .max_backoff = 50ms, .multiplier = 2};
  auto session = lake::spark::Session::open(
      std::format("sc://127.0.0.1:{}/;use_ssl=false;token=tok-123;x-databricks-cluster-id=0123-abc", port), options);
  ASSERT_TRUE(session) << session.error().to_string();
  const std::string keys[] = {"spark.sql.ansi.enabled"};
  auto values = (*session)->get_config(keys);
  ASSERT_TRUE(values) << values.error().to_string();
  ASSERT_EQ(values->size(), 1U);
  EXPECT_EQ((*values)[0], "v-spark.sql.ansi.enabled");

  std::lock_guard lock(service.mutex_);
  EXPECT_EQ(service.calls_, 3);  // two pending answers, then success
  int authorizations = 0;
  int cluster_ids = 0;
  for (const auto& [key, value] : service.metadata_) {
    if (key == "authorization") {
      EXPECT_EQ(value, "Bearer tok-123");
      ++authorizations;
    }
    if (key == "x-databricks-cluster-id") {
      EXPECT_EQ(value, "0123-abc");
      ++cluster_ids;
    }
  }
  EXPECT_EQ(authorizations, 3);
  EXPECT_EQ(cluster_ids, 3);
  for (const auto& id : service.session_ids_) EXPECT_EQ(id, (*session)->session_id());
  EXPECT_EQ((*session)->session_id().size(), 36U);
}

TEST(SparkSessionRetry, GivesUpAfterTheBoundWithATypedError) {
  PendingCluster service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_TRUE(server);
  lake::spark::SessionOptions options;
  options.retry = {.max_attempts = 2, .initial_backoff = 10ms, .max_backoff = 10ms, .multiplier = 1};
  auto session = lake::spark::Session::open(std::format("sc://127.0.0.1:{}/;token=hidden-token;use_ssl=false", port),
                                            options);
  ASSERT_TRUE(session);
  const std::string keys[] = {"k"};
  auto values = (*session)->get_config(keys);
  ASSERT_FALSE(values);
  EXPECT_EQ(values.error().code(), ErrorCode::cluster_not_ready);
  EXPECT_TRUE(values.error().retryable());
  EXPECT_NE(values.error().message().find("2 attempts"), std::string::npos) << values.error().message();
  EXPECT_EQ(values.error().to_string().find("hidden-token"), std::string::npos) << values.error().to_string();
}

TEST(SparkSessionRetry, UnreachableServerFailsAfterBoundedRetries) {
  // A port nothing listens on: every ExecutePlan attempt is UNAVAILABLE.
  int port = 0;
  {
    PendingCluster service;
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service);
    auto server = builder.BuildAndStart();
    ASSERT_TRUE(server);
    server->Shutdown();
  }
  lake::spark::SessionOptions options;
  options.retry = {.max_attempts = 3, .initial_backoff = 10ms, .max_backoff = 20ms, .multiplier = 2};
  auto session = lake::spark::Session::open(std::format("sc://127.0.0.1:{}", port), options);
  ASSERT_TRUE(session);
  auto reader = (*session)->query("SELECT 1");
  ASSERT_TRUE(reader);
  const auto started = std::chrono::steady_clock::now();
  auto batch = reader->next();
  ASSERT_FALSE(batch);
  EXPECT_EQ(batch.error().code(), ErrorCode::io) << batch.error().to_string();
  EXPECT_TRUE(lake::spark::worth_retrying(batch.error()));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 30s);
}

}  // namespace

// The Spark Connect client's pieces that need no Spark: connection
// strings, literals, error translation, bounded retry, and the call
// metadata and cluster-not-ready retry against a scripted in-process gRPC
// server speaking the real service definition.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <format>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <arrow/api.h>

#include "drivers/spark/arrow_batches.hpp"
#include "drivers/spark/connection_settings.hpp"
#include "drivers/spark/retry_policy.hpp"
#include "drivers/spark/session.hpp"
#include "drivers/spark/session_pool.hpp"
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
                          const std::string& sql_state,
                          const std::string& exception = "org.apache.spark.sql.AnalysisException") {
  google::rpc::ErrorInfo info;
  info.set_reason(exception);
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

// Concurrent writes refused with an error class are typed as conflicts
// here (the driver runs them again). Errors without one (Iceberg's) keep
// the server's exception class, for the table format to recognise
// (SqlFormat::lost_commit_race, tested in spark_statements_unit_test).
TEST(SparkErrors, ConcurrentModificationsAreConflicts) {
  const auto delta = lake::spark::from_grpc_status(
      spark_status(grpc::StatusCode::INTERNAL, "[DELTA_CONCURRENT_APPEND] Files were added to the root of the table",
                   "DELTA_CONCURRENT_APPEND", "2D521"),
      "spark");
  EXPECT_EQ(delta.code(), ErrorCode::conflict);
  const auto validation = lake::spark::from_grpc_status(
      spark_status(grpc::StatusCode::INTERNAL, "Found conflicting files that can contain records matching true: [f]", "",
                   "", "org.apache.iceberg.exceptions.ValidationException"),
      "spark");
  const auto* detail = validation.detail<lake::spark::SparkErrorDetail>();
  ASSERT_NE(detail, nullptr);
  EXPECT_NE(detail->exception().find("org.apache.iceberg.exceptions.ValidationException"), std::string::npos);
  EXPECT_NE(validation.code(), ErrorCode::conflict) << "only the table's format knows what it means";
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

// A scripted Spark Connect server for the session's bookkeeping: every
// answer names a server-side session id (which a test may change, as a
// restarted server would); ExecutePlan streams `batches` one-row Arrow
// responses and then result_complete, or fails with an errorId that
// FetchErrorDetails explains; it records what the client sent.
class ScriptedSessionServer final : public spark::connect::SparkConnectService::Service {
 public:
  grpc::Status ExecutePlan(grpc::ServerContext*, const spark::connect::ExecutePlanRequest* request,
                           grpc::ServerWriter<spark::connect::ExecutePlanResponse>* writer) override {
    const std::string server_id = note(*request);
    if (fail_with_error_id) {
      google::rpc::ErrorInfo info;
      info.set_reason("org.apache.spark.sql.AnalysisException");
      (*info.mutable_metadata())["errorClass"] = "TABLE_OR_VIEW_NOT_FOUND";
      (*info.mutable_metadata())["sqlState"] = "42P01";
      (*info.mutable_metadata())["errorId"] = "error-42";
      google::rpc::Status details;
      details.set_code(static_cast<int>(grpc::StatusCode::INTERNAL));
      details.set_message("[TABLE_OR_VIEW_NOT_FOUND] The table `a_very_long...");
      details.add_details()->PackFrom(info);
      return grpc::Status(grpc::StatusCode::INTERNAL, details.message(), details.SerializeAsString());
    }
    for (int i = 0; i < batches; ++i) {
      spark::connect::ExecutePlanResponse response;
      response.set_session_id(request->session_id());
      response.set_server_side_session_id(server_id);
      response.set_operation_id(request->operation_id());
      response.set_response_id(std::format("response-{}", i));
      arrow::Int64Builder builder;
      if (!builder.Append(i).ok()) return grpc::Status(grpc::StatusCode::INTERNAL, "append");
      auto array = builder.Finish().ValueOrDie();
      auto batch = arrow::RecordBatch::Make(arrow::schema({arrow::field("n", arrow::int64())}), 1, {array});
      auto reader = arrow::RecordBatchReader::Make({batch}).ValueOrDie();
      auto ipc = lake::spark::encode_arrow_ipc_stream(*reader);
      if (!ipc) return grpc::Status(grpc::StatusCode::INTERNAL, ipc.error().message());
      response.mutable_arrow_batch()->set_data(std::move(*ipc));
      response.mutable_arrow_batch()->set_row_count(1);
      writer->Write(response);
    }
    spark::connect::ExecutePlanResponse done;
    done.set_session_id(request->session_id());
    done.set_server_side_session_id(server_id);
    done.set_response_id("complete");
    done.mutable_result_complete();
    writer->Write(done);
    return grpc::Status::OK;
  }

  grpc::Status Config(grpc::ServerContext*, const spark::connect::ConfigRequest* request,
                      spark::connect::ConfigResponse* response) override {
    response->set_session_id(request->session_id());
    response->set_server_side_session_id(note(*request));
    for (const auto& key : request->operation().get().keys()) response->add_pairs()->set_key(key);
    return grpc::Status::OK;
  }

  grpc::Status ReleaseExecute(grpc::ServerContext*, const spark::connect::ReleaseExecuteRequest* request,
                              spark::connect::ReleaseExecuteResponse* response) override {
    std::lock_guard lock(mutex);
    if (request->has_release_until()) released_until.push_back(request->release_until().response_id());
    if (request->has_release_all()) ++released_all;
    response->set_session_id(request->session_id());
    return grpc::Status::OK;
  }

  grpc::Status FetchErrorDetails(grpc::ServerContext*, const spark::connect::FetchErrorDetailsRequest* request,
                                 spark::connect::FetchErrorDetailsResponse* response) override {
    std::lock_guard lock(mutex);
    fetched_error_ids.push_back(request->error_id());
    response->set_session_id(request->session_id());
    if (request->error_id() != "error-42") return grpc::Status::OK;  // no root_error_idx: unknown id
    response->set_root_error_idx(0);
    auto* root = response->add_errors();
    root->add_error_type_hierarchy("org.apache.spark.sql.AnalysisException");
    root->set_message("[TABLE_OR_VIEW_NOT_FOUND] The table `a_very_long_name_whose_end_only_the_details_carry` "
                      "cannot be found.");
    root->set_cause_idx(1);
    auto* cause = response->add_errors();
    cause->add_error_type_hierarchy("java.io.FileNotFoundException");
    cause->set_message("no such file: /warehouse/a_very_long_name");
    cause->set_cause_idx(0);  // a loop in the wire data must not hang the client
    return grpc::Status::OK;
  }

  template <class Request>
  std::string note(const Request& request) {
    std::lock_guard lock(mutex);
    observed.push_back(request.has_client_observed_server_side_session_id()
                           ? request.client_observed_server_side_session_id()
                           : std::string("(none)"));
    return server_side_session_id;
  }

  std::mutex mutex;
  std::string server_side_session_id = "server-session-1";
  int batches = 3;
  bool fail_with_error_id = false;
  std::vector<std::string> observed;  // per ExecutePlan/Config request
  std::vector<std::string> released_until;
  int released_all = 0;
  std::vector<std::string> fetched_error_ids;
};

struct ScriptedServerRun {
  ScriptedSessionServer service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
  ScriptedServerRun() {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service);
    server = builder.BuildAndStart();
  }
  [[nodiscard]] std::string url() const { return std::format("sc://127.0.0.1:{}", port); }
};

std::int64_t rows_of(lake::spark::ResultReader& reader) {
  std::int64_t rows = 0;
  for (;;) {
    auto batch = reader.next();
    EXPECT_TRUE(batch) << batch.error().to_string();
    if (!batch || !*batch) return rows;
    rows += (*batch)->num_rows();
  }
}

TEST(SparkSessionBookkeeping, TheServerSideSessionIdIsSentBackAndAChangeLosesTheSession) {
  ScriptedServerRun run;
  ASSERT_TRUE(run.server);
  auto session = lake::spark::Session::open(run.url());
  ASSERT_TRUE(session) << session.error().to_string();
  auto first = (*session)->query("SELECT n");
  ASSERT_TRUE(first);
  EXPECT_EQ(rows_of(*first), 3);
  EXPECT_EQ((*session)->server_side_session_id(), "server-session-1");
  const std::string keys[] = {"k"};
  ASSERT_TRUE((*session)->get_config(keys));
  {
    std::lock_guard lock(run.service.mutex);
    ASSERT_EQ(run.service.observed.size(), 2U);
    EXPECT_EQ(run.service.observed[0], "(none)");  // nothing seen before the first answer
    EXPECT_EQ(run.service.observed[1], "server-session-1");
  }
  EXPECT_FALSE((*session)->lost());

  // The server restarts and no longer checks: its answers name a new
  // session, which the client refuses.
  {
    std::lock_guard lock(run.service.mutex);
    run.service.server_side_session_id = "server-session-2";
  }
  auto after = (*session)->get_config(keys);
  ASSERT_FALSE(after);
  EXPECT_TRUE(lake::spark::session_lost(after.error())) << after.error().to_string();
  EXPECT_NE(after.error().message().find("server-session-2"), std::string::npos) << after.error().message();
  EXPECT_TRUE((*session)->lost());
  auto streamed = (*session)->query("SELECT n");
  ASSERT_TRUE(streamed);
  auto batch = streamed->next();
  ASSERT_FALSE(batch);
  EXPECT_TRUE(lake::spark::session_lost(batch.error()));
}

TEST(SparkSessionBookkeeping, APoolDropsALostSession) {
  ScriptedServerRun run;
  ASSERT_TRUE(run.server);
  auto settings = lake::spark::parse_connection_string(run.url());
  ASSERT_TRUE(settings);
  lake::spark::SessionPool pool(*settings, {}, 1, nullptr);
  std::string first_id;
  const std::string keys[] = {"k"};
  {
    auto lease = pool.acquire();
    ASSERT_TRUE(lease);
    first_id = (*lease)->session_id();
    ASSERT_TRUE((*lease)->get_config(keys));
    std::lock_guard lock(run.service.mutex);
    run.service.server_side_session_id = "server-session-2";
  }
  {
    auto lease = pool.acquire();
    ASSERT_TRUE(lease);
    EXPECT_EQ((*lease)->session_id(), first_id);  // still looks healthy: reused
    EXPECT_FALSE((*lease)->get_config(keys));
  }
  auto lease = pool.acquire();
  ASSERT_TRUE(lease);
  EXPECT_NE((*lease)->session_id(), first_id);  // the lost one was dropped
  EXPECT_TRUE((*lease)->get_config(keys));
}

TEST(SparkSessionBookkeeping, ReadResponsesAreReleasedAsTheReaderGoes) {
  ScriptedServerRun run;
  ASSERT_TRUE(run.server);
  run.service.batches = 5;
  auto session = lake::spark::Session::open(run.url());
  ASSERT_TRUE(session);
  auto reader = (*session)->query("SELECT n");
  ASSERT_TRUE(reader);
  EXPECT_EQ(rows_of(*reader), 5);
  EXPECT_EQ(reader->execution().released_until_count(), 5);
  // The releases are asynchronous: wait for them to arrive.
  for (int i = 0; i < 200; ++i) {
    {
      std::lock_guard lock(run.service.mutex);
      if (run.service.released_until.size() == 5U && run.service.released_all == 1) break;
    }
    std::this_thread::sleep_for(10ms);
  }
  std::lock_guard lock(run.service.mutex);
  std::vector<std::string> released = run.service.released_until;
  std::ranges::sort(released);
  EXPECT_EQ(released, (std::vector<std::string>{"response-0", "response-1", "response-2", "response-3", "response-4"}));
  EXPECT_EQ(run.service.released_all, 1);
}

TEST(SparkSessionBookkeeping, ErrorsCarryTheServersFullReportAndCauses) {
  ScriptedServerRun run;
  ASSERT_TRUE(run.server);
  run.service.fail_with_error_id = true;
  auto session = lake::spark::Session::open(run.url());
  ASSERT_TRUE(session);
  auto reader = (*session)->query("SELECT * FROM a_very_long_name");
  ASSERT_TRUE(reader);
  auto batch = reader->next();
  ASSERT_FALSE(batch);
  const lake::Error& error = batch.error();
  EXPECT_EQ(error.code(), ErrorCode::not_found);
  // The status said only the head; the report has the whole message and the cause.
  EXPECT_NE(error.message().find("whose_end_only_the_details_carry"), std::string::npos) << error.message();
  EXPECT_NE(error.message().find("Caused by: FileNotFoundException: no such file"), std::string::npos) << error.message();
  const auto* detail = error.detail<lake::spark::SparkErrorDetail>();
  ASSERT_NE(detail, nullptr);
  EXPECT_EQ(detail->error_class(), "TABLE_OR_VIEW_NOT_FOUND");
  std::lock_guard lock(run.service.mutex);
  EXPECT_EQ(run.service.fetched_error_ids, std::vector<std::string>{"error-42"});
}

}  // namespace

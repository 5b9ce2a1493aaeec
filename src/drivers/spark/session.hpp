// A Spark Connect session: one server-side SparkSession (temp views, SET
// values, running operations) reached over one channel. What lake's Spark
// driver builds on: SQL with bound parameters, results as Arrow, schemas
// without running anything, session configuration, and interrupting what
// runs.
//
// Calls that fail because the cluster is still starting, or because the
// transport failed transiently, are retried under the session's
// RetryPolicy. Not thread-safe (one caller at a time, like a database
// connection), except interrupt_*, which exist to be called from another
// thread while a query runs.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <arrow/record_batch.h>
#include <arrow/table.h>
#include <arrow/type.h>

#include "drivers/spark/channel.hpp"
#include "drivers/spark/connection_settings.hpp"
#include "drivers/spark/result_reader.hpp"
#include "drivers/spark/retry_policy.hpp"
#include "drivers/spark/session_identity.hpp"
#include "drivers/spark/sql_parameters.hpp"
#include "lake/error.hpp"
#include "lake/sql.hpp"

namespace lake::spark {

struct SessionOptions {
  RetryPolicy retry{};
  // Deadline of each unary call (config, analyze, interrupt); result
  // streams have none.
  std::chrono::milliseconds call_timeout{std::chrono::minutes(5)};
};

// Parameters of one statement: positional values for `?` or named values
// for `:name` (not both).
struct SqlArguments {
  std::span<const SqlValue> positional{};
  std::span<const NamedSqlValue> named{};
};

class Session {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Session>> open(ConnectionSettings settings, SessionOptions options = {});
  [[nodiscard]] static Result<std::unique_ptr<Session>> open(std::string_view connection_string,
                                                             SessionOptions options = {});
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  // Releases the server-side session (best effort).
  ~Session();

  [[nodiscard]] const std::string& session_id() const noexcept { return identity_.session_id; }
  [[nodiscard]] const ConnectionSettings& settings() const noexcept { return channel_->settings(); }
  // The server's id for this session, once a response named it.
  [[nodiscard]] std::optional<std::string> server_side_session_id() const { return identity_.server->id(); }
  // The server no longer has this session (restarted, expired, released
  // elsewhere): its temp views and settings are gone, and every further
  // call fails. The pool drops such a session.
  [[nodiscard]] bool lost() const noexcept { return identity_.server->lost(); }

  // The server's Spark version, e.g. "4.0.5" (also a cheap liveness check).
  [[nodiscard]] Result<std::string> spark_version();

  // Runs a query and streams its rows. The statement runs as a plan's root
  // relation, so a command (DDL, DML) works too and yields its output rows.
  [[nodiscard]] Result<ResultReader> query(std::string_view sql, SqlArguments arguments = {});
  // Runs a plan given as a relation (built by the caller with Spark
  // Connect's protocol) and streams its rows.
  [[nodiscard]] Result<ResultReader> query_relation(::spark::connect::Relation relation);
  // Runs a statement eagerly as a SqlCommand, the way spark.sql() does, and
  // returns its output rows (MERGE's counts, or none) in one table; meant
  // for commands, whose output is small.
  [[nodiscard]] Result<std::shared_ptr<arrow::Table>> execute(std::string_view sql, SqlArguments arguments = {});
  // The schema a query would produce, without running it.
  [[nodiscard]] Result<std::shared_ptr<arrow::Schema>> analyze_schema(std::string_view sql,
                                                                      SqlArguments arguments = {});

  // Registers `rows` as this session's temporary view `name` (replacing
  // one of that name), the way pyspark's createDataFrame does: an Arrow
  // LocalRelation, sent inside the plan when small and otherwise uploaded
  // first, in chunks, as a cached artifact the plan names by its SHA-256.
  // Consumes the reader.
  [[nodiscard]] Status create_temp_view(std::string_view name, arrow::RecordBatchReader& rows);

  // Session configuration (RuntimeConfig): SET, and reading values back
  // (nullopt for a key without a value).
  [[nodiscard]] Status set_config(std::span<const std::pair<std::string, std::string>> pairs);
  [[nodiscard]] Status unset_config(std::span<const std::string> keys);
  [[nodiscard]] Result<std::vector<std::optional<std::string>>> get_config(std::span<const std::string> keys);

  // Stops one running operation (the execution's operation_id()); the
  // reader sees ErrorCode::cancelled. Thread-safe. Returns whether the
  // server found the operation still running.
  [[nodiscard]] Result<bool> interrupt_operation(std::string_view operation_id);
  // Stops every running operation of this session; returns how many.
  [[nodiscard]] Result<std::size_t> interrupt_all();

 private:
  Session(std::shared_ptr<SparkConnectChannel> channel, SessionIdentity identity, SessionOptions options);

  [[nodiscard]] Result<std::unique_ptr<Execution>> start(::spark::connect::Plan plan);
  // Uploads one artifact ("cache/<sha256>", ...) with AddArtifacts.
  [[nodiscard]] Status add_artifact(const std::string& name, const std::string& bytes);
  // A unary call: context with deadline and metadata, retried per policy.
  template <class Request, class Response, class Method>
  [[nodiscard]] Result<Response> call(std::string_view name, Method method, const Request& request);

  std::shared_ptr<SparkConnectChannel> channel_;
  SessionIdentity identity_;
  SessionOptions options_;
};

}  // namespace lake::spark

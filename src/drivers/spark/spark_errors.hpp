// The one place gRPC and Spark errors become lake errors.
//
// Spark Connect reports a failed statement as a gRPC status (INTERNAL for
// Spark's own exceptions, UNKNOWN for other JVM errors) whose message is
// Spark's "[ERROR_CLASS] ... SQLSTATE: xxxxx", with a google.rpc.Status in
// the trailer carrying an ErrorInfo whose metadata holds errorClass,
// sqlState and errorId. The lake::Error keeps the message, says which code
// it maps to (so callers branch on lake::ErrorCode, not on strings), and
// carries a SparkErrorDetail for callers that want the error class.
//
// A Databricks cluster that is still starting answers FAILED_PRECONDITION
// with a pending state in the message ("... state Pending ..."): that is
// ErrorCode::cluster_not_ready, which the client retries (bounded) and
// callers may retry later.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <string_view>
#include <vector>

#include <grpcpp/support/status.h>

#include "lake/error.hpp"

namespace lake::spark {

class SparkErrorDetail final : public ErrorDetail {
 public:
  SparkErrorDetail(grpc::StatusCode grpc_code, std::string error_class, std::string sql_state, std::string error_id,
                   bool transient, std::string exception = {})
      : grpc_code_(grpc_code),
        error_class_(std::move(error_class)),
        sql_state_(std::move(sql_state)),
        error_id_(std::move(error_id)),
        exception_(std::move(exception)),
        transient_(transient) {}

  [[nodiscard]] grpc::StatusCode grpc_code() const noexcept { return grpc_code_; }
  // Spark's error class (e.g. "TABLE_OR_VIEW_NOT_FOUND"); empty when the
  // server sent none (transport errors).
  [[nodiscard]] const std::string& error_class() const noexcept { return error_class_; }
  [[nodiscard]] const std::string& sql_state() const noexcept { return sql_state_; }
  // The server's id for FetchErrorDetails (the full cause chain).
  [[nodiscard]] const std::string& error_id() const noexcept { return error_id_; }
  // The JVM exception class(es) the server named (the ErrorInfo's reason
  // and its "classes"), for errors without an error class that only the
  // table format behind them can interpret; empty when none was named.
  [[nodiscard]] const std::string& exception() const noexcept { return exception_; }
  // The call failed in a way a new attempt may fix: the server was
  // unreachable, dropped the stream, or asked for a retry (RetryInfo).
  [[nodiscard]] bool transient() const noexcept { return transient_; }

  [[nodiscard]] std::string describe() const override;

 private:
  grpc::StatusCode grpc_code_;
  std::string error_class_;
  std::string sql_state_;
  std::string error_id_;
  std::string exception_;
  bool transient_;
};

// The server's full account of an error (FetchErrorDetails): Spark puts at
// most ~2 KB of the message into the gRPC status, and keeps the whole error
// for the session under the errorId of its ErrorInfo.
struct ServerErrorReport {
  std::string message;               // the whole message
  std::vector<std::string> causes;   // "<exception class>: <message>", outermost first
};

// The lake::Error for a failed call; `context` names the call ("spark
// ExecutePlan"). The status must not be OK. With a report, its message
// and causes replace the status's (possibly cut) message.
[[nodiscard]] Error from_grpc_status(const grpc::Status& status, std::string_view context,
                                     const ServerErrorReport* report = nullptr);

// True for the cluster-warming-up pattern: FAILED_PRECONDITION whose
// message has a pending state ("state Pending", "[state=PENDING]", ...).
[[nodiscard]] bool is_cluster_not_ready(const grpc::Status& status);

// True when the server no longer has the session the call named
// (INVALID_HANDLE.SESSION_CHANGED / _CLOSED / _NOT_FOUND): its temp views
// and settings are gone, and the statement did not run. A new session can
// run it again.
[[nodiscard]] bool session_lost(const Error& error);

// True when an error from this client is worth retrying as is: the cluster
// is not ready yet, or the transport failed transiently.
[[nodiscard]] bool worth_retrying(const Error& error);

}  // namespace lake::spark

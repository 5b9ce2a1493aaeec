#include "drivers/spark/spark_errors.hpp"

#include <algorithm>
#include <cctype>
#include <format>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace lake::spark {
namespace {

// Spark messages can carry a long tail (a plan, a stack trace when the
// server is configured to send one); errors keep the head. The full
// message from FetchErrorDetails may be longer than the status's (which
// Spark cuts at ~2 KB) but is bounded too, as is each cause.
constexpr std::size_t max_message_size = 4096;
constexpr std::size_t max_reported_message_size = 16384;
constexpr std::size_t max_cause_size = 1024;
constexpr std::size_t max_causes = 8;

std::string head(std::string text, std::size_t size) {
  if (text.size() > size) text = text.substr(0, size) + " [...]";
  return text;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

struct SparkErrorInfo {
  std::string error_class;
  std::string sql_state;
  std::string error_id;
  // The server's exception class (the ErrorInfo's reason) and the classes
  // it derives from (its "classes" metadata, JSON).
  std::string exception;
  bool retry_requested = false;  // a google.rpc.RetryInfo detail
};

// The trailer's google.rpc.Status (gRPC hands it over as error_details()).
SparkErrorInfo read_error_info(const grpc::Status& status) {
  SparkErrorInfo info;
  google::rpc::Status details;
  if (status.error_details().empty() || !details.ParseFromString(status.error_details())) return info;
  for (const auto& any : details.details()) {
    if (any.Is<google::rpc::ErrorInfo>()) {
      google::rpc::ErrorInfo error_info;
      if (!any.UnpackTo(&error_info)) continue;
      const auto& metadata = error_info.metadata();
      info.exception = error_info.reason();
      if (auto it = metadata.find("classes"); it != metadata.end()) info.exception += " " + it->second;
      if (auto it = metadata.find("errorClass"); it != metadata.end()) info.error_class = it->second;
      if (auto it = metadata.find("sqlState"); it != metadata.end()) info.sql_state = it->second;
      if (auto it = metadata.find("errorId"); it != metadata.end()) info.error_id = it->second;
    } else if (any.Is<google::rpc::RetryInfo>()) {
      info.retry_requested = true;
    }
  }
  return info;
}

// Spark's message starts with "[ERROR_CLASS]" even when the trailer has no
// ErrorInfo (older servers, errors raised before the session exists).
std::string error_class_from_message(std::string_view message) {
  if (!message.starts_with('[')) return {};
  const auto close = message.find(']');
  if (close == std::string_view::npos || close == 1) return {};
  std::string_view name = message.substr(1, close - 1);
  const bool looks_like_class = std::ranges::all_of(
      name, [](char c) { return std::isupper(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '.'; });
  return looks_like_class ? std::string(name) : std::string{};
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// What kind of lake error a Spark error class / SQLSTATE is.
ErrorCode code_for_spark_error(const std::string& error_class, const std::string& sql_state) {
  if (error_class == "OPERATION_CANCELED" || contains(error_class, "CANCELLED") || contains(error_class, "CANCELED")) {
    return ErrorCode::cancelled;
  }
  if (contains(error_class, "NOT_FOUND") || sql_state == "42P01" || sql_state == "42704" || sql_state == "42883") {
    return ErrorCode::not_found;
  }
  if (contains(error_class, "ALREADY_EXISTS") || sql_state == "42P07" || sql_state == "42710") {
    return ErrorCode::already_exists;
  }
  if (contains(error_class, "CONCURRENT") || sql_state.starts_with("40")) return ErrorCode::conflict;
  if (sql_state.starts_with("0A")) return ErrorCode::unsupported;
  // 42: syntax error or access rule violation; 22: data exception;
  // 07: dynamic SQL error (parameters); 21: cardinality violation.
  if (sql_state.starts_with("42") || sql_state.starts_with("22") || sql_state.starts_with("07") ||
      sql_state.starts_with("21")) {
    return ErrorCode::invalid_argument;
  }
  return ErrorCode::internal;
}

}  // namespace

std::string SparkErrorDetail::describe() const {
  std::string out = std::format("gRPC status {}", static_cast<int>(grpc_code_));
  if (!error_class_.empty()) out += ", Spark error class " + error_class_;
  if (!sql_state_.empty()) out += ", SQLSTATE " + sql_state_;
  return out;
}

bool is_cluster_not_ready(const grpc::Status& status) {
  if (status.error_code() != grpc::StatusCode::FAILED_PRECONDITION) return false;
  const std::string message = lower(status.error_message());
  return contains(message, "state pending") || contains(message, "state=pending") ||
         contains(message, "state: pending");
}

Error from_grpc_status(const grpc::Status& status, std::string_view context, const ServerErrorReport* report) {
  SparkErrorInfo info = read_error_info(status);
  if (info.error_class.empty()) info.error_class = error_class_from_message(status.error_message());
  std::string message = report != nullptr && !report->message.empty()
                            ? head(report->message, max_reported_message_size)
                            : head(status.error_message(), max_message_size);
  if (report != nullptr) {
    for (std::size_t i = 0; i < report->causes.size() && i < max_causes; ++i)
      message += std::format("{} {}", i == 0 ? " Caused by:" : ";", head(report->causes[i], max_cause_size));
  }
  // The message names the error class even when Spark's text does not
  // start with it (so a log line alone tells what failed).
  if (!info.error_class.empty() && !contains(message, "[" + info.error_class + "]")) {
    message = std::format("[{}] {}", info.error_class, message);
  }
  if (!info.sql_state.empty() && !contains(message, info.sql_state)) {
    message += std::format(" SQLSTATE: {}", info.sql_state);
  }

  ErrorCode code = ErrorCode::internal;
  switch (status.error_code()) {
    case grpc::StatusCode::CANCELLED: code = ErrorCode::cancelled; break;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::ABORTED: code = ErrorCode::io; break;
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED: code = ErrorCode::permission_denied; break;
    case grpc::StatusCode::NOT_FOUND: code = ErrorCode::not_found; break;
    case grpc::StatusCode::ALREADY_EXISTS: code = ErrorCode::already_exists; break;
    case grpc::StatusCode::UNIMPLEMENTED: code = ErrorCode::unsupported; break;
    case grpc::StatusCode::INVALID_ARGUMENT: code = ErrorCode::invalid_argument; break;
    case grpc::StatusCode::FAILED_PRECONDITION:
      code = is_cluster_not_ready(status) ? ErrorCode::cluster_not_ready
                                          : code_for_spark_error(info.error_class, info.sql_state);
      break;
    default: code = code_for_spark_error(info.error_class, info.sql_state); break;
  }
  // pyspark's retry policy: UNAVAILABLE, a server-side cursor lost with
  // its connection, or an explicit RetryInfo.
  const bool transient = status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                         info.error_class == "INVALID_CURSOR.DISCONNECTED" || info.retry_requested;
  if (transient && code == ErrorCode::internal) code = ErrorCode::io;
  auto detail = std::make_shared<SparkErrorDetail>(status.error_code(), std::move(info.error_class),
                                                   std::move(info.sql_state), std::move(info.error_id), transient,
                                                   std::move(info.exception));
  return Error(code, std::format("{}: {}", context, message), std::move(detail));
}

bool session_lost(const Error& error) {
  const auto* detail = error.detail<SparkErrorDetail>();
  return detail != nullptr && detail->error_class().starts_with("INVALID_HANDLE.SESSION_");
}

bool worth_retrying(const Error& error) {
  if (error.code() == ErrorCode::cluster_not_ready) return true;
  const auto* detail = error.detail<SparkErrorDetail>();
  return detail != nullptr && detail->transient();
}

}  // namespace lake::spark

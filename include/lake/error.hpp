// lake-orm's one error model: every fallible public function returns
// lake::Result<T> (std::expected<T, lake::Error>); nothing throws across
// the public API.
//
// An Error is a small code (what kind of failure, so callers can branch),
// a message (what went wrong, naming the thing that is wrong), and an
// optional typed detail for the error families a caller may want to
// inspect field by field (validation failures, commit conflicts, ...).
// Third-party errors (Arrow, DuckDB, gRPC, curl) are translated into this
// model in exactly one place each, keeping the original message.
#pragma once

#include <expected>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace lake {

enum class ErrorCode {
  invalid_argument,   // bad input from the caller
  invalid_tag,        // a struct's schema declaration is invalid (seed: ErrInvalidTag)
  validation,         // records failed validation (detail: ValidationError)
  no_rows,            // a single-row read found nothing (seed: ErrNoRows)
  not_found,          // a table, object or file does not exist
  already_exists,     // an exclusive create found something in the way
  conflict,           // a concurrent writer won (detail may say which files)
  cluster_not_ready,  // the remote engine is warming up: retry later
  client_staging,     // the client could not write staging data (seed: ErrClientStaging)
  driver_read,        // the engine could not read staging data (seed: ErrDriverRead)
  uri_mismatch,       // client and engine see different storage (seed: ErrURIMismatch)
  schema_mismatch,    // live schema or result columns differ from the struct
  unsupported,        // a feature of a table or engine that is not supported
  permission_denied,  // storage or engine refused the credentials (HTTP 401/403)
  io,                 // storage or network failure
  closed,             // the client or pool was closed
  already_committed,  // a finalizer was aborted after it committed (seed: ErrAlreadyCommitted)
  cancelled,          // the operation was cancelled by the caller
  internal,           // a bug in lake-orm or a dependency
};

// Stable name of a code, e.g. "invalid_tag".
[[nodiscard]] std::string_view to_string(ErrorCode code) noexcept;

// Base of the typed details an Error may carry. A detail is immutable and
// shared, so copying an Error is cheap.
class ErrorDetail {
 public:
  virtual ~ErrorDetail() = default;
  // A human-readable rendering appended to Error::to_string().
  [[nodiscard]] virtual std::string describe() const = 0;
};

class [[nodiscard]] Error {
 public:
  Error(ErrorCode code, std::string message, std::shared_ptr<const ErrorDetail> detail = nullptr)
      : code_(code), message_(std::move(message)), detail_(std::move(detail)) {}

  [[nodiscard]] ErrorCode code() const noexcept { return code_; }
  [[nodiscard]] const std::string& message() const noexcept { return message_; }

  // The typed detail if it is a D, else nullptr.
  template <class D>
  [[nodiscard]] const D* detail() const noexcept {
    return dynamic_cast<const D*>(detail_.get());
  }
  [[nodiscard]] const std::shared_ptr<const ErrorDetail>& detail_ptr() const noexcept { return detail_; }

  // True when retrying the same operation later may succeed.
  [[nodiscard]] bool retryable() const noexcept {
    return code_ == ErrorCode::cluster_not_ready || code_ == ErrorCode::conflict;
  }

  // "<code>: <message>" followed by the detail's description, if any.
  [[nodiscard]] std::string to_string() const;

  // Returns a copy whose message is "<context>: <message>".
  [[nodiscard]] Error with_context(std::string_view context) const;

 private:
  ErrorCode code_;
  std::string message_;
  std::shared_ptr<const ErrorDetail> detail_;
};

template <class T>
using Result = std::expected<T, Error>;
using Status = Result<void>;

// Shorthand for `return lake::fail(ErrorCode::x, "...")` in functions
// returning any Result<T>.
[[nodiscard]] inline std::unexpected<Error> fail(ErrorCode code, std::string message,
                                                 std::shared_ptr<const ErrorDetail> detail = nullptr) {
  return std::unexpected<Error>(std::in_place, code, std::move(message), std::move(detail));
}
[[nodiscard]] inline std::unexpected<Error> fail(Error error) {
  return std::unexpected<Error>(std::move(error));
}

}  // namespace lake

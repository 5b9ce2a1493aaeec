#include "lake/error.hpp"

namespace lake {

std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::invalid_argument: return "invalid_argument";
    case ErrorCode::invalid_tag: return "invalid_tag";
    case ErrorCode::validation: return "validation";
    case ErrorCode::no_rows: return "no_rows";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::already_exists: return "already_exists";
    case ErrorCode::conflict: return "conflict";
    case ErrorCode::cluster_not_ready: return "cluster_not_ready";
    case ErrorCode::client_staging: return "client_staging";
    case ErrorCode::driver_read: return "driver_read";
    case ErrorCode::uri_mismatch: return "uri_mismatch";
    case ErrorCode::schema_mismatch: return "schema_mismatch";
    case ErrorCode::unsupported: return "unsupported";
    case ErrorCode::permission_denied: return "permission_denied";
    case ErrorCode::io: return "io";
    case ErrorCode::closed: return "closed";
    case ErrorCode::already_committed: return "already_committed";
    case ErrorCode::cancelled: return "cancelled";
    case ErrorCode::internal: return "internal";
  }
  return "unknown";
}

std::string Error::to_string() const {
  std::string out(lake::to_string(code_));
  out += ": ";
  out += message_;
  if (detail_) {
    std::string described = detail_->describe();
    if (!described.empty()) {
      out += '\n';
      out += described;
    }
  }
  return out;
}

Error Error::with_context(std::string_view context) const {
  std::string message(context);
  message += ": ";
  message += message_;
  return Error(code_, std::move(message), detail_);
}

}  // namespace lake

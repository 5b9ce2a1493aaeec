#include "drivers/spark/session_identity.hpp"

#include <array>
#include <cstdint>
#include <format>
#include <random>

#include "drivers/spark/spark_errors.hpp"

namespace lake::spark {

Status ObservedServerSession::observe(std::string_view server_side_session_id) {
  if (server_side_session_id.empty()) return {};
  std::scoped_lock lock(mutex_);
  if (id_.empty()) {
    id_ = server_side_session_id;
    return {};
  }
  if (id_ == server_side_session_id) return {};
  lost_ = true;
  // Typed like the server's own refusal, so callers handle both alike.
  return fail(Error(ErrorCode::io,
                    std::format("spark: [INVALID_HANDLE.SESSION_CHANGED] the server answered for another server-side "
                                "session ({}, not {}): it lost this session (restarted, or the session expired), and "
                                "with it the session's temporary views and settings",
                                server_side_session_id, id_),
                    std::make_shared<SparkErrorDetail>(grpc::StatusCode::FAILED_PRECONDITION,
                                                       "INVALID_HANDLE.SESSION_CHANGED", "", "", false)));
}

void ObservedServerSession::note_failure(const Error& error) {
  if (session_lost(error)) lost_ = true;
}

std::optional<std::string> ObservedServerSession::id() const {
  std::scoped_lock lock(mutex_);
  if (id_.empty()) return std::nullopt;
  return id_;
}

std::string random_uuid() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  std::array<std::uint8_t, 16> bytes{};
  for (std::size_t i = 0; i < bytes.size(); i += 8) {
    const std::uint64_t word = random();
    for (std::size_t j = 0; j < 8; ++j) bytes[i + j] = static_cast<std::uint8_t>(word >> (8 * j));
  }
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3F) | 0x80);  // RFC 9562 variant
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += std::format("{:02x}", bytes[i]);
  }
  return out;
}

}  // namespace lake::spark

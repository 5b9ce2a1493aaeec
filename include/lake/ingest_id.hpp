// The ingest id: a UUIDv7 (RFC 9562) minted for every write. It is stored
// in the system column _ingest_id of every row the write produced, names
// the write's staging prefix (_staging/<ingest id>/), and appears in logs,
// so a row, its staging files and its log lines can be tied together.
//
// UUIDv7 puts the Unix millisecond time in its first 48 bits, so ids sort
// by creation time, and cleanup_staging can tell a prefix's age from its
// name alone. Ids minted by generate() in one process are strictly
// increasing, even within one millisecond.
#pragma once

#include <array>
#include <chrono>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "lake/error.hpp"

namespace lake {

class IngestId {
 public:
  // The nil UUID (all zero); not a valid ingest id for a write.
  constexpr IngestId() = default;

  // A new id for the current time. Thread-safe.
  [[nodiscard]] static IngestId generate();
  // A new id for the given time (tests, backfills). It encodes exactly that
  // millisecond and is unique, but it orders by that time: it is not
  // guaranteed to sort after ids generate() already minted. Thread-safe.
  [[nodiscard]] static IngestId generate_at(std::chrono::sys_time<std::chrono::milliseconds> time);
  // Parses the canonical 8-4-4-4-12 hex form (either case); errors with
  // ErrorCode::invalid_argument on anything else, including a UUID that
  // is not version 7 with the RFC 9562 variant.
  [[nodiscard]] static Result<IngestId> parse(std::string_view text);

  // Canonical lower-case form, e.g. "01936b2e-1e5c-7c3a-9f1e-5b2d4c3a2b1f".
  [[nodiscard]] std::string to_string() const;
  // The creation time encoded in the id.
  [[nodiscard]] std::chrono::sys_time<std::chrono::milliseconds> time() const noexcept;
  [[nodiscard]] constexpr bool is_nil() const noexcept { return bytes_ == std::array<std::uint8_t, 16>{}; }
  [[nodiscard]] constexpr const std::array<std::uint8_t, 16>& bytes() const noexcept { return bytes_; }

  friend constexpr bool operator==(const IngestId&, const IngestId&) = default;
  friend constexpr auto operator<=>(const IngestId&, const IngestId&) = default;

 private:
  std::array<std::uint8_t, 16> bytes_{};
};

}  // namespace lake

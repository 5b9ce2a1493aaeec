// The value types a record member may have beyond the built-in ones.
//
// They map one-to-one onto the types Delta Lake and Iceberg share:
//   lake::timestamp       -> timestamp, microseconds since the Unix epoch, UTC
//   lake::local_timestamp -> timestamp without time zone (Delta timestamp_ntz,
//                            Iceberg timestamp): a wall-clock reading, no instant
//   lake::date            -> date, days since the Unix epoch
//   lake::decimal<P, S>   -> decimal(P, S), P <= 38
//   lake::bytes           -> binary
// The standard chrono types are used directly so users get chrono's
// arithmetic and formatting for free.
#pragma once

#include <chrono>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lake/error.hpp"

namespace lake {

// 128-bit integer for decimal unscaled values (GCC/Clang extension; the
// __extension__ keeps -Wpedantic quiet about it in one place).
__extension__ typedef __int128 int128;

using timestamp = std::chrono::sys_time<std::chrono::microseconds>;
using local_timestamp = std::chrono::local_time<std::chrono::microseconds>;
using date = std::chrono::sys_days;
using bytes = std::vector<std::byte>;

// Current time truncated to the microsecond precision tables store.
[[nodiscard]] timestamp now() noexcept;

// RFC 3339 rendering ("2026-11-21T09:57:51.123456Z") and parsing (also
// accepts an offset, a space separator and fewer fraction digits).
[[nodiscard]] std::string format_timestamp(timestamp t);
[[nodiscard]] Result<timestamp> parse_timestamp(std::string_view text);
// ISO 8601 without a zone ("2026-11-21T09:57:51.123456") and its parsing
// (also a space separator and fewer fraction digits; a zone or offset is
// refused: a local timestamp names no instant).
[[nodiscard]] std::string format_local_timestamp(local_timestamp t);
[[nodiscard]] Result<local_timestamp> parse_local_timestamp(std::string_view text);
[[nodiscard]] std::string format_date(date d);
[[nodiscard]] Result<date> parse_date(std::string_view text);

namespace detail {
// Decimal text <-> unscaled 128-bit integer; shared by every decimal<P, S>.
[[nodiscard]] std::string format_decimal(int128 unscaled, int scale);
[[nodiscard]] Result<int128> parse_decimal(std::string_view text, int precision, int scale);
}  // namespace detail

// A fixed-point decimal with Precision total digits, Scale of them after the
// point, stored as its unscaled value (123.45 in decimal<5, 2> is 12345).
template <int Precision, int Scale>
  requires(Precision >= 1 && Precision <= 38 && Scale >= 0 && Scale <= Precision)
class decimal {
 public:
  static constexpr int precision = Precision;
  static constexpr int scale = Scale;

  constexpr decimal() = default;

  // The decimal whose unscaled value is `unscaled`; the caller guarantees it
  // has at most Precision digits (checked by parse()).
  [[nodiscard]] static constexpr decimal from_unscaled(int128 unscaled) noexcept {
    decimal d;
    d.unscaled_ = unscaled;
    return d;
  }

  // Parses "-123.45"; errors if the value needs more than Precision digits
  // or more than Scale fraction digits.
  [[nodiscard]] static Result<decimal> parse(std::string_view text) {
    auto unscaled = detail::parse_decimal(text, Precision, Scale);
    if (!unscaled) return std::unexpected(unscaled.error());
    return from_unscaled(*unscaled);
  }

  [[nodiscard]] constexpr int128 unscaled() const noexcept { return unscaled_; }
  [[nodiscard]] std::string to_string() const { return detail::format_decimal(unscaled_, Scale); }
  [[nodiscard]] double to_double() const noexcept {
    double value = static_cast<double>(unscaled_);
    for (int i = 0; i < Scale; ++i) value /= 10.0;
    return value;
  }

  friend constexpr bool operator==(const decimal&, const decimal&) = default;
  friend constexpr auto operator<=>(const decimal&, const decimal&) = default;

 private:
  int128 unscaled_ = 0;
};

}  // namespace lake

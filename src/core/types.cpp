#include "lake/types.hpp"

#include <charconv>
#include <cstdio>
#include <format>
#include <optional>

namespace lake {

using namespace std::chrono;

timestamp now() noexcept { return floor<microseconds>(system_clock::now()); }

namespace {

// "YYYY-MM-DDTHH:MM:SS.ffffff" of microseconds since the epoch (an
// instant's UTC reading, or a local reading).
std::string format_micros(microseconds since_epoch) {
  const sys_time<microseconds> t{since_epoch};
  auto day = floor<days>(t);
  year_month_day ymd{day};
  hh_mm_ss<microseconds> time{t - day};
  return std::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), time.hours().count(),
                     time.minutes().count(), time.seconds().count(), time.subseconds().count());
}

}  // namespace

std::string format_timestamp(timestamp t) { return format_micros(t.time_since_epoch()) + "Z"; }

std::string format_local_timestamp(local_timestamp t) { return format_micros(t.time_since_epoch()); }

std::string format_date(date d) {
  year_month_day ymd{d};
  return std::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                     static_cast<unsigned>(ymd.day()));
}

namespace {

// Reads exactly `width` digits at `pos`.
bool read_digits(std::string_view text, std::size_t& pos, std::size_t width, int& out) {
  if (pos + width > text.size()) return false;
  auto [end, ec] = std::from_chars(text.data() + pos, text.data() + pos + width, out);
  if (ec != std::errc{} || end != text.data() + pos + width) return false;
  pos += width;
  return true;
}

bool expect(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

bool parse_ymd(std::string_view text, std::size_t& pos, date& out) {
  int y = 0, m = 0, d = 0;
  if (!read_digits(text, pos, 4, y) || !expect(text, pos, '-') || !read_digits(text, pos, 2, m) ||
      !expect(text, pos, '-') || !read_digits(text, pos, 2, d))
    return false;
  year_month_day ymd{year{y}, month{static_cast<unsigned>(m)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return false;
  out = sys_days{ymd};
  return true;
}

}  // namespace

Result<date> parse_date(std::string_view text) {
  std::size_t pos = 0;
  date d;
  if (!parse_ymd(text, pos, d) || pos != text.size())
    return fail(ErrorCode::invalid_argument, std::format("'{}' is not a date (YYYY-MM-DD)", text));
  return d;
}

namespace {

// A date with an optional time: microseconds since the epoch of its
// reading, and where the text goes on (a zone, or the end).
struct Reading {
  microseconds since_epoch{};
  std::size_t pos = 0;
};

std::optional<Reading> parse_reading(std::string_view text) {
  std::size_t pos = 0;
  date d;
  if (!parse_ymd(text, pos, d)) return std::nullopt;
  if (pos == text.size()) return Reading{d.time_since_epoch(), pos};
  if (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') return std::nullopt;
  ++pos;
  int hh = 0, mm = 0, ss = 0;
  if (!read_digits(text, pos, 2, hh) || !expect(text, pos, ':') || !read_digits(text, pos, 2, mm) ||
      !expect(text, pos, ':') || !read_digits(text, pos, 2, ss) || hh > 23 || mm > 59 || ss > 60)
    return std::nullopt;
  std::int64_t micros = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 6) micros = micros * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 6; ++i) micros *= 10;
  }
  return Reading{d.time_since_epoch() + hours{hh} + minutes{mm} + seconds{ss} + microseconds{micros}, pos};
}

}  // namespace

Result<local_timestamp> parse_local_timestamp(std::string_view text) {
  auto reading = parse_reading(text);
  if (!reading || reading->pos != text.size())
    return fail(ErrorCode::invalid_argument,
                std::format("'{}' is not a local timestamp (YYYY-MM-DD[THH:MM:SS[.ffffff]], no zone)", text));
  return local_timestamp{reading->since_epoch};
}

Result<timestamp> parse_timestamp(std::string_view text) {
  auto bad = [&] {
    return fail(ErrorCode::invalid_argument,
                std::format("'{}' is not an RFC 3339 timestamp (YYYY-MM-DDTHH:MM:SS[.ffffff](Z|+HH:MM))", text));
  };
  auto reading = parse_reading(text);
  if (!reading) return bad();
  std::size_t pos = reading->pos;
  std::int64_t offset_minutes = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int oh = 0, om = 0;
    if (!read_digits(text, pos, 2, oh) || !expect(text, pos, ':') || !read_digits(text, pos, 2, om)) return bad();
    offset_minutes = sign * (oh * 60 + om);
  }
  if (pos != text.size()) return bad();
  return timestamp{reading->since_epoch - minutes{offset_minutes}};
}

namespace detail {

std::string format_decimal(int128 unscaled, int scale) {
  bool negative = unscaled < 0;
  // Work with the magnitude as unsigned so the most negative value is safe.
  __extension__ typedef unsigned __int128 uint128;
  uint128 magnitude = negative ? static_cast<uint128>(-(unscaled + 1)) + 1 : static_cast<uint128>(unscaled);
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(magnitude % 10)));
    magnitude /= 10;
  } while (magnitude != 0);
  if (scale > 0) {
    if (digits.size() <= static_cast<std::size_t>(scale))
      digits.insert(digits.begin(), static_cast<std::size_t>(scale) + 1 - digits.size(), '0');
    digits.insert(digits.end() - scale, '.');
  }
  if (negative) digits.insert(digits.begin(), '-');
  return digits;
}

Result<int128> parse_decimal(std::string_view text, int precision, int scale) {
  auto bad = [&](std::string_view why) {
    return fail(ErrorCode::invalid_argument,
                std::format("'{}' is not a decimal({},{}): {}", text, precision, scale, why));
  };
  std::string_view rest = text;
  bool negative = false;
  if (!rest.empty() && (rest.front() == '-' || rest.front() == '+')) {
    negative = rest.front() == '-';
    rest.remove_prefix(1);
  }
  auto dot = rest.find('.');
  std::string_view whole = rest.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? std::string_view{} : rest.substr(dot + 1);
  if (whole.empty() && fraction.empty()) return bad("no digits");
  // Trailing zeros beyond the scale carry no value.
  while (fraction.size() > static_cast<std::size_t>(scale) && fraction.back() == '0') fraction.remove_suffix(1);
  if (fraction.size() > static_cast<std::size_t>(scale)) return bad("too many digits after the point");
  while (whole.size() > 1 && whole.front() == '0') whole.remove_prefix(1);
  if (whole == "0") whole = {};
  if (whole.size() + static_cast<std::size_t>(scale) > static_cast<std::size_t>(precision))
    return bad("too many digits");
  int128 value = 0;
  for (char c : whole) {
    if (c < '0' || c > '9') return bad("not a digit");
    value = value * 10 + (c - '0');
  }
  for (int i = 0; i < scale; ++i) {
    int digit = 0;
    if (static_cast<std::size_t>(i) < fraction.size()) {
      char c = fraction[static_cast<std::size_t>(i)];
      if (c < '0' || c > '9') return bad("not a digit");
      digit = c - '0';
    }
    value = value * 10 + digit;
  }
  return negative ? -value : value;
}

}  // namespace detail
}  // namespace lake

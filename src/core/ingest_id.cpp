// UUIDv7 (RFC 9562, section 5.7) with the "fixed-length dedicated counter"
// method (section 6.2, method 1): rand_a holds a 12-bit counter, so ids
// minted by generate() are strictly increasing within the process.
//
// Layout (big-endian):
//   bytes 0-5   unix_ts_ms (48 bits)
//   byte  6     0x7 version nibble | counter bits 11-8
//   byte  7     counter bits 7-0
//   byte  8     0b10 variant | 6 random bits
//   bytes 9-15  56 random bits
#include "lake/ingest_id.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <format>
#include <mutex>
#include <random>

namespace lake {
namespace {

using Millis = std::chrono::sys_time<std::chrono::milliseconds>;
using Bytes = std::array<std::uint8_t, 16>;

constexpr std::uint64_t kMaxMillis = (std::uint64_t{1} << 48) - 1;
constexpr std::uint16_t kMaxCounter = 0x0FFF;
// A fresh millisecond starts its counter below the midpoint, so at least
// 2048 more ids fit in that millisecond before time has to be borrowed,
// while the random start still keeps the counter hard to guess.
constexpr std::uint16_t kSeedMask = 0x07FF;

// 8 bytes for rand_b (62 bits used) and 2 for a possible counter seed,
// drawn in one call outside the lock.
using Entropy = std::array<std::uint8_t, 10>;

Entropy entropy() {
  Entropy out{};
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) == 1) return out;
  // RAND_bytes only fails when OpenSSL cannot seed its DRBG; the OS
  // generator behind random_device is still good enough for uniqueness.
  thread_local std::random_device device;
  for (std::size_t i = 0; i < out.size(); i += 2) {
    auto word = device();
    out[i] = static_cast<std::uint8_t>(word);
    out[i + 1] = static_cast<std::uint8_t>(word >> 8);
  }
  return out;
}

std::uint16_t random_counter(const Entropy& e, std::uint16_t mask) {
  return static_cast<std::uint16_t>(((e[8] << 8) | e[9]) & mask);
}

// UUIDv7 cannot express times before 1970 or after the year 10889; such
// times are clamped rather than wrapped, so ordering is never inverted.
std::uint64_t to_field(Millis time) {
  auto ms = time.time_since_epoch().count();
  if (ms < 0) return 0;
  return std::min(static_cast<std::uint64_t>(ms), kMaxMillis);
}

Bytes assemble(std::uint64_t ms, std::uint16_t counter, const Entropy& e) {
  Bytes b{};
  for (int i = 0; i < 6; ++i) b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(ms >> (40 - 8 * i));
  b[6] = static_cast<std::uint8_t>(0x70 | ((counter >> 8) & 0x0F));
  b[7] = static_cast<std::uint8_t>(counter);
  b[8] = static_cast<std::uint8_t>(0x80 | (e[0] & 0x3F));
  for (std::size_t i = 9; i < 16; ++i) b[i] = e[i - 8];
  return b;
}

// The last (ms, counter) generate() handed out; shared by all threads.
struct Clock {
  std::mutex mutex;
  std::uint64_t ms = 0;
  std::uint16_t counter = 0;
};

Clock& last_minted() {
  static Clock clock;
  return clock;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr bool is_dash_position(std::size_t i) noexcept { return i == 8 || i == 13 || i == 18 || i == 23; }

// Quotes the rejected text; long input is cut so a stray payload cannot
// flood the log line.
std::unexpected<Error> reject(std::string_view text, std::string_view why) {
  constexpr std::size_t kShown = 64;
  std::string shown(text.substr(0, kShown));
  if (text.size() > kShown) shown += "...";
  return fail(ErrorCode::invalid_argument, std::format("invalid ingest id \"{}\": {}", shown, why));
}

}  // namespace

IngestId IngestId::generate() {
  auto now = to_field(std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now()));
  Entropy e = entropy();
  std::uint64_t ms;
  std::uint16_t counter;
  {
    Clock& clock = last_minted();
    std::lock_guard lock(clock.mutex);
    if (now > clock.ms) {
      clock.ms = now;
      clock.counter = random_counter(e, kSeedMask);
    } else if (clock.counter < kMaxCounter) {
      // Same millisecond, or the wall clock stepped back: stay on the last
      // millisecond and count up, so order never goes backwards.
      ++clock.counter;
    } else {
      // Counter exhausted: borrow the next millisecond. The ids run slightly
      // ahead of the clock until it catches up, which is harmless.
      clock.ms = std::min(clock.ms + 1, kMaxMillis);
      clock.counter = random_counter(e, kSeedMask);
    }
    ms = clock.ms;
    counter = clock.counter;
  }
  IngestId id;
  id.bytes_ = assemble(ms, counter, e);
  return id;
}

// Deliberately outside generate()'s sequence: a backfill must be able to
// stamp a past time, and borrowing time or clamping to the last minted id
// would change the time the id claims. The id encodes exactly `time` and
// is unique by its 74 random bits (rand_a is random here, not a counter),
// but it sorts by that time, not after the ids generate() already minted.
IngestId IngestId::generate_at(std::chrono::sys_time<std::chrono::milliseconds> time) {
  Entropy e = entropy();
  IngestId id;
  id.bytes_ = assemble(to_field(time), random_counter(e, kMaxCounter), e);
  return id;
}

Result<IngestId> IngestId::parse(std::string_view text) {
  if (text.size() != 36) return reject(text, "expected 36 characters in the form 8-4-4-4-12");
  IngestId id;
  std::size_t nibble = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (is_dash_position(i)) {
      if (text[i] != '-') return reject(text, std::format("expected '-' at position {}", i));
      continue;
    }
    int v = hex_value(text[i]);
    if (v < 0) return reject(text, std::format("non-hex character at position {}", i));
    auto& byte = id.bytes_[nibble / 2];
    byte = static_cast<std::uint8_t>(nibble % 2 == 0 ? v << 4 : byte | v);
    ++nibble;
  }
  if ((id.bytes_[6] >> 4) != 7) return reject(text, "not a version 7 UUID");
  if ((id.bytes_[8] >> 6) != 0b10) return reject(text, "not an RFC 9562 variant UUID");
  return id;
}

std::string IngestId::to_string() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < bytes_.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kDigits[bytes_[i] >> 4];
    out += kDigits[bytes_[i] & 0x0F];
  }
  return out;
}

std::chrono::sys_time<std::chrono::milliseconds> IngestId::time() const noexcept {
  std::uint64_t ms = 0;
  for (std::size_t i = 0; i < 6; ++i) ms = (ms << 8) | bytes_[i];
  return Millis{std::chrono::milliseconds{static_cast<std::int64_t>(ms)}};
}

}  // namespace lake

// Z85 (ZeroMQ RFC 32), the base-85 alphabet Delta encodes deletion
// vectors' UUIDs and inline vectors in: every 5 characters are 4
// big-endian bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lake::delta {

inline constexpr std::string_view kZ85 =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

// The bytes `text` encodes; nullopt when it is not Z85 (a length not a
// multiple of 5, a character outside the alphabet, a group above 2^32).
inline std::optional<std::string> z85_decode(std::string_view text) {
  if (text.size() % 5 != 0) return std::nullopt;
  std::string bytes;
  bytes.reserve(text.size() / 5 * 4);
  for (std::size_t i = 0; i < text.size(); i += 5) {
    std::uint64_t value = 0;
    for (char c : text.substr(i, 5)) {
      auto digit = kZ85.find(c);
      if (digit == std::string_view::npos) return std::nullopt;
      value = value * 85 + digit;
    }
    if (value > 0xFFFFFFFFu) return std::nullopt;
    for (int shift = 24; shift >= 0; shift -= 8) bytes += static_cast<char>((value >> shift) & 0xFF);
  }
  return bytes;
}

// The Z85 text of `bytes`; their length must be a multiple of 4 (a UUID's
// 16 bytes are 20 characters).
inline std::string z85_encode(std::string_view bytes) {
  std::string text;
  text.reserve(bytes.size() / 4 * 5);
  for (std::size_t i = 0; i + 4 <= bytes.size(); i += 4) {
    std::uint64_t value = 0;
    for (std::size_t j = 0; j < 4; ++j) value = (value << 8) | static_cast<unsigned char>(bytes[i + j]);
    char group[5];
    for (int k = 4; k >= 0; --k, value /= 85) group[k] = kZ85[value % 85];
    text.append(group, 5);
  }
  return text;
}

}  // namespace lake::delta

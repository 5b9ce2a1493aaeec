// Base64 (RFC 4648, with padding) for bytes inside JSON-encoded members.
#include <array>

#include "lake/schema/detail/json_codec.hpp"

namespace lake::detail {
namespace {
constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int, 256> decode_table() {
  std::array<int, 256> table{};
  table.fill(-1);
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int>(i);
  return table;
}
constexpr auto kDecode = decode_table();
}  // namespace

std::string base64_encode(const lake::bytes& data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto byte = [&](std::size_t k) { return static_cast<unsigned>(std::to_integer<unsigned char>(data[k])); };
  for (; i + 2 < data.size(); i += 3) {
    unsigned n = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(n >> shift) & 63];
  }
  if (std::size_t rest = data.size() - i; rest > 0) {
    unsigned n = byte(i) << 16 | (rest == 2 ? byte(i + 1) << 8 : 0);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool base64_decode(std::string_view text, lake::bytes& out) {
  if (text.size() % 4 != 0) return false;
  out.clear();
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    int pad = 0;
    unsigned n = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      char c = text[i + k];
      int v;
      if (c == '=' && i + 4 == text.size() && k >= 2) {
        v = 0;
        ++pad;
      } else {
        if (pad) return false;  // data after padding
        v = kDecode[static_cast<unsigned char>(c)];
        if (v < 0) return false;
      }
      n = n << 6 | static_cast<unsigned>(v);
    }
    out.push_back(static_cast<std::byte>(n >> 16));
    if (pad < 2) out.push_back(static_cast<std::byte>(n >> 8 & 0xff));
    if (pad < 1) out.push_back(static_cast<std::byte>(n & 0xff));
  }
  return true;
}

}  // namespace lake::detail

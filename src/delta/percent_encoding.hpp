// %XX escaping with uppercase hex, as Delta writers escape paths and Hive
// escapes partition directory names; the two differ only in which bytes
// they escape.
#pragma once

#include <string>
#include <string_view>

namespace lake::delta {

template <class Escape>
[[nodiscard]] std::string percent_encode(std::string_view text, Escape escape) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (!escape(c)) {
      out += ch;
      continue;
    }
    out += '%';
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

}  // namespace lake::delta

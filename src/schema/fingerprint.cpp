#include "lake/schema/fingerprint.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

namespace lake {

// The text format is a compatibility contract: fingerprints are stored and
// compared across releases, so any change here is a breaking change that
// makes every stored fingerprint mismatch (the golden test pins it).
std::string fingerprint_text(const Schema& schema) {
  // Sorted by column, ties (only possible in a catalog-read schema) by the
  // whole line, so the result never depends on declaration order.
  std::vector<std::pair<std::string_view, std::string>> lines;
  lines.reserve(schema.fields.size());
  for (const Field& f : schema.fields) {
    std::string line = f.column;
    line += '|';
    // DataType::to_string() spells out nested children with their
    // nullability and decimal precision/scale, so those are covered too.
    line += f.type.to_string();
    line += f.nullable ? "|null" : "|notnull";
    line += f.primary_key ? "|pk=1" : "|pk=0";
    line += f.merge_key ? "|merge=1" : "|merge=0";
    lines.emplace_back(f.column, std::move(line));
  }
  std::ranges::sort(lines);

  std::string text = "table " + schema.table_name + "\n";
  for (const auto& [column, line] : lines) {
    text += line;
    text += '\n';
  }
  return text;
}

std::string schema_fingerprint(const Schema& schema) {
  std::string text = fingerprint_text(schema);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  // SHA-256 fails only when OpenSSL cannot allocate; an empty fingerprint
  // then never equals a stored one, so drift detection fails loudly rather
  // than passing on a wrong value.
  if (EVP_Digest(text.data(), text.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1) return {};
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * size);
  for (unsigned int i = 0; i < size; ++i) {
    hex += kDigits[digest[i] >> 4];
    hex += kDigits[digest[i] & 0x0F];
  }
  return hex;
}

}  // namespace lake

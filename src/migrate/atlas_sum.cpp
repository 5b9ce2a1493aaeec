#include "migrate/atlas_sum.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <memory>

#include "lake/schema/detail/json_codec.hpp"

namespace lake::migrate {
namespace {

using Context = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

std::string base64(const unsigned char* digest, unsigned size) {
  lake::bytes data(size);
  std::transform(digest, digest + size, data.begin(), [](unsigned char c) { return std::byte{c}; });
  return detail::base64_encode(data);
}

// The running sum so far, leaving the running state as it is (Go's
// hash.Sum(nil)).
std::string peek(const Context& running) {
  Context copy(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_MD_CTX_copy_ex(copy.get(), running.get());
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned size = 0;
  EVP_DigestFinal_ex(copy.get(), digest.data(), &size);
  return base64(digest.data(), size);
}

bool word_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

// Atlas's `^([ -~]*)atlas:(\w+)(?: +([ -~]*))*` on the file's start, asked
// whether it says `atlas:sum ignore`. The greedy prefix makes the last
// "atlas:<word>" of the first printable run the one that counts.
bool ignored_by_sum(std::string_view text) {
  std::size_t printable = 0;
  while (printable < text.size() && text[printable] >= ' ' && text[printable] <= '~') ++printable;
  const std::string_view run = text.substr(0, printable);
  for (std::size_t at = run.rfind("atlas:"); at != std::string_view::npos; at = at ? run.rfind("atlas:", at - 1) : std::string_view::npos) {
    std::size_t word_end = at + 6;
    while (word_end < run.size() && word_char(run[word_end])) ++word_end;
    if (word_end == at + 6) continue;  // no \w after "atlas:": an earlier one may match
    const std::string_view name = run.substr(at + 6, word_end - at - 6);
    std::string_view mode;
    if (word_end < run.size() && run[word_end] == ' ') {
      std::size_t rest = word_end;
      while (rest < run.size() && run[rest] == ' ') ++rest;
      mode = run.substr(rest);
    }
    return name == "sum" && mode == "ignore";
  }
  return false;
}

}  // namespace

std::vector<SumEntry> sum_entries(std::vector<std::pair<std::string, std::string>> files) {
  std::ranges::sort(files, {}, &std::pair<std::string, std::string>::first);
  Context running(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_DigestInit_ex(running.get(), EVP_sha256(), nullptr);
  std::vector<SumEntry> entries;
  for (const auto& [name, bytes] : files) {
    EVP_DigestUpdate(running.get(), name.data(), name.size());
    if (ignored_by_sum(bytes)) continue;
    EVP_DigestUpdate(running.get(), bytes.data(), bytes.size());
    entries.push_back({name, peek(running)});
  }
  return entries;
}

std::string sum_text(const std::vector<SumEntry>& entries) {
  Context total(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_DigestInit_ex(total.get(), EVP_sha256(), nullptr);
  std::string lines;
  for (const auto& entry : entries) {
    EVP_DigestUpdate(total.get(), entry.name.data(), entry.name.size());
    EVP_DigestUpdate(total.get(), entry.hash.data(), entry.hash.size());
    lines += entry.name + " h1:" + entry.hash + "\n";
  }
  return "h1:" + peek(total) + "\n" + lines;
}

bool parse_sum(std::string_view text, std::vector<SumEntry>& entries) {
  entries.clear();
  auto newline = text.find('\n');
  if (newline == std::string_view::npos || !text.starts_with("h1:")) return false;
  text.remove_prefix(newline + 1);
  while (!text.empty()) {
    newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    const auto marker = line.rfind(" h1:");
    if (marker == std::string_view::npos || marker == 0) return false;
    entries.push_back({std::string(line.substr(0, marker)), std::string(line.substr(marker + 4))});
  }
  return true;
}

}  // namespace lake::migrate

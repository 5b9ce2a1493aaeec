// atlas.sum, Atlas's integrity file for a migration directory, computed
// exactly as Atlas's sql/migrate package does (NewHashFile, HashFile.
// MarshalText): the directory's *.sql files in byte order of their names;
// one running SHA-256 over each file's name and then its bytes (a file
// whose first line carries `atlas:sum ignore` adds only its name); each
// file's line `<name> h1:<base64 of the running sum after it>`; and a first
// line `h1:<base64 SHA-256 over every name and hash>`. Because the sums
// run on, an edit shows at the edited file and every file after it.
// Internal to the migrations.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lake::migrate {

struct SumEntry {
  std::string name;
  std::string hash;  // base64, without "h1:"
  friend bool operator==(const SumEntry&, const SumEntry&) = default;
};

// `files` are (name, bytes), in any order.
[[nodiscard]] std::vector<SumEntry> sum_entries(std::vector<std::pair<std::string, std::string>> files);
[[nodiscard]] std::string sum_text(const std::vector<SumEntry>& entries);
// The entries of an atlas.sum text; false when it is not one (the first
// line's total is not checked here: compare entries).
[[nodiscard]] bool parse_sum(std::string_view text, std::vector<SumEntry>& entries);

}  // namespace lake::migrate

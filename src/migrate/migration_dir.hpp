// A migration directory on disk: its *.sql files, atlas.sum, and what they
// say together (the files in goose's order, the newest state, every way
// the files and the sum disagree). Internal to the migrations.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lake/error.hpp"
#include "lake/migrate.hpp"
#include "migrate/goose_file.hpp"
#include "migrate/table_state.hpp"

namespace lake::migrate {

inline constexpr std::string_view kSumFile = "atlas.sum";

// What reading a directory that does not exist gives: an empty directory
// where the files are still to be written (generate; check against
// structs, which then reports the first migration as missing), and
// not_found everywhere else, so a mistyped path fails instead of reading
// as "nothing to do".
enum class IfAbsent { empty, not_found };

struct MigrationDir {
  std::filesystem::path path;
  std::vector<std::pair<std::string, std::string>> sql_files;  // (name, bytes), by name
  std::optional<std::string> sum;                              // atlas.sum's text, if there is one

  [[nodiscard]] static Result<MigrationDir> read(const std::filesystem::path& path, IfAbsent if_absent);

  // Every way atlas.sum and the files disagree, each naming the file.
  [[nodiscard]] std::vector<CheckProblem> sum_problems() const;
  // The files as migrations in goose's order (by version), and the files
  // that are not readable migrations (with duplicate versions) as problems.
  [[nodiscard]] std::vector<MigrationFile> migrations(std::vector<CheckProblem>& problems) const;
};

// The newest state the migrations record (that of the newest file with a
// State-JSON header); an empty state of `format` when none has one.
[[nodiscard]] State latest_state(const std::vector<MigrationFile>& migrations, std::string_view format);

// Writes `bytes` to `path` through a temporary file and a rename, so a
// reader never sees half a file.
[[nodiscard]] Status write_atomically(const std::filesystem::path& path, std::string_view bytes);

}  // namespace lake::migrate

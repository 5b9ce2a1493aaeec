#include "migrate/migration_dir.hpp"

#include <algorithm>
#include <format>
#include <fstream>
#include <map>
#include <sstream>
#include <system_error>

#include "core/propagate.hpp"
#include "migrate/atlas_sum.hpp"

namespace lake::migrate {
namespace {

Error io_error(const std::filesystem::path& path, std::string_view what, const std::error_code& ec) {
  return Error(ErrorCode::io, std::format("{} {}: {}", what, path.string(), ec.message()));
}

Result<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected(Error(ErrorCode::io, std::format("cannot read {}", path.string())));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::unexpected(Error(ErrorCode::io, std::format("cannot read {}", path.string())));
  return std::move(text).str();
}

}  // namespace

Result<MigrationDir> MigrationDir::read(const std::filesystem::path& path, IfAbsent if_absent) {
  MigrationDir dir{.path = path, .sql_files = {}, .sum = std::nullopt};
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (ec) return std::unexpected(io_error(path, "cannot read", ec));
    if (if_absent == IfAbsent::not_found)
      return std::unexpected(
          Error(ErrorCode::not_found, std::format("no migration directory {}", path.string())));
    return dir;
  }
  if (!std::filesystem::is_directory(path, ec))
    return std::unexpected(
        Error(ErrorCode::invalid_argument, std::format("{} is not a directory", path.string())));
  for (std::filesystem::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    // Atlas reads `*.sql` at the top level (fs.Glob): hidden files too.
    if (!it->is_regular_file(ec) || !name.ends_with(".sql")) continue;
    LAKE_ASSIGN_OR_RETURN(auto bytes, read_file(it->path()));
    dir.sql_files.emplace_back(name, std::move(bytes));
  }
  if (ec) return std::unexpected(io_error(path, "cannot list", ec));
  std::ranges::sort(dir.sql_files, {}, &std::pair<std::string, std::string>::first);
  if (std::filesystem::exists(path / kSumFile, ec)) {
    LAKE_ASSIGN_OR_RETURN(dir.sum, read_file(path / kSumFile));
  }
  return dir;
}

std::vector<CheckProblem> MigrationDir::sum_problems() const {
  std::vector<CheckProblem> problems;
  auto problem = [&](std::string file, std::string message) {
    problems.push_back({.kind = "sum", .file = std::move(file), .message = std::move(message)});
  };
  if (!sum) {
    if (!sql_files.empty())
      problem(std::string(kSumFile), std::format("{} is missing, so edits to the {} migration files cannot be detected",
                                                 kSumFile, sql_files.size()));
    return problems;
  }
  std::vector<SumEntry> recorded;
  if (!parse_sum(*sum, recorded)) {
    problem(std::string(kSumFile), std::format("{} is not an atlas.sum file", kSumFile));
    return problems;
  }
  const std::vector<SumEntry> actual = sum_entries(sql_files);
  std::map<std::string, std::string> recorded_names, actual_names;
  for (const auto& e : recorded) recorded_names[e.name] = e.hash;
  for (const auto& e : actual) actual_names[e.name] = e.hash;
  for (const auto& e : recorded)
    if (!actual_names.contains(e.name))
      problem(e.name, std::format("{} is listed in {} but is gone (deleted or renamed after it was generated)",
                                  e.name, kSumFile));
  for (const auto& e : actual)
    if (!recorded_names.contains(e.name))
      problem(e.name, std::format("{} is not in {} (added or renamed by hand: rehash to accept it)", e.name, kSumFile));
  // The sums run on: the first file whose sum differs while every name
  // before it agrees is the edited one.
  for (std::size_t i = 0; i < std::min(recorded.size(), actual.size()); ++i) {
    if (recorded[i].name != actual[i].name) break;
    if (recorded[i].hash != actual[i].hash) {
      problem(actual[i].name,
              std::format("{} differs from {}: it was edited after it was generated", actual[i].name, kSumFile));
      break;
    }
  }
  if (problems.empty() && sum_text(recorded) != *sum)
    problem(std::string(kSumFile), std::format("{}'s total line does not match its entries", kSumFile));
  return problems;
}

std::vector<MigrationFile> MigrationDir::migrations(std::vector<CheckProblem>& problems) const {
  std::vector<MigrationFile> out;
  for (const auto& [name, bytes] : sql_files) {
    auto file = parse_migration(name, bytes);
    if (!file) {
      problems.push_back({.kind = "file", .file = name, .message = file.error().message()});
      continue;
    }
    out.push_back(std::move(*file));
  }
  std::ranges::stable_sort(out, {}, &MigrationFile::version);
  for (std::size_t i = 1; i < out.size(); ++i)
    if (out[i].version == out[i - 1].version)
      problems.push_back({.kind = "file",
                          .file = out[i].name,
                          .message = std::format("{} has the version of {} ({}): goose runs one of them only",
                                                 out[i].name, out[i - 1].name, out[i].version)});
  return out;
}

State latest_state(const std::vector<MigrationFile>& migrations, std::string_view format) {
  for (auto file = migrations.rbegin(); file != migrations.rend(); ++file)
    if (file->state) return *file->state;
  return State{.format = std::string(format), .tables = {}};
}

Status write_atomically(const std::filesystem::path& path, std::string_view bytes) {
  const std::filesystem::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) return fail(ErrorCode::io, std::format("cannot write {}", temporary.string()));
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    std::filesystem::remove(temporary, ec);
    return fail(ErrorCode::io, std::format("cannot write {}", path.string()));
  }
  return {};
}

}  // namespace lake::migrate

// generate, check and the sum file: the public face of the migrations
// (lake/migrate.hpp).
#include "lake/migrate.hpp"

#include <algorithm>
#include <chrono>
#include <format>
#include <set>

#include <nlohmann/json.hpp>

#include "core/propagate.hpp"
#include "formats/lake_properties.hpp"
#include "lake/dialect.hpp"
#include "migrate/atlas_sum.hpp"
#include "migrate/goose_file.hpp"
#include "migrate/migration_dir.hpp"
#include "migrate/migration_rules.hpp"

namespace lake::migrate {
namespace {

// What the structs ask for next: the state after, and per table (in name
// order) the steps from the directory's newest state.
struct NextState {
  State state;
  std::vector<std::pair<std::string, std::vector<Step>>> tables;  // only tables that change
  std::vector<std::string> created;
  std::vector<std::string> altered;
};

Result<NextState> next_state(const State& latest, std::span<const Schema* const> schemas, const Dialect& dialect,
                             const TableDefaults& defaults) {
  const auto rules = dialect.migration_rules();
  if (latest.format != rules->format())
    return fail(ErrorCode::invalid_argument,
                std::format("the migrations are for {} tables, and this client's dialect is {}", latest.format,
                            rules->format()));
  std::vector<const Schema*> ordered(schemas.begin(), schemas.end());
  std::ranges::sort(ordered, {}, [](const Schema* s) { return s->table_name; });
  for (std::size_t i = 1; i < ordered.size(); ++i)
    if (ordered[i]->table_name == ordered[i - 1]->table_name)
      return fail(ErrorCode::invalid_argument,
                  std::format("{} and {} both declare table {}", ordered[i - 1]->type_name, ordered[i]->type_name,
                              ordered[i]->table_name));
  NextState next{.state = latest, .tables = {}, .created = {}, .altered = {}};
  for (const Schema* schema : ordered) {
    auto properties = dialect.table_properties(*schema, defaults);
    for (auto& [key, value] : formats::key_properties(*schema, rules->cluster_by(*schema)))
      properties.insert_or_assign(key, value);
    TableState after = declared_state(*schema, std::move(properties));
    auto found = latest.tables.find(schema->table_name);
    const TableState* before = found == latest.tables.end() ? nullptr : &found->second;
    LAKE_ASSIGN_OR_RETURN(auto steps, rules->plan(before, after));
    if (before != nullptr && *before == after) continue;
    (before ? next.altered : next.created).push_back(schema->table_name);
    next.tables.emplace_back(schema->table_name, std::move(steps));
    next.state.tables.insert_or_assign(schema->table_name, std::move(after));
  }
  return next;
}

// "create_users_alter_orders", cut to a readable length.
std::string derived_name(const NextState& next) {
  std::string name;
  auto part = [&](std::string_view verb, const std::vector<std::string>& tables) {
    if (tables.empty()) return;
    name += (name.empty() ? "" : "_") + std::string(verb);
    for (const auto& table : tables) name += "_" + table;
  };
  part("create", next.created);
  part("alter", next.altered);
  return name;
}

// File names stay portable: lowercase letters, digits and single '_'.
std::string file_safe(std::string_view text) {
  std::string out;
  for (char c : text) {
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if ((lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9'))
      out += lower;
    else if (!out.empty() && out.back() != '_')
      out += '_';
  }
  while (out.ends_with('_')) out.pop_back();
  if (out.size() > 60) out.resize(60);
  while (out.ends_with('_')) out.pop_back();
  return out.empty() ? "migration" : out;
}

std::string next_version(Naming naming, std::int64_t newest, std::optional<timestamp> now) {
  if (naming == Naming::sequential) return std::format("{:05}", newest + 1);
  const auto seconds = std::chrono::floor<std::chrono::seconds>(now.value_or(std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now())));
  std::int64_t version = 0;
  const std::string text = std::format("{:%Y%m%d%H%M%S}", seconds);
  for (char c : text) version = version * 10 + (c - '0');
  // Versions only grow: a clock behind the newest file's version (or two
  // generations in one second) takes the next number.
  return version > newest ? text : std::format("{}", newest + 1);
}

Error sum_disagrees(const MigrationDir& dir, const std::vector<CheckProblem>& problems) {
  std::string list;
  for (const auto& p : problems) list += (list.empty() ? "" : "; ") + p.message;
  return Error(ErrorCode::invalid_argument,
               std::format("{}: the migration files and {} disagree ({}); restore the files, or rehash to accept "
                           "the edits, before generating",
                           dir.path.string(), kSumFile, list));
}

// The directory's migrations, for a change to it: refused while atlas.sum
// disagrees with the files or a file is not a readable migration.
Result<std::vector<MigrationFile>> agreed_migrations(const MigrationDir& dir) {
  if (auto problems = dir.sum_problems(); !problems.empty()) return fail(sum_disagrees(dir, problems));
  std::vector<CheckProblem> problems;
  auto migrations = dir.migrations(problems);
  if (!problems.empty())
    return fail(ErrorCode::invalid_argument, std::format("{}: {}", problems.front().file, problems.front().message));
  return migrations;
}

}  // namespace

Result<std::optional<GeneratedFile>> generate(const std::filesystem::path& path, std::span<const Schema* const> schemas,
                                              const Dialect& dialect, const TableDefaults& defaults,
                                              const GenerateOptions& options) {
  LAKE_ASSIGN_OR_RETURN(auto dir, MigrationDir::read(path, IfAbsent::empty));
  LAKE_ASSIGN_OR_RETURN(const auto migrations, agreed_migrations(dir));
  const State latest = latest_state(migrations, dialect.migration_rules()->format());
  LAKE_ASSIGN_OR_RETURN(auto next, next_state(latest, schemas, dialect, defaults));
  if (next.tables.empty()) return std::optional<GeneratedFile>{};

  GeneratedFile generated;
  generated.version = next_version(options.naming, migrations.empty() ? 0 : migrations.back().version, options.now);
  const std::string name = std::format("{}_{}.sql", generated.version,
                                       file_safe(options.name.empty() ? derived_name(next) : options.name));
  std::vector<Step> steps;
  std::string title;
  for (auto& [table, table_steps] : next.tables) {
    for (Step& step : table_steps) {
      if (!step.destructive.empty()) generated.destructive.push_back(step.destructive);
      steps.push_back(std::move(step));
    }
    title += (title.empty() ? "" : ", ") + table;
  }
  title = std::format("{} ({})", name.substr(0, name.size() - 4), title);
  const std::string text = render_migration(title, next.state, steps);

  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return fail(ErrorCode::io, std::format("cannot create {}: {}", path.string(), ec.message()));
  generated.path = path / name;
  if (std::filesystem::exists(generated.path, ec))
    return fail(ErrorCode::already_exists, std::format("{} already exists", generated.path.string()));
  dir.sql_files.emplace_back(name, text);
  // The migration first, then the sum: a crash between them leaves a file
  // the sum does not list, which check and generate report.
  LAKE_RETURN_IF_ERROR(write_atomically(generated.path, text));
  LAKE_RETURN_IF_ERROR(write_atomically(path / kSumFile, sum_text(sum_entries(dir.sql_files))));
  return std::optional<GeneratedFile>(std::move(generated));
}

Result<GeneratedFile> squash(const std::filesystem::path& path, const Dialect& dialect) {
  LAKE_ASSIGN_OR_RETURN(auto dir, MigrationDir::read(path, IfAbsent::not_found));
  LAKE_ASSIGN_OR_RETURN(const auto migrations, agreed_migrations(dir));
  if (migrations.size() < 2)
    return fail(ErrorCode::invalid_argument,
                std::format("{}: {} migration file(s), nothing to squash", path.string(), migrations.size()));
  const MigrationFile& newest = migrations.back();
  if (!newest.state)
    return fail(ErrorCode::invalid_argument,
                std::format("{}: no State-JSON header (hand-written?): a squash recreates the state it records",
                            newest.name));
  const auto rules = dialect.migration_rules();
  if (newest.state->format != rules->format())
    return fail(ErrorCode::invalid_argument,
                std::format("the migrations are for {} tables, and this client's dialect is {}", newest.state->format,
                            rules->format()));

  GeneratedFile squashed;
  squashed.version = newest.name.substr(0, newest.name.find('_'));
  const std::string name = std::format("{}_squashed.sql", squashed.version);
  std::vector<Step> steps;
  State state = *newest.state;
  for (auto& [table, after] : state.tables) {
    TableState created = after;
    LAKE_ASSIGN_OR_RETURN(auto table_steps, rules->plan(nullptr, created));
    for (Step& step : table_steps) {
      if (!step.destructive.empty()) squashed.destructive.push_back(step.destructive);
      steps.push_back(std::move(step));
    }
  }
  // What an earlier squash replaced stays replaced: a lake that applied
  // those files sees this squash as applied too.
  std::vector<std::string> replaced;
  for (const auto& m : migrations) {
    for (const auto& earlier : m.squashes)
      if (!std::ranges::contains(replaced, earlier)) replaced.push_back(earlier);
    replaced.push_back(m.name);
  }
  std::ranges::sort(replaced, {}, [](const std::string& file) { return std::pair(*version_of(file), file); });
  const std::string title = std::format("{} (squashes {} files: {} to {})", name.substr(0, name.size() - 4),
                                        migrations.size(), migrations.front().name, newest.name);
  const std::string text = render_migration(title, state, steps, replaced);

  // The squash first, then the sum, then the files it replaces: a crash
  // in between leaves files the sum disagrees with, which check reports.
  squashed.path = path / name;
  std::vector<std::pair<std::string, std::string>> kept;
  for (auto& [file, bytes] : dir.sql_files)
    if (!std::ranges::contains(replaced, file)) kept.emplace_back(file, bytes);
  kept.emplace_back(name, text);
  LAKE_RETURN_IF_ERROR(write_atomically(squashed.path, text));
  LAKE_RETURN_IF_ERROR(write_atomically(path / kSumFile, sum_text(sum_entries(kept))));
  for (const auto& m : migrations) {
    const std::string& file = m.name;
    if (file == name) continue;
    std::error_code ec;
    std::filesystem::remove(path / file, ec);
    if (ec) return fail(ErrorCode::io, std::format("cannot remove {}: {}", (path / file).string(), ec.message()));
  }
  return squashed;
}

Result<CheckReport> check(const std::filesystem::path& path, std::span<const Schema* const> schemas,
                          const Dialect& dialect, const TableDefaults& defaults) {
  // Without structs there is nothing a missing directory could lack.
  LAKE_ASSIGN_OR_RETURN(auto dir, MigrationDir::read(path, schemas.empty() ? IfAbsent::not_found : IfAbsent::empty));
  CheckReport report;
  report.problems = dir.sum_problems();
  const auto migrations = dir.migrations(report.problems);
  const State latest = latest_state(migrations, dialect.migration_rules()->format());
  auto next = next_state(latest, schemas, dialect, defaults);
  if (!next) {
    const auto* refusal = next.error().detail<RefusedChange>();
    report.problems.push_back(
        {.kind = refusal ? "refused" : "invalid", .file = "", .message = next.error().message()});
    return report;
  }
  for (const auto& [table, steps] : next->tables)
    for (const auto& step : steps)
      report.problems.push_back({.kind = "missing", .file = "", .message = step.summary});
  return report;
}

Result<std::string> compute_sum(const std::filesystem::path& path) {
  LAKE_ASSIGN_OR_RETURN(auto dir, MigrationDir::read(path, IfAbsent::not_found));
  return sum_text(sum_entries(dir.sql_files));
}

Status rehash(const std::filesystem::path& path) {
  LAKE_ASSIGN_OR_RETURN(auto text, compute_sum(path));
  return write_atomically(path / kSumFile, text);
}

std::string CheckReport::to_text() const {
  std::string out;
  for (const auto& p : problems)
    out += p.file.empty() ? std::format("{}: {}\n", p.kind, p.message) : std::format("{}: {}: {}\n", p.kind, p.file, p.message);
  return out;
}

std::string CheckReport::to_json() const {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& p : problems)
    list.push_back(nlohmann::ordered_json{{"kind", p.kind}, {"file", p.file}, {"message", p.message}});
  return nlohmann::ordered_json{{"ok", ok()}, {"problems", std::move(list)}}.dump();
}

std::string MigrationMismatch::describe() const { return std::format("{}: {}", problem, file); }

bool StatusReport::ok() const noexcept {
  return directory_problems.empty() &&
         std::ranges::all_of(migrations, [](const MigrationState& m) { return m.problem.empty(); });
}

std::int64_t StatusReport::current_version() const noexcept {
  std::int64_t version = 0;
  for (const auto& m : migrations)
    if (m.applied) version = std::max(version, m.version);
  return version;
}

std::size_t StatusReport::pending() const noexcept {
  return static_cast<std::size_t>(std::ranges::count_if(migrations, [](const MigrationState& m) {
    return !m.applied && m.problem != "missing";
  }));
}

std::string StatusReport::to_text() const {
  std::string out;
  for (const auto& m : migrations) {
    out += std::format("{:<8} {}", m.applied ? "applied" : "pending", m.file);
    if (m.applied_at) out += "  " + format_timestamp(*m.applied_at);
    if (!m.problem.empty()) out += "  (" + m.problem + ")";
    out += "\n";
  }
  for (const auto& p : directory_problems)
    out += p.file.empty() ? std::format("{}: {}\n", p.kind, p.message) : std::format("{}: {}: {}\n", p.kind, p.file, p.message);
  out += std::format("version {}, {} pending\n", current_version(), pending());
  return out;
}

std::string StatusReport::to_json() const {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& m : migrations)
    list.push_back(nlohmann::ordered_json{{"version", m.version},
                                          {"file", m.file},
                                          {"applied", m.applied},
                                          {"applied_at", m.applied_at ? nlohmann::ordered_json(format_timestamp(*m.applied_at))
                                                                      : nlohmann::ordered_json()},
                                          {"problem", m.problem}});
  nlohmann::ordered_json problems = nlohmann::ordered_json::array();
  for (const auto& p : directory_problems)
    problems.push_back(nlohmann::ordered_json{{"kind", p.kind}, {"file", p.file}, {"message", p.message}});
  return nlohmann::ordered_json{{"ok", ok()},
                                {"current_version", current_version()},
                                {"pending", pending()},
                                {"migrations", std::move(list)},
                                {"problems", std::move(problems)}}
      .dump();
}

std::string ApplyReport::to_text() const {
  std::string out;
  for (const auto& file : files) out += file + "\n";
  out += std::format("version {}\n", version);
  return out;
}

std::string ApplyReport::to_json() const {
  return nlohmann::ordered_json{{"files", files}, {"version", version}}.dump();
}

}  // namespace lake::migrate

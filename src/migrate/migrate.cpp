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

}  // namespace

Result<std::optional<GeneratedFile>> generate(const std::filesystem::path& path, std::span<const Schema* const> schemas,
                                              const Dialect& dialect, const TableDefaults& defaults,
                                              const GenerateOptions& options) {
  LAKE_ASSIGN_OR_RETURN(auto dir, MigrationDir::read(path));
  if (auto problems = dir.sum_problems(); !problems.empty()) return fail(sum_disagrees(dir, problems));
  std::vector<CheckProblem> problems;
  const auto migrations = dir.migrations(problems);
  if (!problems.empty())
    return fail(ErrorCode::invalid_argument, std::format("{}: {}", problems.front().file, problems.front().message));
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

Result<CheckReport> check(const std::filesystem::path& path, std::span<const Schema* const> schemas,
                          const Dialect& dialect, const TableDefaults& defaults) {
  LAKE_ASSIGN_OR_RETURN(auto dir, MigrationDir::read(path));
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
  LAKE_ASSIGN_OR_RETURN(auto dir, MigrationDir::read(path));
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

}  // namespace lake::migrate

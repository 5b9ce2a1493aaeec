#include "migrate/goose_file.hpp"

#include <charconv>
#include <format>

namespace lake::migrate {
namespace {

constexpr std::string_view kStatePrefix = "-- State-JSON: ";
constexpr std::string_view kSquashesPrefix = "-- Squashes: ";

bool needs_block(std::string_view statement) {
  return statement.find('\n') != std::string_view::npos || statement.find(';') != std::string_view::npos;
}

void write_statement(std::string& out, std::string_view statement) {
  if (needs_block(statement))
    out += std::format("-- +goose StatementBegin\n{};\n-- +goose StatementEnd\n", statement);
  else
    out += std::format("{};\n", statement);
}

std::string_view trim(std::string_view text) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  return text;
}

}  // namespace

std::string render_migration(std::string_view title, const State& state, const std::vector<Step>& steps,
                             const std::vector<std::string>& squashes) {
  std::string out = std::format("-- lake-orm migration: {}\n{}{}\n", title, kStatePrefix, to_json(state));
  if (!squashes.empty()) {
    out += kSquashesPrefix;
    for (std::size_t i = 0; i < squashes.size(); ++i) out += (i ? " " : "") + squashes[i];
    out += '\n';
  }
  out += "\n-- +goose Up\n";
  std::vector<std::string> irreversible;
  for (const Step& step : steps) {
    out += std::format("-- {}\n", step.summary);
    if (!step.destructive.empty()) out += std::format("-- DESTRUCTIVE: {}\n", step.destructive);
    for (const auto& statement : step.up) write_statement(out, statement);
    out += '\n';
    if (!step.irreversible.empty()) irreversible.push_back(step.irreversible);
  }
  if (!irreversible.empty()) {
    out += "-- No Down section: this migration cannot be undone:\n";
    for (const auto& why : irreversible) out += std::format("--   {}\n", why);
    return out;
  }
  out += "-- +goose Down\n";
  for (auto step = steps.rbegin(); step != steps.rend(); ++step) {
    if (step->down.empty()) continue;
    out += std::format("-- undo: {}\n", step->summary);
    for (const auto& statement : step->down) write_statement(out, statement);
    out += '\n';
  }
  while (out.ends_with("\n\n")) out.pop_back();
  return out;
}

std::optional<std::int64_t> version_of(std::string_view name) {
  if (!name.ends_with(".sql")) return std::nullopt;
  const auto underscore = name.find('_');
  if (underscore == 0 || underscore == std::string_view::npos || underscore + 1 >= name.size() - 4)
    return std::nullopt;
  std::int64_t version = 0;
  auto digits = name.substr(0, underscore);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), version);
  if (ec != std::errc{} || end != digits.data() + digits.size() || version < 1) return std::nullopt;
  return version;
}

Result<MigrationFile> parse_migration(std::string name, std::string text) {
  auto problem = [&](std::string what) {
    return std::unexpected(Error(ErrorCode::invalid_argument, std::format("migration {}: {}", name, what)));
  };
  MigrationFile file;
  auto version = version_of(name);
  if (!version) return problem("the name is not <version>_<name>.sql with a positive whole-number version");
  file.version = *version;

  enum class Section { none, up, down } section = Section::none;
  bool in_block = false;
  std::string statement;
  std::size_t line_number = 0;
  auto finish = [&] {
    std::string_view body = trim(statement);
    while (body.ends_with(';')) body = trim(body.substr(0, body.size() - 1));
    if (!body.empty()) (section == Section::down ? file.down : file.up).emplace_back(body);
    statement.clear();
  };
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    start = end + 1;
    ++line_number;
    const std::string_view trimmed = trim(line);
    if (trimmed.starts_with("-- +goose ")) {
      const std::string_view annotation = trim(trimmed.substr(10));
      if (annotation == "Up" || annotation == "Down") {
        if (in_block) return problem(std::format("line {}: {} inside a StatementBegin block", line_number, annotation));
        if (!trim(statement).empty()) return problem(std::format("line {}: a statement without a final ';'", line_number));
        if (annotation == "Up" && section != Section::none) return problem("more than one '-- +goose Up'");
        if (annotation == "Down" && section != Section::up) return problem("'-- +goose Down' before '-- +goose Up'");
        section = annotation == "Up" ? Section::up : Section::down;
        file.has_down = file.has_down || section == Section::down;
      } else if (annotation == "StatementBegin") {
        if (section == Section::none || in_block)
          return problem(std::format("line {}: a StatementBegin out of place", line_number));
        in_block = true;
      } else if (annotation == "StatementEnd") {
        if (!in_block) return problem(std::format("line {}: a StatementEnd without StatementBegin", line_number));
        in_block = false;
        finish();
      } else if (annotation != "NO TRANSACTION" && !annotation.starts_with("envsub")) {
        return problem(std::format("line {}: unknown annotation '{}'", line_number, trimmed));
      }
      continue;
    }
    if (section == Section::none) {
      if (trimmed.starts_with(kStatePrefix.substr(0, kStatePrefix.size() - 1))) {
        if (file.state) return problem("more than one State-JSON header");
        auto state = parse_state(trim(trimmed.substr(kStatePrefix.size() - 1)));
        if (!state) return problem(state.error().message());
        file.state = std::move(*state);
      } else if (trimmed.starts_with(kSquashesPrefix.substr(0, kSquashesPrefix.size() - 1))) {
        if (!file.squashes.empty()) return problem("more than one Squashes header");
        std::string_view names = trim(trimmed.substr(kSquashesPrefix.size() - 1));
        while (!names.empty()) {
          const auto space = names.find(' ');
          const std::string_view one = names.substr(0, space);
          if (!version_of(one)) return problem(std::format("Squashes: '{}' is not a migration file name", one));
          file.squashes.emplace_back(one);
          names = space == std::string_view::npos ? std::string_view() : trim(names.substr(space));
        }
      } else if (!trimmed.empty() && !trimmed.starts_with("--")) {
        return problem(std::format("line {}: a statement before '-- +goose Up'", line_number));
      }
      continue;
    }
    if (!in_block && statement.empty() && (trimmed.empty() || trimmed.starts_with("--"))) continue;
    statement += line;
    statement += '\n';
    if (!in_block && trimmed.ends_with(';')) finish();
  }
  if (section == Section::none) return problem("no '-- +goose Up' annotation");
  if (in_block) return problem("a StatementBegin block is not closed");
  if (!trim(statement).empty()) return problem("the last statement has no final ';'");
  file.name = std::move(name);
  file.text = std::move(text);
  return file;
}

}  // namespace lake::migrate

// The migrations' command line (lake/migrate_main.hpp), shared by users'
// migration tools and `lakeorm migrate`.
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <format>
#include <optional>
#include <print>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config_dialect.hpp"
#include "lake/config.hpp"
#include "lake/dialect.hpp"
#include "lake/migrate.hpp"
#include "lake/migrate_main.hpp"

namespace lake {
namespace {

constexpr std::string_view kUsage = R"(migrate subcommands:
  generate DIR [--sequential] [--name NAME] [--json]
                      write the migration from DIR's newest state to the
                      structs (goose file + atlas.sum); nothing if unchanged
  check DIR [--live] [--json]
                      exit 1 when a migration is missing (the structs differ
                      from DIR's newest state) or a file differs from atlas.sum;
                      --live also compares the live tables with the structs
                      (it opens the configured engine and storage)
  hash DIR            rewrite atlas.sum from the files as they are (accepts
                      hand edits, as `atlas migrate hash` does)
  squash DIR [--json] replace every file with one that creates the newest
                      state (for history every lake has applied; a lake at
                      the newest version sees it as applied)
  status DIR [--json] each file, applied or pending, and every disagreement
                      between DIR and the lake (exit 1 when there is one)
  apply DIR [--to VERSION] [--json]
                      run the pending files (up to VERSION) on the configured
                      engine, recording each in the lake's lake_migrations
  down DIR [--to VERSION] [--json]
                      undo the newest applied file (or every one above
                      VERSION; --to 0 undoes all) by its Down section
)";

struct UsageError {
  std::string message;
};

// What the migrations need of a configuration: the table format's rules
// (through its dialect) and the properties its tables get.
struct Target {
  std::shared_ptr<const Dialect> dialect;
  TableDefaults defaults;
};

Target target_of(const Config& config) {
  return {.dialect = dialect_of(config), .defaults = table_defaults(config.client)};
}

struct Parsed {
  std::string dir;
  bool json = false;
  bool sequential = false;
  bool live = false;
  std::string name;
  std::optional<std::int64_t> to;
};

Parsed parse(std::string_view command, std::span<const std::string_view> args) {
  Parsed parsed;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "--json") {
      parsed.json = true;
    } else if (arg == "--live" && command == "check") {
      parsed.live = true;
    } else if (arg == "--sequential" && command == "generate") {
      parsed.sequential = true;
    } else if (arg == "--name" && command == "generate") {
      if (++i == args.size()) throw UsageError{"--name needs a value"};
      parsed.name = args[i];
    } else if (arg == "--to" && (command == "apply" || command == "down")) {
      if (++i == args.size()) throw UsageError{"--to needs a version"};
      std::int64_t version = 0;
      const auto [end, error] = std::from_chars(args[i].data(), args[i].data() + args[i].size(), version);
      if (error != std::errc() || end != args[i].data() + args[i].size() || version < 0)
        throw UsageError{std::format("--to: '{}' is not a migration version", args[i])};
      parsed.to = version;
    } else if (arg.starts_with("--")) {
      throw UsageError{std::format("{}: unknown option '{}'", command, arg)};
    } else if (parsed.dir.empty()) {
      parsed.dir = arg;
    } else {
      throw UsageError{std::format("{}: unexpected argument '{}'", command, arg)};
    }
  }
  if (parsed.dir.empty()) throw UsageError{std::format("{}: missing DIR (the migrations directory)", command)};
  return parsed;
}

int failed(const Error& error, bool json) {
  if (json)
    std::println("{}", nlohmann::ordered_json{{"ok", false},
                                              {"error", {{"code", to_string(error.code())}, {"message", error.message()}}}}
                           .dump());
  std::println(stderr, "migrate: {}", error.to_string());
  return 1;
}

int generate(const Target& db, const Parsed& args, std::span<const Schema* const> schemas) {
  if (schemas.empty())
    return failed(Error(ErrorCode::invalid_argument,
                        "generate needs the structs: build a tool with lake::migrate_main<Your, Structs>(argc, argv) "
                        "(lake/migrate_main.hpp)"),
                  args.json);
  const migrate::GenerateOptions options{
      .naming = args.sequential ? migrate::Naming::sequential : migrate::Naming::timestamp, .name = args.name, .now = {}};
  auto written = migrate::generate(args.dir, schemas, *db.dialect, db.defaults, options);
  if (!written) return failed(written.error(), args.json);
  if (args.json) {
    nlohmann::ordered_json out{{"ok", true}};
    out["written"] = written->has_value() ? nlohmann::ordered_json((*written)->path.string()) : nullptr;
    out["version"] = written->has_value() ? nlohmann::ordered_json((*written)->version) : nullptr;
    out["destructive"] = written->has_value() ? (*written)->destructive : std::vector<std::string>{};
    std::println("{}", out.dump());
  } else if (!written->has_value()) {
    std::println("no changes: the structs match {}'s newest state", args.dir);
  } else {
    std::println("wrote {}", (*written)->path.string());
    for (const auto& reason : (*written)->destructive) std::println("  DESTRUCTIVE: {}", reason);
  }
  return 0;
}

int check(const Config& config, const Parsed& args, std::span<const Schema* const> schemas) {
  Result<migrate::CheckReport> report = std::unexpected(Error(ErrorCode::internal, "not checked"));
  if (args.live) {
    if (schemas.empty())
      return failed(Error(ErrorCode::invalid_argument, "check --live needs the structs (lake::migrate_main<...>)"),
                    args.json);
    auto db = open(config);
    if (!db) return failed(db.error(), args.json);
    report = db->migrate_check_schemas(args.dir, schemas, /*live=*/true);
    (void)db->close();
  } else {
    const Target target = target_of(config);
    report = migrate::check(args.dir, schemas, *target.dialect, target.defaults);
  }
  if (!report) return failed(report.error(), args.json);
  if (args.json)
    std::println("{}", report->to_json());
  else if (report->ok())
    std::println("ok: {} matches {}", args.dir, schemas.empty() ? "atlas.sum" : "atlas.sum and the structs");
  else
    std::print("{}", report->to_text());
  return report->ok() ? 0 : 1;
}

int hash(const Parsed& args) {
  if (auto status = migrate::rehash(args.dir); !status) return failed(status.error(), args.json);
  if (args.json)
    std::println("{}", nlohmann::ordered_json{{"ok", true}, {"sum", (std::filesystem::path(args.dir) / "atlas.sum").string()}}.dump());
  else
    std::println("wrote {}", (std::filesystem::path(args.dir) / "atlas.sum").string());
  return 0;
}

int squash(const Target& db, const Parsed& args) {
  auto written = migrate::squash(args.dir, *db.dialect);
  if (!written) return failed(written.error(), args.json);
  if (args.json)
    std::println("{}", nlohmann::ordered_json{{"ok", true}, {"written", written->path.string()}, {"version", written->version}}.dump());
  else
    std::println("wrote {}", written->path.string());
  return 0;
}

// status, apply and down: the lake's side, so they open the configured
// engine and storage.
int on_lake(const Config& config, std::string_view command, const Parsed& args) {
  auto db = open(config);
  if (!db) return failed(db.error(), args.json);
  int code = 0;
  if (command == "status") {
    auto report = db->migrate_status(args.dir);
    if (!report) {
      code = failed(report.error(), args.json);
    } else {
      std::print("{}", args.json ? report->to_json() + "\n" : report->to_text());
      code = report->ok() ? 0 : 1;
    }
  } else {
    auto report = command == "apply" ? db->migrate_apply(args.dir, args.to) : db->migrate_down(args.dir, args.to);
    if (!report) {
      code = failed(report.error(), args.json);
    } else if (args.json) {
      std::println("{}", report->to_json());
    } else {
      for (const auto& file : report->files) std::println("{} {}", command == "apply" ? "applied" : "undid", file);
      std::println("{}version {}", report->files.empty() ? "nothing to do: " : "", report->version);
    }
  }
  (void)db->close();
  return code;
}

}  // namespace

std::string_view migrate_usage() noexcept { return kUsage; }

int migrate_command(const Config& config, std::span<const std::string_view> args,
                    std::span<const Schema* const> schemas) {
  try {
    if (args.empty()) throw UsageError{"missing a migrate subcommand"};
    const std::string_view command = args.front();
    if (command == "help" || command == "--help") {
      std::print("{}", kUsage);
      return 0;
    }
    if (command != "generate" && command != "check" && command != "hash" && command != "squash" &&
        command != "status" && command != "apply" && command != "down")
      throw UsageError{std::format("unknown migrate subcommand '{}'", command)};
    const Parsed parsed = parse(command, args.subspan(1));
    if (command == "generate") return generate(target_of(config), parsed, schemas);
    if (command == "check") return check(config, parsed, schemas);
    if (command == "hash") return hash(parsed);
    if (command == "squash") return squash(target_of(config), parsed);
    return on_lake(config, command, parsed);
  } catch (const UsageError& error) {
    std::println(stderr, "migrate: {}\n{}", error.message, kUsage);
    return 2;
  }
}

int migrate_main(int argc, char** argv, std::span<const Schema* const> schemas) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  std::string data_dir, config_file;
  std::size_t next = 0;
  for (; next < args.size() && args[next].starts_with("--") && args[next] != "--help"; ++next) {
    if ((args[next] == "--data" || args[next] == "--config") && next + 1 < args.size()) {
      (args[next] == "--data" ? data_dir : config_file) = args[next + 1];
      ++next;
    } else {
      std::println(stderr, "migrate: unknown option '{}' (usage: [--data DIR | --config FILE] SUBCOMMAND ...)\n{}",
                   args[next], kUsage);
      return 2;
    }
  }
  if (!data_dir.empty() && !config_file.empty()) {
    std::println(stderr, "migrate: give --data or --config, not both");
    return 2;
  }
  const std::span<const std::string_view> rest(args.data() + next, args.size() - next);
  if (rest.empty() || rest.front() == "help" || rest.front() == "--help") {
    std::print("usage: {} [--data DIR | --config FILE] SUBCOMMAND ...\n\n{}", argc > 0 ? argv[0] : "migrate", kUsage);
    return rest.empty() ? 2 : 0;
  }
  return migrate_command(data_dir, config_file, rest, schemas);
}

int migrate_command(const std::filesystem::path& data_dir, const std::filesystem::path& config_file,
                    std::span<const std::string_view> args, std::span<const Schema* const> schemas) {
  Config config;
  if (!config_file.empty()) {
    auto loaded = load_config(config_file);
    if (!loaded) {
      std::println(stderr, "migrate: {}", loaded.error().to_string());
      return 1;
    }
    config = std::move(*loaded);
  } else {
    config.root = data_dir;
  }
  return migrate_command(config, args, schemas);
}

}  // namespace lake

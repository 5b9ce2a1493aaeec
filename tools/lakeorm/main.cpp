// lakeorm: the operator's tool for lake-orm tables.
//
//   lakeorm [--data DIR | --config FILE] COMMAND [ARGS]
//
// It opens the same Client a service does (the embedded engine over the
// Delta tables under DIR, or whatever lakeorm.toml says), so what it shows
// is what the service sees. Exit status: 0 success, 1 the operation
// failed, 2 the command line is wrong.
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <format>
#include <ranges>
#include <cstdlib>
#include <print>
#include <algorithm>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <lake/config.hpp>
#include <lake/local.hpp>
#include <lake/migrate_main.hpp>

#include "commands.hpp"

namespace {

constexpr std::string_view kUsage = R"(usage: lakeorm [--data DIR | --config FILE] [--format text|json] COMMAND [ARGS]

Opens the tables under DIR (default: $LAKE_DATA_DIR, else ./lake-data) with
the embedded engine, or the Client a lakeorm.toml describes. --format json
(before or after COMMAND) prints one JSON document instead of text.

commands:
  inspect TABLE [--history N]           schema, version, properties, stats and
                                        the latest N commits (default 10)
  describe TABLE                        columns with their keys, partitioning,
                                        properties and the schema fingerprint
  history TABLE [--limit N]             the latest N commits (default 20)
  sql [--format table|jsonl|json] [--limit N] QUERY [PARAM...]
                                        run SQL and print its rows; each PARAM
                                        binds to the next ? (as a string;
                                        int:N, float:X, bool:true|false and
                                        null give other types)
  optimize TABLE [--zorder COL[,COL...]] [--target-file-size SIZE]
                                        compact small files (and cluster rows)
  vacuum TABLE [--retain DURATION] [--dry-run] [--force]
                                        delete files no retained version uses
  cleanup [--older-than DURATION]       remove staging left by crashed writers
                                        (default: older than 24h)
  verify                                write a probe through the storage and
                                        read it back through the engine
  migrate check DIR [--json]            exit 1 when a migration file differs
                                        from atlas.sum or is not one goose reads
  migrate hash DIR                      rewrite DIR/atlas.sum from the files
                                        (generating needs the structs: a tool
                                        built with lake::migrate_main<...>)
  migrate squash DIR [--json]           replace the files with one creating
                                        the newest state (applied history only)
  migrate status DIR [--json]           each file, applied or pending, and any
                                        disagreement between DIR and the lake
  migrate apply DIR [--to V] [--json]   run the pending files (up to version V)
  migrate down DIR [--to V] [--json]    undo the newest applied file (or all
                                        above version V) by its Down section
  completion bash|zsh                   print a shell completion script
                                        (source <(lakeorm completion bash))

SIZE: 4096, 64MiB, 1GB ...   DURATION: 3600, 30m, 24h, 7d ...
)";

// Completion for bash (zsh through bashcompinit): commands, then each
// command's options; table names are not completed (no engine is opened).
constexpr std::string_view kBashCompletion = R"(# lakeorm completion for bash; for zsh: autoload -U +X bashcompinit && bashcompinit
_lakeorm() {
  local cur=${COMP_WORDS[COMP_CWORD]} command="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      --data|--config|--format) ((i++)) ;;
      -*) ;;
      *) command=${COMP_WORDS[i]}; break ;;
    esac
  done
  local options="--format"
  case $command in
    "") COMPREPLY=($(compgen -W "--data --config --format --help inspect describe history sql optimize vacuum cleanup verify migrate completion help" -- "$cur")); return ;;
    inspect) options+=" --history" ;;
    history) options+=" --limit" ;;
    sql) options+=" --limit" ;;
    optimize) options+=" --zorder --target-file-size" ;;
    vacuum) options+=" --retain --dry-run --force" ;;
    cleanup) options+=" --older-than" ;;
    migrate) options+=" --to --json"
             [[ $COMP_CWORD -eq $((i + 1)) ]] && { COMPREPLY=($(compgen -W "check hash squash status apply down" -- "$cur")); return; } ;;
    completion) COMPREPLY=($(compgen -W "bash zsh" -- "$cur")); return ;;
  esac
  if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "$options" -- "$cur")); else COMPREPLY=($(compgen -f -- "$cur")); fi
}
complete -F _lakeorm lakeorm
)";

[[noreturn]] void usage_error(const std::string& message) {
  std::println(stderr, "lakeorm: {}\n(lakeorm --help shows the commands)", message);
  std::exit(2);
}

// The arguments after the command, consumed front to back.
class Args {
 public:
  explicit Args(std::span<char*> args) : args_(args.begin(), args.end()) {}
  [[nodiscard]] bool empty() const { return next_ >= args_.size(); }
  [[nodiscard]] std::string_view peek() const { return args_[next_]; }
  std::string_view take() { return args_[next_++]; }
  // The value of an option given as `--name VALUE` or `--name=VALUE`.
  [[nodiscard]] bool option(std::string_view arg, std::string_view name, std::string& value) {
    if (arg == name) {
      if (empty()) usage_error(std::format("{} needs a value", name));
      value = take();
      return true;
    }
    if (arg.starts_with(name) && arg.size() > name.size() && arg[name.size()] == '=') {
      value = arg.substr(name.size() + 1);
      return true;
    }
    return false;
  }
  std::string positional(std::string_view what) {
    if (empty() || peek().starts_with("--")) usage_error(std::format("missing {}", what));
    return std::string(take());
  }

 private:
  std::vector<std::string_view> args_;
  std::size_t next_ = 0;
};

template <class T>
T or_usage(lake::Result<T> value, std::string_view option) {
  if (!value) usage_error(std::format("{}: {}", option, value.error().message()));
  return std::move(*value);
}

// The whole of `digits` as a number, else the usage error `message`.
template <class N>
N number(std::string_view digits, const std::string& message) {
  N value{};
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc{} || end != digits.data() + digits.size()) usage_error(message);
  return value;
}

std::int64_t count_arg(const std::string& text, std::string_view option) {
  const auto message = std::format("{}: '{}' is not a count", option, text);
  const auto value = number<std::int64_t>(text, message);
  if (value < 0) usage_error(message);
  return value;
}

// A PARAM as a bound value: a string unless it has a type prefix.
lake::SqlValue param(std::string_view text) {
  if (text == "null") return nullptr;
  if (text.starts_with("int:")) return number<std::int64_t>(text.substr(4), std::format("'{}' is not an int", text));
  if (text.starts_with("float:")) return number<double>(text.substr(6), std::format("'{}' is not a float", text));
  if (text == "bool:true") return true;
  if (text == "bool:false") return false;
  if (text.starts_with("bool:")) usage_error(std::format("'{}' is not bool:true or bool:false", text));
  if (text.starts_with("str:")) return std::string(text.substr(4));
  return std::string(text);
}

lakeorm::OutputFormat output_format(const std::string& value) {
  if (value == "text") return lakeorm::OutputFormat::text;
  if (value == "json") return lakeorm::OutputFormat::json;
  usage_error(std::format("--format: '{}' is not text or json", value));
}

lake::Status run(const lake::Client& db, std::string_view command, Args& args, std::string format) {
  std::string value;
  // The options every command takes besides its own.
  auto common = [&](std::string_view arg) { return args.option(arg, "--format", format); };
  if (command == "inspect") {
    lakeorm::InspectArgs parsed{.table = args.positional("TABLE"), .history = 10};
    while (!args.empty()) {
      auto arg = args.take();
      if (args.option(arg, "--history", value))
        parsed.history = static_cast<std::size_t>(count_arg(value, "--history"));
      else if (!common(arg))
        usage_error(std::format("inspect: unknown option '{}'", arg));
    }
    parsed.format = output_format(format);
    return lakeorm::inspect(db, parsed);
  }
  if (command == "describe") {
    lakeorm::DescribeArgs parsed{.table = args.positional("TABLE")};
    while (!args.empty()) {
      auto arg = args.take();
      if (!common(arg)) usage_error(std::format("describe: unknown option '{}'", arg));
    }
    parsed.format = output_format(format);
    return lakeorm::describe(db, parsed);
  }
  if (command == "history") {
    lakeorm::HistoryArgs parsed{.table = args.positional("TABLE")};
    while (!args.empty()) {
      auto arg = args.take();
      if (args.option(arg, "--limit", value))
        parsed.limit = static_cast<std::size_t>(count_arg(value, "--limit"));
      else if (!common(arg))
        usage_error(std::format("history: unknown option '{}'", arg));
    }
    parsed.format = output_format(format);
    return lakeorm::history(db, parsed);
  }
  if (command == "sql") {
    lakeorm::SqlArgs parsed;
    bool limit_given = false;
    while (!args.empty() && args.peek().starts_with("--")) {
      auto arg = args.take();
      if (args.option(arg, "--limit", value)) {
        parsed.print.limit = count_arg(value, "--limit");
        limit_given = true;
      } else if (!common(arg)) {
        usage_error(std::format("sql: unknown option '{}'", arg));
      }
    }
    if (format == "table" || format == "text") parsed.print.format = lakeorm::RowFormat::table;
    else if (format == "jsonl") parsed.print.format = lakeorm::RowFormat::json_lines;
    else if (format == "json") parsed.print.format = lakeorm::RowFormat::json;
    else usage_error(std::format("--format: '{}' is not table, jsonl or json", format));
    if (limit_given && parsed.print.format != lakeorm::RowFormat::table)
      usage_error("--limit applies to --format table; json and jsonl stream every row (use LIMIT in the query)");
    parsed.sql = args.positional("QUERY");
    while (!args.empty()) parsed.params.push_back(param(args.take()));
    return lakeorm::sql(db, parsed);
  }
  if (command == "optimize") {
    lakeorm::OptimizeArgs parsed{.table = args.positional("TABLE"), .zorder_by = {}, .target_file_bytes = {}};
    while (!args.empty()) {
      auto arg = args.take();
      if (args.option(arg, "--zorder", value)) {
        for (auto column : std::views::split(value, ',')) parsed.zorder_by.emplace_back(std::string_view(column));
      } else if (args.option(arg, "--target-file-size", value)) {
        parsed.target_file_bytes = or_usage(lake::parse_byte_size(value), "--target-file-size");
        if (*parsed.target_file_bytes == 0) usage_error("--target-file-size must be positive");
      } else if (!common(arg)) {
        usage_error(std::format("optimize: unknown option '{}'", arg));
      }
    }
    parsed.format = output_format(format);
    return lakeorm::optimize(db, parsed);
  }
  if (command == "vacuum") {
    lakeorm::VacuumArgs parsed{.table = args.positional("TABLE")};
    while (!args.empty()) {
      auto arg = args.take();
      if (args.option(arg, "--retain", value)) parsed.retention = or_usage(lake::parse_duration(value), "--retain");
      else if (arg == "--dry-run") parsed.dry_run = true;
      else if (arg == "--force") parsed.force = true;
      else if (!common(arg)) usage_error(std::format("vacuum: unknown option '{}'", arg));
    }
    parsed.format = output_format(format);
    return lakeorm::vacuum(db, parsed);
  }
  if (command == "cleanup") {
    lakeorm::CleanupArgs parsed;
    while (!args.empty()) {
      auto arg = args.take();
      if (args.option(arg, "--older-than", value))
        parsed.older_than = or_usage(lake::parse_duration(value), "--older-than");
      else if (!common(arg))
        usage_error(std::format("cleanup: unknown option '{}'", arg));
    }
    parsed.format = output_format(format);
    return lakeorm::cleanup(db, parsed);
  }
  if (command == "verify") {
    while (!args.empty()) {
      auto arg = args.take();
      if (!common(arg)) usage_error(std::format("verify: unexpected argument '{}'", arg));
    }
    return lakeorm::verify(db, output_format(format));
  }
  usage_error(std::format("unknown command '{}'", command));
}

}  // namespace

int main(int argc, char** argv) {
  Args args(std::span(argv + 1, static_cast<std::size_t>(argc - 1)));
  std::string data_dir;
  std::string config_file;
  std::string format;  // "": each command's default
  std::string value;
  while (!args.empty() && args.peek().starts_with("--")) {
    auto arg = args.take();
    if (arg == "--help") {
      std::print("{}", kUsage);
      return 0;
    }
    if (args.option(arg, "--data", value)) data_dir = value;
    else if (args.option(arg, "--config", value)) config_file = value;
    else if (args.option(arg, "--format", value)) format = value;
    else usage_error(std::format("unknown option '{}'", arg));
  }
  if (!data_dir.empty() && !config_file.empty()) usage_error("give --data or --config, not both");
  if (args.empty()) usage_error("missing COMMAND");
  const auto command = args.take();
  if (command == "help") {
    std::print("{}", kUsage);
    return 0;
  }

  if (command == "completion") {
    const auto shell = args.positional("SHELL (bash or zsh)");
    if (shell != "bash" && shell != "zsh") usage_error(std::format("completion: '{}' is not bash or zsh", shell));
    if (!args.empty()) usage_error(std::format("completion: unexpected argument '{}'", args.peek()));
    std::print("{}", kBashCompletion);
    return 0;
  }

  // The migrations read files and the configuration, and open no engine;
  // --format json is their --json.
  if (command == "migrate") {
    std::vector<std::string_view> rest;
    while (!args.empty()) {
      auto arg = args.take();
      if (args.option(arg, "--format", value)) format = value;
      else rest.push_back(arg);
    }
    if (format == "json") rest.push_back("--json");
    else if (!format.empty() && format != "text") usage_error(std::format("--format: '{}' is not text or json", format));
    return lake::migrate_command(data_dir, config_file, rest, {});
  }
  static constexpr std::string_view kCommands[] = {"inspect", "describe", "history", "sql",
                                                   "optimize", "vacuum", "cleanup", "verify"};
  if (!std::ranges::contains(kCommands, command)) usage_error(std::format("unknown command '{}'", command));

  // An operator's typo must not create an empty data directory.
  if (config_file.empty()) {
    const std::filesystem::path dir = data_dir.empty() ? lake::local::default_data_dir() : std::filesystem::path(data_dir);
    if (!std::filesystem::is_directory(dir)) {
      std::println(stderr, "lakeorm: no data directory at '{}' (give --data DIR or --config FILE)", dir.string());
      return 1;
    }
    data_dir = dir.string();
  }
  auto db = config_file.empty() ? lake::local::open(data_dir) : lake::open_from_config(config_file);
  if (!db) {
    std::println(stderr, "lakeorm: {}", db.error().to_string());
    return 1;
  }
  auto status = run(*db, command, args, format.empty() ? std::string(command == "sql" ? "table" : "text") : format);
  (void)db->close();
  if (!status) {
    std::println(stderr, "lakeorm: {}", status.error().to_string());
    return 1;
  }
  return 0;
}

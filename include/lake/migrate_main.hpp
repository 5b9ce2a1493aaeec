// The migrations' command line, for a program that knows the structs:
//
//   // tools/migrate.cpp, linked with lake::config
//   #include <lake/migrate_main.hpp>
//   int main(int argc, char** argv) { return lake::migrate_main<User, Order>(argc, argv); }
//
//   ./migrate --config lakeorm.toml generate migrations/        # write the next file, if anything changed
//   ./migrate --config lakeorm.toml check migrations/ --json    # CI: exit 1 if a file is missing or edited
//
// The table format and table properties come from --config FILE
// (lakeorm.toml, the service's own configuration) or --data DIR (the
// embedded engine's Delta tables); generating and checking connect to
// nothing, so CI runs them without the service's engine or storage. The
// `lakeorm migrate` commands are the same without structs: they check the
// files and atlas.sum, and cannot generate.
#pragma once

#include <span>
#include <string_view>

#include "lake/client.hpp"
#include "lake/config.hpp"
#include "lake/schema/reflect.hpp"

namespace lake {

// Runs `migrate` subcommand `args` (its name first) for the tables
// `config` describes, with the schemas the program declares (none:
// generate is refused, check skips the comparison with structs). Prints
// results on stdout (JSON with --json), problems on stderr. Exit status:
// 0 done, 1 failed or check found problems, 2 a usage error.
[[nodiscard]] int migrate_command(const Config& config, std::span<const std::string_view> args,
                                  std::span<const Schema* const> schemas);
// Usage text of migrate_command's subcommands.
[[nodiscard]] std::string_view migrate_usage() noexcept;

// migrate_command with the configuration `config_file` holds, else the
// embedded engine's over `data_dir` (both empty: the default data dir).
[[nodiscard]] int migrate_command(const std::filesystem::path& data_dir, const std::filesystem::path& config_file,
                                  std::span<const std::string_view> args, std::span<const Schema* const> schemas);

// [--data DIR | --config FILE] SUBCOMMAND ...: migrate_command with the
// configuration the options name.
[[nodiscard]] int migrate_main(int argc, char** argv, std::span<const Schema* const> schemas);

template <class... T>
  requires(Record<T> && ...)
int migrate_main(int argc, char** argv) {
  const Schema* schemas[] = {&schema_of<T>()...};
  return migrate_main(argc, argv, schemas);
}

}  // namespace lake

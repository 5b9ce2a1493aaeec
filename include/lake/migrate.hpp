// Schema migrations as files, for tables that evolve with their structs:
//
//   auto written = db.migrate_generate<User, Order>("migrations");  // a goose file per change set
//   auto report  = db.migrate_check<User, Order>("migrations");     // CI: nothing missing, nothing edited
//
// generate replays the newest file's `-- State-JSON:` header (the full
// state of every table the directory covers), diffs the structs against
// it, and writes one goose-format file (`-- +goose Up` / `-- +goose Down`)
// whose Spark SQL makes the change. Each table format's own evolution
// rules decide what a change is: safe, destructive (written with
// `-- DESTRUCTIVE: <reason>` for the reviewer), or refused (an error
// naming the table, column and rule, and no file written). atlas.sum
// beside the files, byte for byte what Atlas computes, catches a file
// edited after it was generated. MIGRATIONS.md at the repository root has
// the workflow, the file format and each format's rule table.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "lake/error.hpp"
#include "lake/schema/schema.hpp"
#include "lake/types.hpp"

namespace lake {

class Dialect;
struct TableDefaults;

namespace migrate {

// File names: `<version>_<name>.sql`, the version goose's timestamp
// (20261207093000) or a sequence number (00001).
enum class Naming : std::uint8_t { timestamp, sequential };

struct GenerateOptions {
  Naming naming = Naming::timestamp;
  // The name after the version ("add_age"); empty: derived from the
  // change ("create_users", "alter_users_orders").
  std::string name{};
  // The timestamp version's time; default: now.
  std::optional<timestamp> now{};
};

struct GeneratedFile {
  std::filesystem::path path;
  std::string version;
  // The DESTRUCTIVE reasons in the file, one per destructive change.
  std::vector<std::string> destructive;
};

// A change the table format cannot make, as the typed detail of the
// ErrorCode::unsupported that generate and check report.
class RefusedChange final : public ErrorDetail {
 public:
  RefusedChange(std::string table_name, std::string column_name, std::string rule_name)
      : table(std::move(table_name)), column(std::move(column_name)), rule(std::move(rule_name)) {}
  std::string table;
  std::string column;  // "" when the change is not about one column
  std::string rule;    // e.g. "iceberg.type-promotion"
  [[nodiscard]] std::string describe() const override;
};

// Writes the migration that takes the directory's state to `schemas`, and
// atlas.sum; nullopt (and nothing written) when nothing changed. Refuses,
// writing nothing, when atlas.sum disagrees with the files (an edit since
// they were generated: rehash() accepts edits deliberately), when the
// directory's migrations are for another table format, or when a change
// is refused. Tables the directory covers that `schemas` leave out are
// kept as they are (a migration never drops a table).
[[nodiscard]] Result<std::optional<GeneratedFile>> generate(const std::filesystem::path& dir,
                                                            std::span<const Schema* const> schemas,
                                                            const Dialect& dialect, const TableDefaults& defaults,
                                                            const GenerateOptions& options = {});

struct CheckProblem {
  // "sum": atlas.sum is missing or a file differs from it (edited,
  //   deleted, added or renamed after generation);
  // "file": a .sql file that is not a readable migration;
  // "missing": the structs differ from the newest state (run generate);
  // "refused": the structs ask for a change the format refuses;
  // "invalid": the structs cannot be compared with the files (two declare
  //   one table, the files are for another table format);
  // "live": a live table differs from its struct (Client::migrate_check
  //   with live = true).
  std::string kind;
  std::string file;  // the file it is about, or ""
  std::string message;
};

struct CheckReport {
  std::vector<CheckProblem> problems;
  [[nodiscard]] bool ok() const noexcept { return problems.empty(); }
  // One line per problem ("missing: users: add column `age` BIGINT").
  [[nodiscard]] std::string to_text() const;
  // {"ok":false,"problems":[{"kind":...,"file":...,"message":...}]}
  [[nodiscard]] std::string to_json() const;
};

// What generate would need to write, and what differs from atlas.sum: for
// CI (like Django's makemigrations --check). Errors only when the
// directory cannot be read.
[[nodiscard]] Result<CheckReport> check(const std::filesystem::path& dir, std::span<const Schema* const> schemas,
                                        const Dialect& dialect, const TableDefaults& defaults);

// atlas.sum as Atlas computes it for the directory's *.sql files.
[[nodiscard]] Result<std::string> compute_sum(const std::filesystem::path& dir);
// Rewrites atlas.sum from the files as they are (accepting hand edits,
// as `atlas migrate hash` does).
[[nodiscard]] Status rehash(const std::filesystem::path& dir);

}  // namespace migrate
}  // namespace lake

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
// edited after it was generated. docs/MIGRATIONS.md has
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
// directory cannot be read, or, with no structs to compare, does not exist
// (not_found: a mistyped path never reads as "nothing to check"; with
// structs, an absent directory reports the first migration as missing).
// status, apply, down, squash and hash also refuse an absent directory.
[[nodiscard]] Result<CheckReport> check(const std::filesystem::path& dir, std::span<const Schema* const> schemas,
                                        const Dialect& dialect, const TableDefaults& defaults);

// Replaces every migration file with one that creates the newest state
// from nothing: its version is the newest file's, its `-- Squashes:`
// header names the files it replaces, and its State-JSON equals the
// newest file's; atlas.sum is rewritten. Squash history every lake has
// applied: a lake at the newest version sees the squash as applied, a new
// lake applies it, and a lake part-way refuses it ("squashed-partly":
// apply the original files there first). Refuses, writing nothing, a
// directory that disagrees with its sum, one with fewer than two files,
// and one whose newest file has no State-JSON header.
[[nodiscard]] Result<GeneratedFile> squash(const std::filesystem::path& dir, const Dialect& dialect);

// ---- applying: Client::migrate_status, migrate_apply, migrate_down ----------
// The versions applied to a lake are recorded in a table of its own,
// lake_migrations (version, file, checksum, applied_at, steps_done), in
// the client's table format, so every engine that reads the lake sees
// them and a file edited after it was applied is found.
inline constexpr std::string_view kMigrationsTable = "lake_migrations";

// One migration, as the directory and the lake see it.
struct MigrationState {
  std::int64_t version = 0;
  std::string file;  // its name ("00002_add_age.sql")
  bool applied = false;
  std::optional<timestamp> applied_at{};
  // Empty, or why the directory and the lake disagree about it:
  //   "edited":  applied, and the file changed since (its checksum);
  //   "missing": applied, and the file is gone;
  //   "partial": a run stopped inside it (apply resumes after the steps
  //              that committed; each step commits whole);
  //   "out-of-order": pending, with a version below one already applied;
  //   "squashed-partly": a squash of files the lake applied only some of.
  std::string problem{};
};

struct StatusReport {
  std::vector<MigrationState> migrations;  // by version
  // Problems with the directory itself (atlas.sum disagrees with a file,
  // a file is not a readable migration), as check reports them.
  std::vector<CheckProblem> directory_problems;
  [[nodiscard]] bool ok() const noexcept;
  [[nodiscard]] std::int64_t current_version() const noexcept;  // the newest applied; 0: none
  [[nodiscard]] std::size_t pending() const noexcept;
  // One line per migration ("applied  20261207093005_create_users.sql  2026-12-07T09:31:02Z").
  [[nodiscard]] std::string to_text() const;
  // {"ok":true,"current_version":N,"migrations":[{"version":...,"file":...,"applied":...,
  //  "applied_at":...,"problem":...}],"problems":[...]}
  [[nodiscard]] std::string to_json() const;
};

// What an apply or a down did.
struct ApplyReport {
  std::vector<std::string> files;  // run (Up for apply, Down for down), in order
  std::int64_t version = 0;        // the lake's version afterwards (0: none applied)
  [[nodiscard]] std::string to_text() const;
  // {"files":[...],"version":N}
  [[nodiscard]] std::string to_json() const;
};

// The typed detail of the ErrorCode::invalid_argument with which apply and
// down refuse to run while the directory and the lake disagree.
class MigrationMismatch final : public ErrorDetail {
 public:
  MigrationMismatch(std::string file_name, std::string problem_kind)
      : file(std::move(file_name)), problem(std::move(problem_kind)) {}
  std::string file;
  std::string problem;  // a MigrationState::problem, or a CheckProblem::kind
  [[nodiscard]] std::string describe() const override;
};

// atlas.sum as Atlas computes it for the directory's *.sql files.
[[nodiscard]] Result<std::string> compute_sum(const std::filesystem::path& dir);
// Rewrites atlas.sum from the files as they are (accepting hand edits,
// as `atlas migrate hash` does).
[[nodiscard]] Status rehash(const std::filesystem::path& dir);

}  // namespace migrate
}  // namespace lake

// The goose migration file format, as lake-orm writes and reads it:
//
//   -- lake-orm migration: users: add column age int64
//   -- State-JSON: {"version":1,"format":"delta","tables":{...}}
//
//   -- +goose Up
//   -- users: add column age int64
//   ALTER TABLE `users` ADD COLUMNS (`age` BIGINT);
//
//   -- +goose Down
//   ALTER TABLE `users` DROP COLUMN `age`;
//
// A statement ends at a line ending in `;`, or is wrapped in
// `-- +goose StatementBegin` / `StatementEnd` when it holds a line break or
// a `;` of its own (goose's rules). A change that cannot be undone leaves
// the Down section out and says why. Internal to the migrations.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lake/error.hpp"
#include "migrate/migration_rules.hpp"
#include "migrate/table_state.hpp"

namespace lake::migrate {

// The text of a migration file taking the tables to `state` by `steps`;
// a squash names the files it replaces in a `-- Squashes:` header.
[[nodiscard]] std::string render_migration(std::string_view title, const State& state, const std::vector<Step>& steps,
                                           const std::vector<std::string>& squashes = {});

// A migration file read back.
struct MigrationFile {
  std::string name;  // "00002_add_age.sql"
  std::int64_t version = 0;
  std::string text;
  std::optional<State> state;  // its State-JSON header; none in a hand-written file
  std::vector<std::string> squashes;  // a squash: the files it replaces, by name
  std::vector<std::string> up;  // statements, without the final `;`
  std::vector<std::string> down;
  bool has_down = false;
};

// The version of a migration file name ("00002_add_age.sql" → 2), none
// for a name goose would not take (<digits>_<name>.sql).
[[nodiscard]] std::optional<std::int64_t> version_of(std::string_view file_name);

// ErrorCode::invalid_argument naming the file and what is wrong: no
// `-- +goose Up`, an unterminated statement block, a malformed State-JSON.
[[nodiscard]] Result<MigrationFile> parse_migration(std::string name, std::string text);

}  // namespace lake::migrate

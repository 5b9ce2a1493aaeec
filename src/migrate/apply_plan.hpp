// What running one section (Up or Down) of a migration file does, worked
// out before any of it runs: its statements parsed (a statement outside
// the subset lake-orm writes refuses the whole file), grouped into steps
// an engine applies as a unit, and each CREATE TABLE turned into the
// schema and properties the engine creates the table from. The Client
// runs the steps (Client::migrate_apply); the embedded engine commits each
// ALTER step at once or not at all. Internal to the migrations.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lake/error.hpp"
#include "lake/schema/schema.hpp"
#include "migrate/migration_rules.hpp"

namespace lake::migrate {

struct ApplyStep {
  enum class Kind : std::uint8_t { create, drop, alter };
  Kind kind = Kind::alter;
  std::string table;
  // alter: consecutive ALTER statements on `table` (one commit), or one
  // REPLACE TABLE (a rewrite).
  std::vector<std::string> statements;
  // create: the table's declared schema and its properties.
  std::optional<Schema> schema;
  std::map<std::string, std::string> properties;
  bool rewrite = false;  // alter: a REPLACE TABLE, which nothing joins
};

// The steps of a file's section, in order. ErrorCode::unsupported names a
// statement outside the subset or one neither format applies (SET NOT
// NULL); invalid_argument one for another table format than `rules`'.
[[nodiscard]] Result<std::vector<ApplyStep>> plan_apply(std::span<const std::string> statements,
                                                        const MigrationRules& rules);

// The SHA-256 of a file's bytes, hex: what the applied-versions table
// records, so a file edited after it was applied is found.
[[nodiscard]] std::string file_checksum(std::string_view bytes);

}  // namespace lake::migrate

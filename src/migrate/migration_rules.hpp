// How a table moves from one migration state to the next: the generic
// walk over what changed (tables, columns, renames, types, nullability,
// partitioning, properties, declaration hints) and, per table format, the
// rule table that decides what each change is — safe, destructive (written
// with `-- DESTRUCTIVE: <reason>`), or refused (a typed error naming the
// table, the column and the rule) — and the Spark SQL statements that make
// it. Each format's rules come from its own evolution rules: Iceberg's
// schema and partition evolution, Delta's column mapping and type
// widening. A dialect hands out its format's rules (Dialect::
// migration_rules). Internal to the migrations.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lake/error.hpp"
#include "lake/migrate.hpp"
#include "lake/schema/schema.hpp"
#include "migrate/table_state.hpp"

namespace lake::migrate {

// One change as a migration file writes it: a comment saying what it does,
// its statements (each one Spark SQL statement, without the `;`), and the
// statements that undo it, if it can be undone.
struct Step {
  std::string summary;
  std::vector<std::string> up;
  std::vector<std::string> down;  // run in this order to undo `up`
  std::string irreversible{};     // non-empty: why there is no down
  std::string destructive{};      // non-empty: the DESTRUCTIVE reason
};

// A refused change, as the typed error generate and check report.
[[nodiscard]] Error refused(std::string_view table, std::string_view column, std::string_view rule,
                            std::string_view why);

class MigrationRules {
 public:
  virtual ~MigrationRules() = default;
  [[nodiscard]] virtual std::string_view format() const noexcept = 0;

  // Columns the lake.clusterBy property names for `schema` (Delta: the
  // bucket and truncate partitions it cannot partition by).
  [[nodiscard]] virtual std::vector<std::string> cluster_by(const Schema& schema) const = 0;

  // The steps from `before` (null: the table does not exist yet) to
  // `after`, in the order they run; `after.features` gains the features
  // the steps turn on. A refused change is an error naming its rule.
  [[nodiscard]] Result<std::vector<Step>> plan(const TableState* before, TableState& after) const;

 protected:
  // CREATE TABLE for `after`.
  [[nodiscard]] virtual Step create_table(const TableState& after) const = 0;
  // The step that must run before a column can be renamed or dropped
  // (Delta: column mapping), none when the table already allows it.
  [[nodiscard]] virtual std::vector<Step> before_rename_or_drop(TableState& after) const = 0;
  // Whether a column added now can later be dropped by a down section.
  [[nodiscard]] virtual bool drops_columns(const TableState& after) const = 0;
  // A column type change: the format's promotion / widening rules.
  [[nodiscard]] virtual Result<std::vector<Step>> change_type(TableState& after, const ColumnState& from,
                                                              const ColumnState& to) const = 0;
  // nullable → NOT NULL (neither format can: the rows already written
  // may hold NULL; each refuses with its own rule).
  [[nodiscard]] virtual Result<Step> set_not_null(const TableState& after, const ColumnState& column) const = 0;
  // A change of partitioning (`before` with renamed columns already
  // renamed).
  [[nodiscard]] virtual Result<std::vector<Step>> change_partitioning(const TableState& before,
                                                                      const TableState& after) const = 0;
  // Why setting a property is destructive (it turns a table feature on,
  // say), or "".
  [[nodiscard]] virtual std::string property_warning(std::string_view key, std::string_view value) const = 0;
};

[[nodiscard]] std::shared_ptr<const MigrationRules> delta_rules();
[[nodiscard]] std::shared_ptr<const MigrationRules> iceberg_rules();

// Shared Spark SQL pieces of the rules.
namespace ddl {
[[nodiscard]] std::string table(const TableState& t);  // `name`
[[nodiscard]] std::string column_definition(const ColumnState& column);  // `c` BIGINT NOT NULL
[[nodiscard]] std::string columns(const TableState& t);  // (`a` ..., `_ingest_id` STRING)
[[nodiscard]] std::string properties(const std::map<std::string, std::string>& properties);  // ('k' = 'v', ...)
[[nodiscard]] std::string quote(std::string_view identifier);
}  // namespace ddl

}  // namespace lake::migrate

#include "migrate/migration_rules.hpp"

#include <algorithm>
#include <format>

#include "core/propagate.hpp"
#include "sql/spark_sql.hpp"

namespace lake::migrate {

std::string RefusedChange::describe() const {
  return column.empty() ? std::format("refused change: table {}, rule {}", table, rule)
                        : std::format("refused change: table {}, column {}, rule {}", table, column, rule);
}

Error refused(std::string_view table, std::string_view column, std::string_view rule, std::string_view why) {
  std::string where = column.empty() ? std::format("table {}", table) : std::format("table {}, column {}", table, column);
  return Error(ErrorCode::unsupported, std::format("{}: {} (rule {})", where, why, rule),
               std::make_shared<RefusedChange>(std::string(table), std::string(column), std::string(rule)));
}

namespace ddl {

std::string quote(std::string_view identifier) { return spark_sql::quote_identifier(identifier); }
std::string table(const TableState& t) { return quote(t.name); }

std::string column_definition(const ColumnState& column) {
  return std::format("{} {}{}", quote(column.name), spark_sql::type_name(column.type),
                     column.nullable ? "" : " NOT NULL");
}

std::string columns(const TableState& t) {
  std::string out = "(";
  for (const auto& column : t.columns) out += column_definition(column) + ", ";
  return out + std::format("{} STRING)", quote(kIngestIdColumn));
}

std::string properties(const std::map<std::string, std::string>& properties) {
  std::string out;
  for (const auto& [key, value] : properties)
    out += std::format("{}{} = {}", out.empty() ? "(" : ", ", spark_sql::quote_string(key), spark_sql::quote_string(value));
  return out + ")";
}

}  // namespace ddl

namespace {

std::string keys_text(const std::vector<std::string>& keys) {
  std::string out;
  for (const auto& key : keys) out += (out.empty() ? "" : ", ") + key;
  return out.empty() ? "(none)" : out;
}

// The previous state with `renames` (old → new) applied to its column,
// partition and key names, so what follows compares like with like.
TableState renamed(const TableState& before, const std::map<std::string, std::string>& renames) {
  TableState out = before;
  auto rename = [&](std::string& name) {
    if (auto it = renames.find(name); it != renames.end()) name = it->second;
  };
  for (auto& column : out.columns) rename(column.name);
  for (auto& partition : out.partitions) rename(partition.column);
  for (auto& key : out.primary_keys) rename(key);
  for (auto& key : out.merge_keys) rename(key);
  return out;
}

}  // namespace

Result<std::vector<Step>> MigrationRules::plan(const TableState* before, TableState& after) const {
  std::vector<Step> steps;
  if (before == nullptr) {
    // A declared table has no features yet; a squash recreating an evolved
    // one keeps those its history turned on, and creates it with them.
    steps.push_back(create_table(after));
    return steps;
  }
  after.features = before->features;
  const std::string table = ddl::table(after);

  // Which column of `before` each column of `after` is: the same name, or
  // the one it declares it was renamed from. Renames are declared, never
  // guessed from a drop and an add that look alike.
  std::map<std::string, std::string> renames;  // old → new
  for (const ColumnState& column : after.columns) {
    if (column.renamed_from.empty() || before->find(column.name) || !before->find(column.renamed_from)) continue;
    if (after.find(column.renamed_from))
      return std::unexpected(refused(after.name, column.name, "renamed-from-still-declared",
                                     std::format("it is declared renamed from {}, which the struct still declares",
                                                 column.renamed_from)));
    if (renames.contains(column.renamed_from))
      return std::unexpected(refused(after.name, column.name, "renamed-from-twice",
                                     std::format("two columns are declared renamed from {}", column.renamed_from)));
    renames[column.renamed_from] = column.name;
  }

  // Renames first: later steps name columns by their new names.
  for (const auto& [old_name, new_name] : renames) {
    for (Step& step : before_rename_or_drop(after)) steps.push_back(std::move(step));
    steps.push_back({.summary = std::format("{}: rename column {} to {}", after.name, old_name, new_name),
                     .up = {std::format("ALTER TABLE {} RENAME COLUMN {} TO {}", table, ddl::quote(old_name),
                                        ddl::quote(new_name))},
                     .down = {std::format("ALTER TABLE {} RENAME COLUMN {} TO {}", table, ddl::quote(new_name),
                                          ddl::quote(old_name))},
                     .destructive = std::format("queries and readers that name column {} break", old_name)});
  }
  const TableState previous = renamed(*before, renames);

  // Added columns. Rows already in the table have no value for a new
  // column, so it must be nullable: neither format has a default that
  // every reader honours (Iceberg's initial-default is format version 3).
  for (const ColumnState& column : after.columns) {
    if (previous.find(column.name)) continue;
    if (!column.nullable)
      return std::unexpected(refused(after.name, column.name, "required-column-without-default",
                                     "a NOT NULL column cannot be added to a table with rows: they have no value for "
                                     "it (declare it std::optional or nullable)"));
    Step step{.summary = std::format("{}: add column {} {}", after.name, column.name, column.type.to_string()),
              .up = {std::format("ALTER TABLE {} ADD COLUMNS ({})", table, ddl::column_definition(column))},
              .down = {}};
    if (drops_columns(after))
      step.down = {std::format("ALTER TABLE {} DROP COLUMN {}", table, ddl::quote(column.name))};
    else
      step.irreversible = std::format("dropping {} again needs {} column mapping", column.name, format());
    steps.push_back(std::move(step));
  }

  // Type and nullability changes of the columns both states have.
  for (const ColumnState& to : after.columns) {
    const ColumnState* from = previous.find(to.name);
    if (from == nullptr) continue;
    if (from->type != to.type) {
      LAKE_ASSIGN_OR_RETURN(auto type_steps, change_type(after, *from, to));
      for (Step& step : type_steps) steps.push_back(std::move(step));
    }
    if (!from->nullable && to.nullable) {
      steps.push_back({.summary = std::format("{}: column {} becomes nullable", after.name, to.name),
                       .up = {std::format("ALTER TABLE {} ALTER COLUMN {} DROP NOT NULL", table, ddl::quote(to.name))},
                       .down = {},
                       .irreversible = std::format("{} cannot make a nullable column NOT NULL again", format())});
    } else if (from->nullable && !to.nullable) {
      LAKE_ASSIGN_OR_RETURN(auto step, set_not_null(after, to));
      steps.push_back(std::move(step));
    }
  }

  // Partitioning, before drops (a dropped column may be a partition's
  // source) and after adds (a new partition may use a new column).
  if (previous.partitions != after.partitions) {
    LAKE_ASSIGN_OR_RETURN(auto partition_steps, change_partitioning(previous, after));
    for (Step& step : partition_steps) steps.push_back(std::move(step));
  }

  // Dropped columns.
  for (const ColumnState& column : previous.columns) {
    if (after.find(column.name)) continue;
    for (Step& step : before_rename_or_drop(after)) steps.push_back(std::move(step));
    steps.push_back({.summary = std::format("{}: drop column {}", after.name, column.name),
                     .up = {std::format("ALTER TABLE {} DROP COLUMN {}", table, ddl::quote(column.name))},
                     .down = {},
                     .irreversible = std::format("the values of {} are gone", column.name),
                     .destructive = std::format("drops column {} and its values", column.name)});
  }

  // Properties: the keys and the dialect's properties the structs imply.
  std::map<std::string, std::string> set, unset;
  for (const auto& [key, value] : after.properties)
    if (auto it = previous.properties.find(key); it == previous.properties.end() || it->second != value)
      set[key] = value;
  for (const auto& [key, value] : previous.properties)
    if (!after.properties.contains(key)) unset[key] = value;
  if (!set.empty() || !unset.empty()) {
    Step step{.summary = std::format("{}: table properties", after.name), .up = {}, .down = {}};
    if (previous.primary_keys != after.primary_keys)
      step.summary += std::format(" (primary key {} → {})", keys_text(previous.primary_keys), keys_text(after.primary_keys));
    if (previous.merge_keys != after.merge_keys)
      step.summary += std::format(" (merge keys {} → {})", keys_text(previous.merge_keys), keys_text(after.merge_keys));
    if (!set.empty()) step.up.push_back(std::format("ALTER TABLE {} SET TBLPROPERTIES {}", table, ddl::properties(set)));
    if (!unset.empty()) {
      std::string keys;
      for (const auto& [key, value] : unset) keys += (keys.empty() ? "" : ", ") + spark_sql::quote_string(key);
      step.up.push_back(std::format("ALTER TABLE {} UNSET TBLPROPERTIES ({})", table, keys));
    }
    // Undo: the old values back, the new keys gone.
    std::map<std::string, std::string> restore;
    std::string added;
    for (const auto& [key, value] : set) {
      if (auto it = previous.properties.find(key); it != previous.properties.end())
        restore[key] = it->second;
      else
        added += (added.empty() ? "" : ", ") + spark_sql::quote_string(key);
    }
    for (const auto& [key, value] : unset) restore[key] = value;
    if (!restore.empty()) step.down.push_back(std::format("ALTER TABLE {} SET TBLPROPERTIES {}", table, ddl::properties(restore)));
    if (!added.empty()) step.down.push_back(std::format("ALTER TABLE {} UNSET TBLPROPERTIES ({})", table, added));
    std::vector<std::string> warnings;
    for (const auto& [key, value] : set)
      if (auto warning = property_warning(key, value); !warning.empty()) warnings.push_back(std::move(warning));
    if (!previous.primary_keys.empty() && previous.primary_keys != after.primary_keys)
      warnings.push_back("the primary key changes: rows already in the table are not checked against the new key");
    for (const auto& warning : warnings) step.destructive += (step.destructive.empty() ? "" : "; ") + warning;
    steps.push_back(std::move(step));
  }

  // Declaration hints: part of the state, no table change.
  for (const ColumnState& to : after.columns) {
    const ColumnState* from = previous.find(to.name);
    if (from == nullptr || (from->indexed == to.indexed && from->sortable == to.sortable)) continue;
    auto hint = [](bool on, std::string_view name) { return std::format("{}{}", on ? "" : "not ", name); };
    steps.push_back({.summary = std::format("{}: column {} is now {}, {} (a declaration only: no table change)",
                                            after.name, to.name, hint(to.indexed, "indexed"),
                                            hint(to.sortable, "sortable")),
                     .up = {},
                     .down = {}});
  }
  return steps;
}

}  // namespace lake::migrate

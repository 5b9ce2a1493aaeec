// Schema evolution: the changes Delta allows without rewriting data or
// column mapping, namely new nullable columns at the end and dropping a NOT
// NULL constraint. Files written before a change read the new columns as
// NULL (see read_data_file).
#include <algorithm>
#include <cctype>
#include <format>

#include <nlohmann/json.hpp>

#include "core/propagate.hpp"
#include "delta/schema_json.hpp"
#include "delta/table_properties.hpp"
#include "delta/table_writer.hpp"

namespace lake::delta {
namespace {

bool same_name(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

Result<CommitResult> commit_columns(TableWriter& writer, std::vector<Field> columns,
                                    std::string operation, nlohmann::json parameters) {
  Metadata metadata = writer.snapshot().metadata();
  metadata.schema_string = to_schema_string(columns);
  return writer.commit(PendingCommit{.operation = std::move(operation),
                                     .parameters = {{"columns", parameters.dump()}},
                                     .actions = {std::move(metadata)}},
                       {}, CommitResult{});
}

}  // namespace

Result<CommitResult> Table::add_columns(const std::vector<Field>& columns) {
  LAKE_RETURN_IF_ERROR(snapshot_.check_writable(false));
  if (columns.empty()) return fail(ErrorCode::invalid_argument, "add_columns: no columns given");
  std::vector<Field> next = snapshot_.columns();
  nlohmann::json added = nlohmann::json::array();
  for (const auto& field : columns) {
    if (!is_valid_identifier(field.column))
      return fail(ErrorCode::schema_mismatch, std::format("add_columns: '{}' is not a valid column name", field.column));
    if (std::ranges::any_of(next, [&](const Field& f) { return same_name(f.column, field.column); }))
      return fail(ErrorCode::schema_mismatch,
                  std::format("add_columns: the table already has a column '{}'", field.column));
    if (!field.nullable)
      return fail(ErrorCode::schema_mismatch,
                  std::format("add_columns: new column '{}' must be nullable (rows already in the table have no "
                              "value for it)",
                              field.column));
    Field column;
    column.column = field.column;
    column.type = field.type;
    column.nullable = true;
    next.push_back(std::move(column));
    added.push_back(field.column);
  }
  TableWriter writer(*this);
  return commit_columns(writer, std::move(next), "ADD COLUMNS", added);
}

Result<CommitResult> Table::evolve_to(const Schema& schema) {
  LAKE_RETURN_IF_ERROR(snapshot_.check_writable(false));
  const std::vector<Field> declared = table_columns(schema);
  const std::vector<Field>& current = snapshot_.columns();
  std::vector<std::string> problems;
  std::vector<Field> next = current;
  nlohmann::json changed = nlohmann::json::array();

  std::vector<std::string> declared_partitions;
  for (const auto& spec : schema.partitions)
    if (spec.kind == PartitionKind::raw) declared_partitions.push_back(schema.fields[spec.field].column);
  if (declared_partitions != snapshot_.partition_columns())
    problems.push_back("the partition columns differ (Delta cannot repartition a table in place)");

  for (const auto& field : declared) {
    auto it = std::ranges::find_if(next, [&](const Field& f) { return same_name(f.column, field.column); });
    if (it == next.end()) {
      if (!field.nullable) {
        problems.push_back(std::format("new column '{}' is not nullable (existing rows have no value for it)",
                                       field.column));
        continue;
      }
      Field column;
      column.column = field.column;
      column.type = field.type;
      column.nullable = true;
      next.push_back(std::move(column));
      changed.push_back("add " + field.column);
      continue;
    }
    if (it->column != field.column)
      problems.push_back(std::format("column '{}' is declared as '{}' (renaming needs column mapping)", it->column,
                                     field.column));
    if (!(it->type == field.type))
      problems.push_back(std::format("column '{}' is {} in the table and {} in the declaration", it->column,
                                     it->type.to_string(), field.type.to_string()));
    if (it->nullable && !field.nullable)
      problems.push_back(std::format("column '{}' is nullable in the table and may hold NULLs; it cannot become "
                                     "non-nullable",
                                     it->column));
    if (!it->nullable && field.nullable) {
      it->nullable = true;
      changed.push_back("drop not null " + it->column);
    }
  }
  for (const auto& column : current)
    if (std::ranges::none_of(declared, [&](const Field& f) { return same_name(f.column, column.column); }))
      problems.push_back(std::format("column '{}' is in the table but not declared (dropping columns needs column "
                                     "mapping)",
                                     column.column));
  if (!problems.empty())
    return fail(ErrorCode::schema_mismatch,
                std::format("table '{}' cannot evolve to '{}': {}", root_, schema.type_name, join(problems, "; ")));
  if (changed.empty()) return CommitResult{.version = version()};
  TableWriter writer(*this);
  return commit_columns(writer, std::move(next), "CHANGE COLUMNS", changed);
}

}  // namespace lake::delta

#include "migrate/apply_plan.hpp"

#include <openssl/evp.h>

#include <array>
#include <format>
#include <variant>

#include "core/propagate.hpp"
#include "formats/lake_properties.hpp"
#include "migrate/ddl_statement.hpp"

namespace lake::migrate {
namespace {

// The schema a CREATE TABLE statement declares: its columns (without the
// system column, which every table gets), its partitions, and the keys
// its lake.* properties record.
Result<Schema> schema_of(const CreateTableStatement& create) {
  Schema schema;
  schema.table_name = create.table;
  schema.type_name = create.table;
  for (const auto& column : create.columns) {
    if (column.name == kIngestIdColumn) continue;
    Field field;
    field.column = column.name;
    field.type = column.type;
    field.nullable = column.nullable;
    schema.fields.push_back(std::move(field));
  }
  auto index_of = [&](const std::string& column, std::string_view what) -> Result<std::size_t> {
    auto index = schema.column_index(column);
    if (!index)
      return fail(ErrorCode::invalid_argument,
                  std::format("CREATE TABLE {}: {} '{}' is not one of its columns", create.table, what, column));
    return *index;
  };
  for (const auto& partition : create.partitions) {
    LAKE_ASSIGN_OR_RETURN(auto index, index_of(partition.column, "partition column"));
    schema.partitions.push_back({.field = index, .kind = partition.kind, .param = partition.param});
  }
  for (const auto& column : formats::list_property(create.properties, formats::kPrimaryKeysProperty)) {
    LAKE_ASSIGN_OR_RETURN(auto index, index_of(column, "primary key"));
    schema.primary_keys.push_back(index);
    schema.fields[index].primary_key = true;
  }
  for (const auto& column : formats::list_property(create.properties, formats::kMergeKeysProperty)) {
    LAKE_ASSIGN_OR_RETURN(auto index, index_of(column, "merge key"));
    schema.merge_keys.push_back(index);
    schema.fields[index].merge_key = true;
  }
  return schema;
}

}  // namespace

Result<std::vector<ApplyStep>> plan_apply(std::span<const std::string> statements, const MigrationRules& rules) {
  std::vector<ApplyStep> steps;
  for (const auto& sql : statements) {
    LAKE_ASSIGN_OR_RETURN(auto statement, parse_ddl(sql));
    const std::string& table = table_of(statement);
    if (const auto* create = std::get_if<CreateTableStatement>(&statement)) {
      if (create->format != rules.format())
        return fail(ErrorCode::invalid_argument,
                    std::format("CREATE TABLE {} is for a {} table; this client's tables are {}", table,
                                create->format, rules.format()));
      LAKE_ASSIGN_OR_RETURN(auto schema, schema_of(*create));
      steps.push_back({.kind = ApplyStep::Kind::create,
                       .table = table,
                       .statements = {sql},
                       .schema = std::move(schema),
                       .properties = create->properties,
                       .rewrite = false});
      continue;
    }
    if (std::holds_alternative<DropTableStatement>(statement)) {
      steps.push_back({.kind = ApplyStep::Kind::drop, .table = table, .statements = {sql}, .schema = {},
                       .properties = {}, .rewrite = false});
      continue;
    }
    if (const auto* replace = std::get_if<ReplaceTableStatement>(&statement); replace && replace->format != rules.format())
      return fail(ErrorCode::invalid_argument,
                  std::format("REPLACE TABLE {} is for a {} table; this client's tables are {}", table,
                              replace->format, rules.format()));
    // Refused here rather than halfway through the file.
    LAKE_ASSIGN_OR_RETURN(auto change, table_change(statement));
    const bool rewrite = change && std::holds_alternative<formats::Repartition>(*change);
    const bool joins = !rewrite && !steps.empty() && steps.back().kind == ApplyStep::Kind::alter &&
                       steps.back().table == table && !steps.back().rewrite;
    if (joins) {
      steps.back().statements.push_back(sql);
      continue;
    }
    steps.push_back({.kind = ApplyStep::Kind::alter, .table = table, .statements = {sql}, .schema = {},
                     .properties = {}, .rewrite = rewrite});
  }
  return steps;
}

std::string file_checksum(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned size = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest.data(), &size, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned i = 0; i < size; ++i) hex += std::format("{:02x}", digest[i]);
  return hex;
}

}  // namespace lake::migrate

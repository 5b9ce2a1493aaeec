// Delta Lake's rule table (PROTOCOL.md): renames and drops need column
// mapping (name mode), which turning on is itself irreversible for the
// table's readers; type changes are Delta's type widening (the
// typeWidening feature, turned on the first time); NOT NULL can be
// dropped but not set again; partitioning is fixed at creation, so a
// change rewrites the table.
#include <format>
#include <map>

#include "delta/column_mapping.hpp"
#include "delta/type_widening.hpp"
#include "migrate/migration_rules.hpp"
#include "sql/spark_sql.hpp"

namespace lake::migrate {
namespace {

constexpr std::string_view kColumnMapping = "columnMapping";
constexpr std::string_view kTypeWidening = "typeWidening";

class DeltaRules final : public MigrationRules {
 public:
  std::string_view format() const noexcept override { return "delta"; }

  std::vector<std::string> cluster_by(const Schema& schema) const override {
    // Delta has no bucket or truncate transforms: those columns are what
    // optimize clusters by instead (as the dialect creates the table).
    std::vector<std::string> out;
    for (const PartitionSpec& spec : schema.partitions)
      if (spec.kind != PartitionKind::raw) out.push_back(schema.fields[spec.field].column);
    return out;
  }

 protected:
  Step create_table(const TableState& after) const override {
    std::string sql = std::format("CREATE TABLE {} {} USING DELTA", ddl::table(after), ddl::columns(after));
    if (auto partitions = partition_columns(after); !partitions.empty())
      sql += std::format(" PARTITIONED BY ({})", spark_sql::identifier_list(partitions));
    // A table created from a state with features (a squash recreating one
    // that migrations evolved) has them from the start, so the files after
    // it can rename, drop and widen as they did on the original.
    if (const auto properties = with_features(after, after.properties); !properties.empty())
      sql += " TBLPROPERTIES " + ddl::properties(properties);
    return {.summary = std::format("{}: create table", after.name),
            .up = {std::move(sql)},
            .down = {std::format("DROP TABLE {}", ddl::table(after))}};
  }

  std::vector<Step> before_rename_or_drop(TableState& after) const override {
    if (after.has_feature(kColumnMapping)) return {};
    after.add_feature(kColumnMapping);
    return {{.summary = std::format("{}: turn on column mapping (name mode), which renames and drops need",
                                    after.name),
             .up = {std::format("ALTER TABLE {} SET TBLPROPERTIES ({} = 'name')", ddl::table(after),
                                spark_sql::quote_string(delta::kColumnMappingMode))},
             .down = {},
             .irreversible = "column mapping cannot be turned off",
             .destructive = "turns on column mapping (the columnMapping table feature): readers without it can no "
                            "longer read the table, and it cannot be turned off"}};
  }

  bool drops_columns(const TableState& after) const override { return after.has_feature(kColumnMapping); }

  Result<std::vector<Step>> change_type(TableState& after, const ColumnState& from,
                                        const ColumnState& to) const override {
    if (!delta::widens(from.type, to.type))
      return std::unexpected(refused(
          after.name, to.name, "delta.type-widening",
          std::format("{} to {} is not a type widening Delta allows (byte to short to int to long, float to double, "
                      "date to timestamp_ntz, decimal to a wider decimal of no smaller scale)",
                      from.type.to_string(), to.type.to_string())));
    std::vector<Step> steps;
    if (!after.has_feature(kTypeWidening)) {
      after.add_feature(kTypeWidening);
      steps.push_back({.summary = std::format("{}: turn on type widening", after.name),
                       .up = {std::format("ALTER TABLE {} SET TBLPROPERTIES ({} = 'true')", ddl::table(after),
                                          spark_sql::quote_string(delta::kEnableTypeWidening))},
                       .down = {},
                       .irreversible = "lake-orm does not remove the typeWidening table feature",
                       .destructive = "turns on type widening (the typeWidening table feature): readers without it "
                                      "can no longer read the table"});
    }
    steps.push_back({.summary = std::format("{}: widen column {} from {} to {}", after.name, to.name,
                                            from.type.to_string(), to.type.to_string()),
                     .up = {std::format("ALTER TABLE {} ALTER COLUMN {} TYPE {}", ddl::table(after),
                                        ddl::quote(to.name), spark_sql::type_name(to.type))},
                     .down = {},
                     .irreversible = std::format("a column cannot be narrowed back to {}", from.type.to_string())});
    return steps;
  }

  Result<Step> set_not_null(const TableState& after, const ColumnState& column) const override {
    // Delta records nullability in the schema only; Spark's Delta refuses
    // to tighten it ("Cannot change nullable column to non-nullable"):
    // rows already written may hold NULL. A CHECK constraint is Delta's
    // way, which lake-orm does not write.
    return std::unexpected(refused(after.name, column.name, "delta.nullable-to-not-null",
                                   "Delta cannot make a nullable column NOT NULL (files written before may hold "
                                   "nulls)"));
  }

  Result<std::vector<Step>> change_partitioning(const TableState& before, const TableState& after) const override {
    // Only the plain partitions are Delta's; the others are lake.clusterBy,
    // a property change.
    const auto old_columns = partition_columns(before);
    const auto new_columns = partition_columns(after);
    if (old_columns == new_columns) return std::vector<Step>{};
    for (const auto& column : new_columns)
      if (after.find(column)->type.is_nested())
        return std::unexpected(refused(after.name, column, "delta.partition-column-type",
                                       "a nested column cannot be a partition column"));
    auto replace = [&](const TableState& state, const std::vector<std::string>& columns) {
      std::string sql = std::format("REPLACE TABLE {} USING DELTA", ddl::table(state));
      if (!columns.empty()) sql += std::format(" PARTITIONED BY ({})", spark_sql::identifier_list(columns));
      if (const auto properties = with_features(after, state.properties); !properties.empty())
        sql += " TBLPROPERTIES " + ddl::properties(properties);
      return sql + std::format(" AS SELECT * FROM {}", ddl::table(state));
    };
    auto label = [](const std::vector<std::string>& columns) {
      return columns.empty() ? std::string("none") : spark_sql::identifier_list(columns);
    };
    return std::vector<Step>{
        {.summary = std::format("{}: partition by {} instead of {}", after.name, label(new_columns), label(old_columns)),
         .up = {replace(after, new_columns)},
         .down = {replace(after, old_columns)},
         .destructive = "rewrites every data file of the table (Delta cannot change partitioning in place)"}};
  }

  std::string property_warning(std::string_view key, std::string_view value) const override {
    if (key.starts_with("delta.feature.") || (key.starts_with("delta.enable") && value == "true"))
      return std::format("{} turns on a table feature that readers without it cannot read", key);
    return {};
  }

 private:
  // `properties` and those that turn on the features `table` records.
  static std::map<std::string, std::string> with_features(const TableState& table,
                                                          std::map<std::string, std::string> properties) {
    if (table.has_feature(kColumnMapping)) properties[std::string(delta::kColumnMappingMode)] = "name";
    if (table.has_feature(kTypeWidening)) properties[std::string(delta::kEnableTypeWidening)] = "true";
    return properties;
  }

  static std::vector<std::string> partition_columns(const TableState& table) {
    std::vector<std::string> out;
    for (const auto& partition : table.partitions)
      if (partition.kind == PartitionKind::raw) out.push_back(partition.column);
    return out;
  }
};

}  // namespace

std::shared_ptr<const MigrationRules> delta_rules() {
  static const auto rules = std::make_shared<const DeltaRules>();
  return rules;
}

}  // namespace lake::migrate

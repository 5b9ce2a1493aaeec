// Apache Iceberg's rule table (the spec's schema and partition
// evolution): columns are tracked by field id, so renames and drops are
// metadata changes; types change only by the spec's promotions (int to
// long, float to double, a decimal's precision widened); a required
// column may become optional but never the reverse; partition fields are
// added and dropped in place (older files keep their spec).
#include <algorithm>
#include <format>

#include "iceberg/schema.hpp"
#include "migrate/migration_rules.hpp"
#include "sql/spark_sql.hpp"

namespace lake::migrate {
namespace {

// The Iceberg type a lake column type is stored as.
std::shared_ptr<const iceberg::Type> iceberg_type(const DataType& type) {
  Schema schema;
  Field field;
  field.column = "c";
  field.type = type;
  schema.fields.push_back(std::move(field));
  return iceberg::from_lake(schema, /*with_ingest_id=*/false).fields.at(0).type;
}

// A partition field as Spark's Iceberg DDL spells it.
std::string partition_term(const PartitionState& partition) {
  switch (partition.kind) {
    case PartitionKind::bucket: return std::format("bucket({}, {})", partition.param, ddl::quote(partition.column));
    case PartitionKind::truncate:
      return std::format("truncate({}, {})", partition.param, ddl::quote(partition.column));
    default: return ddl::quote(partition.column);
  }
}

class IcebergRules final : public MigrationRules {
 public:
  std::string_view format() const noexcept override { return "iceberg"; }
  std::vector<std::string> cluster_by(const Schema&) const override { return {}; }

 protected:
  Step create_table(const TableState& after) const override {
    std::string sql = std::format("CREATE TABLE {} {} USING iceberg", ddl::table(after), ddl::columns(after));
    if (!after.partitions.empty()) {
      std::string terms;
      for (const auto& partition : after.partitions) terms += (terms.empty() ? "" : ", ") + partition_term(partition);
      sql += std::format(" PARTITIONED BY ({})", terms);
    }
    if (!after.properties.empty()) sql += " TBLPROPERTIES " + ddl::properties(after.properties);
    return {.summary = std::format("{}: create table", after.name),
            .up = {std::move(sql)},
            .down = {std::format("DROP TABLE {}", ddl::table(after))}};
  }

  std::vector<Step> before_rename_or_drop(TableState&) const override { return {}; }
  bool drops_columns(const TableState&) const override { return true; }

  Result<std::vector<Step>> change_type(TableState& after, const ColumnState& from,
                                        const ColumnState& to) const override {
    auto old_type = iceberg_type(from.type);
    auto new_type = iceberg_type(to.type);
    if (old_type->to_string() == new_type->to_string())
      // int8 / int16 / int32 are all Iceberg's int: nothing to change.
      return std::vector<Step>{{.summary = std::format("{}: column {} is declared {} instead of {} (both Iceberg {}: no "
                                                       "table change)",
                                                       after.name, to.name, to.type.to_string(),
                                                       from.type.to_string(), new_type->to_string()),
                                .up = {},
                                .down = {}}};
    if (!iceberg::promotes_to(*old_type, *new_type))
      return std::unexpected(refused(after.name, to.name, "iceberg.type-promotion",
                                     std::format("{} to {} is not one of Iceberg's type promotions (int to long, float "
                                                 "to double, a decimal to a greater precision of the same scale)",
                                                 from.type.to_string(), to.type.to_string())));
    return std::vector<Step>{
        {.summary = std::format("{}: promote column {} from {} to {}", after.name, to.name, from.type.to_string(),
                                to.type.to_string()),
         .up = {std::format("ALTER TABLE {} ALTER COLUMN {} TYPE {}", ddl::table(after), ddl::quote(to.name),
                            spark_sql::type_name(to.type))},
         .down = {},
         .irreversible = std::format("Iceberg cannot narrow a column back to {}", from.type.to_string())}};
  }

  Result<Step> set_not_null(const TableState& after, const ColumnState& column) const override {
    return std::unexpected(refused(after.name, column.name, "iceberg.optional-to-required",
                                   "Iceberg cannot make an optional column required (files written before may hold "
                                   "nulls)"));
  }

  Result<std::vector<Step>> change_partitioning(const TableState& before, const TableState& after) const override {
    std::vector<std::string> old_terms, new_terms;
    for (const auto& p : before.partitions) old_terms.push_back(partition_term(p));
    for (const auto& p : after.partitions) new_terms.push_back(partition_term(p));
    // Partition evolution removes fields and appends new ones: the kept
    // fields keep their order and come first.
    std::vector<std::string> reachable;
    for (const auto& term : old_terms)
      if (std::ranges::find(new_terms, term) != new_terms.end()) reachable.push_back(term);
    for (const auto& term : new_terms)
      if (std::ranges::find(old_terms, term) == old_terms.end()) reachable.push_back(term);
    if (reachable != new_terms)
      return std::unexpected(refused(after.name, "", "iceberg.partition-order",
                                     "partition evolution drops fields and appends new ones, so it cannot reach this "
                                     "order of partition fields (change the order in steps, or keep the old order)"));
    std::vector<Step> steps;
    const std::string table = ddl::table(after);
    for (const auto& term : old_terms) {
      if (std::ranges::find(new_terms, term) != new_terms.end()) continue;
      steps.push_back({.summary = std::format("{}: drop partition field {}", after.name, term),
                       .up = {std::format("ALTER TABLE {} DROP PARTITION FIELD {}", table, term)},
                       .down = {std::format("ALTER TABLE {} ADD PARTITION FIELD {}", table, term)}});
    }
    for (const auto& term : new_terms) {
      if (std::ranges::find(old_terms, term) != old_terms.end()) continue;
      steps.push_back({.summary = std::format("{}: add partition field {} (files written before keep their spec)",
                                              after.name, term),
                       .up = {std::format("ALTER TABLE {} ADD PARTITION FIELD {}", table, term)},
                       .down = {std::format("ALTER TABLE {} DROP PARTITION FIELD {}", table, term)}});
    }
    return steps;
  }

  std::string property_warning(std::string_view key, std::string_view value) const override {
    if (key == "format-version") return std::format("format-version {} upgrades the table for every reader", value);
    return {};
  }
};

}  // namespace

std::shared_ptr<const MigrationRules> iceberg_rules() {
  static const auto rules = std::make_shared<const IcebergRules>();
  return rules;
}

}  // namespace lake::migrate

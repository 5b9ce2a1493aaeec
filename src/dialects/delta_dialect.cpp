// The Delta Lake dialect: the native Delta implementation (for embedded
// engines), Delta as Spark drives it (for engines that implement it), the
// properties a Delta table gets from the client, and its CREATE TABLE.
#include "delta/delta_format.hpp"
#include "dialects/delta_sql_format.hpp"
#include "formats/table_format.hpp"
#include "lake/dialect.hpp"
#include "migrate/migration_rules.hpp"

namespace lake {
namespace {

class DeltaDialect final : public Dialect {
 public:
  std::string_view name() const noexcept override { return "delta"; }

  std::shared_ptr<const formats::NativeFormat> native_format() const override { return delta::native_format(); }
  std::shared_ptr<const formats::SqlFormat> sql_format() const override { return dialects::delta::sql_format(); }
  std::shared_ptr<const migrate::MigrationRules> migration_rules() const override { return migrate::delta_rules(); }

  std::map<std::string, std::string> table_properties(const Schema&, const TableDefaults& defaults) const override {
    auto properties = delta::native_format()->idempotency_properties(defaults.idempotency_ttl);
    // Deletion vectors: Table::create gives the table the protocol
    // feature this property needs.
    if (defaults.row_changes == RowChanges::merge_on_read) properties["delta.enableDeletionVectors"] = "true";
    return properties;
  }

  Status check_row_changes(RowChanges) const override { return {}; }

  std::vector<std::string> partition_columns(const Schema& schema) const override {
    // Delta has no transforms: bucket and truncate annotations become
    // clustering columns, not partitions.
    std::vector<std::string> out;
    for (const PartitionSpec& spec : schema.partitions)
      if (spec.kind == PartitionKind::raw) out.push_back(schema.fields[spec.field].column);
    return out;
  }

  Result<std::string> create_table_sql(const TableRef& table, const Schema& schema, std::string_view location_uri,
                                       const std::map<std::string, std::string>& properties) const override {
    return dialects::delta::create_table_sql(table, schema, location_uri, properties);
  }
};

}  // namespace

std::shared_ptr<const Dialect> delta_dialect() {
  static const auto dialect = std::make_shared<const DeltaDialect>();
  return dialect;
}

}  // namespace lake

// The Apache Iceberg dialect: the native Iceberg implementation (for
// embedded engines: tables on the client's storage, in a file-system or
// SQL catalog), Iceberg as Spark drives it (for engines that implement it),
// the properties an Iceberg table gets from the client, and its CREATE
// TABLE, partitioned with Iceberg's own transforms.
#include "dialects/iceberg_sql_format.hpp"
#include "formats/table_format.hpp"
#include "iceberg/iceberg_format.hpp"
#include "lake/dialect.hpp"
#include "migrate/migration_rules.hpp"

namespace lake {
namespace {

class IcebergDialect final : public Dialect {
 public:
  explicit IcebergDialect(std::shared_ptr<const formats::NativeFormat> native) : native_(std::move(native)) {}

  std::string_view name() const noexcept override { return "iceberg"; }

  std::shared_ptr<const formats::NativeFormat> native_format() const override { return native_; }
  std::shared_ptr<const formats::SqlFormat> sql_format() const override { return dialects::iceberg::sql_format(); }
  std::shared_ptr<const migrate::MigrationRules> migration_rules() const override { return migrate::iceberg_rules(); }

  std::map<std::string, std::string> table_properties(const Schema&, const TableDefaults&) const override {
    // Format version 2: row-level deletes and sequence numbers, which
    // MERGE, UPDATE and DELETE use. An idempotency record lives in the
    // summary of the snapshot that wrote it, so it lasts as long as that
    // snapshot does (history.expire.max-snapshot-age-ms, 5 days by
    // default); Iceberg has no separate retention to set for it.
    return {{"format-version", "2"}};
  }

  Status check_row_changes(RowChanges mode) const override {
    if (mode == RowChanges::merge_on_read)
      return fail(ErrorCode::unsupported,
                  "row_changes merge_on_read: lake-orm changes Iceberg tables copy-on-write (it reads the position and "
                  "equality deletes other engines write, but does not write them); use automatic or copy_on_write");
    return {};
  }

  std::vector<std::string> partition_columns(const Schema& schema) const override {
    std::vector<std::string> out;
    for (const PartitionSpec& spec : schema.partitions) {
      formats::PartitionField field{.source_column = schema.fields[spec.field].column};
      switch (spec.kind) {
        case PartitionKind::raw: break;
        case PartitionKind::bucket:
          field.transform = formats::Transform::bucket, field.param = static_cast<std::int32_t>(spec.param);
          break;
        case PartitionKind::truncate:
          field.transform = formats::Transform::truncate, field.param = static_cast<std::int32_t>(spec.param);
          break;
        case PartitionKind::none: continue;
      }
      out.push_back(formats::partition_label(field));
    }
    return out;
  }

  Result<std::string> create_table_sql(const TableRef& table, const Schema& schema, std::string_view location_uri,
                                       const std::map<std::string, std::string>& properties) const override {
    return dialects::iceberg::create_table_sql(table, schema, location_uri, properties);
  }

 private:
  std::shared_ptr<const formats::NativeFormat> native_;
};

}  // namespace

std::shared_ptr<const Dialect> iceberg_dialect() {
  static const auto dialect = std::make_shared<const IcebergDialect>(iceberg::native_format());
  return dialect;
}

std::shared_ptr<const Dialect> iceberg_dialect(const IcebergCatalog& catalog) {
  return std::make_shared<const IcebergDialect>(iceberg::native_format(catalog));
}

}  // namespace lake

// The Apache Iceberg dialect: routing, the properties an Iceberg table
// gets from the client, and Spark's CREATE TABLE for it, partitioned with
// Iceberg's own transforms (identity, bucket, truncate).
#include <format>
#include <string>

#include "dialects/spark_sql.hpp"
#include "lake/dialect.hpp"

namespace lake {
namespace {

using spark_sql::quote_identifier;
using spark_sql::quote_string;

// A partition field as Spark's Iceberg DDL spells it.
std::string partition_term(const Schema& schema, const PartitionSpec& spec) {
  const std::string column = quote_identifier(schema.fields[spec.field].column);
  switch (spec.kind) {
    case PartitionKind::bucket: return std::format("bucket({}, {})", spec.param, column);
    case PartitionKind::truncate: return std::format("truncate({}, {})", spec.param, column);
    case PartitionKind::raw:
    case PartitionKind::none: break;
  }
  return column;
}

class IcebergDialect final : public Dialect {
 public:
  std::string_view name() const noexcept override { return "iceberg"; }

  WritePath route(WritePath requested, std::int64_t bytes, std::int64_t fast_path_threshold) const noexcept override {
    if (requested != WritePath::automatic) return requested;
    return bytes > fast_path_threshold ? WritePath::object_storage : WritePath::direct;
  }

  std::map<std::string, std::string> table_properties(const Schema&, std::chrono::seconds) const override {
    // Format version 2: row-level deletes and sequence numbers, which
    // MERGE, UPDATE and DELETE use. An idempotency record lives in the
    // summary of the snapshot that wrote it, so it lasts as long as that
    // snapshot does (history.expire.max-snapshot-age-ms, 5 days by
    // default); Iceberg has no separate retention to set for it.
    return {{"format-version", "2"}};
  }

  Result<std::string> create_table_sql(const TableRef& table, const Schema& schema, std::string_view location_uri,
                                       const std::map<std::string, std::string>& properties) const override {
    if (!is_valid_identifier(table.name))
      return fail(ErrorCode::invalid_argument, std::format("'{}' is not a usable table name", table.name));
    std::string sql = std::format("CREATE TABLE IF NOT EXISTS {} {} USING iceberg", quote_identifier(table.name),
                                  spark_sql::column_list(schema));
    std::string partitions;
    for (const PartitionSpec& spec : schema.partitions)
      partitions += (partitions.empty() ? "" : ", ") + partition_term(schema, spec);
    if (!partitions.empty()) sql += std::format(" PARTITIONED BY ({})", partitions);
    sql += std::format(" LOCATION {}", quote_string(location_uri));
    std::map<std::string, std::string> all = properties;
    if (!schema.primary_keys.empty()) all["lake.primaryKeys"] = spark_sql::column_names(schema, schema.primary_keys);
    if (!schema.merge_keys.empty()) all["lake.mergeKeys"] = spark_sql::column_names(schema, schema.merge_keys);
    sql += spark_sql::properties_clause(all);
    return sql;
  }
};

}  // namespace

std::shared_ptr<const Dialect> iceberg_dialect() {
  static const auto dialect = std::make_shared<const IcebergDialect>();
  return dialect;
}

}  // namespace lake

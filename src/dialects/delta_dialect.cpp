// The Delta Lake dialect: routing, the properties a Delta table gets from
// the client, and Spark's CREATE TABLE for it.
#include <format>
#include <string>

#include "dialects/spark_sql.hpp"
#include "lake/dialect.hpp"

namespace lake {
namespace {

using spark_sql::quote_identifier;
using spark_sql::quote_string;

class DeltaDialect final : public Dialect {
 public:
  std::string_view name() const noexcept override { return "delta"; }

  WritePath route(WritePath requested, std::int64_t bytes, std::int64_t fast_path_threshold) const noexcept override {
    if (requested != WritePath::automatic) return requested;
    return bytes > fast_path_threshold ? WritePath::object_storage : WritePath::direct;
  }

  std::map<std::string, std::string> table_properties(const Schema&,
                                                      std::chrono::seconds idempotency_ttl) const override {
    // Delta keeps an application's txn (our idempotency record) until a
    // checkpoint drops it past this retention.
    return {{"delta.setTransactionRetentionDuration", std::format("interval {} seconds", idempotency_ttl.count())}};
  }

  Result<std::string> create_table_sql(const TableRef& table, const Schema& schema, std::string_view location_uri,
                                       const std::map<std::string, std::string>& properties) const override {
    if (!is_valid_identifier(table.name))
      return fail(ErrorCode::invalid_argument, std::format("'{}' is not a usable table name", table.name));
    std::string sql = std::format("CREATE TABLE IF NOT EXISTS {} {} USING DELTA", quote_identifier(table.name),
                                  spark_sql::column_list(schema));
    std::string partitions;
    std::map<std::string, std::string> all = properties;
    std::vector<std::string> cluster_by;
    for (const PartitionSpec& spec : schema.partitions) {
      const std::string& column = schema.fields[spec.field].column;
      if (spec.kind == PartitionKind::raw)
        partitions += (partitions.empty() ? "" : ", ") + quote_identifier(column);
      else
        cluster_by.push_back(column);  // Delta has no bucket/truncate transforms
    }
    if (!partitions.empty()) sql += std::format(" PARTITIONED BY ({})", partitions);
    sql += std::format(" LOCATION {}", quote_string(location_uri));
    if (!schema.primary_keys.empty()) all["lake.primaryKeys"] = spark_sql::column_names(schema, schema.primary_keys);
    if (!schema.merge_keys.empty()) all["lake.mergeKeys"] = spark_sql::column_names(schema, schema.merge_keys);
    if (!cluster_by.empty()) {
      std::string list;
      for (const auto& c : cluster_by) list += (list.empty() ? "" : ",") + c;
      all["lake.clusterBy"] = list;
    }
    sql += spark_sql::properties_clause(all);
    return sql;
  }
};

}  // namespace

std::shared_ptr<const Dialect> delta_dialect() {
  static const auto dialect = std::make_shared<const DeltaDialect>();
  return dialect;
}

}  // namespace lake

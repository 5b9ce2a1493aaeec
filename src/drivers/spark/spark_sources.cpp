// The read-side sources of lake/drivers/spark.hpp (the seed's FromSQL /
// FromTable / FromDataFrame): SQL, a table, or a caller's own Spark Connect
// relation, each run on one of the driver's pooled sessions and streamed
// back as Arrow for the typed *_as reads.
#include <format>
#include <string>
#include <vector>

#include "core/propagate.hpp"
#include "sql/spark_sql.hpp"
#include "sql/table_names.hpp"
#include "drivers/spark/spark_driver_impl.hpp"
#include "lake/drivers/spark.hpp"

namespace lake::spark {
namespace {

Result<SparkDriver*> spark_driver_of(Driver& driver) {
  auto* spark = dynamic_cast<SparkDriver*>(&driver);
  if (spark == nullptr)
    return fail(ErrorCode::invalid_argument,
                std::format("a Spark source needs a client on the Spark driver, not on '{}'", driver.name()));
  return spark;
}

}  // namespace

Result<std::shared_ptr<arrow::RecordBatchReader>> from_sql(Driver& driver, std::string_view sql,
                                                          std::span<const SqlValue> params) {
  auto spark = spark_driver_of(driver);
  LAKE_RETURN_IF_ERROR(spark);
  return (*spark)->query(sql, params);
}

Result<std::shared_ptr<arrow::RecordBatchReader>> from_table(Driver& driver, std::string_view table) {
  auto spark = spark_driver_of(driver);
  LAKE_RETURN_IF_ERROR(spark);
  // Identifiers cannot be bound, so each part is quoted instead.
  auto name = sql::quoted_table_name(table, [](std::string_view part) { return spark_sql::quote_identifier(part); });
  LAKE_RETURN_IF_ERROR(name);
  return (*spark)->query("SELECT * FROM " + *name, {});
}

Result<std::shared_ptr<arrow::RecordBatchReader>> from_relation(Driver& driver, std::string_view serialized_relation) {
  auto spark = spark_driver_of(driver);
  LAKE_RETURN_IF_ERROR(spark);
  ::spark::connect::Relation relation;
  if (!relation.ParseFromArray(serialized_relation.data(), static_cast<int>(serialized_relation.size())) ||
      relation.rel_type_case() == ::spark::connect::Relation::REL_TYPE_NOT_SET)
    return fail(ErrorCode::invalid_argument,
                std::format("{} bytes that are not a serialized spark.connect.Relation", serialized_relation.size()));
  return (*spark)->query_relation(relation);
}

}  // namespace lake::spark

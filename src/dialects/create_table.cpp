#include "dialects/create_table.hpp"

#include <format>

#include "formats/lake_properties.hpp"
#include "sql/spark_sql.hpp"

namespace lake::dialects {

Result<std::string> create_table_sql(const TableRef& table, const Schema& schema, std::string_view format_keyword,
                                     const std::vector<std::string>& partition_terms,
                                     const std::vector<std::string>& cluster_by, std::string_view location_uri,
                                     const std::map<std::string, std::string>& properties) {
  if (!is_valid_identifier(table.name))
    return fail(ErrorCode::invalid_argument, std::format("'{}' is not a usable table name", table.name));
  std::string sql = std::format("CREATE TABLE IF NOT EXISTS {} {} USING {}", spark_sql::quote_identifier(table.name),
                                spark_sql::column_list(schema), format_keyword);
  if (!partition_terms.empty()) {
    std::string terms;
    for (const auto& term : partition_terms) terms += (terms.empty() ? "" : ", ") + term;
    sql += std::format(" PARTITIONED BY ({})", terms);
  }
  sql += std::format(" LOCATION {}", spark_sql::quote_string(location_uri));
  std::map<std::string, std::string> all = properties;
  for (auto& [key, value] : formats::key_properties(schema, cluster_by)) all.insert_or_assign(key, value);
  return sql + spark_sql::properties_clause(all);
}

}  // namespace lake::dialects

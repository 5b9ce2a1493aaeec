// Spark's CREATE TABLE for a declared schema, the frame both dialects
// share: the checked name, the columns, USING <format>, PARTITIONED BY the
// dialect's partition terms, LOCATION, and TBLPROPERTIES with the lake.*
// key properties. Internal to the dialects.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lake/driver.hpp"
#include "lake/error.hpp"
#include "lake/schema/schema.hpp"

namespace lake::dialects {

// `partition_terms` are SQL already (quoted columns, or transforms);
// `cluster_by` becomes lake.clusterBy (columns the format cannot
// partition by). invalid_argument when the table name is not usable.
[[nodiscard]] Result<std::string> create_table_sql(const TableRef& table, const Schema& schema,
                                                   std::string_view format_keyword,
                                                   const std::vector<std::string>& partition_terms,
                                                   const std::vector<std::string>& cluster_by,
                                                   std::string_view location_uri,
                                                   const std::map<std::string, std::string>& properties);

}  // namespace lake::dialects

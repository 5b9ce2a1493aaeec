// Delta Lake as Spark drives it (formats/sql_format.hpp): metadata read
// from the table's log through the native implementation, writes tagged
// through Delta's session settings (commitInfo.userMetadata, txnAppId /
// txnVersion), maintenance as OPTIMIZE and VACUUM. Internal to the Delta
// dialect; the statements are declared here for their unit tests.
#pragma once

#include <arrow/compute/expression.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formats/sql_format.hpp"
#include "lake/schema/schema.hpp"

namespace lake::dialects::delta {

[[nodiscard]] std::shared_ptr<const formats::SqlFormat> sql_format();

// CREATE TABLE IF NOT EXISTS ... USING DELTA [PARTITIONED BY] LOCATION,
// with the key properties (lake.primaryKeys...) and bucket / truncate
// partitions as lake.clusterBy (Delta has no such transforms).
[[nodiscard]] Result<std::string> create_table_sql(const TableRef& table, const Schema& schema,
                                                   std::string_view location_uri,
                                                   const std::map<std::string, std::string>& properties);
// Registers the Delta table already at `uri` under `table` (its schema and
// properties are the log's).
[[nodiscard]] formats::SqlStatement register_statement(std::string_view table, std::string_view uri);
// OPTIMIZE [WHERE] [ZORDER BY]: Delta's parser keeps the predicate as
// text and never binds it, so its values are written in as literals.
[[nodiscard]] Result<formats::SqlStatement> optimize_statement(std::string_view table,
                                                               const std::optional<arrow::compute::Expression>& where,
                                                               const std::vector<std::string>& zorder_by);
[[nodiscard]] formats::SqlStatement vacuum_statement(std::string_view table,
                                                     std::optional<std::int64_t> retention_hours, bool dry_run);

}  // namespace lake::dialects::delta

// Apache Iceberg as Spark drives it (formats/sql_format.hpp): metadata from
// Iceberg's metadata tables through the engine (only the catalog knows a
// table's current metadata file), writes tagged in their snapshot's
// summary (lake.ingest_id, lake.idempotency_key), maintenance through
// Iceberg's procedures. Internal to the Iceberg dialect.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "formats/sql_format.hpp"
#include "lake/schema/schema.hpp"

namespace lake::dialects::iceberg {

[[nodiscard]] std::shared_ptr<const formats::SqlFormat> sql_format();

// CREATE TABLE IF NOT EXISTS ... USING iceberg PARTITIONED BY (Iceberg's
// identity, bucket and truncate transforms) LOCATION, with the key
// properties.
[[nodiscard]] Result<std::string> create_table_sql(const TableRef& table, const Schema& schema,
                                                   std::string_view location_uri,
                                                   const std::map<std::string, std::string>& properties);

}  // namespace lake::dialects::iceberg

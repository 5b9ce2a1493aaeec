// The table properties lake-orm records in a table, whatever its format
// (Delta's metaData.configuration, Iceberg's table properties and snapshot
// summaries): their names, in one place, and how list values are spelled.
// Other engines see them as ordinary properties; lake-orm reads them back
// to know a table's keys and clustering without its struct.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lake/schema/schema.hpp"

namespace lake::formats {

// Table properties: comma-separated column names.
inline constexpr std::string_view kPrimaryKeysProperty = "lake.primaryKeys";
inline constexpr std::string_view kMergeKeysProperty = "lake.mergeKeys";
// Columns a format without the schema's partition transform clusters on
// instead (Delta has no bucket or truncate): optimize's default Z-order.
inline constexpr std::string_view kClusterByProperty = "lake.clusterBy";

// Per-commit records (Iceberg snapshot summaries; Delta keeps the ingest id
// in commitInfo.userMetadata and idempotency keys as txn actions).
inline constexpr std::string_view kIngestIdSummary = "lake.ingest_id";
inline constexpr std::string_view kIdempotencyKeySummary = "lake.idempotency_key";

// A list property's items (empty items dropped), none when it is absent.
[[nodiscard]] std::vector<std::string> list_property(const std::map<std::string, std::string>& properties,
                                                     std::string_view key);
// Items as a list property's value.
[[nodiscard]] std::string list_value(const std::vector<std::string>& items);

// The key properties a declared schema gives its table (primary and merge
// keys, by column name); `cluster_by` adds lake.clusterBy when not empty.
[[nodiscard]] std::map<std::string, std::string> key_properties(const Schema& schema,
                                                                const std::vector<std::string>& cluster_by = {});

}  // namespace lake::formats

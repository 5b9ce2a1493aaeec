// Reading the table properties (metaData.configuration) lake-orm acts on.
// Internal to the Delta implementation.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lake/delta/actions.hpp"
#include "lake/error.hpp"

namespace lake::delta {

// Whether table property `key` is set to `value` (an absent one is not).
[[nodiscard]] bool property_is(const std::map<std::string, std::string>& configuration, std::string_view key,
                               std::string_view value);

// Turns on deletion vectors: delete, update and merge record removed rows
// in them instead of rewriting files (the table needs the
// deletionVectors feature).
inline constexpr std::string_view kEnableDeletionVectors = "delta.enableDeletionVectors";

// The protocol a new table with these properties needs: reader 1 and
// writer 2 (what every Delta reader reads), unless a property needs a
// table feature: then writer 7 (and reader 3 for reader features) listing
// it, with the writer features version 2 implied (appendOnly, invariants:
// writer 7 enforces only the features it lists, and Spark holds a NOT
// NULL column to be an invariant). The properties that do, as in Spark:
// delta.enableDeletionVectors, delta.columnMapping.mode name or id,
// delta.enableInCommitTimestamps, delta.enableRowTracking,
// delta.enableTypeWidening, delta.checkpointPolicy = v2, and
// delta.feature.<name> = supported, which is taken out of `properties`.
// Row tracking and clustering bring domainMetadata. Whether lake-orm can
// write the result is checked when the table is opened.
[[nodiscard]] Result<Protocol> protocol_for_new_table(std::map<std::string, std::string>& properties);

// `protocol` with table feature `feature` (a writer feature; a reader one
// too when `reader`): on reader 3 / writer 7, listing the features its
// legacy versions implied (writer 2: appendOnly, invariants; 3:
// checkConstraints; 4: changeDataFeed, generatedColumns; 5: columnMapping;
// 6: identityColumns; reader 2: columnMapping), so nothing the table asked
// of writers before is forgotten.
[[nodiscard]] Protocol with_table_feature(const Protocol& protocol, std::string_view feature, bool reader);

// A Spark interval property ("interval 7 days", "7 days", "interval 2
// days 12 hours"; weeks down to microseconds; months and years refused).
[[nodiscard]] Result<std::chrono::milliseconds> parse_interval(std::string_view text);

// delta.deletedFileRetentionDuration (default one week): how long removed
// files stay for time travel and readers still on older versions.
[[nodiscard]] Result<std::chrono::milliseconds> deleted_file_retention(const Metadata& metadata);

// The items with `separator` between them (for messages and properties).
[[nodiscard]] std::string join(const std::vector<std::string>& items, std::string_view separator);

}  // namespace lake::delta

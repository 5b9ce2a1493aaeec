// What a driver reports about a Delta table, read from its log: the same
// TableInfo, TableStats and history whichever engine runs the table's SQL
// (the embedded one, or Spark), so Client::assert_schema and maintain()
// see one truth.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lake/delta/snapshot.hpp"
#include "lake/delta/table.hpp"
#include "lake/driver.hpp"
#include "lake/ingest_id.hpp"

namespace lake::detail {

[[nodiscard]] TableInfo delta_table_info(const TableRef& table, const delta::Snapshot& snapshot);
[[nodiscard]] TableStats delta_table_stats(const delta::TableStats& stats);
[[nodiscard]] std::vector<HistoryEntry> delta_history(const std::vector<delta::CommitSummary>& commits);

// How a write's commit names its ingest id (commitInfo.userMetadata), so
// the commit can be found in the log afterwards, whoever made it.
[[nodiscard]] std::string delta_commit_metadata(const IngestId& ingest_id);

// An idempotency key as Delta's txn action (appId "lake-orm:<key>" and a
// version): Delta records the pair in the commit, and a write whose key
// the table recorded within its TTL is a duplicate. Both drivers apply
// keys by this one rule, so a key used through one engine holds in the
// other.
struct DeltaIdempotency {
  std::string app_id;
  std::int64_t version = 1;    // the txn version this write records
  bool duplicate = false;      // applied within the TTL already: write nothing
};
[[nodiscard]] DeltaIdempotency delta_idempotency(const delta::Snapshot& snapshot, const IdempotencyKey& key);

// A lake-orm list property ("lake.primaryKeys" = "a,b"): its items, none
// when the key is absent.
[[nodiscard]] std::vector<std::string> list_property(const std::map<std::string, std::string>& properties,
                                                     std::string_view key);

}  // namespace lake::detail

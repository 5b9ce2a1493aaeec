// What a driver reports about a Delta table, read from its log: the same
// TableInfo, TableStats and history whichever engine runs the table's SQL
// (the embedded one, or Spark), so Client::assert_schema and maintain()
// see one truth.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lake/delta/snapshot.hpp"
#include "lake/delta/table.hpp"
#include "lake/driver.hpp"

namespace lake::detail {

[[nodiscard]] TableInfo delta_table_info(const TableRef& table, const delta::Snapshot& snapshot);
[[nodiscard]] TableStats delta_table_stats(const delta::TableStats& stats);
[[nodiscard]] std::vector<HistoryEntry> delta_history(const std::vector<delta::CommitSummary>& commits);

// A lake-orm list property ("lake.primaryKeys" = "a,b"): its items, none
// when the key is absent.
[[nodiscard]] std::vector<std::string> list_property(const std::map<std::string, std::string>& properties,
                                                     std::string_view key);

}  // namespace lake::detail

// A migration's changes to a Delta table (formats/table_change.hpp) as one
// commit: the schema edits of table_schema.cpp folded over one metaData
// action, the protocol upgraded once for every feature they need (column
// mapping when a property turns it on, type widening, timestamp_ntz, what
// a property such as delta.enableDeletionVectors asks for). Internal to
// the Delta implementation.
#pragma once

#include <span>

#include "formats/table_change.hpp"
#include "lake/delta/table.hpp"

namespace lake::delta {

// ErrorCode::schema_mismatch / invalid_argument naming the column for a
// change Delta's rules refuse (a rename or drop without column mapping, a
// partition column dropped, a narrowing); unsupported for Iceberg's
// partition evolution. Nothing is committed when one change is refused.
[[nodiscard]] Result<CommitResult> alter(Table& table, std::span<const formats::TableChange> changes);

}  // namespace lake::delta

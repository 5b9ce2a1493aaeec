// Type widening (PROTOCOL.md "Type Widening"): a column's type changed to
// a wider one without rewriting data. Files written before keep the
// narrow Parquet type and are read in the new one (conform); the change is
// recorded in the field's metadata (delta.typeChanges) so that readers
// know files may hold the older type. Here: which changes lake-orm makes,
// and the schema edit that records one. Internal to the Delta
// implementation.
#pragma once

#include <string_view>

#include "delta/column_mapping.hpp"
#include "lake/delta/actions.hpp"
#include "lake/error.hpp"
#include "lake/schema/schema.hpp"

namespace lake::delta {

inline constexpr std::string_view kEnableTypeWidening = "delta.enableTypeWidening";
inline constexpr std::string_view kTypeChanges = "delta.typeChanges";

// Whether lake-orm widens `from` to `to`: the integer widenings (byte to
// short to integer to long), float to double, a decimal to one with no
// fewer integer digits and no smaller scale, and date to timestamp_ntz.
// (The protocol also allows integers to double or decimal; lake-orm does
// not make those changes.)
[[nodiscard]] bool widens(const DataType& from, const DataType& to);

// The table's schema with top-level column `column` changed to `to` and
// the change appended to its delta.typeChanges; the property
// delta.enableTypeWidening set. ErrorCode::schema_mismatch for an unknown
// column, a nested one or a change `widens` refuses (naming both types).
[[nodiscard]] Result<SchemaEdit> schema_with_type_change(const Metadata& metadata, std::string_view column,
                                                         const DataType& to);

}  // namespace lake::delta

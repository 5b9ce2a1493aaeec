// A table's metadata after a list of schema changes (formats/table_change
// .hpp), by the spec's evolution rules: columns added with fresh field ids,
// renamed and dropped by id (never a partition source of the default spec,
// never an identifier field), types changed only by the spec's promotions,
// required made optional (never the reverse), properties set and unset,
// and partition fields added to or dropped from a new default spec (an
// identical earlier spec is reused). The result is one new schema and at
// most one new spec: the changes land as one metadata commit. Internal to
// the Iceberg implementation.
#pragma once

#include <cstdint>
#include <span>

#include "formats/table_change.hpp"
#include "iceberg/table_metadata.hpp"
#include "lake/error.hpp"

namespace lake::iceberg {

// ErrorCode::schema_mismatch naming the column and the rule for a change
// the spec forbids; unsupported for a format-version change.
[[nodiscard]] Result<TableMetadata> altered(const TableMetadata& metadata, std::span<const formats::TableChange> changes,
                                            std::int64_t now_ms);

}  // namespace lake::iceberg

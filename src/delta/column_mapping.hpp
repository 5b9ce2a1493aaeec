// Column mapping (PROTOCOL.md "Column Mapping"): in `name` and `id`
// modes every field of the schema, nested ones included, carries a
// physical name (delta.columnMapping.physicalName) and an id
// (delta.columnMapping.id); data files, partition values and stats use
// the physical name, and in `id` mode data files are matched by Parquet
// field id. A rename or a drop then changes only the schema. Here: the
// mode of a table, the physical schema data files are written in, and the
// schema edits that keep each field's physical identity (new columns get
// fresh ones, the table's largest id in delta.columnMapping.maxColumnId).
// Internal to the Delta implementation.
#pragma once

#include <arrow/record_batch.h>
#include <arrow/type.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "delta/table_layout.hpp"
#include "lake/delta/actions.hpp"
#include "lake/error.hpp"
#include "lake/schema/schema.hpp"

namespace lake::delta {

inline constexpr std::string_view kColumnMappingMode = "delta.columnMapping.mode";
inline constexpr std::string_view kColumnMappingMaxId = "delta.columnMapping.maxColumnId";
inline constexpr std::string_view kPhysicalName = "delta.columnMapping.physicalName";
inline constexpr std::string_view kColumnMappingId = "delta.columnMapping.id";

// The table's mode: none without the property (or "none"); an unknown
// mode is ErrorCode::unsupported naming it.
[[nodiscard]] Result<ColumnMapping> column_mapping_of(const std::map<std::string, std::string>& configuration);

// The Arrow schema of `logical`'s columns as data files of `layout` store
// them: with a mapping, each field (nested ones too) named by its physical
// name and carrying its id as the Parquet field id; `logical` itself
// otherwise.
[[nodiscard]] std::shared_ptr<arrow::Schema> physical_schema(const TableLayout& layout,
                                                             const std::shared_ptr<arrow::Schema>& logical);

// `rows` relabelled with `physical` (the same columns under physical
// names; no data is copied).
[[nodiscard]] Result<std::shared_ptr<arrow::RecordBatch>> relabelled(const std::shared_ptr<arrow::RecordBatch>& rows,
                                                                    const std::shared_ptr<arrow::Schema>& physical);

// A schema change, as the metadata action that commits it.
struct SchemaEdit {
  std::string schema_string;
  std::map<std::string, std::string> configuration;  // the table properties after it
};

// The table's schema holding `columns` (its columns after a change, in
// order): a column the schema has by that name keeps its field as it is
// (physical name, id, comments, type-change history), with the
// nullability given; a new one gets, under a mapping, a fresh physical
// name and id (its nested fields too).
[[nodiscard]] Result<SchemaEdit> schema_with_columns(const Metadata& metadata, const std::vector<Field>& columns);

// Column `from` renamed `to` / dropped, the other fields untouched. Only
// under a mapping (ErrorCode::unsupported otherwise: the data files name
// columns by their logical names).
[[nodiscard]] Result<SchemaEdit> schema_with_rename(const Metadata& metadata, std::string_view from,
                                                    std::string_view to);
[[nodiscard]] Result<SchemaEdit> schema_without(const Metadata& metadata, std::string_view column);

// The table mapped in `mode` (name or id): each field gets its current
// name as its physical name (so the data files already written keep
// matching) and an id, in schema order.
[[nodiscard]] Result<SchemaEdit> schema_with_mapping(const Metadata& metadata, ColumnMapping mode);

// A new table's schema under `mode`: fresh physical names ("col-<uuid>")
// and ids.
[[nodiscard]] Result<SchemaEdit> new_table_schema(const std::string& schema_string,
                                                  std::map<std::string, std::string> configuration,
                                                  ColumnMapping mode);

}  // namespace lake::delta

// lake::Schema <-> the Delta schema serialization (PROTOCOL.md "Schema
// Serialization Format"). Internal to the Delta implementation.
#pragma once

#include <string>
#include <string_view>

#include "lake/error.hpp"
#include "lake/schema/schema.hpp"

namespace lake::delta {

// The schemaString of a table: the schema's columns followed by the
// _ingest_id system column.
[[nodiscard]] std::string to_schema_string(const Schema& schema);
// The schemaString of exactly these columns.
[[nodiscard]] std::string to_schema_string(const std::vector<Field>& columns);
// A declared schema's columns as the table stores them: the declared ones
// followed by the (non-nullable string) _ingest_id system column.
[[nodiscard]] std::vector<Field> table_columns(const Schema& schema);

// The columns of a schemaString. Fields carry column name, type and
// nullability only (no C++ members, keys or validators); the _ingest_id
// column, when present, is kept as a field like any other.
[[nodiscard]] Result<std::vector<Field>> parse_schema_string(std::string_view text);

// True when a column, or a field inside one, is a timestamp_ntz: the table
// then needs the timestampNtz table feature.
[[nodiscard]] bool uses_timestamp_ntz(const std::vector<Field>& columns);

// "long", "decimal(10,2)", ... for primitive types; nested types are JSON.
[[nodiscard]] std::string primitive_type_name(const DataType& type);

}  // namespace lake::delta

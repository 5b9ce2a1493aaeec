// Iceberg schemas: columns tracked by field id, not by name or position, so
// a rename is a metadata change and a reader matches a data file's columns
// to the table's by id. The JSON form of the table spec (schemas in table
// metadata, the "schema" key of manifests), and the mappings to Arrow (field
// ids as Parquet's PARQUET:field_id metadata) and to lake's column types.
#pragma once

#include <arrow/type.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "lake/error.hpp"
#include "lake/schema/schema.hpp"

namespace lake::iceberg {

struct Type;

struct NestedField {
  std::int32_t id = 0;
  std::string name;
  bool required = false;
  std::shared_ptr<const Type> type{};
  std::string doc{};
};

// A primitive ("long", "decimal(9,2)", "fixed[16]", "timestamptz") or a
// nested type whose children are NestedFields: a struct's fields, a list's
// one "element", a map's "key" and "value".
struct Type {
  enum class Kind : std::uint8_t { primitive, structure, list, map };
  Kind kind = Kind::primitive;
  std::string primitive{};
  std::vector<NestedField> fields{};

  [[nodiscard]] static std::shared_ptr<const Type> of(std::string primitive);
  [[nodiscard]] std::string to_string() const;  // "long", "list<string>", "struct<...>"
};

struct Schema {
  std::int32_t schema_id = 0;
  std::vector<NestedField> fields;
  std::vector<std::int32_t> identifier_field_ids{};

  // A field anywhere in the schema (nested ones included), by id.
  [[nodiscard]] const NestedField* find(std::int32_t id) const noexcept;
  // A top-level field by name.
  [[nodiscard]] const NestedField* find(std::string_view name) const noexcept;
  // The highest field id used.
  [[nodiscard]] std::int32_t highest_field_id() const noexcept;
};

// The spec's type promotions: int to long, float to double, and a decimal
// to one of greater precision and the same scale. A table may change a
// column's type only this way; files written before keep the old type and
// are read as the new one.
[[nodiscard]] bool promotes_to(const Type& from, const Type& to);

// The spec's JSON form. Parsing checks what readers rely on: ids unique,
// every nested type well formed; a type this reader does not know is
// ErrorCode::unsupported naming the field (a v3 "variant", "geometry"...).
[[nodiscard]] Result<Schema> parse_schema(const nlohmann::json& json);
[[nodiscard]] nlohmann::json to_json(const Schema& schema);

// Arrow types for Iceberg's, every field carrying its id as
// PARQUET:field_id metadata (what Parquet writers store and readers match).
[[nodiscard]] Result<std::shared_ptr<arrow::DataType>> to_arrow(const Type& type);
[[nodiscard]] Result<std::shared_ptr<arrow::Schema>> to_arrow(const Schema& schema);
// The field id an Arrow field carries, if any.
[[nodiscard]] std::optional<std::int32_t> field_id_of(const arrow::Field& field);

// lake's column type for an Iceberg one. Types lake cannot hold without
// changing their values (time, uuid, fixed, timestamp without zone,
// nanosecond timestamps) are ErrorCode::unsupported naming `column`.
[[nodiscard]] Result<DataType> to_lake_type(const Type& type, std::string_view column);

// A table schema for lake's declared one: ids assigned from 1 in
// declaration order (nested fields after their parent, as the spec's
// reference implementation does), the system column included when asked.
[[nodiscard]] Schema from_lake(const lake::Schema& schema, bool with_ingest_id);

}  // namespace lake::iceberg

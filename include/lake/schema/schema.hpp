// The runtime description of a table, built once per record type from its
// declaration (lake::schema_of<T>(), lake/schema/reflect.hpp) and read by
// dialects, drivers, migrations and the table formats. It carries no C++
// types, so it can also describe a table read back from a catalog.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lake/error.hpp"

namespace lake {

// The logical column types, the common ground of Delta Lake and Iceberg.
// C++ unsigned integers widen to the next signed type (uint64 to
// decimal(20, 0)), because neither table format has unsigned types.
// GCC's -Wshadow flags the scoped enumerators `timestamp` and `date` as
// shadowing lake::timestamp / lake::date (lake/types.hpp) when that header
// comes first, although they can only be named as TypeId::timestamp; the
// pragma keeps users' -Wshadow -Werror builds independent of include order.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
enum class TypeId : std::uint8_t {
  boolean,
  int8,
  int16,
  int32,
  int64,
  float32,
  float64,
  string,
  binary,
  timestamp,  // microseconds, UTC
  date,       // days
  decimal,
  list,
  structure,
  map,
  timestamp_ntz,  // microseconds, a local reading without a zone
};
#pragma GCC diagnostic pop

[[nodiscard]] std::string_view to_string(TypeId id) noexcept;

struct Column;

// A column type. Nested types keep their children as Columns: a list has
// one ("element"), a map two ("key", "value"), a struct one per field.
struct DataType {
  TypeId id = TypeId::string;
  std::uint8_t precision = 0;  // decimal only
  std::uint8_t scale = 0;      // decimal only
  std::vector<Column> children;

  DataType() = default;
  DataType(TypeId type_id) : id(type_id) {}  // NOLINT: a TypeId is a DataType
  DataType(TypeId type_id, std::uint8_t p, std::uint8_t s) : id(type_id), precision(p), scale(s) {}
  static DataType decimal(std::uint8_t p, std::uint8_t s) { return {TypeId::decimal, p, s}; }

  // "int64", "decimal(10,2)", "list<string>", "map<string,int64>",
  // "struct<city:string,zip:string?>" ("?" marks a nullable child).
  [[nodiscard]] std::string to_string() const;
  [[nodiscard]] bool is_nested() const noexcept {
    return id == TypeId::list || id == TypeId::structure || id == TypeId::map;
  }
  friend bool operator==(const DataType&, const DataType&);
};

// A named slot inside a nested type.
struct Column {
  std::string name;
  DataType type;
  bool nullable = false;
  friend bool operator==(const Column&, const Column&) = default;
};

enum class AutoFill : std::uint8_t { none, create_time, update_time, ingest_id };
enum class PartitionKind : std::uint8_t { none, raw, bucket, truncate };

[[nodiscard]] std::string_view to_string(AutoFill fill) noexcept;
[[nodiscard]] std::string_view to_string(PartitionKind kind) noexcept;

struct ValidatorRef {
  std::string name;  // "email", "min", or a registered custom validator
  std::string arg;   // "" when the validator takes none
  friend bool operator==(const ValidatorRef&, const ValidatorRef&) = default;
};

// One top-level column of a table, with everything its declaration said.
struct Field {
  std::string member;  // the C++ data member ("" for a table read from a catalog)
  std::string column;
  DataType type;       // for json members: string
  bool nullable = false;
  bool primary_key = false;
  bool merge_key = false;
  bool indexed = false;
  bool sortable = false;
  bool json = false;
  bool required = false;
  AutoFill auto_fill = AutoFill::none;
  std::vector<ValidatorRef> validators;
  // The column's previous name (lake::renamed_from), "" when none: how
  // migrate_generate tells a rename from a drop and an add.
  std::string renamed_from;
};

struct PartitionSpec {
  std::size_t field = 0;  // index into Schema::fields
  PartitionKind kind = PartitionKind::raw;
  std::int64_t param = 0;  // buckets or width; 0 for raw
  friend bool operator==(const PartitionSpec&, const PartitionSpec&) = default;
};

// The system column every table carries: the UUIDv7 of the write that
// produced the row. Users may not declare it.
inline constexpr std::string_view kIngestIdColumn = "_ingest_id";

struct Schema {
  std::string type_name;   // the C++ type, e.g. "app::User"
  std::string table_name;  // e.g. "users"
  std::vector<Field> fields;  // declaration order; ignored members left out
  std::vector<std::size_t> primary_keys;  // indexes into fields
  std::vector<std::size_t> merge_keys;    // indexes into fields
  std::vector<PartitionSpec> partitions;  // in partition order

  [[nodiscard]] const Field* find_column(std::string_view column) const noexcept;
  [[nodiscard]] std::optional<std::size_t> column_index(std::string_view column) const noexcept;
  // Column names in declaration order, without the system column.
  [[nodiscard]] std::vector<std::string> column_names() const;
  // The keys upsert matches on: the merge keys, or the primary key if none.
  [[nodiscard]] const std::vector<std::size_t>& upsert_keys() const noexcept {
    return merge_keys.empty() ? primary_keys : merge_keys;
  }
  // A human-readable table of the columns and their modifiers.
  [[nodiscard]] std::string describe() const;
};

// The field's validators as tag text: "validate=min=3".
[[nodiscard]] std::vector<std::string> validators_of(const Field& field);

// Table name derived from a type name the way the Go library does it:
// the unqualified name in snake_case, pluralised ("User" -> "users",
// "OrderLine" -> "order_lines", "Category" -> "categories", "Address" ->
// "addresses"; a name already ending in a single s is kept: "UserStats").
[[nodiscard]] std::string derive_table_name(std::string_view type_name);

// Checks a column or table name is usable by every engine and table format
// (no spaces or ,;{}()=, no control characters, not empty).
[[nodiscard]] constexpr bool is_valid_identifier(std::string_view name) noexcept {
  if (name.empty()) return false;
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
    switch (c) {
      case ' ': case ',': case ';': case '{': case '}': case '(': case ')': case '=': return false;
      default: break;
    }
  }
  return true;
}

}  // namespace lake

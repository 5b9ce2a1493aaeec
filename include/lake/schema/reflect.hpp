// lake::schema_of<T>(): the table a struct declares, read by C++26 static
// reflection. The declaration is checked at compile time; a bad one fails
// the build with a message naming the struct and member.
#pragma once

#include <meta>
#include <optional>
#include <string>
#include <string_view>

#include "lake/error.hpp"
#include "lake/schema/annotations.hpp"
#include "lake/schema/detail/column_traits.hpp"
#include "lake/schema/detail/schema_check.hpp"
#include "lake/schema/schema.hpp"

namespace lake {

// A struct lake can map to a table: a plain aggregate whose declaration
// passes the schema check.
template <class T>
concept Record = detail::Record<T>;

namespace detail {

struct StructPartition {
  const char* column;
  PartitionKind kind;
  std::int64_t param;
};

consteval const char* declared_table_name(std::meta::info type) {
  for (auto annotation : std::meta::annotations_of_with_type(type, ^^Modifier)) {
    auto modifier = std::meta::extract<Modifier>(annotation);
    if (modifier.kind == ModifierKind::table) return modifier.text;
  }
  return kNoText;
}

consteval std::vector<StructPartition> struct_partitions(std::meta::info type) {
  std::vector<StructPartition> out;
  for (auto annotation : std::meta::annotations_of_with_type(type, ^^Modifier)) {
    auto m = std::meta::extract<Modifier>(annotation);
    if (m.kind == ModifierKind::partition_by_raw) out.push_back({m.text, PartitionKind::raw, 0});
    if (m.kind == ModifierKind::partition_by_bucket) out.push_back({m.text, PartitionKind::bucket, m.param});
    if (m.kind == ModifierKind::partition_by_truncate) out.push_back({m.text, PartitionKind::truncate, m.param});
  }
  return out;
}

// Runtime table-name overrides (lake::set_table_name), keyed by type name.
[[nodiscard]] std::optional<std::string> table_name_override(std::string_view type_name);
// Records that the schema of a type was built, so later overrides are refused.
void mark_schema_built(std::string_view type_name);
[[nodiscard]] Status register_table_name(std::string_view type_name, std::string_view table_name);
// Fills primary_keys / merge_keys / partitions from the fields and checks
// what could not be checked at compile time.
[[nodiscard]] Schema finish_schema(Schema schema, std::span<const StructPartition> struct_partitions);

// The qualified and unqualified names of T, as static strings.
template <class T>
inline constexpr const char* kTypeName = std::define_static_string(std::meta::display_string_of(^^T));
template <class T>
inline constexpr const char* kTypeIdentifier = std::define_static_string(std::meta::identifier_of(^^T));

template <class T>
Schema build_schema() {
  Schema schema;
  schema.type_name = kTypeName<T>;
  constexpr const char* declared = declared_table_name(^^T);
  if (auto name = table_name_override(schema.type_name)) {
    schema.table_name = *name;
  } else if constexpr (declared[0] != '\0') {
    schema.table_name = declared;
  } else {
    schema.table_name = derive_table_name(kTypeIdentifier<T>);
  }
  template for (constexpr std::size_t i : kColumnIndexes<T>) {
    using M = column_member_t<T, i>;
    constexpr const MemberSpec& spec = kColumnSpecs<T>[i];
    Field field;
    field.member = spec.member;
    field.column = spec.column;
    field.type = member_data_type<M, spec.json>();
    field.nullable = spec.nullable || nullable_type_v<M>;
    field.primary_key = spec.primary_key;
    field.merge_key = spec.merge_key;
    field.indexed = spec.indexed;
    field.sortable = spec.sortable;
    field.json = spec.json;
    field.required = spec.required;
    field.auto_fill = spec.auto_fill;
    field.renamed_from = spec.renamed_from;
    for (auto validator : spec.validator_list()) field.validators.push_back({validator.name, validator.arg});
    if (spec.partition != PartitionKind::none)
      schema.partitions.push_back({schema.fields.size(), spec.partition, spec.partition_param});
    schema.fields.push_back(std::move(field));
  }
  static constexpr auto kStructPartitions = std::define_static_array(struct_partitions(^^T));
  mark_schema_built(schema.type_name);
  return finish_schema(std::move(schema), kStructPartitions);
}

}  // namespace detail

// The schema T declares. Built once per type (thread-safe) and kept for the
// life of the process.
template <class T>
const Schema& schema_of() {
  static_assert(detail::kDiagnosis<T>.ok, detail::kDiagnosis<T>.message());
  static const Schema schema = detail::build_schema<T>();
  return schema;
}

// The table name of T: lake::table("...") on the struct, else derived from
// the type name ("User" -> "users"), unless overridden at run time.
template <class T>
const std::string& table_name_of() {
  return schema_of<T>().table_name;
}

// Overrides T's table name at run time (the seed's Table(model, name)).
// Must be called before anything uses T's schema; later calls are refused
// with ErrorCode::invalid_argument, so a table never changes name mid-run.
template <class T>
Status set_table_name(std::string_view table_name) {
  static_assert(Record<T>, "lake: a table record must be a plain aggregate struct");
  return detail::register_table_name(detail::kTypeName<T>, table_name);
}

}  // namespace lake

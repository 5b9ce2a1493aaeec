// The annotations that turn a plain struct into a table definition.
//
//   struct [[=lake::table("app_users")]] User {
//     [[=lake::pk]]                                    std::string id;
//     [[=lake::merge_key, =lake::validate("email")]]   std::string email;
//     [[=lake::partition_bucket(16)]]                  std::string country;
//     [[=lake::auto_create_time]]                      lake::timestamp created_at;
//     std::optional<std::int64_t>                      age;   // nullable
//   };
//
// The Go library's tag grammar is accepted verbatim as one annotation, so
// both spellings below declare the same column:
//
//   [[=lake::tag("email,mergeKey,validate=email,required")]] std::string email;
//   [[=lake::merge_key, =lake::validate("email"), =lake::required]] std::string email;
//
// Tag grammar: the first comma-separated segment is the column name (empty
// keeps the member name, "-" ignores the member); the others are modifiers:
//   pk  mergeKey  indexed  sortable  nullable  json  ignore  required
//   auto=createTime | auto=updateTime | auto=ingestID
//   partition=raw | partition=bucket:N | partition=truncate:N
//   validate=NAME | validate=NAME=ARG        (repeat for several validators)
//   renamedFrom=OLD                          (the column's previous name)
// In the tag grammar commas separate modifiers, so a validator argument
// that contains a comma (a regex, say) goes in lake::validate("regex=...").
//
// Every annotation is a lake::Modifier value built at compile time; the
// schema reader (lake/schema/reflect.hpp) ignores annotations of other types,
// so lake's annotations coexist with other libraries' ones.
#pragma once

#include <cstdint>
#include <meta>
#include <string_view>

namespace lake {

enum class ModifierKind : std::uint8_t {
  // On data members.
  column,              // text: the column name
  primary_key,
  merge_key,
  indexed,
  sortable,
  nullable,
  json,
  ignore,
  required,
  auto_create_time,
  auto_update_time,
  auto_ingest_id,
  partition_raw,
  partition_bucket,    // param: number of buckets
  partition_truncate,  // param: width
  validate,            // text: "name" or "name=arg"
  tag,                 // text: the Go tag grammar
  // On the struct itself.
  table,                  // text: the table name
  partition_by_raw,       // text: the column name
  partition_by_bucket,    // text: the column name, param: number of buckets
  partition_by_truncate,  // text: the column name, param: width
  // On data members again (appended, so the values above keep theirs).
  renamed_from,  // text: the column's previous name
};

// The text of annotations that carry none. Code never compares annotation
// text pointers against null: under sanitizers GCC cannot fold such a
// comparison in constant evaluation, so "no text" is an empty string.
inline constexpr char kNoText[1] = {};

// One annotation. Structural (usable as an annotation value); the text it
// points to is static storage made by std::define_static_string.
struct Modifier {
  ModifierKind kind;
  std::int64_t param = 0;
  const char* text = kNoText;
};

// --- member annotations ---------------------------------------------------

// The column name; default: the member's name.
consteval Modifier column(std::string_view name) {
  return {ModifierKind::column, 0, std::define_static_string(name)};
}
// Part of the primary key (never NULL).
inline constexpr Modifier pk{ModifierKind::primary_key};
// Part of the key upsert/MERGE matches on.
inline constexpr Modifier merge_key{ModifierKind::merge_key};
// A lookup column: dialects map it to their indexing/layout feature.
inline constexpr Modifier indexed{ModifierKind::indexed};
// A range-scan column: optimize() clusters (Z-orders) by it.
inline constexpr Modifier sortable{ModifierKind::sortable};
// The column may hold NULL (implied by std::optional<T>).
inline constexpr Modifier nullable{ModifierKind::nullable};
// Stored as a JSON string column whatever the member's type.
inline constexpr Modifier json{ModifierKind::json};
// Not a column at all.
inline constexpr Modifier ignore{ModifierKind::ignore};
// Validation: the value must be present / non-empty (see lake/validate.hpp).
inline constexpr Modifier required{ModifierKind::required};
// Stamped with the insert time when left at its zero value.
inline constexpr Modifier auto_create_time{ModifierKind::auto_create_time};
// Stamped with the current time on every insert, update and upsert.
inline constexpr Modifier auto_update_time{ModifierKind::auto_update_time};
// A std::string member stamped with the write's UUIDv7 ingest id.
inline constexpr Modifier auto_ingest_id{ModifierKind::auto_ingest_id};
// Partition by the column's value / hash bucket / truncated value.
inline constexpr Modifier partition{ModifierKind::partition_raw};
consteval Modifier partition_bucket(std::int64_t buckets) {
  return {ModifierKind::partition_bucket, buckets};
}
consteval Modifier partition_truncate(std::int64_t width) {
  return {ModifierKind::partition_truncate, width};
}
// A validator by name, with an optional argument: "email", "min=3",
// "oneof=red green blue", "regex=^[a-z]{2,3}$", or a registered custom name.
consteval Modifier validate(std::string_view spec) {
  return {ModifierKind::validate, 0, std::define_static_string(spec)};
}
// The column's previous name: migrate_generate writes a rename of `old`
// instead of a drop and an add (renames are declared, never guessed).
// Keep it until every environment has applied the rename; it is ignored
// once no table has a column `old`.
consteval Modifier renamed_from(std::string_view old) {
  return {ModifierKind::renamed_from, 0, std::define_static_string(old)};
}
// The Go library's tag grammar, e.g. "email,mergeKey,validate=email,required".
consteval Modifier tag(std::string_view spec) {
  return {ModifierKind::tag, 0, std::define_static_string(spec)};
}

// --- struct annotations ---------------------------------------------------

// Overrides the table name derived from the type name.
consteval Modifier table(std::string_view name) {
  return {ModifierKind::table, 0, std::define_static_string(name)};
}
// Partitioning declared on the struct, by column name (the same as the
// member annotations, for those who prefer the layout in one place).
consteval Modifier partition_by(std::string_view column) {
  return {ModifierKind::partition_by_raw, 0, std::define_static_string(column)};
}
consteval Modifier partition_by_bucket(std::string_view column, std::int64_t buckets) {
  return {ModifierKind::partition_by_bucket, buckets, std::define_static_string(column)};
}
consteval Modifier partition_by_truncate(std::string_view column, std::int64_t width) {
  return {ModifierKind::partition_by_truncate, width, std::define_static_string(column)};
}

}  // namespace lake

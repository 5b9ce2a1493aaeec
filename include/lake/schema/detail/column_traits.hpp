// Which C++ types can be columns, and the logical type each maps to.
//
// column_traits<C> is defined exactly for the supported types; everything
// else (the schema check, the Arrow codecs, JSON encoding) asks it, so the
// supported set is written down once. Not part of the public API.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <map>
#include <meta>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "lake/schema/detail/member_spec.hpp"
#include "lake/schema/schema.hpp"
#include "lake/types.hpp"

namespace lake::detail {

enum class Category : std::uint8_t {
  boolean,
  signed_integer,
  unsigned_integer,
  floating,
  string,
  binary,
  timestamp,
  date,
  decimal,
  optional,
  list,
  map,
  record,
};

template <class C>
struct column_traits;  // undefined: C is not a column type

template <class C>
inline constexpr bool is_column_type_v = requires { column_traits<C>::category; };

// A type's name as the compiler spells it, for error messages.
template <class C>
inline constexpr const char* kCppTypeName = std::define_static_string(std::meta::display_string_of(^^C));

template <class C>
inline constexpr Category column_category_v = column_traits<C>::category;

template <class C>
concept SignedInteger = std::signed_integral<C> && !std::same_as<C, char> && !std::same_as<C, wchar_t> &&
                        !std::same_as<C, char8_t> && !std::same_as<C, char16_t> && !std::same_as<C, char32_t>;
template <class C>
concept UnsignedInteger = std::unsigned_integral<C> && !std::same_as<C, bool> && !std::same_as<C, char> &&
                          !std::same_as<C, wchar_t> && !std::same_as<C, char8_t> &&
                          !std::same_as<C, char16_t> && !std::same_as<C, char32_t>;

template <class C>
struct is_decimal : std::false_type {};
template <int P, int S>
struct is_decimal<lake::decimal<P, S>> : std::true_type {};

template <class C>
struct is_std_array : std::false_type {};
template <class E, std::size_t N>
struct is_std_array<std::array<E, N>> : std::true_type {};

// A nested struct: a plain aggregate class that is not one of the library
// types above. Its members are checked one by one by the schema check.
template <class C>
concept Record = std::is_class_v<C> && std::is_aggregate_v<C> && !is_std_array<C>::value &&
                 !std::is_union_v<C>;

template <>
struct column_traits<bool> {
  static constexpr Category category = Category::boolean;
  static DataType data_type() { return TypeId::boolean; }
};

template <SignedInteger C>
struct column_traits<C> {
  static constexpr Category category = Category::signed_integer;
  static DataType data_type() {
    if constexpr (sizeof(C) == 1) return TypeId::int8;
    else if constexpr (sizeof(C) == 2) return TypeId::int16;
    else if constexpr (sizeof(C) == 4) return TypeId::int32;
    else return TypeId::int64;
  }
};

// Unsigned integers widen to the next signed type so every value fits.
template <UnsignedInteger C>
struct column_traits<C> {
  static constexpr Category category = Category::unsigned_integer;
  static DataType data_type() {
    if constexpr (sizeof(C) == 1) return TypeId::int16;
    else if constexpr (sizeof(C) == 2) return TypeId::int32;
    else if constexpr (sizeof(C) == 4) return TypeId::int64;
    else return DataType::decimal(20, 0);
  }
};

template <std::floating_point C>
  requires(std::same_as<C, float> || std::same_as<C, double>)
struct column_traits<C> {
  static constexpr Category category = Category::floating;
  static DataType data_type() { return sizeof(C) == 4 ? TypeId::float32 : TypeId::float64; }
};

template <>
struct column_traits<std::string> {
  static constexpr Category category = Category::string;
  static DataType data_type() { return TypeId::string; }
};

template <>
struct column_traits<lake::bytes> {
  static constexpr Category category = Category::binary;
  static DataType data_type() { return TypeId::binary; }
};

template <>
struct column_traits<lake::timestamp> {
  static constexpr Category category = Category::timestamp;
  static DataType data_type() { return TypeId::timestamp; }
};

template <>
struct column_traits<lake::local_timestamp> {
  static constexpr Category category = Category::timestamp;
  static DataType data_type() { return TypeId::timestamp_ntz; }
};

template <>
struct column_traits<lake::date> {
  static constexpr Category category = Category::date;
  static DataType data_type() { return TypeId::date; }
};

template <int P, int S>
struct column_traits<lake::decimal<P, S>> {
  static constexpr Category category = Category::decimal;
  static DataType data_type() {
    return DataType::decimal(static_cast<std::uint8_t>(P), static_cast<std::uint8_t>(S));
  }
};

template <class C>
  requires(is_column_type_v<C> && column_traits<C>::category != Category::optional)
struct column_traits<std::optional<C>> {
  static constexpr Category category = Category::optional;
  using value_type = C;
  static DataType data_type() { return column_traits<C>::data_type(); }
};

// std::vector<std::byte> is lake::bytes (binary), handled above;
// std::vector<bool> packs bits and has no addressable elements.
template <class C>
  requires(is_column_type_v<C> && !std::same_as<C, std::byte> && !std::same_as<C, bool>)
struct column_traits<std::vector<C>> {
  static constexpr Category category = Category::list;
  using value_type = C;
  static DataType data_type() {
    DataType type{TypeId::list};
    type.children.push_back(Column{"element", column_traits<C>::data_type(), column_traits<C>::category == Category::optional});
    return type;
  }
};

template <class C>
  requires is_column_type_v<C>
struct column_traits<std::map<std::string, C>> {
  static constexpr Category category = Category::map;
  using value_type = C;
  static DataType data_type() {
    DataType type{TypeId::map};
    type.children.push_back(Column{"key", TypeId::string, false});
    type.children.push_back(Column{"value", column_traits<C>::data_type(), column_traits<C>::category == Category::optional});
    return type;
  }
};

template <Record C>
struct column_traits<C> {
  static constexpr Category category = Category::record;
  static DataType data_type();
};

// The logical type of C and whether a value of it can be NULL.
template <class C>
constexpr bool nullable_type_v = column_traits<C>::category == Category::optional;

// --- nested structs -------------------------------------------------------

// The data members of a record that are columns, and their specs, as two
// parallel static arrays (a std::meta::info cannot live in a runtime struct).
consteval std::vector<std::meta::info> column_members(std::meta::info type) {
  std::vector<std::meta::info> out;
  for (auto member : std::meta::nonstatic_data_members_of(type, std::meta::access_context::unchecked())) {
    if (!parse_member(member).ignored) out.push_back(member);
  }
  return out;
}
consteval std::vector<MemberSpec> column_specs(std::meta::info type) {
  std::vector<MemberSpec> out;
  for (auto member : column_members(type)) out.push_back(parse_member(member));
  return out;
}
consteval std::vector<std::size_t> index_sequence_of(std::size_t n) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(i);
  return out;
}

template <class T>
inline constexpr auto kColumnMembers = std::define_static_array(column_members(^^T));
template <class T>
inline constexpr auto kColumnSpecs = std::define_static_array(column_specs(^^T));
template <class T>
inline constexpr auto kColumnIndexes = std::define_static_array(index_sequence_of(kColumnMembers<T>.size()));

// The C++ type of column i of record T.
template <class T, std::size_t I>
using column_member_t = [:std::meta::type_of(kColumnMembers<T>[I]):];

// The stored type of a member: JSON members are strings.
template <class M, bool Json>
DataType member_data_type() {
  if constexpr (Json) return TypeId::string;
  else return column_traits<M>::data_type();
}

template <class T, std::size_t I>
Column record_column() {
  using M = column_member_t<T, I>;
  constexpr const MemberSpec& spec = kColumnSpecs<T>[I];
  return Column{spec.column, member_data_type<M, spec.json>(), spec.nullable || nullable_type_v<M>};
}

template <Record C>
DataType column_traits<C>::data_type() {
  DataType type(TypeId::structure);
  template for (constexpr std::size_t i : kColumnIndexes<C>) {
    type.children.push_back(record_column<C, i>());
  }
  return type;
}

}  // namespace lake::detail

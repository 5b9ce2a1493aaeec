// Appending C++ values to Arrow builders, one encoder per column type
// category. Builders are made from the column's Arrow type
// (arrow::MakeBuilder), so each encoder knows the concrete builder class of
// its type and of its children. Not public API.
#pragma once

#include <arrow/array/builder_binary.h>
#include <arrow/array/builder_decimal.h>
#include <arrow/array/builder_nested.h>
#include <arrow/array/builder_primitive.h>
#include <arrow/util/decimal.h>

#include "lake/schema/detail/column_traits.hpp"
#include "lake/schema/detail/json_codec.hpp"

namespace lake::detail {

inline arrow::Decimal128 to_arrow_decimal(lake::int128 value) {
  return arrow::Decimal128(static_cast<std::int64_t>(value >> 64),
                           static_cast<std::uint64_t>(value & ~std::uint64_t{0}));
}

template <class C>
arrow::Status encode(arrow::ArrayBuilder& builder, const C& value);

// Appends a record's columns to a struct builder's children.
template <class R>
arrow::Status encode_record_fields(arrow::StructBuilder& builder, const R& record) {
  arrow::Status status;
  template for (constexpr std::size_t i : kColumnIndexes<R>) {
    constexpr std::meta::info member = kColumnMembers<R>[i];
    if (status.ok()) {
      arrow::ArrayBuilder& child = *builder.field_builder(static_cast<int>(i));
      if constexpr (kColumnSpecs<R>[i].json) {
        status = static_cast<arrow::StringBuilder&>(child).Append(to_json_text(record.[:member:]));
      } else {
        status = encode(child, record.[:member:]);
      }
    }
  }
  return status;
}

template <class C>
arrow::Status encode(arrow::ArrayBuilder& builder, const C& value) {
  constexpr Category category = column_traits<C>::category;
  if constexpr (category == Category::boolean) {
    return static_cast<arrow::BooleanBuilder&>(builder).Append(value);
  } else if constexpr (category == Category::signed_integer) {
    return static_cast<arrow::NumericBuilder<typename arrow::CTypeTraits<C>::ArrowType>&>(builder).Append(value);
  } else if constexpr (category == Category::unsigned_integer) {
    // Widened to the next signed type (see column_traits).
    if constexpr (sizeof(C) == 1) return static_cast<arrow::Int16Builder&>(builder).Append(static_cast<std::int16_t>(value));
    else if constexpr (sizeof(C) == 2) return static_cast<arrow::Int32Builder&>(builder).Append(static_cast<std::int32_t>(value));
    else if constexpr (sizeof(C) == 4) return static_cast<arrow::Int64Builder&>(builder).Append(static_cast<std::int64_t>(value));
    else return static_cast<arrow::Decimal128Builder&>(builder).Append(to_arrow_decimal(static_cast<lake::int128>(value)));
  } else if constexpr (category == Category::floating) {
    if constexpr (sizeof(C) == 4) return static_cast<arrow::FloatBuilder&>(builder).Append(value);
    else return static_cast<arrow::DoubleBuilder&>(builder).Append(value);
  } else if constexpr (category == Category::string) {
    return static_cast<arrow::StringBuilder&>(builder).Append(value);
  } else if constexpr (category == Category::binary) {
    return static_cast<arrow::BinaryBuilder&>(builder).Append(reinterpret_cast<const std::uint8_t*>(value.data()),
                                                               static_cast<std::int32_t>(value.size()));
  } else if constexpr (category == Category::timestamp) {
    return static_cast<arrow::TimestampBuilder&>(builder).Append(value.time_since_epoch().count());
  } else if constexpr (category == Category::date) {
    return static_cast<arrow::Date32Builder&>(builder).Append(static_cast<std::int32_t>(value.time_since_epoch().count()));
  } else if constexpr (category == Category::decimal) {
    return static_cast<arrow::Decimal128Builder&>(builder).Append(to_arrow_decimal(value.unscaled()));
  } else if constexpr (category == Category::optional) {
    if (!value) return builder.AppendNull();
    return encode(builder, *value);
  } else if constexpr (category == Category::list) {
    auto& list = static_cast<arrow::ListBuilder&>(builder);
    ARROW_RETURN_NOT_OK(list.Append());
    arrow::ArrayBuilder& elements = *list.value_builder();
    for (const auto& element : value) ARROW_RETURN_NOT_OK(encode(elements, element));
    return arrow::Status::OK();
  } else if constexpr (category == Category::map) {
    auto& map = static_cast<arrow::MapBuilder&>(builder);
    ARROW_RETURN_NOT_OK(map.Append());
    auto& keys = static_cast<arrow::StringBuilder&>(*map.key_builder());
    arrow::ArrayBuilder& items = *map.item_builder();
    for (const auto& [key, element] : value) {
      ARROW_RETURN_NOT_OK(keys.Append(key));
      ARROW_RETURN_NOT_OK(encode(items, element));
    }
    return arrow::Status::OK();
  } else {
    auto& record = static_cast<arrow::StructBuilder&>(builder);
    ARROW_RETURN_NOT_OK(record.Append());
    return encode_record_fields(record, value);
  }
}

}  // namespace lake::detail

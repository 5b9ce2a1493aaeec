// Reading Arrow arrays into C++ values, one decoder per column type
// category. A decoder is bound to an array once (checking that the Arrow
// type can be read into the member's C++ type) and then reads rows.
//
// Binding accepts the lossless variants engines produce for the same
// logical type (any integer width, with a range check per value; utf8 /
// large_utf8 / utf8_view; every timestamp unit; list / large_list), so a
// projection struct can read what DuckDB or Spark computed. Not public API.
#pragma once

#include <arrow/array.h>
#include <arrow/array/array_binary.h>
#include <arrow/array/array_decimal.h>
#include <arrow/array/array_nested.h>
#include <arrow/array/array_primitive.h>
#include <arrow/type.h>
#include <arrow/util/decimal.h>

#include <format>
#include <limits>
#include <memory>
#include <string>
#include <tuple>

#include "lake/schema/detail/column_traits.hpp"
#include "lake/schema/detail/json_codec.hpp"

namespace lake::detail {

template <class C>
Error incompatible(const std::string& path, const arrow::DataType& type) {
  return Error(ErrorCode::schema_mismatch,
               std::format("column '{}' has type {}, which cannot be read into a member of type {}", path,
                           type.ToString(), kCppTypeName<C>));
}

template <class C>
Status null_into_value(const std::string& path, std::int64_t row) {
  return fail(ErrorCode::schema_mismatch,
              std::format("column '{}' is NULL at row {}, but its member of type {} is not std::optional", path, row,
                          kCppTypeName<C>));
}

inline lake::int128 from_arrow_decimal(const arrow::Decimal128& d) {
  return static_cast<lake::int128>(d.high_bits()) * (lake::int128{1} << 64) + d.low_bits();
}

inline lake::int128 pow10(int n) {
  lake::int128 r = 1;
  while (n-- > 0) r *= 10;
  return r;
}

// Any integer array (or a decimal of scale 0) read as a 128-bit integer.
class IntegerSource {
 public:
  static bool accepts(const arrow::DataType& type) {
    switch (type.id()) {
      case arrow::Type::INT8: case arrow::Type::INT16: case arrow::Type::INT32: case arrow::Type::INT64:
      case arrow::Type::UINT8: case arrow::Type::UINT16: case arrow::Type::UINT32: case arrow::Type::UINT64:
        return true;
      case arrow::Type::DECIMAL128: return static_cast<const arrow::Decimal128Type&>(type).scale() == 0;
      default: return false;
    }
  }
  explicit IntegerSource(const arrow::Array& array) : array_(&array), type_(array.type_id()) {
    if (type_ != arrow::Type::DECIMAL128) values_ = array.data()->buffers[1]->data();
  }
  [[nodiscard]] lake::int128 value(std::int64_t row) const {
    std::int64_t i = row + array_->offset();
    switch (type_) {
      case arrow::Type::INT8: return reinterpret_cast<const std::int8_t*>(values_)[i];
      case arrow::Type::INT16: return reinterpret_cast<const std::int16_t*>(values_)[i];
      case arrow::Type::INT32: return reinterpret_cast<const std::int32_t*>(values_)[i];
      case arrow::Type::INT64: return reinterpret_cast<const std::int64_t*>(values_)[i];
      case arrow::Type::UINT8: return reinterpret_cast<const std::uint8_t*>(values_)[i];
      case arrow::Type::UINT16: return reinterpret_cast<const std::uint16_t*>(values_)[i];
      case arrow::Type::UINT32: return reinterpret_cast<const std::uint32_t*>(values_)[i];
      case arrow::Type::UINT64: return reinterpret_cast<const std::uint64_t*>(values_)[i];
      default:
        return from_arrow_decimal(arrow::Decimal128(static_cast<const arrow::Decimal128Array*>(array_)->GetValue(row)));
    }
  }

 private:
  const arrow::Array* array_;
  arrow::Type::type type_;
  const std::uint8_t* values_ = nullptr;
};

template <class C, Category = column_traits<C>::category>
class Decoder;

// Shared by every decoder of a non-optional type: the array and its path,
// and the NULL check.
template <class C>
class DecoderBase {
 public:
  DecoderBase(std::shared_ptr<arrow::Array> array, std::string path)
      : array_(std::move(array)), path_(std::move(path)), may_have_nulls_(array_->null_count() != 0) {}
  [[nodiscard]] Status check_not_null(std::int64_t row) const {
    if (may_have_nulls_ && array_->IsNull(row)) return null_into_value<C>(path_, row);
    return {};
  }

 protected:
  std::shared_ptr<arrow::Array> array_;
  std::string path_;
  bool may_have_nulls_;
};

template <class C>
class Decoder<C, Category::boolean> : public DecoderBase<C> {
 public:
  static Result<Decoder> bind(std::shared_ptr<arrow::Array> array, std::string path) {
    if (array->type_id() != arrow::Type::BOOL) return std::unexpected(incompatible<C>(path, *array->type()));
    return Decoder(std::move(array), std::move(path));
  }
  Status read(std::int64_t row, C& out) const {
    if (auto s = this->check_not_null(row); !s) return s;
    out = static_cast<const arrow::BooleanArray&>(*this->array_).Value(row);
    return {};
  }

 private:
  using DecoderBase<C>::DecoderBase;
};

template <class C, Category K>
  requires(K == Category::signed_integer || K == Category::unsigned_integer)
class Decoder<C, K> : public DecoderBase<C> {
 public:
  static Result<Decoder> bind(std::shared_ptr<arrow::Array> array, std::string path) {
    if (!IntegerSource::accepts(*array->type())) return std::unexpected(incompatible<C>(path, *array->type()));
    IntegerSource source(*array);
    return Decoder(std::move(array), std::move(path), source);
  }
  Status read(std::int64_t row, C& out) const {
    if (auto s = this->check_not_null(row); !s) return s;
    lake::int128 value = source_.value(row);
    if (value < static_cast<lake::int128>(std::numeric_limits<C>::min()) ||
        value > static_cast<lake::int128>(std::numeric_limits<C>::max()))
      return fail(ErrorCode::schema_mismatch,
                  std::format("column '{}' row {}: value {} does not fit in {}", this->path_, row,
                              format_decimal(value, 0), kCppTypeName<C>));
    out = static_cast<C>(value);
    return {};
  }

 private:
  Decoder(std::shared_ptr<arrow::Array> array, std::string path, IntegerSource source)
      : DecoderBase<C>(std::move(array), std::move(path)), source_(source) {}
  IntegerSource source_;
};

template <class C>
class Decoder<C, Category::floating> : public DecoderBase<C> {
 public:
  static Result<Decoder> bind(std::shared_ptr<arrow::Array> array, std::string path) {
    auto id = array->type_id();
    bool ok = id == arrow::Type::FLOAT || id == arrow::Type::DOUBLE || id == arrow::Type::DECIMAL128 ||
              IntegerSource::accepts(*array->type());
    if (!ok) return std::unexpected(incompatible<C>(path, *array->type()));
    return Decoder(std::move(array), std::move(path));
  }
  Status read(std::int64_t row, C& out) const {
    if (auto s = this->check_not_null(row); !s) return s;
    const arrow::Array& a = *this->array_;
    switch (a.type_id()) {
      case arrow::Type::FLOAT: out = static_cast<C>(static_cast<const arrow::FloatArray&>(a).Value(row)); break;
      case arrow::Type::DOUBLE: out = static_cast<C>(static_cast<const arrow::DoubleArray&>(a).Value(row)); break;
      case arrow::Type::DECIMAL128: {
        const auto& d = static_cast<const arrow::Decimal128Array&>(a);
        int scale = static_cast<const arrow::Decimal128Type&>(*a.type()).scale();
        out = static_cast<C>(arrow::Decimal128(d.GetValue(row)).ToDouble(scale));
        break;
      }
      default: out = static_cast<C>(IntegerSource(a).value(row)); break;
    }
    return {};
  }

 private:
  using DecoderBase<C>::DecoderBase;
};

template <class C>
class Decoder<C, Category::string> : public DecoderBase<C> {
 public:
  static Result<Decoder> bind(std::shared_ptr<arrow::Array> array, std::string path) {
    auto id = array->type_id();
    if (id != arrow::Type::STRING && id != arrow::Type::LARGE_STRING && id != arrow::Type::STRING_VIEW)
      return std::unexpected(incompatible<C>(path, *array->type()));
    return Decoder(std::move(array), std::move(path));
  }
  Status read(std::int64_t row, C& out) const {
    if (auto s = this->check_not_null(row); !s) return s;
    out.assign(view(*this->array_, row));
    return {};
  }
  static std::string_view view(const arrow::Array& a, std::int64_t row) {
    switch (a.type_id()) {
      case arrow::Type::STRING: return static_cast<const arrow::StringArray&>(a).GetView(row);
      case arrow::Type::LARGE_STRING: return static_cast<const arrow::LargeStringArray&>(a).GetView(row);
      default: return static_cast<const arrow::StringViewArray&>(a).GetView(row);
    }
  }

 private:
  using DecoderBase<C>::DecoderBase;
};

template <class C>
class Decoder<C, Category::binary> : public DecoderBase<C> {
 public:
  static Result<Decoder> bind(std::shared_ptr<arrow::Array> array, std::string path) {
    switch (array->type_id()) {
      case arrow::Type::BINARY: case arrow::Type::LARGE_BINARY: case arrow::Type::BINARY_VIEW:
      case arrow::Type::FIXED_SIZE_BINARY: case arrow::Type::STRING: case arrow::Type::LARGE_STRING:
      case arrow::Type::STRING_VIEW:
        return Decoder(std::move(array), std::move(path));
      default: return std::unexpected(incompatible<C>(path, *array->type()));
    }
  }
  Status read(std::int64_t row, C& out) const {
    if (auto s = this->check_not_null(row); !s) return s;
    const arrow::Array& a = *this->array_;
    std::string_view v;
    switch (a.type_id()) {
      case arrow::Type::BINARY: case arrow::Type::STRING:
        v = static_cast<const arrow::BinaryArray&>(a).GetView(row); break;
      case arrow::Type::LARGE_BINARY: case arrow::Type::LARGE_STRING:
        v = static_cast<const arrow::LargeBinaryArray&>(a).GetView(row); break;
      case arrow::Type::FIXED_SIZE_BINARY: v = static_cast<const arrow::FixedSizeBinaryArray&>(a).GetView(row); break;
      default: v = static_cast<const arrow::BinaryViewArray&>(a).GetView(row); break;
    }
    auto* begin = reinterpret_cast<const std::byte*>(v.data());
    out.assign(begin, begin + v.size());
    return {};
  }

 private:
  using DecoderBase<C>::DecoderBase;
};

template <class C>
class Decoder<C, Category::timestamp> : public DecoderBase<C> {
 public:
  static Result<Decoder> bind(std::shared_ptr<arrow::Array> array, std::string path) {
    if (array->type_id() != arrow::Type::TIMESTAMP) return std::unexpected(incompatible<C>(path, *array->type()));
    auto unit = static_cast<const arrow::TimestampType&>(*array->type()).unit();
    return Decoder(std::move(array), std::move(path), unit);
  }
  Status read(std::int64_t row, C& out) const {
    if (auto s = this->check_not_null(row); !s) return s;
    std::int64_t v = static_cast<const arrow::TimestampArray&>(*this->array_).Value(row);
    switch (unit_) {
      case arrow::TimeUnit::SECOND: out = C{std::chrono::seconds{v}}; break;
      case arrow::TimeUnit::MILLI: out = C{std::chrono::milliseconds{v}}; break;
      case arrow::TimeUnit::MICRO: out = C{std::chrono::microseconds{v}}; break;
      case arrow::TimeUnit::NANO: out = C{std::chrono::floor<std::chrono::microseconds>(std::chrono::nanoseconds{v})}; break;
    }
    return {};
  }

 private:
  Decoder(std::shared_ptr<arrow::Array> array, std::string path, arrow::TimeUnit::type unit)
      : DecoderBase<C>(std::move(array), std::move(path)), unit_(unit) {}
  arrow::TimeUnit::type unit_;
};

template <class C>
class Decoder<C, Category::date> : public DecoderBase<C> {
 public:
  static Result<Decoder> bind(std::shared_ptr<arrow::Array> array, std::string path) {
    if (array->type_id() != arrow::Type::DATE32 && array->type_id() != arrow::Type::DATE64)
      return std::unexpected(incompatible<C>(path, *array->type()));
    return Decoder(std::move(array), std::move(path));
  }
  Status read(std::int64_t row, C& out) const {
    if (auto s = this->check_not_null(row); !s) return s;
    const arrow::Array& a = *this->array_;
    if (a.type_id() == arrow::Type::DATE32) {
      out = C{std::chrono::days{static_cast<const arrow::Date32Array&>(a).Value(row)}};
    } else {
      out = std::chrono::floor<std::chrono::days>(std::chrono::sys_time<std::chrono::milliseconds>{
          std::chrono::milliseconds{static_cast<const arrow::Date64Array&>(a).Value(row)}});
    }
    return {};
  }

 private:
  using DecoderBase<C>::DecoderBase;
};

template <class C>
class Decoder<C, Category::decimal> : public DecoderBase<C> {
 public:
  static Result<Decoder> bind(std::shared_ptr<arrow::Array> array, std::string path) {
    int scale = 0;
    if (array->type_id() == arrow::Type::DECIMAL128) {
      scale = static_cast<const arrow::Decimal128Type&>(*array->type()).scale();
      // Reading more fraction digits than the member keeps would round.
      if (scale > C::scale || scale < 0) return std::unexpected(incompatible<C>(path, *array->type()));
    } else if (!IntegerSource::accepts(*array->type())) {
      return std::unexpected(incompatible<C>(path, *array->type()));
    }
    IntegerSource source(*array);
    return Decoder(std::move(array), std::move(path), pow10(C::scale - scale), source);
  }
  Status read(std::int64_t row, C& out) const {
    if (auto s = this->check_not_null(row); !s) return s;
    lake::int128 value;
    if (this->array_->type_id() == arrow::Type::DECIMAL128)
      value = from_arrow_decimal(arrow::Decimal128(static_cast<const arrow::Decimal128Array&>(*this->array_).GetValue(row)));
    else
      value = source_.value(row);
    value *= rescale_;
    if (value >= pow10(C::precision) || value <= -pow10(C::precision))
      return fail(ErrorCode::schema_mismatch, std::format("column '{}' row {}: {} does not fit in {}", this->path_, row,
                                                          format_decimal(value, C::scale), kCppTypeName<C>));
    out = C::from_unscaled(value);
    return {};
  }

 private:
  Decoder(std::shared_ptr<arrow::Array> array, std::string path, lake::int128 rescale, IntegerSource source)
      : DecoderBase<C>(std::move(array), std::move(path)), rescale_(rescale), source_(source) {}
  lake::int128 rescale_;
  IntegerSource source_;
};

template <class C>
class Decoder<C, Category::optional> {
 public:
  using Inner = Decoder<typename column_traits<C>::value_type>;
  static Result<Decoder> bind(std::shared_ptr<arrow::Array> array, std::string path) {
    auto raw = array;
    auto inner = Inner::bind(std::move(array), std::move(path));
    if (!inner) return std::unexpected(inner.error());
    return Decoder(std::move(raw), std::move(*inner));
  }
  Status read(std::int64_t row, C& out) const {
    if (array_->IsNull(row)) {
      out.reset();
      return {};
    }
    if (!out) out.emplace();
    return inner_.read(row, *out);
  }

 private:
  Decoder(std::shared_ptr<arrow::Array> array, Inner inner) : array_(std::move(array)), inner_(std::move(inner)) {}
  std::shared_ptr<arrow::Array> array_;
  Inner inner_;
};

template <class C>
class Decoder<C, Category::list> : public DecoderBase<C> {
 public:
  using Element = Decoder<typename column_traits<C>::value_type>;
  static Result<Decoder> bind(std::shared_ptr<arrow::Array> array, std::string path) {
    std::shared_ptr<arrow::Array> values;
    if (array->type_id() == arrow::Type::LIST) values = static_cast<const arrow::ListArray&>(*array).values();
    else if (array->type_id() == arrow::Type::LARGE_LIST) values = static_cast<const arrow::LargeListArray&>(*array).values();
    else return std::unexpected(incompatible<C>(path, *array->type()));
    auto element = Element::bind(std::move(values), path + "[]");
    if (!element) return std::unexpected(element.error());
    return Decoder(std::move(array), std::move(path), std::move(*element));
  }
  Status read(std::int64_t row, C& out) const {
    if (auto s = this->check_not_null(row); !s) return s;
    std::int64_t begin, end;
    if (this->array_->type_id() == arrow::Type::LIST) {
      const auto& list = static_cast<const arrow::ListArray&>(*this->array_);
      begin = list.value_offset(row);
      end = begin + list.value_length(row);
    } else {
      const auto& list = static_cast<const arrow::LargeListArray&>(*this->array_);
      begin = list.value_offset(row);
      end = begin + list.value_length(row);
    }
    out.resize(static_cast<std::size_t>(end - begin));
    for (std::int64_t i = begin; i < end; ++i)
      if (auto s = element_.read(i, out[static_cast<std::size_t>(i - begin)]); !s) return s;
    return {};
  }

 private:
  Decoder(std::shared_ptr<arrow::Array> array, std::string path, Element element)
      : DecoderBase<C>(std::move(array), std::move(path)), element_(std::move(element)) {}
  Element element_;
};

template <class C>
class Decoder<C, Category::map> : public DecoderBase<C> {
 public:
  using Value = typename column_traits<C>::value_type;
  static Result<Decoder> bind(std::shared_ptr<arrow::Array> array, std::string path) {
    if (array->type_id() != arrow::Type::MAP) return std::unexpected(incompatible<C>(path, *array->type()));
    const auto& map = static_cast<const arrow::MapArray&>(*array);
    auto keys = Decoder<std::string>::bind(map.keys(), path + ".key");
    if (!keys) return std::unexpected(keys.error());
    auto items = Decoder<Value>::bind(map.items(), path + ".value");
    if (!items) return std::unexpected(items.error());
    return Decoder(std::move(array), std::move(path), std::move(*keys), std::move(*items));
  }
  Status read(std::int64_t row, C& out) const {
    if (auto s = this->check_not_null(row); !s) return s;
    const auto& map = static_cast<const arrow::MapArray&>(*this->array_);
    out.clear();
    std::int64_t begin = map.value_offset(row), end = begin + map.value_length(row);
    for (std::int64_t i = begin; i < end; ++i) {
      std::string key;
      Value value{};
      if (auto s = keys_.read(i, key); !s) return s;
      if (auto s = items_.read(i, value); !s) return s;
      out.insert_or_assign(std::move(key), std::move(value));
    }
    return {};
  }

 private:
  Decoder(std::shared_ptr<arrow::Array> array, std::string path, Decoder<std::string> keys, Decoder<Value> items)
      : DecoderBase<C>(std::move(array), std::move(path)), keys_(std::move(keys)), items_(std::move(items)) {}
  Decoder<std::string> keys_;
  Decoder<Value> items_;
};

// A member stored as JSON text.
template <class C>
class JsonDecoder {
 public:
  static Result<JsonDecoder> bind(std::shared_ptr<arrow::Array> array, std::string path) {
    auto text = Decoder<std::string>::bind(array, path);
    if (!text) return std::unexpected(text.error());
    return JsonDecoder(std::move(array), std::move(path), std::move(*text));
  }
  Status read(std::int64_t row, C& out) const {
    if constexpr (column_traits<C>::category == Category::optional) {
      if (array_->IsNull(row)) {
        out.reset();
        return {};
      }
    } else if (array_->IsNull(row)) {
      return null_into_value<C>(path_, row);
    }
    return from_json_text(Decoder<std::string>::view(*array_, row), out, path_);
  }

 private:
  JsonDecoder(std::shared_ptr<arrow::Array> array, std::string path, Decoder<std::string> text)
      : array_(std::move(array)), path_(std::move(path)), text_(std::move(text)) {}
  std::shared_ptr<arrow::Array> array_;
  std::string path_;
  Decoder<std::string> text_;
};

// The decoder of column I of record R: JSON members decode from text.
template <class R, std::size_t I>
using MemberDecoder = std::conditional_t<kColumnSpecs<R>[I].json, JsonDecoder<column_member_t<R, I>>,
                                         Decoder<column_member_t<R, I>>>;

consteval std::meta::info member_decoders_tuple(std::meta::info record, std::size_t count) {
  std::vector<std::meta::info> decoders;
  for (std::size_t i = 0; i < count; ++i)
    decoders.push_back(std::meta::substitute(^^MemberDecoder, {record, std::meta::reflect_constant(i)}));
  return std::meta::substitute(^^std::tuple, decoders);
}

// One decoder per column of record R, in member order.
template <class R>
using MemberDecoders = [:member_decoders_tuple(^^R, kColumnMembers<R>.size()):];

// Binds every column of R to the array `find(column)` returns (an error
// when it has none). Shared by top-level batches and nested structs, which
// differ only in how a column is looked up and how paths are spelled.
template <class R, class Find>
Result<MemberDecoders<R>> bind_member_decoders(Find&& find, const std::string& path_prefix) {
  std::optional<Error> error;
  auto bind_one = [&]<std::size_t I>() -> std::optional<MemberDecoder<R, I>> {
    if (error) return std::nullopt;
    constexpr const char* column = kColumnSpecs<R>[I].column;
    Result<std::shared_ptr<arrow::Array>> array = find(column, I);
    if (!array) {
      error = array.error();
      return std::nullopt;
    }
    auto decoder = MemberDecoder<R, I>::bind(std::move(*array), path_prefix + column);
    if (!decoder) {
      error = decoder.error();
      return std::nullopt;
    }
    return std::move(*decoder);
  };
  auto all = [&]<std::size_t... I>(std::index_sequence<I...>) -> Result<MemberDecoders<R>> {
    std::tuple<std::optional<MemberDecoder<R, I>>...> bound{bind_one.template operator()<I>()...};
    if (error) return std::unexpected(*error);
    return MemberDecoders<R>(std::move(*std::get<I>(bound))...);
  };
  return all(std::make_index_sequence<kColumnMembers<R>.size()>{});
}

template <class C>
class Decoder<C, Category::record> : public DecoderBase<C> {
 public:
  static Result<Decoder> bind(std::shared_ptr<arrow::Array> array, std::string path) {
    if (array->type_id() != arrow::Type::STRUCT) return std::unexpected(incompatible<C>(path, *array->type()));
    const auto& record = static_cast<const arrow::StructArray&>(*array);
    auto find = [&](const char* column, std::size_t) -> Result<std::shared_ptr<arrow::Array>> {
      if (auto child = record.GetFieldByName(column)) return child;
      return fail(ErrorCode::schema_mismatch, std::format("nested field '{}.{}' is missing (the struct is {})", path,
                                                          column, record.type()->ToString()));
    };
    auto members = bind_member_decoders<C>(find, path + ".");
    if (!members) return std::unexpected(members.error());
    return Decoder(std::move(array), std::move(path), std::move(*members));
  }
  Status read(std::int64_t row, C& out) const {
    if (auto s = this->check_not_null(row); !s) return s;
    Status status;
    template for (constexpr std::size_t i : kColumnIndexes<C>) {
      constexpr std::meta::info member = kColumnMembers<C>[i];
      if (status) status = std::get<i>(members_).read(row, out.[:member:]);
    }
    return status;
  }

 private:
  Decoder(std::shared_ptr<arrow::Array> array, std::string path, MemberDecoders<C> members)
      : DecoderBase<C>(std::move(array), std::move(path)), members_(std::move(members)) {}

  MemberDecoders<C> members_;
};

}  // namespace lake::detail

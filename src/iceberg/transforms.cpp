#include "iceberg/transforms.hpp"

#include <arrow/array/builder_base.h>
#include <arrow/array/builder_binary.h>
#include <arrow/array/builder_decimal.h>
#include <arrow/array/builder_primitive.h>
#include <arrow/array/util.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <format>
#include <limits>
#include <optional>
#include <utility>

#include "core/propagate.hpp"
#include "iceberg/single_value.hpp"
#include "lake/arrow/detail/status.hpp"
#include "lake/types.hpp"

namespace lake::iceberg {
namespace {

using formats::Transform;

// The Iceberg primitive an Arrow type stands for (transforms.hpp's table).
enum class Primitive : std::uint8_t {
  boolean,
  int_,
  long_,
  float_,
  double_,
  decimal,
  date,
  time,
  timestamp,
  timestamptz,
  timestamp_ns,
  timestamptz_ns,
  string,
  fixed,  // uuid too: both are fixed_size_binary and hash and truncate alike
  binary,
};

std::optional<Primitive> primitive_of(const arrow::DataType& type) {
  switch (type.id()) {
    case arrow::Type::BOOL: return Primitive::boolean;
    case arrow::Type::INT32: return Primitive::int_;
    case arrow::Type::INT64: return Primitive::long_;
    case arrow::Type::FLOAT: return Primitive::float_;
    case arrow::Type::DOUBLE: return Primitive::double_;
    case arrow::Type::DECIMAL128: return Primitive::decimal;
    case arrow::Type::DATE32: return Primitive::date;
    case arrow::Type::TIME64:
      if (static_cast<const arrow::Time64Type&>(type).unit() != arrow::TimeUnit::MICRO) return std::nullopt;
      return Primitive::time;
    case arrow::Type::TIMESTAMP: {
      const auto& timestamp = static_cast<const arrow::TimestampType&>(type);
      const bool zoned = !timestamp.timezone().empty();
      if (timestamp.unit() == arrow::TimeUnit::MICRO) return zoned ? Primitive::timestamptz : Primitive::timestamp;
      if (timestamp.unit() == arrow::TimeUnit::NANO) return zoned ? Primitive::timestamptz_ns : Primitive::timestamp_ns;
      return std::nullopt;
    }
    case arrow::Type::STRING:
    case arrow::Type::LARGE_STRING:
      return Primitive::string;
    case arrow::Type::FIXED_SIZE_BINARY: return Primitive::fixed;
    case arrow::Type::BINARY:
    case arrow::Type::LARGE_BINARY:
      return Primitive::binary;
    default: return std::nullopt;
  }
}

// "decimal(9,2) (Arrow decimal128(9, 2))", for messages.
std::string describe(const arrow::DataType& type) {
  const auto primitive = primitive_of(type);
  if (!primitive) return std::format("Arrow {} (no Iceberg primitive)", type.ToString());
  std::string name;
  switch (*primitive) {
    case Primitive::boolean: name = "boolean"; break;
    case Primitive::int_: name = "int"; break;
    case Primitive::long_: name = "long"; break;
    case Primitive::float_: name = "float"; break;
    case Primitive::double_: name = "double"; break;
    case Primitive::decimal: {
      const auto& decimal = static_cast<const arrow::Decimal128Type&>(type);
      name = std::format("decimal({},{})", decimal.precision(), decimal.scale());
      break;
    }
    case Primitive::date: name = "date"; break;
    case Primitive::time: name = "time"; break;
    case Primitive::timestamp: name = "timestamp"; break;
    case Primitive::timestamptz: name = "timestamptz"; break;
    case Primitive::timestamp_ns: name = "timestamp_ns"; break;
    case Primitive::timestamptz_ns: name = "timestamptz_ns"; break;
    case Primitive::string: name = "string"; break;
    case Primitive::fixed:
      name = std::format("fixed[{}]", static_cast<const arrow::FixedSizeBinaryType&>(type).byte_width());
      break;
    case Primitive::binary: name = "binary"; break;
  }
  return std::format("{} (Arrow {})", name, type.ToString());
}

bool is_timestamp(Primitive p) {
  return p == Primitive::timestamp || p == Primitive::timestamptz || p == Primitive::timestamp_ns ||
         p == Primitive::timestamptz_ns;
}

// The spec's "Source types" column.
bool applies(Transform kind, Primitive p) {
  switch (kind) {
    case Transform::identity:
    case Transform::void_:
      return true;
    case Transform::bucket:
      return p != Primitive::boolean && p != Primitive::float_ && p != Primitive::double_;
    case Transform::truncate:
      return p == Primitive::int_ || p == Primitive::long_ || p == Primitive::decimal || p == Primitive::string ||
             p == Primitive::binary;
    case Transform::year:
    case Transform::month:
    case Transform::day:
      return p == Primitive::date || is_timestamp(p);
    case Transform::hour:
      return is_timestamp(p);
  }
  return false;
}

Status arrow_ok(const arrow::Status& status) {
  if (!status.ok()) return fail(detail::from_arrow_status(status, "applying a partition transform"));
  return {};
}

template <class T>
Result<T> arrow_value(arrow::Result<T> result) {
  if (!result.ok()) return fail(detail::from_arrow_status(result.status(), "applying a partition transform"));
  return std::move(result).ValueUnsafe();
}

// --- the 32-bit hash (Appendix B) ---------------------------------------

std::uint32_t load_little_endian32(std::string_view bytes, std::size_t at) {
  std::uint32_t word = 0;
  for (std::size_t i = 0; i < 4; ++i)
    word |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + i])) << (8 * i);
  return word;
}

std::uint32_t murmur3_mix(std::uint32_t k) {
  k *= 0xcc9e2d51u;
  k = std::rotl(k, 15);
  return k * 0x1b873593u;
}

// Murmur3, x86 variant, 32 bits, seed 0.
std::int32_t murmur3_32(std::string_view bytes) {
  std::uint32_t h = 0;
  const std::size_t body = bytes.size() & ~std::size_t{3};
  for (std::size_t at = 0; at < body; at += 4) {
    h ^= murmur3_mix(load_little_endian32(bytes, at));
    h = std::rotl(h, 13);
    h = h * 5u + 0xe6546b64u;
  }
  std::uint32_t tail = 0;
  for (std::size_t i = body; i < bytes.size(); ++i)
    tail |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << (8 * (i - body));
  if (body != bytes.size()) h ^= murmur3_mix(tail);
  h ^= static_cast<std::uint32_t>(bytes.size());
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return static_cast<std::int32_t>(h);
}

// Every integer kind hashes as the 8-byte long, so promoting int to long
// (or date to the day count) keeps bucket values.
std::int32_t hash_long(std::int64_t value) {
  auto bits = static_cast<std::uint64_t>(value);
  char bytes[8];
  for (char& byte : bytes) {
    byte = static_cast<char>(bits & 0xFFu);
    bits >>= 8;
  }
  return murmur3_32(std::string_view(bytes, sizeof bytes));
}

// Float hashes as the double it promotes to; every NaN and both zeros
// hash alike, as they compare alike.
std::int32_t hash_double(double value) {
  if (std::isnan(value)) return hash_long(static_cast<std::int64_t>(0x7ff8000000000000ULL));
  if (value == 0.0) return hash_long(0);
  return hash_long(std::bit_cast<std::int64_t>(value));
}

std::int64_t floor_div(std::int64_t value, std::int64_t divisor) {
  return value / divisor - ((value % divisor) < 0 ? 1 : 0);
}

// The hash of row `row` (not null) of an array whose type primitive_of
// classified.
std::int32_t hash_at(const arrow::Array& array, std::int64_t row) {
  switch (array.type_id()) {
    case arrow::Type::BOOL:
      return hash_long(static_cast<const arrow::BooleanArray&>(array).Value(row) ? 1 : 0);
    case arrow::Type::INT32: return hash_long(static_cast<const arrow::Int32Array&>(array).Value(row));
    case arrow::Type::INT64: return hash_long(static_cast<const arrow::Int64Array&>(array).Value(row));
    case arrow::Type::DATE32: return hash_long(static_cast<const arrow::Date32Array&>(array).Value(row));
    case arrow::Type::TIME64: return hash_long(static_cast<const arrow::Time64Array&>(array).Value(row));
    case arrow::Type::TIMESTAMP: {
      const std::int64_t value = static_cast<const arrow::TimestampArray&>(array).Value(row);
      // Nanoseconds hash as the microsecond they fall in, so the _ns types
      // bucket as their microsecond counterparts.
      const auto unit = static_cast<const arrow::TimestampType&>(*array.type()).unit();
      return hash_long(unit == arrow::TimeUnit::NANO ? floor_div(value, 1000) : value);
    }
    case arrow::Type::FLOAT:
      return hash_double(static_cast<double>(static_cast<const arrow::FloatArray&>(array).Value(row)));
    case arrow::Type::DOUBLE: return hash_double(static_cast<const arrow::DoubleArray&>(array).Value(row));
    case arrow::Type::DECIMAL128:
      return murmur3_32(
          unscaled_bytes(arrow::Decimal128(static_cast<const arrow::Decimal128Array&>(array).GetValue(row))));
    case arrow::Type::STRING:
    case arrow::Type::BINARY:
      return murmur3_32(static_cast<const arrow::BinaryArray&>(array).GetView(row));
    case arrow::Type::LARGE_STRING:
    case arrow::Type::LARGE_BINARY:
      return murmur3_32(static_cast<const arrow::LargeBinaryArray&>(array).GetView(row));
    case arrow::Type::FIXED_SIZE_BINARY:
      return murmur3_32(static_cast<const arrow::FixedSizeBinaryArray&>(array).GetView(row));
    default:
      std::unreachable();
  }
}

// --- building results row by row -----------------------------------------

// Appends value_of(array, row) for every non-null row, null for the others.
template <class ArrayT, class BuilderT, class F>
Result<std::shared_ptr<arrow::Array>> map_rows(const arrow::Array& source, const std::shared_ptr<arrow::DataType>& type,
                                               F&& value_of) {
  LAKE_ASSIGN_OR_RETURN(auto made, arrow_value(arrow::MakeBuilder(type)));
  auto& builder = static_cast<BuilderT&>(*made);
  const auto& array = static_cast<const ArrayT&>(source);
  LAKE_RETURN_IF_ERROR(arrow_ok(builder.Reserve(array.length())));
  for (std::int64_t row = 0; row < array.length(); ++row) {
    if (array.IsNull(row)) {
      LAKE_RETURN_IF_ERROR(arrow_ok(builder.AppendNull()));
      continue;
    }
    LAKE_ASSIGN_OR_RETURN(auto value, value_of(array, row));
    LAKE_RETURN_IF_ERROR(arrow_ok(builder.Append(value)));
  }
  std::shared_ptr<arrow::Array> out;
  LAKE_RETURN_IF_ERROR(arrow_ok(builder.Finish(&out)));
  return out;
}

Result<std::shared_ptr<arrow::Array>> bucket(std::int32_t count, const arrow::Array& source) {
  return map_rows<arrow::Array, arrow::Int32Builder>(
      source, arrow::int32(), [count](const arrow::Array& array, std::int64_t row) -> Result<std::int32_t> {
        const auto hash = static_cast<std::uint32_t>(hash_at(array, row)) & 0x7FFFFFFFu;
        return static_cast<std::int32_t>(hash % static_cast<std::uint32_t>(count));
      });
}

// --- truncate -----------------------------------------------------------

// v - (((v % W) + W) % W): rounds towards negative infinity, so -1 is in
// the partition of -10 with W = 10.
int128 truncate_integer(int128 value, std::int32_t width) {
  const int128 w = width;
  return value - (((value % w) + w) % w);
}

template <class T>
Result<T> narrow_truncated(int128 truncated, T value, std::int32_t width, std::string_view type_name) {
  if (truncated < std::numeric_limits<T>::min() || truncated > std::numeric_limits<T>::max())
    return fail(ErrorCode::invalid_argument,
                std::format("truncate[{}] of {} is outside the {} range", width, value, type_name));
  return static_cast<T>(truncated);
}

// The first `width` code points (the spec truncates strings by characters,
// never inside one).
std::string_view truncate_utf8(std::string_view text, std::int32_t width) {
  std::int64_t code_points = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool starts_code_point = (static_cast<unsigned char>(text[i]) & 0xC0u) != 0x80u;
    if (!starts_code_point) continue;
    if (code_points == width) return text.substr(0, i);
    ++code_points;
  }
  return text;
}

std::string_view truncate_bytes(std::string_view bytes, std::int32_t width) {
  return bytes.substr(0, static_cast<std::size_t>(width));
}

Result<std::shared_ptr<arrow::Array>> truncate(std::int32_t width, const arrow::Array& source) {
  const auto& type = source.type();
  switch (source.type_id()) {
    case arrow::Type::INT32:
      return map_rows<arrow::Int32Array, arrow::Int32Builder>(
          source, type, [width](const arrow::Int32Array& array, std::int64_t row) {
            const std::int32_t value = array.Value(row);
            return narrow_truncated<std::int32_t>(truncate_integer(value, width), value, width, "int");
          });
    case arrow::Type::INT64:
      return map_rows<arrow::Int64Array, arrow::Int64Builder>(
          source, type, [width](const arrow::Int64Array& array, std::int64_t row) {
            const std::int64_t value = array.Value(row);
            return narrow_truncated<std::int64_t>(truncate_integer(value, width), value, width, "long");
          });
    case arrow::Type::DECIMAL128:
      // The width applies to the unscaled value (W = 50 at scale 2 is 0.50).
      // A negative value may round to one digit more than the precision
      // holds; it is kept, as the reference implementation keeps it.
      return map_rows<arrow::Decimal128Array, arrow::Decimal128Builder>(
          source, type, [width](const arrow::Decimal128Array& array, std::int64_t row) -> Result<arrow::Decimal128> {
            const arrow::Decimal128 value(array.GetValue(row));
            const int128 unscaled =
                (static_cast<int128>(value.high_bits()) << 64) | static_cast<int128>(value.low_bits());
            const int128 truncated = truncate_integer(unscaled, width);
            return arrow::Decimal128(static_cast<std::int64_t>(truncated >> 64), static_cast<std::uint64_t>(truncated));
          });
    case arrow::Type::STRING:
      return map_rows<arrow::StringArray, arrow::StringBuilder>(
          source, type, [width](const arrow::StringArray& array, std::int64_t row) -> Result<std::string_view> {
            return truncate_utf8(array.GetView(row), width);
          });
    case arrow::Type::LARGE_STRING:
      return map_rows<arrow::LargeStringArray, arrow::LargeStringBuilder>(
          source, type, [width](const arrow::LargeStringArray& array, std::int64_t row) -> Result<std::string_view> {
            return truncate_utf8(array.GetView(row), width);
          });
    case arrow::Type::BINARY:
      return map_rows<arrow::BinaryArray, arrow::BinaryBuilder>(
          source, type, [width](const arrow::BinaryArray& array, std::int64_t row) -> Result<std::string_view> {
            return truncate_bytes(array.GetView(row), width);
          });
    case arrow::Type::LARGE_BINARY:
      return map_rows<arrow::LargeBinaryArray, arrow::LargeBinaryBuilder>(
          source, type, [width](const arrow::LargeBinaryArray& array, std::int64_t row) -> Result<std::string_view> {
            return truncate_bytes(array.GetView(row), width);
          });
    default:
      std::unreachable();
  }
}

// --- year, month, day, hour -----------------------------------------------

struct YearMonth {
  std::int64_t year;
  std::int64_t month;  // 1..12
};

// The proleptic Gregorian year and month of a day count from 1970-01-01,
// in 64 bits: std::chrono's year stops at 32767, and a microsecond
// timestamp reaches far beyond.
YearMonth civil_from_days(std::int64_t days) {
  // Count from 0000-03-01, so that each year's leap day is its last day,
  // in eras of 400 years (146097 days) that repeat exactly.
  const std::int64_t shifted = days + 719468;
  const std::int64_t era = floor_div(shifted, 146097);
  const std::int64_t day_of_era = shifted - era * 146097;
  const std::int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const std::int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const std::int64_t month_from_march = (5 * day_of_year + 2) / 153;
  const std::int64_t month = month_from_march < 10 ? month_from_march + 3 : month_from_march - 9;
  return {era * 400 + year_of_era + (month <= 2 ? 1 : 0), month};
}

Result<std::int32_t> time_partition(Transform kind, std::int64_t units_since_epoch, std::int64_t units_per_day) {
  std::int64_t value = 0;
  if (kind == Transform::hour) {
    value = floor_div(units_since_epoch, units_per_day / 24);
  } else {
    const std::int64_t days = floor_div(units_since_epoch, units_per_day);
    if (kind == Transform::day) {
      value = days;
    } else {
      const YearMonth civil = civil_from_days(days);
      value = kind == Transform::year ? civil.year - 1970 : (civil.year - 1970) * 12 + (civil.month - 1);
    }
  }
  if (value < std::numeric_limits<std::int32_t>::min() || value > std::numeric_limits<std::int32_t>::max())
    return fail(ErrorCode::invalid_argument,
                std::format("the {} of {} is outside the int range", to_string(PartitionTransform{kind, 0}),
                            units_since_epoch));
  return static_cast<std::int32_t>(value);
}

Result<std::shared_ptr<arrow::Array>> time_transform(Transform kind, const arrow::Array& source) {
  if (source.type_id() == arrow::Type::DATE32)
    return map_rows<arrow::Date32Array, arrow::Int32Builder>(
        source, arrow::int32(), [kind](const arrow::Date32Array& array, std::int64_t row) {
          return time_partition(kind, array.Value(row), 1);
        });
  const auto unit = static_cast<const arrow::TimestampType&>(*source.type()).unit();
  const std::int64_t per_day = unit == arrow::TimeUnit::MICRO ? 86'400'000'000 : 86'400'000'000'000;
  return map_rows<arrow::TimestampArray, arrow::Int32Builder>(
      source, arrow::int32(), [kind, per_day](const arrow::TimestampArray& array, std::int64_t row) {
        return time_partition(kind, array.Value(row), per_day);
      });
}

}  // namespace

Result<PartitionTransform> parse_transform(std::string_view text) {
  static constexpr std::pair<std::string_view, Transform> kPlain[] = {
      {"identity", Transform::identity}, {"year", Transform::year}, {"month", Transform::month},
      {"day", Transform::day},           {"hour", Transform::hour}, {"void", Transform::void_},
  };
  for (const auto& [name, kind] : kPlain)
    if (text == name) return PartitionTransform{kind, 0};

  static constexpr std::pair<std::string_view, Transform> kParameterised[] = {
      {"bucket", Transform::bucket},
      {"truncate", Transform::truncate},
  };
  for (const auto& [name, kind] : kParameterised) {
    if (!text.starts_with(name) || text.size() < name.size() + 2 || text[name.size()] != '[' || !text.ends_with(']'))
      continue;
    const std::string_view number = text.substr(name.size() + 1, text.size() - name.size() - 2);
    const std::string_view digits = number.starts_with('-') ? number.substr(1) : number;
    // Anything but an integer in the brackets (a space, a second argument)
    // is a form this reader does not know, not a bad count.
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) break;
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (ec != std::errc{} || end != number.data() + number.size() || value < 1 ||
        value > std::numeric_limits<std::int32_t>::max())
      return fail(ErrorCode::invalid_argument,
                  std::format("partition transform \"{}\": {} must be between 1 and {}", text,
                              kind == Transform::bucket ? "the bucket count" : "the width",
                              std::numeric_limits<std::int32_t>::max()));
    return PartitionTransform{kind, static_cast<std::int32_t>(value)};
  }
  return fail(ErrorCode::unsupported, std::format("unsupported partition transform \"{}\"", text));
}

std::string to_string(const PartitionTransform& transform) {
  switch (transform.kind) {
    case Transform::identity: return "identity";
    case Transform::bucket: return std::format("bucket[{}]", transform.param);
    case Transform::truncate: return std::format("truncate[{}]", transform.param);
    case Transform::year: return "year";
    case Transform::month: return "month";
    case Transform::day: return "day";
    case Transform::hour: return "hour";
    case Transform::void_: return "void";
  }
  return "unknown";
}

Result<std::shared_ptr<arrow::DataType>> result_type(const PartitionTransform& transform,
                                                     const arrow::DataType& source) {
  if ((transform.kind == Transform::bucket || transform.kind == Transform::truncate) && transform.param < 1)
    return fail(ErrorCode::invalid_argument,
                std::format("partition transform {} needs a parameter of at least 1", to_string(transform)));
  if (transform.kind == Transform::void_) return source.GetSharedPtr();
  const auto primitive = primitive_of(source);
  if (!primitive || !applies(transform.kind, *primitive))
    return fail(ErrorCode::invalid_argument, std::format("partition transform {} does not apply to {}",
                                                         to_string(transform), describe(source)));
  switch (transform.kind) {
    case Transform::identity:
    case Transform::truncate:
    case Transform::void_:
      return source.GetSharedPtr();
    case Transform::bucket:
    case Transform::year:
    case Transform::month:
    case Transform::day:
    case Transform::hour:
      return arrow::int32();
  }
  std::unreachable();
}

Result<std::shared_ptr<arrow::Array>> apply(const PartitionTransform& transform, const arrow::Array& source) {
  LAKE_ASSIGN_OR_RETURN(auto type, result_type(transform, *source.type()));
  switch (transform.kind) {
    case Transform::identity: return arrow::MakeArray(source.data());
    case Transform::void_: return arrow_value(arrow::MakeArrayOfNull(type, source.length()));
    case Transform::bucket: return bucket(transform.param, source);
    case Transform::truncate: return truncate(transform.param, source);
    case Transform::year:
    case Transform::month:
    case Transform::day:
    case Transform::hour:
      return time_transform(transform.kind, source);
  }
  std::unreachable();
}

Result<std::shared_ptr<arrow::Scalar>> apply(const PartitionTransform& transform, const arrow::Scalar& source) {
  LAKE_ASSIGN_OR_RETURN(auto type, result_type(transform, *source.type));
  if (!source.is_valid || transform.kind == Transform::void_) return arrow::MakeNullScalar(type);
  // One row through the array path, so a value and a column can never
  // partition differently.
  LAKE_ASSIGN_OR_RETURN(auto row, arrow_value(arrow::MakeArrayFromScalar(source, 1)));
  LAKE_ASSIGN_OR_RETURN(auto partition, apply(transform, *row));
  return arrow_value(partition->GetScalar(0));
}

bool preserves_order(const PartitionTransform& transform) noexcept {
  return transform.kind != Transform::bucket && transform.kind != Transform::void_;
}

Result<std::int32_t> bucket_hash(const arrow::Scalar& value) {
  if (!value.is_valid)
    return fail(ErrorCode::invalid_argument, std::format("a null {} has no hash", describe(*value.type)));
  if (!primitive_of(*value.type))
    return fail(ErrorCode::invalid_argument, std::format("{} has no 32-bit hash", describe(*value.type)));
  LAKE_ASSIGN_OR_RETURN(auto row, arrow_value(arrow::MakeArrayFromScalar(value, 1)));
  return hash_at(*row, 0);
}

}  // namespace lake::iceberg

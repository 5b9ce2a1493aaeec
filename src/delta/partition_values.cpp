#include "delta/partition_values.hpp"

#include <arrow/util/decimal.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <format>

#include "delta/percent_encoding.hpp"
#include "lake/types.hpp"

namespace lake::delta {
namespace {

using std::chrono::microseconds;

// Shortest text that reads back as the same double; non-finite values in
// the spelling Spark and delta-rs use.
std::string format_floating(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, end);
}

std::string format_partition_timestamp(std::int64_t micros) {
  timestamp t{microseconds(micros)};
  auto day = std::chrono::floor<std::chrono::days>(t);
  std::chrono::hh_mm_ss<microseconds> time{t - day};
  return std::format("{} {:02}:{:02}:{:02}.{:06}", format_date(day), time.hours().count(), time.minutes().count(),
                     time.seconds().count(), time.subseconds().count());
}

template <class T>
std::optional<T> parse_number(std::string_view text) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> parse_floating(std::string_view text) {
  if (text == "NaN") return std::nan("");
  if (text == "Infinity" || text == "+Infinity" || text == "inf") return HUGE_VAL;
  if (text == "-Infinity" || text == "-inf") return -HUGE_VAL;
  if (text.starts_with('+')) text.remove_prefix(1);
  return parse_number<double>(text);
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) { return std::tolower(static_cast<unsigned char>(x)) ==
                                                              std::tolower(static_cast<unsigned char>(y)); });
}

// The characters Hive's FileUtils.escapePathName and Spark's
// ExternalCatalogUtils escape in partition directory names.
bool hive_escaped(unsigned char c) {
  if (c < 0x20 || c == 0x7f) return true;
  switch (c) {
    case '"': case '#': case '%': case '\'': case '*': case '/': case ':': case '=': case '?': case '\\':
    case '{': case '[': case ']': case '^':
      return true;
    default: return false;
  }
}

std::string hive_escape(std::string_view text) { return percent_encode(text, hive_escaped); }

}  // namespace

Result<std::optional<std::string>> serialize_partition_value(const arrow::Scalar& value) {
  if (!value.is_valid) return std::nullopt;
  std::string text;
  switch (value.type->id()) {
    case arrow::Type::BOOL: text = static_cast<const arrow::BooleanScalar&>(value).value ? "true" : "false"; break;
    case arrow::Type::INT8: text = std::to_string(static_cast<const arrow::Int8Scalar&>(value).value); break;
    case arrow::Type::INT16: text = std::to_string(static_cast<const arrow::Int16Scalar&>(value).value); break;
    case arrow::Type::INT32: text = std::to_string(static_cast<const arrow::Int32Scalar&>(value).value); break;
    case arrow::Type::INT64: text = std::to_string(static_cast<const arrow::Int64Scalar&>(value).value); break;
    case arrow::Type::FLOAT: text = format_floating(static_cast<const arrow::FloatScalar&>(value).value); break;
    case arrow::Type::DOUBLE: text = format_floating(static_cast<const arrow::DoubleScalar&>(value).value); break;
    case arrow::Type::STRING: text = std::string(static_cast<const arrow::StringScalar&>(value).view()); break;
    case arrow::Type::DATE32:
      text = format_date(date{std::chrono::days(static_cast<const arrow::Date32Scalar&>(value).value)});
      break;
    case arrow::Type::TIMESTAMP: {
      const auto& ts = static_cast<const arrow::TimestampScalar&>(value);
      if (static_cast<const arrow::TimestampType&>(*ts.type).unit() != arrow::TimeUnit::MICRO)
        return fail(ErrorCode::internal, "partition timestamps must be in microseconds");
      text = format_partition_timestamp(ts.value);
      break;
    }
    case arrow::Type::DECIMAL128: {
      const auto& d = static_cast<const arrow::Decimal128Scalar&>(value);
      // Not Decimal128::ToString, which switches to exponents for small values.
      int128 unscaled = (static_cast<int128>(d.value.high_bits()) << 64) | static_cast<int128>(d.value.low_bits());
      text = lake::detail::format_decimal(unscaled, static_cast<const arrow::Decimal128Type&>(*d.type).scale());
      break;
    }
    default:
      return fail(ErrorCode::unsupported,
                  std::format("type {} cannot be a partition column", value.type->ToString()));
  }
  if (text.empty()) return std::nullopt;
  return text;
}

Result<std::shared_ptr<arrow::Scalar>> parse_partition_value(const std::optional<std::string>& text,
                                                            const std::shared_ptr<arrow::DataType>& type,
                                                            std::string_view column) {
  if (!text || text->empty()) return arrow::MakeNullScalar(type);
  auto bad = [&](std::string_view why = "") {
    return fail(ErrorCode::invalid_argument, std::format("partition value '{}' of column '{}' is not a valid {}{}",
                                                         *text, column, type->ToString(), why));
  };
  const std::string& v = *text;
  switch (type->id()) {
    case arrow::Type::BOOL:
      if (equals_ignoring_case(v, "true")) return std::make_shared<arrow::BooleanScalar>(true);
      if (equals_ignoring_case(v, "false")) return std::make_shared<arrow::BooleanScalar>(false);
      return bad();
    case arrow::Type::INT8:
      if (auto n = parse_number<std::int8_t>(v)) return std::make_shared<arrow::Int8Scalar>(*n);
      return bad();
    case arrow::Type::INT16:
      if (auto n = parse_number<std::int16_t>(v)) return std::make_shared<arrow::Int16Scalar>(*n);
      return bad();
    case arrow::Type::INT32:
      if (auto n = parse_number<std::int32_t>(v)) return std::make_shared<arrow::Int32Scalar>(*n);
      return bad();
    case arrow::Type::INT64:
      if (auto n = parse_number<std::int64_t>(v)) return std::make_shared<arrow::Int64Scalar>(*n);
      return bad();
    case arrow::Type::FLOAT:
      if (auto n = parse_floating(v)) return std::make_shared<arrow::FloatScalar>(static_cast<float>(*n));
      return bad();
    case arrow::Type::DOUBLE:
      if (auto n = parse_floating(v)) return std::make_shared<arrow::DoubleScalar>(*n);
      return bad();
    case arrow::Type::STRING: return std::make_shared<arrow::StringScalar>(v);
    case arrow::Type::DATE32: {
      auto d = parse_date(v);
      if (!d) return bad();
      return std::make_shared<arrow::Date32Scalar>(static_cast<std::int32_t>(d->time_since_epoch().count()));
    }
    case arrow::Type::TIMESTAMP: {
      auto t = parse_timestamp(v);
      if (!t) return bad();
      return std::make_shared<arrow::TimestampScalar>(t->time_since_epoch().count(), type);
    }
    case arrow::Type::DECIMAL128: {
      const auto& d = static_cast<const arrow::Decimal128Type&>(*type);
      auto unscaled = lake::detail::parse_decimal(v, d.precision(), d.scale());
      if (!unscaled) return bad(": " + unscaled.error().message());
      arrow::Decimal128 value(static_cast<std::int64_t>(*unscaled >> 64), static_cast<std::uint64_t>(*unscaled));
      return std::make_shared<arrow::Decimal128Scalar>(value, type);
    }
    default:
      return fail(ErrorCode::unsupported,
                  std::format("partition column '{}' has type {}, which lake-orm cannot read", column, type->ToString()));
  }
}

std::string hive_directory(std::string_view column, const std::optional<std::string>& value) {
  return hive_escape(column) + "=" + (value ? hive_escape(*value) : std::string(kNullPartitionDirectory));
}

}  // namespace lake::delta

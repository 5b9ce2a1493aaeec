#include "iceberg/single_value.hpp"

#include <arrow/buffer.h>
#include <arrow/util/utf8.h>

#include <bit>
#include <cstdint>
#include <format>
#include <limits>
#include <type_traits>
#include <utility>

#include "lake/types.hpp"

namespace lake::iceberg {
namespace {

template <class T>
std::string little_endian(T value) {
  using Unsigned = std::make_unsigned_t<T>;
  auto bits = static_cast<Unsigned>(value);
  std::string out(sizeof(T), '\0');
  for (char& byte : out) {
    byte = static_cast<char>(bits & 0xFFu);
    bits = static_cast<Unsigned>(bits >> 8);
  }
  return out;
}

// Sign-extends bytes that may be fewer than T's width (an int bound of a
// column since promoted to long).
template <class T>
T read_little_endian(std::string_view bytes) {
  std::uint64_t bits = 0;
  for (std::size_t i = bytes.size(); i > 0; --i) bits = (bits << 8) | static_cast<unsigned char>(bytes[i - 1]);
  const auto width = bytes.size() * 8;
  if (width < 64 && (bits >> (width - 1)) & 1u) bits |= ~std::uint64_t{0} << width;
  return static_cast<T>(static_cast<std::int64_t>(bits));
}

bool nested(const arrow::DataType& type) {
  switch (type.id()) {
    case arrow::Type::STRUCT:
    case arrow::Type::LIST:
    case arrow::Type::LARGE_LIST:
    case arrow::Type::FIXED_SIZE_LIST:
    case arrow::Type::MAP:
      return true;
    default:
      return false;
  }
}

Error no_form(const arrow::DataType& type) {
  if (nested(type))
    return Error(ErrorCode::unsupported, std::format("Iceberg has no single-value form for {}", type.ToString()));
  return Error(ErrorCode::invalid_argument,
               std::format("{} is no Iceberg type, so it has no single-value form", type.ToString()));
}

bool supported_time_unit(const arrow::DataType& type) {
  if (type.id() == arrow::Type::TIME64)
    return static_cast<const arrow::Time64Type&>(type).unit() == arrow::TimeUnit::MICRO;
  const auto unit = static_cast<const arrow::TimestampType&>(type).unit();
  return unit == arrow::TimeUnit::MICRO || unit == arrow::TimeUnit::NANO;
}

bool valid_utf8(std::string_view text) {
  arrow::util::InitializeUTF8();
  return arrow::util::ValidateUTF8(text);
}

}  // namespace

std::string unscaled_bytes(const arrow::Decimal128& unscaled) {
  std::string out(16, '\0');
  auto high = static_cast<std::uint64_t>(unscaled.high_bits());
  auto low = unscaled.low_bits();
  for (std::size_t i = 0; i < 8; ++i) {
    out[15 - i] = static_cast<char>(low & 0xFFu);
    out[7 - i] = static_cast<char>(high & 0xFFu);
    low >>= 8;
    high >>= 8;
  }
  // A leading byte is redundant when it only repeats the sign of the byte
  // after it.
  std::size_t start = 0;
  while (start + 1 < out.size()) {
    const auto lead = static_cast<unsigned char>(out[start]);
    const bool next_negative = (static_cast<unsigned char>(out[start + 1]) & 0x80u) != 0;
    if (!((lead == 0x00 && !next_negative) || (lead == 0xFF && next_negative))) break;
    ++start;
  }
  return out.substr(start);
}

Result<std::string> to_single_value(const arrow::Scalar& value) {
  const arrow::DataType& type = *value.type;
  if (!value.is_valid)
    return fail(ErrorCode::invalid_argument, std::format("a null {} has no single-value form", type.ToString()));
  switch (type.id()) {
    case arrow::Type::BOOL:
      return std::string(1, static_cast<const arrow::BooleanScalar&>(value).value ? '\x01' : '\x00');
    case arrow::Type::INT32:
      return little_endian(static_cast<const arrow::Int32Scalar&>(value).value);
    case arrow::Type::DATE32:
      return little_endian(static_cast<const arrow::Date32Scalar&>(value).value);
    case arrow::Type::INT64:
      return little_endian(static_cast<const arrow::Int64Scalar&>(value).value);
    case arrow::Type::TIME64:
      if (!supported_time_unit(type)) return fail(no_form(type));
      return little_endian(static_cast<const arrow::Time64Scalar&>(value).value);
    case arrow::Type::TIMESTAMP:
      if (!supported_time_unit(type)) return fail(no_form(type));
      return little_endian(static_cast<const arrow::TimestampScalar&>(value).value);
    case arrow::Type::FLOAT:
      return little_endian(std::bit_cast<std::uint32_t>(static_cast<const arrow::FloatScalar&>(value).value));
    case arrow::Type::DOUBLE:
      return little_endian(std::bit_cast<std::uint64_t>(static_cast<const arrow::DoubleScalar&>(value).value));
    case arrow::Type::STRING:
    case arrow::Type::LARGE_STRING:
    case arrow::Type::BINARY:
    case arrow::Type::LARGE_BINARY:
    case arrow::Type::FIXED_SIZE_BINARY:
      return std::string(static_cast<const arrow::BaseBinaryScalar&>(value).view());
    case arrow::Type::DECIMAL128:
      return unscaled_bytes(static_cast<const arrow::Decimal128Scalar&>(value).value);
    default:
      return fail(no_form(type));
  }
}

Result<std::shared_ptr<arrow::Scalar>> from_single_value(std::string_view bytes,
                                                         const std::shared_ptr<arrow::DataType>& type) {
  if (!type) return fail(ErrorCode::invalid_argument, "reading a single value needs its type");
  const auto wrong_length = [&] {
    return fail(ErrorCode::invalid_argument,
                std::format("a single value of {} bytes cannot be a {}", bytes.size(), type->ToString()));
  };
  switch (type->id()) {
    case arrow::Type::BOOL:
      if (bytes.size() != 1) return wrong_length();
      return std::make_shared<arrow::BooleanScalar>(bytes[0] != '\0');
    case arrow::Type::INT32:
      if (bytes.size() != 4) return wrong_length();
      return std::make_shared<arrow::Int32Scalar>(read_little_endian<std::int32_t>(bytes));
    case arrow::Type::DATE32:
      if (bytes.size() != 4) return wrong_length();
      return std::make_shared<arrow::Date32Scalar>(read_little_endian<std::int32_t>(bytes));
    case arrow::Type::INT64:
      if (bytes.size() != 8 && bytes.size() != 4) return wrong_length();
      return std::make_shared<arrow::Int64Scalar>(read_little_endian<std::int64_t>(bytes));
    case arrow::Type::FLOAT:
      if (bytes.size() != 4) return wrong_length();
      return std::make_shared<arrow::FloatScalar>(
          std::bit_cast<float>(read_little_endian<std::uint32_t>(bytes)));
    case arrow::Type::DOUBLE:
      if (bytes.size() == 4)
        return std::make_shared<arrow::DoubleScalar>(
            static_cast<double>(std::bit_cast<float>(read_little_endian<std::uint32_t>(bytes))));
      if (bytes.size() != 8) return wrong_length();
      return std::make_shared<arrow::DoubleScalar>(std::bit_cast<double>(read_little_endian<std::uint64_t>(bytes)));
    case arrow::Type::TIME64:
      if (!supported_time_unit(*type)) return fail(no_form(*type));
      if (bytes.size() != 8) return wrong_length();
      return std::make_shared<arrow::Time64Scalar>(read_little_endian<std::int64_t>(bytes), type);
    case arrow::Type::TIMESTAMP: {
      if (!supported_time_unit(*type)) return fail(no_form(*type));
      const auto& timestamp_type = static_cast<const arrow::TimestampType&>(*type);
      if (bytes.size() == 8)
        return std::make_shared<arrow::TimestampScalar>(read_little_endian<std::int64_t>(bytes), type);
      // Only a timestamp without zone may have been a date (promoting a
      // date to timestamptz is not allowed).
      if (bytes.size() != 4 || !timestamp_type.timezone().empty()) return wrong_length();
      const int128 per_day = timestamp_type.unit() == arrow::TimeUnit::MICRO ? int128{86'400'000'000}
                                                                             : int128{86'400'000'000'000};
      const int128 value = int128{read_little_endian<std::int32_t>(bytes)} * per_day;
      if (value < std::numeric_limits<std::int64_t>::min() || value > std::numeric_limits<std::int64_t>::max())
        return fail(ErrorCode::invalid_argument,
                    std::format("a date bound of {} days is outside the range of {}",
                                read_little_endian<std::int32_t>(bytes), type->ToString()));
      return std::make_shared<arrow::TimestampScalar>(static_cast<std::int64_t>(value), type);
    }
    case arrow::Type::STRING:
    case arrow::Type::LARGE_STRING:
      if (!valid_utf8(bytes))
        return fail(ErrorCode::invalid_argument,
                    std::format("a single value of {} bytes is not the UTF-8 a {} needs", bytes.size(),
                                type->ToString()));
      if (type->id() == arrow::Type::STRING) return std::make_shared<arrow::StringScalar>(std::string(bytes));
      return std::make_shared<arrow::LargeStringScalar>(std::string(bytes));
    case arrow::Type::BINARY:
      return std::make_shared<arrow::BinaryScalar>(std::string(bytes));
    case arrow::Type::LARGE_BINARY:
      return std::make_shared<arrow::LargeBinaryScalar>(std::string(bytes));
    case arrow::Type::FIXED_SIZE_BINARY:
      if (std::cmp_not_equal(bytes.size(), static_cast<const arrow::FixedSizeBinaryType&>(*type).byte_width()))
        return wrong_length();
      return std::make_shared<arrow::FixedSizeBinaryScalar>(arrow::Buffer::FromString(std::string(bytes)), type);
    case arrow::Type::DECIMAL128: {
      // Any length up to 16 bytes: a bound written before the precision was
      // widened is shorter, and the scale never changes.
      if (bytes.empty() || bytes.size() > 16) return wrong_length();
      std::uint64_t high = (static_cast<unsigned char>(bytes[0]) & 0x80u) != 0 ? ~std::uint64_t{0} : 0;
      std::uint64_t low = high;
      for (char byte : bytes) {
        high = (high << 8) | (low >> 56);
        low = (low << 8) | static_cast<unsigned char>(byte);
      }
      return std::make_shared<arrow::Decimal128Scalar>(arrow::Decimal128(static_cast<std::int64_t>(high), low),
                                                       type);
    }
    default:
      return fail(no_form(*type));
  }
}

}  // namespace lake::iceberg

// Iceberg's binary single-value form (Appendix D): exact bytes, round trips
// for every type, the widening reads type promotion needs, and the errors.
#include "iceberg/single_value.hpp"

#include <arrow/api.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "scalars.hpp"

namespace {

using lake::iceberg::testing::decimal;
using lake::iceberg::testing::fixed;

using lake::ErrorCode;

std::string bytes_of(std::initializer_list<unsigned char> values) {
  std::string out;
  for (unsigned char value : values) out.push_back(static_cast<char>(value));
  return out;
}

std::string encode(const arrow::Scalar& value) {
  auto bytes = lake::iceberg::to_single_value(value);
  EXPECT_TRUE(bytes.has_value()) << value.ToString() << ": " << bytes.error().to_string();
  return bytes.value_or("");
}

std::shared_ptr<arrow::Scalar> decode(std::string_view bytes, const std::shared_ptr<arrow::DataType>& type) {
  auto value = lake::iceberg::from_single_value(bytes, type);
  EXPECT_TRUE(value.has_value()) << type->ToString() << ": " << value.error().to_string();
  return value.value_or(arrow::MakeNullScalar(type));
}

std::shared_ptr<arrow::Scalar> decimal(std::int64_t high, std::uint64_t low, int precision, int scale) {
  return std::make_shared<arrow::Decimal128Scalar>(arrow::Decimal128(high, low), arrow::decimal128(precision, scale));
}


TEST(SingleValue, WritesTheSpecBytes) {
  EXPECT_EQ(encode(arrow::BooleanScalar(false)), bytes_of({0x00}));
  EXPECT_EQ(encode(arrow::BooleanScalar(true)), bytes_of({0x01}));
  EXPECT_EQ(encode(arrow::Int32Scalar(1)), bytes_of({0x01, 0x00, 0x00, 0x00}));
  EXPECT_EQ(encode(arrow::Int32Scalar(-2)), bytes_of({0xFE, 0xFF, 0xFF, 0xFF}));
  EXPECT_EQ(encode(arrow::Int64Scalar(1)), bytes_of({0x01, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(encode(arrow::FloatScalar(1.0F)), bytes_of({0x00, 0x00, 0x80, 0x3F}));
  EXPECT_EQ(encode(arrow::DoubleScalar(1.0)), bytes_of({0, 0, 0, 0, 0, 0, 0xF0, 0x3F}));
  EXPECT_EQ(encode(arrow::Date32Scalar(17486)), bytes_of({0x4E, 0x44, 0x00, 0x00}));  // 2017-11-16
  EXPECT_EQ(encode(arrow::Time64Scalar(1, arrow::time64(arrow::TimeUnit::MICRO))),
            bytes_of({0x01, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(encode(arrow::TimestampScalar(-1, arrow::timestamp(arrow::TimeUnit::NANO, "UTC"))),
            bytes_of({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}));
  EXPECT_EQ(encode(arrow::StringScalar("iceberg")), "iceberg");
  EXPECT_EQ(encode(arrow::StringScalar("")), "");
  EXPECT_EQ(encode(arrow::BinaryScalar(bytes_of({0x00, 0x01, 0xFF}))), bytes_of({0x00, 0x01, 0xFF}));
  const std::string uuid = bytes_of({0xF7, 0x9C, 0x3E, 0x09, 0x67, 0x7C, 0x4B, 0xBD, 0xA4, 0x79, 0x3F, 0x34, 0x9C,
                                     0xB7, 0x85, 0xE7});  // f79c3e09-677c-4bbd-a479-3f349cb785e7
  EXPECT_EQ(encode(*fixed(uuid)), uuid);
}

TEST(SingleValue, WritesDecimalsInTheFewestBytes) {
  EXPECT_EQ(encode(*decimal(1420, 9, 2)), bytes_of({0x05, 0x8C}));  // 14.20
  EXPECT_EQ(encode(*decimal(0, 9, 2)), bytes_of({0x00}));
  EXPECT_EQ(encode(*decimal(-1, 9, 2)), bytes_of({0xFF}));
  EXPECT_EQ(encode(*decimal(127, 9, 0)), bytes_of({0x7F}));
  EXPECT_EQ(encode(*decimal(128, 9, 0)), bytes_of({0x00, 0x80}));
  EXPECT_EQ(encode(*decimal(-128, 9, 0)), bytes_of({0x80}));
  EXPECT_EQ(encode(*decimal(-129, 9, 0)), bytes_of({0xFF, 0x7F}));
  // The scale is the type's, not the bytes'.
  EXPECT_EQ(encode(*decimal(1420, 38, 10)), bytes_of({0x05, 0x8C}));
  EXPECT_EQ(lake::iceberg::unscaled_bytes(arrow::Decimal128(std::numeric_limits<std::int64_t>::min(), 0)).size(), 16U);
}

TEST(SingleValue, RoundTripsEveryType) {
  const std::string uuid = bytes_of({0xF7, 0x9C, 0x3E, 0x09, 0x67, 0x7C, 0x4B, 0xBD, 0xA4, 0x79, 0x3F, 0x34, 0x9C,
                                     0xB7, 0x85, 0xE7});
  // 10^38 - 1, the largest decimal(38, S), and its negation.
  const arrow::Decimal128 largest = arrow::Decimal128::GetMaxValue(38);
  const std::vector<std::shared_ptr<arrow::Scalar>> values = {
      std::make_shared<arrow::BooleanScalar>(true),
      std::make_shared<arrow::BooleanScalar>(false),
      std::make_shared<arrow::Int32Scalar>(std::numeric_limits<std::int32_t>::min()),
      std::make_shared<arrow::Int32Scalar>(34),
      std::make_shared<arrow::Int64Scalar>(std::numeric_limits<std::int64_t>::max()),
      std::make_shared<arrow::Int64Scalar>(-34),
      std::make_shared<arrow::FloatScalar>(-1.5F),
      std::make_shared<arrow::FloatScalar>(std::numeric_limits<float>::infinity()),
      std::make_shared<arrow::DoubleScalar>(3.141592653589793),
      std::make_shared<arrow::DoubleScalar>(-0.0),
      std::make_shared<arrow::Date32Scalar>(-719162),
      std::make_shared<arrow::Time64Scalar>(81068000000, arrow::time64(arrow::TimeUnit::MICRO)),
      std::make_shared<arrow::TimestampScalar>(1510871468000000, arrow::timestamp(arrow::TimeUnit::MICRO)),
      std::make_shared<arrow::TimestampScalar>(-1, arrow::timestamp(arrow::TimeUnit::MICRO, "UTC")),
      std::make_shared<arrow::TimestampScalar>(1510871468000001001, arrow::timestamp(arrow::TimeUnit::NANO)),
      std::make_shared<arrow::TimestampScalar>(1510871468000001001, arrow::timestamp(arrow::TimeUnit::NANO, "UTC")),
      std::make_shared<arrow::StringScalar>("iceberg"),
      std::make_shared<arrow::StringScalar>("日本語 😀"),
      std::make_shared<arrow::LargeStringScalar>("large"),
      std::make_shared<arrow::BinaryScalar>(bytes_of({0x00, 0xFF, 0x10})),
      std::make_shared<arrow::LargeBinaryScalar>(bytes_of({0x00})),
      std::make_shared<arrow::BinaryScalar>(""),
      fixed(uuid),
      fixed(bytes_of({0x00, 0x01, 0x02})),
      decimal(1420, 9, 2),
      decimal(-1420, 9, 2),
      decimal(0, 18, 3),
      std::make_shared<arrow::Decimal128Scalar>(largest, arrow::decimal128(38, 0)),
      std::make_shared<arrow::Decimal128Scalar>(arrow::Decimal128(-largest), arrow::decimal128(38, 4)),
      decimal(-1, 0xFFFF'FFFF'0000'0000ULL, 38, 2),
  };
  for (const auto& value : values) {
    const std::string bytes = encode(*value);
    auto back = decode(bytes, value->type);
    EXPECT_TRUE(back->Equals(*value)) << value->type->ToString() << " " << value->ToString() << " came back as "
                                      << back->ToString();
    EXPECT_TRUE(back->type->Equals(*value->type)) << back->type->ToString();
  }
}

TEST(SingleValue, ReadsAnyNonZeroByteAsTrue) {
  EXPECT_TRUE(decode(bytes_of({0x02}), arrow::boolean())->Equals(arrow::BooleanScalar(true)));
  EXPECT_TRUE(decode(bytes_of({0x00}), arrow::boolean())->Equals(arrow::BooleanScalar(false)));
}

TEST(SingleValue, ReadsBoundsWrittenBeforeATypePromotion) {
  // int -> long: 4 bytes, sign-extended.
  EXPECT_TRUE(decode(bytes_of({0x01, 0x00, 0x00, 0x00}), arrow::int64())->Equals(arrow::Int64Scalar(1)));
  EXPECT_TRUE(decode(bytes_of({0xFE, 0xFF, 0xFF, 0xFF}), arrow::int64())->Equals(arrow::Int64Scalar(-2)));
  // float -> double: the float, widened.
  EXPECT_TRUE(decode(encode(arrow::FloatScalar(0.1F)), arrow::float64())
                  ->Equals(arrow::DoubleScalar(static_cast<double>(0.1F))));
  // date -> timestamp, timestamp_ns: midnight of the day.
  const std::string day = encode(arrow::Date32Scalar(17486));
  const auto micros = arrow::timestamp(arrow::TimeUnit::MICRO);
  const auto nanos = arrow::timestamp(arrow::TimeUnit::NANO);
  EXPECT_TRUE(decode(day, micros)->Equals(arrow::TimestampScalar(17486LL * 86'400'000'000, micros)));
  EXPECT_TRUE(decode(day, nanos)->Equals(arrow::TimestampScalar(17486LL * 86'400'000'000'000, nanos)));
  EXPECT_TRUE(decode(encode(arrow::Date32Scalar(-1)), micros)->Equals(arrow::TimestampScalar(-86'400'000'000, micros)));
  // A decimal written at a smaller precision reads at the wider one.
  EXPECT_TRUE(decode(encode(*decimal(1420, 4, 2)), arrow::decimal128(20, 2))->Equals(*decimal(1420, 20, 2)));
}

TEST(SingleValue, RefusesAPromotedDateBeyondNanosecondRange) {
  // 300000 days after the epoch (year 2791) has no int64 nanosecond count.
  auto value =
      lake::iceberg::from_single_value(encode(arrow::Date32Scalar(300000)), arrow::timestamp(arrow::TimeUnit::NANO));
  ASSERT_FALSE(value.has_value());
  EXPECT_EQ(value.error().code(), ErrorCode::invalid_argument);
}

TEST(SingleValue, RefusesLengthsTheTypeCannotHave) {
  struct Case {
    std::string bytes;
    std::shared_ptr<arrow::DataType> type;
  };
  const std::vector<Case> cases = {
      {bytes_of({0x01, 0x00, 0x00}), arrow::int32()},
      {bytes_of({0x01, 0x00, 0x00, 0x00, 0x00}), arrow::int32()},
      {bytes_of({0x01, 0x00}), arrow::boolean()},
      {"", arrow::boolean()},
      {bytes_of({0x01, 0x00, 0x00, 0x00, 0x00, 0x00}), arrow::int64()},
      {bytes_of({0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}), arrow::float32()},
      {bytes_of({0x01, 0x00}), arrow::float64()},
      {bytes_of({0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}), arrow::date32()},
      {bytes_of({0x01, 0x00, 0x00, 0x00}), arrow::time64(arrow::TimeUnit::MICRO)},
      // A date never promotes to timestamptz, so 4 bytes are no bound of one.
      {bytes_of({0x01, 0x00, 0x00, 0x00}), arrow::timestamp(arrow::TimeUnit::MICRO, "UTC")},
      {std::string(15, '\0'), arrow::fixed_size_binary(16)},
      {"", arrow::decimal128(9, 2)},
      {std::string(17, '\0'), arrow::decimal128(38, 2)},
  };
  for (const auto& c : cases) {
    auto value = lake::iceberg::from_single_value(c.bytes, c.type);
    ASSERT_FALSE(value.has_value()) << c.type->ToString() << " from " << c.bytes.size() << " bytes";
    EXPECT_EQ(value.error().code(), ErrorCode::invalid_argument);
    EXPECT_NE(value.error().message().find(c.type->ToString()), std::string::npos) << value.error().message();
    EXPECT_NE(value.error().message().find(std::to_string(c.bytes.size())), std::string::npos)
        << value.error().message();
  }
}

TEST(SingleValue, RefusesAStringThatIsNotUtf8) {
  auto value = lake::iceberg::from_single_value(bytes_of({0x61, 0xC3}), arrow::utf8());
  ASSERT_FALSE(value.has_value());
  EXPECT_EQ(value.error().code(), ErrorCode::invalid_argument);
  // The same bytes are a fine binary value.
  EXPECT_TRUE(decode(bytes_of({0x61, 0xC3}), arrow::binary())->Equals(arrow::BinaryScalar(bytes_of({0x61, 0xC3}))));
}

TEST(SingleValue, RefusesNullsAndTypesWithoutAForm) {
  auto null_value = lake::iceberg::to_single_value(*arrow::MakeNullScalar(arrow::int32()));
  ASSERT_FALSE(null_value.has_value());
  EXPECT_EQ(null_value.error().code(), ErrorCode::invalid_argument);

  for (const auto& scalar : std::vector<std::shared_ptr<arrow::Scalar>>{
           std::make_shared<arrow::Int16Scalar>(1),
           std::make_shared<arrow::TimestampScalar>(1, arrow::timestamp(arrow::TimeUnit::MILLI)),
           std::make_shared<arrow::Time64Scalar>(1, arrow::time64(arrow::TimeUnit::NANO)),
       }) {
    auto bytes = lake::iceberg::to_single_value(*scalar);
    ASSERT_FALSE(bytes.has_value()) << scalar->type->ToString();
    EXPECT_EQ(bytes.error().code(), ErrorCode::invalid_argument);
    auto back = lake::iceberg::from_single_value(std::string(8, '\0'), scalar->type);
    ASSERT_FALSE(back.has_value()) << scalar->type->ToString();
    EXPECT_EQ(back.error().code(), ErrorCode::invalid_argument);
  }

  const auto structure = arrow::struct_({arrow::field("a", arrow::int32())});
  auto nested = lake::iceberg::to_single_value(
      arrow::StructScalar({std::make_shared<arrow::Int32Scalar>(1)}, structure));
  ASSERT_FALSE(nested.has_value());
  EXPECT_EQ(nested.error().code(), ErrorCode::unsupported);
  auto nested_back = lake::iceberg::from_single_value("", structure);
  ASSERT_FALSE(nested_back.has_value());
  EXPECT_EQ(nested_back.error().code(), ErrorCode::unsupported);
}

}  // namespace

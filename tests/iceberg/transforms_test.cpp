// Iceberg partition transforms against the table spec: its text forms, its
// result types and source-type table, Appendix B's hash test values, the
// truncate examples, and the time transforms on both sides of the epoch.
#include "iceberg/transforms.hpp"

#include <arrow/api.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "scalars.hpp"

namespace {

using lake::iceberg::testing::decimal;
using lake::iceberg::testing::fixed;

using lake::ErrorCode;
using lake::formats::Transform;
using lake::iceberg::PartitionTransform;

constexpr std::int64_t kMicrosPerSecond = 1'000'000;
// 2017-11-16T22:31:08 UTC, the spec's test instant.
constexpr std::int64_t kSpecMicros = 1'510'871'468 * kMicrosPerSecond;
constexpr std::int32_t kSpecDays = 17486;  // 2017-11-16

PartitionTransform make(Transform kind, std::int32_t param = 0) { return PartitionTransform{kind, param}; }

// An array of `type` from optional values (nullopt: null), through the
// type's builder.
template <class BuilderT, class T>
std::shared_ptr<arrow::Array> array_of(const std::shared_ptr<arrow::DataType>& type,
                                       const std::vector<std::optional<T>>& values) {
  auto builder = arrow::MakeBuilder(type).ValueOrDie();
  auto& typed = static_cast<BuilderT&>(*builder);
  for (const auto& value : values) {
    if (value) {
      EXPECT_TRUE(typed.Append(*value).ok());
    } else {
      EXPECT_TRUE(typed.AppendNull().ok());
    }
  }
  return builder->Finish().ValueOrDie();
}

std::vector<std::optional<std::int32_t>> int32_values(const std::shared_ptr<arrow::Array>& array) {
  EXPECT_EQ(array->type_id(), arrow::Type::INT32);
  const auto& ints = static_cast<const arrow::Int32Array&>(*array);
  std::vector<std::optional<std::int32_t>> out;
  for (std::int64_t i = 0; i < ints.length(); ++i) {
    out.push_back(ints.IsNull(i) ? std::nullopt : std::optional(ints.Value(i)));
  }
  return out;
}

std::int32_t hash_of(const arrow::Scalar& value) {
  auto hash = lake::iceberg::bucket_hash(value);
  EXPECT_TRUE(hash.has_value()) << hash.error().to_string();
  return hash.value_or(0);
}



std::shared_ptr<arrow::Scalar> apply_scalar(const PartitionTransform& transform, const arrow::Scalar& value) {
  auto out = lake::iceberg::apply(transform, value);
  EXPECT_TRUE(out.has_value()) << out.error().to_string();
  return out.value_or(nullptr);
}

// --- text form ------------------------------------------------------------

TEST(TransformText, ParsesAndPrintsEverySpecForm) {
  const std::vector<std::pair<std::string, PartitionTransform>> forms = {
      {"identity", make(Transform::identity)},    {"bucket[16]", make(Transform::bucket, 16)},
      {"truncate[4]", make(Transform::truncate, 4)}, {"year", make(Transform::year)},
      {"month", make(Transform::month)},          {"day", make(Transform::day)},
      {"hour", make(Transform::hour)},            {"void", make(Transform::void_)},
      {"bucket[1]", make(Transform::bucket, 1)},  {"truncate[2147483647]", make(Transform::truncate, 2147483647)},
  };
  for (const auto& [text, transform] : forms) {
    auto parsed = lake::iceberg::parse_transform(text);
    ASSERT_TRUE(parsed.has_value()) << text << ": " << parsed.error().to_string();
    EXPECT_EQ(*parsed, transform) << text;
    EXPECT_EQ(lake::iceberg::to_string(transform), text);
  }
}

TEST(TransformText, RefusesUnknownTransformsAsUnsupported) {
  for (const std::string text : {"years", "Bucket[16]", "IDENTITY", "bucket[ 16]", "bucket[16 ]", "bucket[16,2]",
                                 "bucket", "bucket[]", "bucket[x]", "truncate[+4]", "identity[1]", "zorder", "",
                                 "day ", "bucket[16]]"}) {
    auto parsed = lake::iceberg::parse_transform(text);
    ASSERT_FALSE(parsed.has_value()) << text;
    EXPECT_EQ(parsed.error().code(), ErrorCode::unsupported) << text;
    EXPECT_NE(parsed.error().message().find("\"" + text + "\""), std::string::npos) << parsed.error().message();
  }
}

TEST(TransformText, RefusesCountsBelowOneOrBeyondInt) {
  for (const std::string text : {"bucket[0]", "bucket[-1]", "truncate[0]", "truncate[-10]", "bucket[2147483648]",
                                 "truncate[99999999999999999999999]"}) {
    auto parsed = lake::iceberg::parse_transform(text);
    ASSERT_FALSE(parsed.has_value()) << text;
    EXPECT_EQ(parsed.error().code(), ErrorCode::invalid_argument) << text;
    EXPECT_NE(parsed.error().message().find(text), std::string::npos) << parsed.error().message();
  }
}

// --- result types -----------------------------------------------------------

TEST(TransformResultType, FollowsTheSpecTable) {
  struct Case {
    PartitionTransform transform;
    std::shared_ptr<arrow::DataType> source;
    std::shared_ptr<arrow::DataType> expected;
  };
  const auto ts_utc = arrow::timestamp(arrow::TimeUnit::MICRO, "UTC");
  const std::vector<Case> cases = {
      {make(Transform::identity), arrow::utf8(), arrow::utf8()},
      {make(Transform::identity), arrow::boolean(), arrow::boolean()},
      {make(Transform::identity), arrow::float64(), arrow::float64()},
      {make(Transform::identity), ts_utc, ts_utc},
      {make(Transform::bucket, 8), arrow::int64(), arrow::int32()},
      {make(Transform::bucket, 8), arrow::fixed_size_binary(16), arrow::int32()},
      {make(Transform::bucket, 8), arrow::time64(arrow::TimeUnit::MICRO), arrow::int32()},
      {make(Transform::bucket, 8), arrow::large_utf8(), arrow::int32()},
      {make(Transform::truncate, 3), arrow::decimal128(9, 2), arrow::decimal128(9, 2)},
      {make(Transform::truncate, 3), arrow::large_binary(), arrow::large_binary()},
      {make(Transform::year), arrow::date32(), arrow::int32()},
      {make(Transform::month), arrow::timestamp(arrow::TimeUnit::NANO), arrow::int32()},
      {make(Transform::day), ts_utc, arrow::int32()},
      {make(Transform::day), arrow::date32(), arrow::int32()},
      {make(Transform::hour), arrow::timestamp(arrow::TimeUnit::NANO, "UTC"), arrow::int32()},
      {make(Transform::void_), arrow::utf8(), arrow::utf8()},
      {make(Transform::void_), arrow::struct_({arrow::field("a", arrow::int32())}),
       arrow::struct_({arrow::field("a", arrow::int32())})},
  };
  for (const auto& c : cases) {
    auto type = lake::iceberg::result_type(c.transform, *c.source);
    ASSERT_TRUE(type.has_value()) << lake::iceberg::to_string(c.transform) << " of " << c.source->ToString() << ": "
                                  << type.error().to_string();
    EXPECT_TRUE((*type)->Equals(*c.expected))
        << lake::iceberg::to_string(c.transform) << " of " << c.source->ToString() << " gave " << (*type)->ToString();
  }
}

TEST(TransformResultType, RefusesTypesATransformDoesNotApplyTo) {
  struct Case {
    PartitionTransform transform;
    std::shared_ptr<arrow::DataType> source;
    std::string type_name;  // as the message names it
  };
  const std::vector<Case> cases = {
      {make(Transform::year), arrow::utf8(), "string"},
      {make(Transform::truncate, 4), arrow::boolean(), "boolean"},
      {make(Transform::bucket, 4), arrow::float32(), "float"},
      {make(Transform::bucket, 4), arrow::float64(), "double"},
      {make(Transform::bucket, 4), arrow::boolean(), "boolean"},
      {make(Transform::hour), arrow::date32(), "date"},
      {make(Transform::month), arrow::time64(arrow::TimeUnit::MICRO), "time"},
      {make(Transform::truncate, 4), arrow::fixed_size_binary(16), "fixed[16]"},
      {make(Transform::truncate, 4), arrow::timestamp(arrow::TimeUnit::MICRO), "timestamp"},
      {make(Transform::identity), arrow::int16(), "int16"},
      {make(Transform::identity), arrow::timestamp(arrow::TimeUnit::MILLI), "timestamp[ms]"},
      {make(Transform::identity), arrow::time64(arrow::TimeUnit::NANO), "time64[ns]"},
      {make(Transform::identity), arrow::list(arrow::int32()), "list"},
      {make(Transform::day), arrow::date64(), "date64"},
  };
  for (const auto& c : cases) {
    const std::string name = lake::iceberg::to_string(c.transform);
    auto type = lake::iceberg::result_type(c.transform, *c.source);
    ASSERT_FALSE(type.has_value()) << name << " of " << c.source->ToString();
    EXPECT_EQ(type.error().code(), ErrorCode::invalid_argument);
    EXPECT_NE(type.error().message().find(name), std::string::npos) << type.error().message();
    EXPECT_NE(type.error().message().find(c.type_name), std::string::npos) << type.error().message();
  }
}

TEST(TransformResultType, RefusesAParameterBelowOne) {
  for (const auto& transform : {make(Transform::bucket, 0), make(Transform::truncate, -1)}) {
    auto type = lake::iceberg::result_type(transform, *arrow::int32());
    ASSERT_FALSE(type.has_value());
    EXPECT_EQ(type.error().code(), ErrorCode::invalid_argument);
    auto applied = lake::iceberg::apply(transform, arrow::Int32Scalar(5));
    ASSERT_FALSE(applied.has_value());
    EXPECT_EQ(applied.error().code(), ErrorCode::invalid_argument);
  }
}

// --- Appendix B ---------------------------------------------------------------

TEST(BucketHash, MatchesAppendixBTestValues) {
  EXPECT_EQ(hash_of(arrow::Int32Scalar(34)), 2017239379);
  EXPECT_EQ(hash_of(arrow::Int64Scalar(34)), 2017239379);
  EXPECT_EQ(hash_of(*decimal(1420, 9, 2)), -500754589);  // 14.20
  EXPECT_EQ(hash_of(arrow::Date32Scalar(kSpecDays)), -653330422);
  const std::int64_t time_micros = (22 * 3600 + 31 * 60 + 8) * kMicrosPerSecond;  // 22:31:08
  EXPECT_EQ(hash_of(arrow::Time64Scalar(time_micros, arrow::time64(arrow::TimeUnit::MICRO))), -662762989);

  const auto ts = arrow::timestamp(arrow::TimeUnit::MICRO);
  const auto tstz = arrow::timestamp(arrow::TimeUnit::MICRO, "UTC");
  const auto ts_ns = arrow::timestamp(arrow::TimeUnit::NANO);
  const auto tstz_ns = arrow::timestamp(arrow::TimeUnit::NANO, "UTC");
  EXPECT_EQ(hash_of(arrow::TimestampScalar(kSpecMicros, ts)), -2047944441);
  EXPECT_EQ(hash_of(arrow::TimestampScalar(kSpecMicros + 1, ts)), -1207196810);
  // 2017-11-16T14:31:08-08:00 is the same instant.
  EXPECT_EQ(hash_of(arrow::TimestampScalar(kSpecMicros, tstz)), -2047944441);
  EXPECT_EQ(hash_of(arrow::TimestampScalar(kSpecMicros + 1, tstz)), -1207196810);
  EXPECT_EQ(hash_of(arrow::TimestampScalar(kSpecMicros * 1000, ts_ns)), -2047944441);
  EXPECT_EQ(hash_of(arrow::TimestampScalar(kSpecMicros * 1000 + 1001, ts_ns)), -1207196810);  // .000001001
  EXPECT_EQ(hash_of(arrow::TimestampScalar(kSpecMicros * 1000, tstz_ns)), -2047944441);
  EXPECT_EQ(hash_of(arrow::TimestampScalar(kSpecMicros * 1000 + 1001, tstz_ns)), -1207196810);

  EXPECT_EQ(hash_of(arrow::StringScalar("iceberg")), 1210000089);
  EXPECT_EQ(hash_of(arrow::LargeStringScalar("iceberg")), 1210000089);
  // f79c3e09-677c-4bbd-a479-3f349cb785e7, big-endian as stored.
  EXPECT_EQ(hash_of(*fixed("\xF7\x9C\x3E\x09\x67\x7C\x4B\xBD\xA4\x79\x3F\x34\x9C\xB7\x85\xE7")), 1488055340);
  EXPECT_EQ(hash_of(*fixed(std::string("\x00\x01\x02\x03", 4))), -188683207);
  EXPECT_EQ(hash_of(arrow::BinaryScalar(std::string("\x00\x01\x02\x03", 4))), -188683207);
  EXPECT_EQ(hash_of(arrow::LargeBinaryScalar(std::string("\x00\x01\x02\x03", 4))), -188683207);
}

TEST(BucketHash, MatchesAppendixBValuesForTypesBucketRefuses) {
  EXPECT_EQ(hash_of(arrow::BooleanScalar(true)), 1392991556);
  EXPECT_EQ(hash_of(arrow::FloatScalar(1.0F)), -142385009);
  EXPECT_EQ(hash_of(arrow::FloatScalar(0.0F)), 1669671676);
  EXPECT_EQ(hash_of(arrow::FloatScalar(-0.0F)), 1669671676);
  EXPECT_EQ(hash_of(arrow::DoubleScalar(1.0)), -142385009);
  EXPECT_EQ(hash_of(arrow::DoubleScalar(0.0)), 1669671676);
  EXPECT_EQ(hash_of(arrow::DoubleScalar(-0.0)), 1669671676);
  EXPECT_EQ(hash_of(arrow::DoubleScalar(std::numeric_limits<double>::quiet_NaN())),
            hash_of(arrow::DoubleScalar(-std::numeric_limits<double>::quiet_NaN())));
}

TEST(BucketHash, DecimalHashIgnoresScaleAndPadding) {
  EXPECT_EQ(hash_of(*decimal(1420, 9, 2)), hash_of(*decimal(1420, 38, 5)));
  // The minimum bytes of -1 and of 0 are one byte each.
  EXPECT_EQ(hash_of(*decimal(-1, 9, 0)), hash_of(arrow::BinaryScalar(std::string("\xFF", 1))));
  EXPECT_EQ(hash_of(*decimal(0, 9, 0)), hash_of(arrow::BinaryScalar(std::string("\x00", 1))));
  EXPECT_EQ(hash_of(*decimal(128, 9, 0)), hash_of(arrow::BinaryScalar(std::string("\x00\x80", 2))));
}

TEST(BucketHash, RefusesNullsAndNonIcebergTypes) {
  auto null_hash = lake::iceberg::bucket_hash(*arrow::MakeNullScalar(arrow::int32()));
  ASSERT_FALSE(null_hash.has_value());
  EXPECT_EQ(null_hash.error().code(), ErrorCode::invalid_argument);
  auto int16_hash = lake::iceberg::bucket_hash(arrow::Int16Scalar(3));
  ASSERT_FALSE(int16_hash.has_value());
  EXPECT_EQ(int16_hash.error().code(), ErrorCode::invalid_argument);
}

// --- bucket ---------------------------------------------------------------------

TEST(Bucket, ReducesTheHashModuloN) {
  const auto bucket16 = make(Transform::bucket, 16);
  auto ints = array_of<arrow::Int32Builder, std::int32_t>(arrow::int32(), {34, std::nullopt, 0});
  auto buckets = lake::iceberg::apply(bucket16, *ints);
  ASSERT_TRUE(buckets.has_value()) << buckets.error().to_string();
  // hash(34) = 2017239379 = 16 * 126077461 + 3; hash(0) = 1669671676 ≡ 12.
  EXPECT_EQ(int32_values(*buckets), (std::vector<std::optional<std::int32_t>>{3, std::nullopt, 1669671676 % 16}));

  // A negative hash loses its sign bit first: hash(14.20) = -500754589.
  auto from_decimal = apply_scalar(bucket16, *decimal(1420, 9, 2));
  ASSERT_NE(from_decimal, nullptr);
  EXPECT_TRUE(from_decimal->Equals(arrow::Int32Scalar((-500754589 & 0x7FFFFFFF) % 16)));
  EXPECT_TRUE(apply_scalar(bucket16, arrow::StringScalar("iceberg"))->Equals(arrow::Int32Scalar(9)));
  EXPECT_TRUE(apply_scalar(make(Transform::bucket, 1), arrow::StringScalar("iceberg"))->Equals(arrow::Int32Scalar(0)));
}

TEST(Bucket, IntAndLongBucketAlike) {
  const auto bucket = make(Transform::bucket, 100);
  auto ints = array_of<arrow::Int32Builder, std::int32_t>(arrow::int32(), {-7, 0, 34, 2147483647, std::nullopt});
  auto longs = array_of<arrow::Int64Builder, std::int64_t>(arrow::int64(), {-7, 0, 34, 2147483647, std::nullopt});
  auto from_ints = lake::iceberg::apply(bucket, *ints);
  auto from_longs = lake::iceberg::apply(bucket, *longs);
  ASSERT_TRUE(from_ints.has_value() && from_longs.has_value());
  EXPECT_TRUE((*from_ints)->Equals(**from_longs));
}

TEST(Bucket, ReadsASlicedArrayFromItsOffset) {
  auto strings = array_of<arrow::StringBuilder, std::string>(arrow::utf8(), {"a", "iceberg", std::nullopt});
  auto sliced = strings->Slice(1);
  auto buckets = lake::iceberg::apply(make(Transform::bucket, 16), *sliced);
  ASSERT_TRUE(buckets.has_value());
  EXPECT_EQ(int32_values(*buckets), (std::vector<std::optional<std::int32_t>>{9, std::nullopt}));
}

// --- truncate -------------------------------------------------------------------

TEST(Truncate, MatchesTheSpecExamples) {
  const auto width10 = make(Transform::truncate, 10);
  auto ints = array_of<arrow::Int32Builder, std::int32_t>(arrow::int32(), {1, -1, std::nullopt, 10, -10, -11, 0});
  auto truncated = lake::iceberg::apply(width10, *ints);
  ASSERT_TRUE(truncated.has_value()) << truncated.error().to_string();
  EXPECT_EQ(int32_values(*truncated),
            (std::vector<std::optional<std::int32_t>>{0, -10, std::nullopt, 10, -10, -20, 0}));

  auto longs = array_of<arrow::Int64Builder, std::int64_t>(arrow::int64(), {1, -1, std::nullopt});
  auto truncated_longs = lake::iceberg::apply(width10, *longs);
  ASSERT_TRUE(truncated_longs.has_value());
  auto expected_longs = array_of<arrow::Int64Builder, std::int64_t>(arrow::int64(), {0, -10, std::nullopt});
  EXPECT_TRUE((*truncated_longs)->Equals(*expected_longs)) << (*truncated_longs)->ToString();

  // W = 50 at scale 2: 10.65 -> 10.50; -0.05 -> -0.50.
  const auto width50 = make(Transform::truncate, 50);
  EXPECT_TRUE(apply_scalar(width50, *decimal(1065, 9, 2))->Equals(*decimal(1050, 9, 2)));
  EXPECT_TRUE(apply_scalar(width50, *decimal(-5, 9, 2))->Equals(*decimal(-50, 9, 2)));

  EXPECT_TRUE(apply_scalar(make(Transform::truncate, 3), arrow::StringScalar("iceberg"))
                  ->Equals(arrow::StringScalar("ice")));
  EXPECT_TRUE(apply_scalar(make(Transform::truncate, 3), arrow::BinaryScalar(std::string("\x01\x02\x03\x04\x05")))
                  ->Equals(arrow::BinaryScalar(std::string("\x01\x02\x03"))));
}

TEST(Truncate, CutsStringsByCodePointsNotBytes) {
  const auto width2 = make(Transform::truncate, 2);
  // Two-, three- and four-byte code points.
  EXPECT_TRUE(apply_scalar(width2, arrow::StringScalar("ça va"))->Equals(arrow::StringScalar("ça")));
  EXPECT_TRUE(apply_scalar(width2, arrow::StringScalar("日本語"))->Equals(arrow::StringScalar("日本")));
  EXPECT_TRUE(apply_scalar(width2, arrow::StringScalar("a😀b"))->Equals(arrow::StringScalar("a😀")));
  EXPECT_TRUE(apply_scalar(width2, arrow::LargeStringScalar("日本語"))->Equals(arrow::LargeStringScalar("日本")));
  // Shorter values stay whole.
  EXPECT_TRUE(apply_scalar(width2, arrow::StringScalar("é"))->Equals(arrow::StringScalar("é")));
  EXPECT_TRUE(apply_scalar(width2, arrow::StringScalar(""))->Equals(arrow::StringScalar("")));
  // Binary has no encoding: bytes.
  EXPECT_TRUE(apply_scalar(width2, arrow::BinaryScalar("日本語"))->Equals(arrow::BinaryScalar("\xE6\x97")));
}

TEST(Truncate, KeepsNullsAndTheSourceType) {
  auto strings = array_of<arrow::LargeStringBuilder, std::string>(arrow::large_utf8(), {"iceberg", std::nullopt, "ic"});
  auto truncated = lake::iceberg::apply(make(Transform::truncate, 3), *strings);
  ASSERT_TRUE(truncated.has_value());
  auto expected = array_of<arrow::LargeStringBuilder, std::string>(arrow::large_utf8(), {"ice", std::nullopt, "ic"});
  EXPECT_TRUE((*truncated)->Equals(*expected)) << (*truncated)->ToString();
}

TEST(Truncate, RefusesAResultOutsideTheIntegerRange) {
  auto truncated = lake::iceberg::apply(make(Transform::truncate, 3),
                                        arrow::Int32Scalar(std::numeric_limits<std::int32_t>::min()));
  ASSERT_FALSE(truncated.has_value());
  EXPECT_EQ(truncated.error().code(), ErrorCode::invalid_argument);
  auto truncated_long = lake::iceberg::apply(make(Transform::truncate, 3),
                                             arrow::Int64Scalar(std::numeric_limits<std::int64_t>::min()));
  ASSERT_FALSE(truncated_long.has_value());
  EXPECT_EQ(truncated_long.error().code(), ErrorCode::invalid_argument);
  // The largest width still works on the smallest value that does fit.
  auto widest = lake::iceberg::apply(make(Transform::truncate, std::numeric_limits<std::int32_t>::max()),
                                     arrow::Int32Scalar(-1));
  ASSERT_TRUE(widest.has_value());
  EXPECT_TRUE((*widest)->Equals(arrow::Int32Scalar(-std::numeric_limits<std::int32_t>::max())));
}

// --- year, month, day, hour -------------------------------------------------------

struct TimeCase {
  std::int32_t days;  // from 1970-01-01
  std::int32_t year, month;
};

// Dates on both sides of the epoch, a leap day and the calendar's ends.
const std::vector<TimeCase> kDates = {
    {kSpecDays, 47, 574},          // 2017-11-16
    {-1, -1, -1},                  // 1969-12-31
    {0, 0, 0},                     // 1970-01-01
    {11016, 30, 361},              // 2000-02-29
    {-25508, -70, -838},           // 1900-03-01
    {-719162, -1969, -23628},      // 0001-01-01
    {2932896, 8029, 96359},        // 9999-12-31
};

TEST(TimeTransforms, CountYearsMonthsAndDaysOfDates) {
  std::vector<std::optional<std::int32_t>> days, years, months;
  for (const auto& c : kDates) {
    days.emplace_back(c.days);
    years.emplace_back(c.year);
    months.emplace_back(c.month);
  }
  days.emplace_back(std::nullopt);
  years.emplace_back(std::nullopt);
  months.emplace_back(std::nullopt);
  auto dates = array_of<arrow::Date32Builder, std::int32_t>(arrow::date32(), days);
  auto year = lake::iceberg::apply(make(Transform::year), *dates);
  auto month = lake::iceberg::apply(make(Transform::month), *dates);
  auto day = lake::iceberg::apply(make(Transform::day), *dates);
  ASSERT_TRUE(year.has_value() && month.has_value() && day.has_value());
  EXPECT_EQ(int32_values(*year), years);
  EXPECT_EQ(int32_values(*month), months);
  EXPECT_EQ(int32_values(*day), days);
}

TEST(TimeTransforms, CountFromTheEpochInEveryTimestampKind) {
  constexpr std::int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;
  constexpr std::int64_t kMicrosPerHour = 3'600 * kMicrosPerSecond;
  for (const auto& type : {arrow::timestamp(arrow::TimeUnit::MICRO), arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"),
                           arrow::timestamp(arrow::TimeUnit::NANO),
                           arrow::timestamp(arrow::TimeUnit::NANO, "UTC")}) {
    const std::int64_t scale =
        static_cast<const arrow::TimestampType&>(*type).unit() == arrow::TimeUnit::NANO ? 1000 : 1;
    for (const auto& c : kDates) {
      if (scale == 1000 && (c.days < -106'000 || c.days > 106'000)) continue;  // beyond int64 nanoseconds
      // A moment late in the day: the day, month and year still are the date's.
      const std::int64_t micros = c.days * kMicrosPerDay + 23 * kMicrosPerHour + 59 * 60 * kMicrosPerSecond;
      const arrow::TimestampScalar value(micros * scale, type);
      EXPECT_TRUE(apply_scalar(make(Transform::year), value)->Equals(arrow::Int32Scalar(c.year))) << type->ToString();
      EXPECT_TRUE(apply_scalar(make(Transform::month), value)->Equals(arrow::Int32Scalar(c.month)));
      EXPECT_TRUE(apply_scalar(make(Transform::day), value)->Equals(arrow::Int32Scalar(c.days)));
      EXPECT_TRUE(apply_scalar(make(Transform::hour), value)
                      ->Equals(arrow::Int32Scalar(static_cast<std::int32_t>(c.days * 24 + 23))));
    }
    // One unit before the epoch is the hour, day, month and year before it.
    const arrow::TimestampScalar before_epoch(-1, type);
    for (const auto kind : {Transform::year, Transform::month, Transform::day, Transform::hour}) {
      EXPECT_TRUE(apply_scalar(make(kind), before_epoch)->Equals(arrow::Int32Scalar(-1))) << type->ToString();
    }
  }
  // 2017-11-16T22:31:08: hour 419686 since the epoch.
  const arrow::TimestampScalar spec_instant(kSpecMicros, arrow::timestamp(arrow::TimeUnit::MICRO));
  EXPECT_TRUE(apply_scalar(make(Transform::hour), spec_instant)->Equals(arrow::Int32Scalar(419686)));
  EXPECT_TRUE(apply_scalar(make(Transform::day), spec_instant)->Equals(arrow::Int32Scalar(kSpecDays)));
}

TEST(TimeTransforms, KeepNullsInTimestampColumns) {
  auto micros = array_of<arrow::TimestampBuilder, std::int64_t>(arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"),
                                                                {kSpecMicros, std::nullopt, -1});
  auto hours = lake::iceberg::apply(make(Transform::hour), *micros);
  ASSERT_TRUE(hours.has_value());
  EXPECT_EQ(int32_values(*hours), (std::vector<std::optional<std::int32_t>>{419686, std::nullopt, -1}));
}

TEST(TimeTransforms, RefuseAnHourBeyondInt) {
  const arrow::TimestampScalar far(std::numeric_limits<std::int64_t>::max(), arrow::timestamp(arrow::TimeUnit::MICRO));
  auto hour = lake::iceberg::apply(make(Transform::hour), far);
  ASSERT_FALSE(hour.has_value());
  EXPECT_EQ(hour.error().code(), ErrorCode::invalid_argument);
  // The day of the same instant fits.
  EXPECT_TRUE(lake::iceberg::apply(make(Transform::day), far).has_value());
}

// --- identity, void, scalars --------------------------------------------------------

TEST(IdentityAndVoid, PassValuesThroughOrDropThem) {
  auto strings = array_of<arrow::StringBuilder, std::string>(arrow::utf8(), {"a", std::nullopt, "b"});
  auto same = lake::iceberg::apply(make(Transform::identity), *strings);
  ASSERT_TRUE(same.has_value());
  EXPECT_TRUE((*same)->Equals(*strings));

  auto dropped = lake::iceberg::apply(make(Transform::void_), *strings);
  ASSERT_TRUE(dropped.has_value());
  EXPECT_TRUE((*dropped)->type()->Equals(*arrow::utf8()));
  EXPECT_EQ((*dropped)->length(), 3);
  EXPECT_EQ((*dropped)->null_count(), 3);

  auto void_value = apply_scalar(make(Transform::void_), arrow::Int64Scalar(5));
  EXPECT_FALSE(void_value->is_valid);
  EXPECT_TRUE(void_value->type->Equals(*arrow::int64()));
  EXPECT_TRUE(apply_scalar(make(Transform::identity), *decimal(1420, 9, 2))->Equals(*decimal(1420, 9, 2)));
}

TEST(ScalarApply, MapsANullToANullOfTheResultType) {
  for (const auto& transform : {make(Transform::bucket, 4), make(Transform::day), make(Transform::identity)}) {
    auto out = apply_scalar(transform, *arrow::MakeNullScalar(arrow::date32()));
    ASSERT_NE(out, nullptr);
    EXPECT_FALSE(out->is_valid);
    EXPECT_TRUE(out->type->Equals(*lake::iceberg::result_type(transform, *arrow::date32()).value()));
  }
}

TEST(ScalarApply, RefusesTypesTheTransformDoesNotApplyTo) {
  auto out = lake::iceberg::apply(make(Transform::truncate, 2), *arrow::MakeNullScalar(arrow::date32()));
  ASSERT_FALSE(out.has_value());
  EXPECT_EQ(out.error().code(), ErrorCode::invalid_argument);
  auto year = lake::iceberg::apply(make(Transform::year), arrow::StringScalar("2017"));
  ASSERT_FALSE(year.has_value());
  EXPECT_EQ(year.error().code(), ErrorCode::invalid_argument);
}

TEST(PreservesOrder, HoldsForAllButBucketAndVoid) {
  EXPECT_TRUE(lake::iceberg::preserves_order(make(Transform::identity)));
  EXPECT_TRUE(lake::iceberg::preserves_order(make(Transform::truncate, 3)));
  for (const auto kind : {Transform::year, Transform::month, Transform::day, Transform::hour})
    EXPECT_TRUE(lake::iceberg::preserves_order(make(kind)));
  EXPECT_FALSE(lake::iceberg::preserves_order(make(Transform::bucket, 16)));
  EXPECT_FALSE(lake::iceberg::preserves_order(make(Transform::void_)));
}

}  // namespace

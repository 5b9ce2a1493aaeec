// Struct <-> Arrow round trips: every type, NULLs, nested types, empty
// batches, and the errors a reader must give for mismatched results.
#include <arrow/api.h>
#include <gtest/gtest.h>

#include <lake/arrow/convert.hpp>

namespace {

using namespace std::chrono_literals;

struct Address {
  std::string city;
  std::optional<std::string> zip;
  [[=lake::column("geo")]] std::vector<double> coordinates;
};

struct Preferences {
  bool newsletter = false;
  std::map<std::string, std::string> labels;
};

struct Everything {
  [[=lake::pk]] std::string id;
  bool flag = false;
  std::int8_t i8 = 0;
  std::int16_t i16 = 0;
  std::int32_t i32 = 0;
  std::int64_t i64 = 0;
  std::uint8_t u8 = 0;
  std::uint16_t u16 = 0;
  std::uint32_t u32 = 0;
  std::uint64_t u64 = 0;
  float f32 = 0;
  double f64 = 0;
  lake::bytes blob;
  lake::timestamp at{};
  lake::date day{};
  lake::decimal<12, 3> amount;
  std::optional<std::int64_t> maybe;
  std::vector<std::string> tags;
  std::vector<std::optional<std::int32_t>> sparse;
  std::map<std::string, std::int64_t> counters;
  Address address;
  std::optional<Address> second_address;
  std::vector<Address> history;
  [[=lake::json]] Preferences prefs;
  [[=lake::ignore]] int scratch = 42;

  friend bool operator==(const Everything&, const Everything&) = default;
};

bool operator==(const Address& a, const Address& b) {
  return a.city == b.city && a.zip == b.zip && a.coordinates == b.coordinates;
}
bool operator==(const Preferences& a, const Preferences& b) {
  return a.newsletter == b.newsletter && a.labels == b.labels;
}

Everything sample(int i) {
  Everything e;
  e.id = "id-" + std::to_string(i);
  e.flag = i % 2 == 0;
  e.i8 = static_cast<std::int8_t>(-100 + i);
  e.i16 = -30000;
  e.i32 = 2'000'000'000;
  e.i64 = -9'000'000'000'000'000'000 + i;
  e.u8 = 255;
  e.u16 = 65535;
  e.u32 = 4'294'967'295u;
  e.u64 = 18'446'744'073'709'551'615ull - static_cast<std::uint64_t>(i);
  e.f32 = 1.5f;
  e.f64 = -2.25 * i;
  e.blob = {std::byte{0}, std::byte{0xff}, std::byte(i)};
  e.at = lake::timestamp{std::chrono::sys_days{std::chrono::year{2026} / 11 / 21}} + 123456us + std::chrono::seconds{i};
  e.day = std::chrono::sys_days{std::chrono::year{1969} / 7 / 20};
  e.amount = *lake::decimal<12, 3>::parse("-123456789.012");
  if (i % 3 != 0) e.maybe = i;
  e.tags = {"a", "b" + std::to_string(i)};
  e.sparse = {1, std::nullopt, 3};
  e.counters = {{"x", 1}, {"y", i}};
  e.address = {"Paris", i % 2 ? std::optional<std::string>("75001") : std::nullopt, {48.85, 2.35}};
  if (i % 2) e.second_address = Address{"Lyon", std::nullopt, {}};
  e.history = {Address{"A", "1", {}}, Address{"B", std::nullopt, {1.0}}};
  e.prefs = {true, {{"lang", "fr"}}};
  return e;
}

struct SampleDetail final : lake::ErrorDetail {
  std::string describe() const override { return "sample detail"; }
};

TEST(ArrowConvert, ErrorsSurviveTheTripThroughArrowStatuses) {
  const lake::Error original(lake::ErrorCode::schema_mismatch, "column 'x' is string, the table says int64",
                             std::make_shared<SampleDetail>());
  arrow::Status status = lake::detail::to_arrow_status(original);
  EXPECT_TRUE(status.IsTypeError()) << "Arrow sees the nearest code";
  EXPECT_NE(status.message().find("column 'x'"), std::string::npos);
  auto back = lake::detail::from_arrow_status(status, "reading rows");
  EXPECT_EQ(back.code(), lake::ErrorCode::schema_mismatch);
  EXPECT_EQ(back.message(), "reading rows: column 'x' is string, the table says int64");
  EXPECT_NE(back.detail<SampleDetail>(), nullptr);
  // Arrow's own statuses map to the closest code.
  EXPECT_EQ(lake::detail::from_arrow_status(arrow::Status::TypeError("t"), "c").code(), lake::ErrorCode::invalid_argument);
  EXPECT_EQ(lake::detail::from_arrow_status(arrow::Status::IOError("t"), "c").code(), lake::ErrorCode::io);
}

TEST(ArrowConvert, SchemaMatchesDeclaredTypes) {
  auto schema = lake::to_arrow_schema(lake::schema_of<Everything>(), true);
  EXPECT_EQ(schema->GetFieldByName("i8")->type()->id(), arrow::Type::INT8);
  EXPECT_EQ(schema->GetFieldByName("u8")->type()->id(), arrow::Type::INT16);
  EXPECT_EQ(schema->GetFieldByName("u32")->type()->id(), arrow::Type::INT64);
  EXPECT_TRUE(schema->GetFieldByName("u64")->type()->Equals(arrow::decimal128(20, 0)));
  EXPECT_TRUE(schema->GetFieldByName("at")->type()->Equals(arrow::timestamp(arrow::TimeUnit::MICRO, "UTC")));
  EXPECT_TRUE(schema->GetFieldByName("amount")->type()->Equals(arrow::decimal128(12, 3)));
  EXPECT_TRUE(schema->GetFieldByName("maybe")->nullable());
  EXPECT_FALSE(schema->GetFieldByName("id")->nullable());
  EXPECT_EQ(schema->GetFieldByName("prefs")->type()->id(), arrow::Type::STRING);
  EXPECT_EQ(schema->GetFieldByName("scratch"), nullptr);
  EXPECT_EQ(schema->field(schema->num_fields() - 1)->name(), "_ingest_id");
  auto address_type = schema->GetFieldByName("address")->type();
  ASSERT_EQ(address_type->id(), arrow::Type::STRUCT);
  auto address = std::static_pointer_cast<arrow::StructType>(address_type);
  EXPECT_NE(address->GetFieldByName("geo"), nullptr);
  EXPECT_TRUE(address->GetFieldByName("zip")->nullable());
  auto sparse = std::static_pointer_cast<arrow::ListType>(schema->GetFieldByName("sparse")->type());
  EXPECT_TRUE(sparse->value_field()->nullable());
  auto tags = std::static_pointer_cast<arrow::ListType>(schema->GetFieldByName("tags")->type());
  EXPECT_FALSE(tags->value_field()->nullable());
}

TEST(ArrowConvert, RoundTripsEveryTypeIncludingNulls) {
  std::vector<Everything> records;
  for (int i = 0; i < 7; ++i) records.push_back(sample(i));
  auto id = lake::IngestId::generate();
  auto batch = lake::to_record_batch(std::span<const Everything>(records), {.ingest_id = id});
  ASSERT_TRUE(batch) << batch.error().to_string();
  ASSERT_TRUE((*batch)->ValidateFull().ok());
  EXPECT_EQ((*batch)->num_rows(), 7);
  EXPECT_EQ((*batch)->column((*batch)->num_columns() - 1)->null_count(), 0);
  auto ingest = std::static_pointer_cast<arrow::StringArray>((*batch)->GetColumnByName("_ingest_id"));
  EXPECT_EQ(ingest->GetString(6), id.to_string());
  EXPECT_EQ((*batch)->GetColumnByName("maybe")->null_count(), 3);  // i = 0, 3, 6

  auto back = lake::from_record_batch<Everything>(*batch);
  ASSERT_TRUE(back) << back.error().to_string();
  ASSERT_EQ(back->size(), records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    Everything expected = records[i];
    expected.scratch = 42;  // ignored members keep their default
    EXPECT_EQ((*back)[i], expected) << "row " << i;
  }
}

// Local timestamps (no zone): their own logical type and a zone-less
// Arrow timestamp, values kept as read on a wall clock; JSON without a Z.
struct Shift {
  [[=lake::pk]] std::int64_t id = 0;
  lake::local_timestamp starts{};
  std::optional<lake::local_timestamp> ends{};
  friend bool operator==(const Shift&, const Shift&) = default;
};

TEST(ArrowConvert, LocalTimestampsAreZoneLessTimestamps) {
  const auto& schema = lake::schema_of<Shift>();
  EXPECT_EQ(schema.find_column("starts")->type.to_string(), "timestamp_ntz");
  auto arrow_schema = lake::to_arrow_schema(schema, false);
  EXPECT_TRUE(arrow_schema->GetFieldByName("starts")->type()->Equals(arrow::timestamp(arrow::TimeUnit::MICRO)));
  EXPECT_EQ(lake::from_arrow_type(*arrow::timestamp(arrow::TimeUnit::MICRO))->id, lake::TypeId::timestamp_ntz);
  EXPECT_EQ(lake::from_arrow_type(*arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"))->id, lake::TypeId::timestamp);
  std::vector<Shift> shifts{{.id = 1, .starts = *lake::parse_local_timestamp("2026-03-29 02:30:00"), .ends = std::nullopt},
                            {.id = 2, .starts = lake::local_timestamp(-1us), .ends = *lake::parse_local_timestamp("2026-03-29 03:00:00.25")}};
  auto batch = lake::to_record_batch(std::span<const Shift>(shifts));
  ASSERT_TRUE(batch) << batch.error().to_string();
  auto starts = std::static_pointer_cast<arrow::TimestampArray>((*batch)->GetColumnByName("starts"));
  EXPECT_EQ(starts->Value(0), 1774751400000000);  // the reading, as if it were UTC
  auto back = lake::from_record_batch<Shift>(*batch);
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(*back, shifts);
}

TEST(ArrowConvert, EmptyBatchRoundTrips) {
  std::vector<Everything> none;
  auto batch = lake::to_record_batch(std::span<const Everything>(none));
  ASSERT_TRUE(batch);
  EXPECT_EQ((*batch)->num_rows(), 0);
  EXPECT_EQ((*batch)->num_columns(), static_cast<int>(lake::schema_of<Everything>().fields.size()));
  auto back = lake::from_record_batch<Everything>(*batch);
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->empty());
}

TEST(ArrowConvert, BuilderFlushesAndIsReusable) {
  auto builder = lake::RecordBatchBuilder<Everything>::make();
  ASSERT_TRUE(builder);
  ASSERT_TRUE(builder->append(sample(1)));
  ASSERT_TRUE(builder->append(sample(2)));
  EXPECT_GT(builder->estimated_bytes(), 0);
  auto first = builder->finish();
  ASSERT_TRUE(first);
  EXPECT_EQ((*first)->num_rows(), 2);
  ASSERT_TRUE(builder->append(sample(3)));
  auto second = builder->finish();
  ASSERT_TRUE(second);
  ASSERT_EQ((*second)->num_rows(), 1);
  auto back = lake::from_record_batch<Everything>(*second);
  ASSERT_TRUE(back);
  EXPECT_EQ((*back)[0].id, "id-3");
}

// --- reading results that other engines produced --------------------------

struct Spend {
  std::string email;
  double spend = 0;
  std::int32_t orders = 0;
};

std::shared_ptr<arrow::RecordBatch> make_batch(std::shared_ptr<arrow::Schema> schema,
                                               std::vector<std::shared_ptr<arrow::Array>> columns) {
  auto rows = columns.empty() ? 0 : columns[0]->length();
  return arrow::RecordBatch::Make(std::move(schema), rows, std::move(columns));
}

template <class Builder, class V>
std::shared_ptr<arrow::Array> array_of(std::initializer_list<std::optional<V>> values,
                                       std::shared_ptr<arrow::DataType> type = nullptr) {
  std::unique_ptr<arrow::ArrayBuilder> raw;
  if constexpr (std::is_default_constructible_v<Builder>) raw = std::make_unique<Builder>();
  else raw = *arrow::MakeBuilder(type);
  auto& builder = static_cast<Builder&>(*raw);
  for (const auto& v : values) {
    if (v) EXPECT_TRUE(builder.Append(*v).ok());
    else EXPECT_TRUE(builder.AppendNull().ok());
  }
  return *builder.Finish();
}

TEST(ArrowConvert, ReadsByNameIgnoringOrderAndExtraColumns) {
  auto schema = arrow::schema({arrow::field("orders", arrow::int64()), arrow::field("extra", arrow::utf8()),
                               arrow::field("spend", arrow::float32()), arrow::field("email", arrow::large_utf8())});
  auto batch = make_batch(schema, {array_of<arrow::Int64Builder, std::int64_t>({3, 4}),
                                   array_of<arrow::StringBuilder, std::string>({"x", "y"}),
                                   array_of<arrow::FloatBuilder, float>({1.5f, 2.5f}),
                                   array_of<arrow::LargeStringBuilder, std::string>({"a@x.io", "b@x.io"})});
  auto rows = lake::from_record_batch<Spend>(batch);
  ASSERT_TRUE(rows) << rows.error().to_string();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[1].email, "b@x.io");
  EXPECT_DOUBLE_EQ((*rows)[1].spend, 2.5);
  EXPECT_EQ((*rows)[0].orders, 3);
}

TEST(ArrowConvert, MissingColumnIsAClearError) {
  auto schema = arrow::schema({arrow::field("email", arrow::utf8()), arrow::field("spend", arrow::float64())});
  auto batch = make_batch(schema, {array_of<arrow::StringBuilder, std::string>({"a"}),
                                   array_of<arrow::DoubleBuilder, double>({1.0})});
  auto rows = lake::from_record_batch<Spend>(batch);
  ASSERT_FALSE(rows);
  EXPECT_EQ(rows.error().code(), lake::ErrorCode::schema_mismatch);
  EXPECT_NE(rows.error().message().find("'orders'"), std::string::npos) << rows.error().message();
  EXPECT_NE(rows.error().message().find("email, spend"), std::string::npos) << rows.error().message();
}

TEST(ArrowConvert, IncompatibleTypeIsAClearError) {
  auto schema = arrow::schema({arrow::field("email", arrow::int64()), arrow::field("spend", arrow::float64()),
                               arrow::field("orders", arrow::int32())});
  auto batch = make_batch(schema, {array_of<arrow::Int64Builder, std::int64_t>({1}),
                                   array_of<arrow::DoubleBuilder, double>({1.0}),
                                   array_of<arrow::Int32Builder, std::int32_t>({1})});
  auto rows = lake::from_record_batch<Spend>(batch);
  ASSERT_FALSE(rows);
  EXPECT_EQ(rows.error().code(), lake::ErrorCode::schema_mismatch);
  EXPECT_NE(rows.error().message().find("column 'email' has type int64"), std::string::npos)
      << rows.error().message();
}

TEST(ArrowConvert, NullIntoNonOptionalMemberIsAnError) {
  auto schema = arrow::schema({arrow::field("email", arrow::utf8()), arrow::field("spend", arrow::float64()),
                               arrow::field("orders", arrow::int32())});
  auto batch = make_batch(schema, {array_of<arrow::StringBuilder, std::string>({"a", "b"}),
                                   array_of<arrow::DoubleBuilder, double>({1.0, std::nullopt}),
                                   array_of<arrow::Int32Builder, std::int32_t>({1, 2})});
  auto rows = lake::from_record_batch<Spend>(batch);
  ASSERT_FALSE(rows);
  EXPECT_NE(rows.error().message().find("column 'spend' is NULL at row 1"), std::string::npos)
      << rows.error().message();
}

TEST(ArrowConvert, IntegerOverflowOnNarrowingIsAnError) {
  auto schema = arrow::schema({arrow::field("email", arrow::utf8()), arrow::field("spend", arrow::int64()),
                               arrow::field("orders", arrow::int64())});
  auto batch = make_batch(schema, {array_of<arrow::StringBuilder, std::string>({"a"}),
                                   array_of<arrow::Int64Builder, std::int64_t>({7}),
                                   array_of<arrow::Int64Builder, std::int64_t>({5'000'000'000})});
  auto rows = lake::from_record_batch<Spend>(batch);
  ASSERT_FALSE(rows);
  EXPECT_NE(rows.error().message().find("5000000000 does not fit"), std::string::npos) << rows.error().message();
}

struct Decimals {
  lake::decimal<10, 2> price;
  std::optional<lake::timestamp> seen;
};

TEST(ArrowConvert, DecimalRescalesAndTimestampUnitsConvert) {
  auto schema = arrow::schema({arrow::field("price", arrow::decimal128(9, 1)),
                               arrow::field("seen", arrow::timestamp(arrow::TimeUnit::NANO))});
  arrow::Decimal128Builder prices(arrow::decimal128(9, 1));
  ASSERT_TRUE(prices.Append(arrow::Decimal128(125)).ok());  // 12.5
  auto price_array = *prices.Finish();
  auto batch = make_batch(schema, {price_array, array_of<arrow::TimestampBuilder, std::int64_t>(
                                                    {1'700'000'000'123'456'789}, arrow::timestamp(arrow::TimeUnit::NANO))});
  auto rows = lake::from_record_batch<Decimals>(batch);
  ASSERT_TRUE(rows) << rows.error().to_string();
  EXPECT_EQ((*rows)[0].price.to_string(), "12.50");
  ASSERT_TRUE((*rows)[0].seen);
  EXPECT_EQ((*rows)[0].seen->time_since_epoch().count(), 1'700'000'000'123'456);
}

TEST(ArrowConvert, MoreFractionDigitsThanTheMemberIsRejected) {
  auto schema = arrow::schema({arrow::field("price", arrow::decimal128(9, 4)),
                               arrow::field("seen", arrow::timestamp(arrow::TimeUnit::MICRO))});
  arrow::Decimal128Builder prices(arrow::decimal128(9, 4));
  ASSERT_TRUE(prices.Append(arrow::Decimal128(125)).ok());
  auto batch = make_batch(schema, {*prices.Finish(), array_of<arrow::TimestampBuilder, std::int64_t>(
                                                         {1}, arrow::timestamp(arrow::TimeUnit::MICRO))});
  auto rows = lake::from_record_batch<Decimals>(batch);
  ASSERT_FALSE(rows);
  EXPECT_EQ(rows.error().code(), lake::ErrorCode::schema_mismatch);
}

TEST(ArrowConvert, InvalidJsonInAJsonColumnIsAnError) {
  struct WithJson {
    [[=lake::json]] std::vector<int> values;
  };
  auto schema = arrow::schema({arrow::field("values", arrow::utf8())});
  auto batch = make_batch(schema, {array_of<arrow::StringBuilder, std::string>({"[1,2", "[1,2]"})});
  auto rows = lake::from_record_batch<WithJson>(batch);
  ASSERT_FALSE(rows);
  EXPECT_NE(rows.error().message().find("valid JSON"), std::string::npos) << rows.error().message();
}

}  // namespace

namespace {

struct WithAddress {
  std::string name;
  Address address;
};

TEST(ArrowConvert, MissingNestedFieldNamesItsPath) {
  auto city = array_of<arrow::StringBuilder, std::string>({"Paris"});
  auto address_type = arrow::struct_({arrow::field("city", arrow::utf8())});  // no zip, no geo
  auto address = std::make_shared<arrow::StructArray>(address_type, 1, std::vector<std::shared_ptr<arrow::Array>>{city});
  auto schema = arrow::schema({arrow::field("name", arrow::utf8()), arrow::field("address", address_type)});
  auto batch = make_batch(schema, {array_of<arrow::StringBuilder, std::string>({"ada"}), address});
  auto rows = lake::from_record_batch<WithAddress>(batch);
  ASSERT_FALSE(rows);
  EXPECT_EQ(rows.error().code(), lake::ErrorCode::schema_mismatch);
  EXPECT_NE(rows.error().message().find("nested field 'address.zip' is missing"), std::string::npos)
      << rows.error().message();
}

}  // namespace

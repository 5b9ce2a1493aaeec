// The schema contract: every modifier, every type, both spellings, table
// names, and the run-time table-name override.
#include <gtest/gtest.h>

#include <lake/schema/fingerprint.hpp>
#include <lake/schema/reflect.hpp>

namespace {

struct Point {
  double x = 0;
  [[=lake::column("why")]] double y = 0;
  [[=lake::nullable]] std::string label;
};

struct [[=lake::table("all_kinds")]] AllKinds {
  bool b;
  std::int8_t i8;
  std::int16_t i16;
  std::int32_t i32;
  std::int64_t i64;
  std::uint8_t u8;
  std::uint16_t u16;
  std::uint32_t u32;
  std::uint64_t u64;
  float f;
  double d;
  std::string s;
  lake::bytes raw;
  lake::timestamp ts;
  lake::date day;
  lake::decimal<38, 10> big;
  std::optional<std::string> maybe;
  std::vector<std::int64_t> list;
  std::vector<std::optional<std::string>> sparse;
  std::vector<std::vector<Point>> nested_lists;
  std::map<std::string, Point> points;
  Point point;
  [[=lake::json]] std::map<std::string, std::vector<int>> blob;
};

std::string type_of(const lake::Schema& schema, std::string_view column) {
  const auto* field = schema.find_column(column);
  return field ? field->type.to_string() + (field->nullable ? "?" : "") : "<missing>";
}

TEST(Schema, EveryTypeMapsToItsLogicalType) {
  const auto& s = lake::schema_of<AllKinds>();
  EXPECT_EQ(s.table_name, "all_kinds");
  EXPECT_EQ(type_of(s, "b"), "boolean");
  EXPECT_EQ(type_of(s, "i8"), "int8");
  EXPECT_EQ(type_of(s, "i16"), "int16");
  EXPECT_EQ(type_of(s, "i32"), "int32");
  EXPECT_EQ(type_of(s, "i64"), "int64");
  EXPECT_EQ(type_of(s, "u8"), "int16");
  EXPECT_EQ(type_of(s, "u16"), "int32");
  EXPECT_EQ(type_of(s, "u32"), "int64");
  EXPECT_EQ(type_of(s, "u64"), "decimal(20,0)");
  EXPECT_EQ(type_of(s, "f"), "float32");
  EXPECT_EQ(type_of(s, "d"), "float64");
  EXPECT_EQ(type_of(s, "s"), "string");
  EXPECT_EQ(type_of(s, "raw"), "binary");
  EXPECT_EQ(type_of(s, "ts"), "timestamp");
  EXPECT_EQ(type_of(s, "day"), "date");
  EXPECT_EQ(type_of(s, "big"), "decimal(38,10)");
  EXPECT_EQ(type_of(s, "maybe"), "string?");
  EXPECT_EQ(type_of(s, "list"), "list<int64>");
  EXPECT_EQ(type_of(s, "sparse"), "list<string?>");
  EXPECT_EQ(type_of(s, "nested_lists"), "list<list<struct<x:float64,why:float64,label:string?>>>");
  EXPECT_EQ(type_of(s, "points"), "map<string,struct<x:float64,why:float64,label:string?>>");
  EXPECT_EQ(type_of(s, "point"), "struct<x:float64,why:float64,label:string?>");
  EXPECT_EQ(type_of(s, "blob"), "string");
  EXPECT_TRUE(s.find_column("blob")->json);
  EXPECT_EQ(s.fields.size(), 23u);
}

struct Modifiers {
  [[=lake::pk]] std::string id;
  [[=lake::merge_key, =lake::validate("email"), =lake::required]] std::string email;
  [[=lake::indexed]] std::string country;
  [[=lake::sortable, =lake::partition_truncate(4)]] std::int64_t amount;
  [[=lake::nullable]] std::string note;
  [[=lake::json]] std::vector<std::string> tags;
  [[=lake::ignore]] int cache;
  [[=lake::auto_create_time]] lake::timestamp created;
  [[=lake::auto_update_time]] lake::timestamp updated;
  [[=lake::auto_ingest_id]] std::string batch;
  [[=lake::partition]] lake::date day;
  [[=lake::partition_bucket(16)]] std::string user;
  [[=lake::column("full_name"), =lake::validate("min=2"), =lake::validate("max=64")]] std::string name;
};

// The same table in the Go tag grammar.
struct [[=lake::table("modifiers")]] TagModifiers {
  [[=lake::tag("id,pk")]] std::string id;
  [[=lake::tag("email,mergeKey,validate=email,required")]] std::string email;
  [[=lake::tag("country,indexed")]] std::string country;
  [[=lake::tag("amount,sortable,partition=truncate:4")]] std::int64_t amount;
  [[=lake::tag("note,nullable")]] std::string note;
  [[=lake::tag("tags,json")]] std::vector<std::string> tags;
  [[=lake::tag("-")]] int cache;
  [[=lake::tag("created,auto=createTime")]] lake::timestamp created;
  [[=lake::tag(",auto=updateTime")]] lake::timestamp updated;
  [[=lake::tag("batch,auto=ingestID")]] std::string batch;
  [[=lake::tag("day,partition=raw")]] lake::date day;
  [[=lake::tag("user,partition=bucket:16")]] std::string user;
  [[=lake::tag("full_name,validate=min=2,validate=max=64")]] std::string name;
};

TEST(Schema, EveryModifierIsRecorded) {
  const auto& s = lake::schema_of<Modifiers>();
  EXPECT_EQ(s.table_name, "modifiers");
  EXPECT_EQ(s.find_column("cache"), nullptr);
  EXPECT_TRUE(s.find_column("id")->primary_key);
  EXPECT_TRUE(s.find_column("email")->merge_key);
  EXPECT_TRUE(s.find_column("email")->required);
  ASSERT_EQ(s.find_column("email")->validators.size(), 1u);
  EXPECT_EQ(s.find_column("email")->validators[0].name, "email");
  EXPECT_TRUE(s.find_column("country")->indexed);
  EXPECT_TRUE(s.find_column("amount")->sortable);
  EXPECT_TRUE(s.find_column("note")->nullable);
  EXPECT_TRUE(s.find_column("tags")->json);
  EXPECT_EQ(s.find_column("created")->auto_fill, lake::AutoFill::create_time);
  EXPECT_EQ(s.find_column("updated")->auto_fill, lake::AutoFill::update_time);
  EXPECT_EQ(s.find_column("batch")->auto_fill, lake::AutoFill::ingest_id);
  const auto* name = s.find_column("full_name");
  ASSERT_NE(name, nullptr);
  EXPECT_EQ(name->member, "name");
  ASSERT_EQ(name->validators.size(), 2u);
  EXPECT_EQ(name->validators[1].arg, "64");
  EXPECT_EQ(s.primary_keys, std::vector<std::size_t>{0});
  EXPECT_EQ(s.merge_keys, std::vector<std::size_t>{1});
  EXPECT_EQ(s.upsert_keys(), s.merge_keys);
  ASSERT_EQ(s.partitions.size(), 3u);
  EXPECT_EQ(s.fields[s.partitions[0].field].column, "amount");
  EXPECT_EQ(s.partitions[0].kind, lake::PartitionKind::truncate);
  EXPECT_EQ(s.partitions[0].param, 4);
  EXPECT_EQ(s.fields[s.partitions[1].field].column, "day");
  EXPECT_EQ(s.partitions[1].kind, lake::PartitionKind::raw);
  EXPECT_EQ(s.fields[s.partitions[2].field].column, "user");
  EXPECT_EQ(s.partitions[2].kind, lake::PartitionKind::bucket);
  EXPECT_EQ(s.partitions[2].param, 16);
}

TEST(Schema, TagGrammarAndModifiersDeclareTheSameTable) {
  const auto& a = lake::schema_of<Modifiers>();
  const auto& b = lake::schema_of<TagModifiers>();
  ASSERT_EQ(a.fields.size(), b.fields.size());
  for (std::size_t i = 0; i < a.fields.size(); ++i) {
    const auto &x = a.fields[i], &y = b.fields[i];
    SCOPED_TRACE(x.column);
    EXPECT_EQ(x.column, y.column);
    EXPECT_EQ(x.type, y.type);
    EXPECT_EQ(x.nullable, y.nullable);
    EXPECT_EQ(x.primary_key, y.primary_key);
    EXPECT_EQ(x.merge_key, y.merge_key);
    EXPECT_EQ(x.indexed, y.indexed);
    EXPECT_EQ(x.sortable, y.sortable);
    EXPECT_EQ(x.json, y.json);
    EXPECT_EQ(x.required, y.required);
    EXPECT_EQ(x.auto_fill, y.auto_fill);
    EXPECT_EQ(x.validators, y.validators);
  }
  EXPECT_EQ(a.partitions, b.partitions);
  EXPECT_EQ(lake::schema_fingerprint(a), lake::schema_fingerprint(b));
}

struct [[=lake::partition_by("region"), =lake::partition_by_bucket("id", 8)]] StructLevel {
  [[=lake::pk]] std::int64_t id;
  std::string region;
};

TEST(Schema, StructLevelPartitionsFollowAnnotationOrder) {
  const auto& s = lake::schema_of<StructLevel>();
  ASSERT_EQ(s.partitions.size(), 2u);
  EXPECT_EQ(s.fields[s.partitions[0].field].column, "region");
  EXPECT_EQ(s.fields[s.partitions[1].field].column, "id");
  EXPECT_EQ(s.partitions[1].param, 8);
}

struct User {
  std::string id;
};
struct OrderLine {
  std::string id;
};
struct Category {
  std::string id;
};
struct HTTPRequest {
  std::string id;
};
struct Address {
  std::string id;
};

TEST(Schema, TableNamesFollowTheGoConvention) {
  EXPECT_EQ(lake::table_name_of<User>(), "users");
  EXPECT_EQ(lake::table_name_of<OrderLine>(), "order_lines");
  EXPECT_EQ(lake::table_name_of<Category>(), "categories");
  EXPECT_EQ(lake::table_name_of<HTTPRequest>(), "http_requests");
  EXPECT_EQ(lake::table_name_of<Address>(), "addresses");
  EXPECT_EQ(lake::derive_table_name("Day"), "days");
  EXPECT_EQ(lake::derive_table_name("Box"), "boxes");
  EXPECT_EQ(lake::derive_table_name("UserStats"), "user_stats");
  EXPECT_EQ(lake::derive_table_name("Status"), "statuses");
}

struct Renamed {
  std::string id;
};
struct TooLate {
  std::string id;
};

TEST(Schema, RunTimeTableNameOverrideBeforeFirstUseOnly) {
  ASSERT_TRUE(lake::set_table_name<Renamed>("people_v2"));
  EXPECT_EQ(lake::table_name_of<Renamed>(), "people_v2");
  EXPECT_EQ(lake::schema_of<TooLate>().table_name, "too_lates");
  auto late = lake::set_table_name<TooLate>("other");
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code(), lake::ErrorCode::invalid_argument);
  EXPECT_EQ(lake::table_name_of<TooLate>(), "too_lates");
  auto bad = lake::set_table_name<User>("has space");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), lake::ErrorCode::invalid_argument);
}

TEST(Schema, DescribeListsColumnsModifiersAndTheSystemColumn) {
  std::string text = lake::schema_of<Modifiers>().describe();
  EXPECT_NE(text.find("table modifiers"), std::string::npos);
  EXPECT_NE(text.find("partition=bucket:16"), std::string::npos);
  EXPECT_NE(text.find("validate=min=2"), std::string::npos);
  EXPECT_NE(text.find("member=name"), std::string::npos);
  EXPECT_NE(text.find("_ingest_id"), std::string::npos);
}

TEST(Schema, IdentifierRules) {
  EXPECT_TRUE(lake::is_valid_identifier("user_id"));
  EXPECT_TRUE(lake::is_valid_identifier("Ünïcode"));
  EXPECT_FALSE(lake::is_valid_identifier(""));
  EXPECT_FALSE(lake::is_valid_identifier("a b"));
  EXPECT_FALSE(lake::is_valid_identifier("a,b"));
  EXPECT_FALSE(lake::is_valid_identifier("a\tb"));
}

TEST(Types, TimestampsDatesAndDecimalsRoundTripThroughText) {
  auto ts = lake::parse_timestamp("2026-11-21T09:57:51.123456Z");
  ASSERT_TRUE(ts);
  EXPECT_EQ(lake::format_timestamp(*ts), "2026-11-21T09:57:51.123456Z");
  auto offset = lake::parse_timestamp("2026-11-21 10:57:51.1+01:00");
  ASSERT_TRUE(offset);
  EXPECT_EQ(lake::format_timestamp(*offset), "2026-11-21T09:57:51.100000Z");
  EXPECT_FALSE(lake::parse_timestamp("2026-13-01T00:00:00Z"));
  EXPECT_TRUE(lake::parse_timestamp("2026-11-21"));
  // A local timestamp is a reading without a zone: no Z, and one is refused.
  auto local = lake::parse_local_timestamp("2026-11-21 09:57:51.5");
  ASSERT_TRUE(local);
  EXPECT_EQ(lake::format_local_timestamp(*local), "2026-11-21T09:57:51.500000");
  EXPECT_EQ(local->time_since_epoch(), ts->time_since_epoch() + std::chrono::microseconds(500000 - 123456));
  EXPECT_EQ(lake::parse_local_timestamp("1969-12-31")->time_since_epoch(), std::chrono::days(-1));
  EXPECT_FALSE(lake::parse_local_timestamp("2026-11-21T09:57:51Z"));
  EXPECT_FALSE(lake::parse_local_timestamp("2026-11-21T09:57:51+01:00"));
  auto d = lake::parse_date("1969-07-20");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->time_since_epoch().count(), -165);
  EXPECT_EQ(lake::format_date(*d), "1969-07-20");
  using D = lake::decimal<5, 2>;
  EXPECT_EQ(D::parse("-123.45")->unscaled(), -12345);
  EXPECT_EQ(D::parse("0.5")->to_string(), "0.50");
  EXPECT_EQ(D::parse("-0.05")->to_string(), "-0.05");
  EXPECT_FALSE(D::parse("1234.5"));   // 6 digits
  EXPECT_FALSE(D::parse("1.234"));    // 3 fraction digits
  EXPECT_TRUE(D::parse("1.230"));     // trailing zero carries no value
  EXPECT_FALSE(D::parse("1.2x"));
  using Max = lake::decimal<38, 0>;
  EXPECT_EQ(Max::parse("-99999999999999999999999999999999999999")->to_string(),
            "-99999999999999999999999999999999999999");
}

}  // namespace

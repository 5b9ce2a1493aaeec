// Delta log protocol: action JSON, schema strings, log replay and the
// reader/writer feature checks, over the memory backend.
#include <gtest/gtest.h>

#include <algorithm>
#include <format>

#include <lake/delta/actions.hpp>
#include <lake/delta/snapshot.hpp>
#include <lake/schema/reflect.hpp>

#include "delta/log_replay.hpp"
#include "delta/schema_json.hpp"

namespace {

using namespace lake;
using namespace lake::delta;

struct Point {
  double x = 0;
  std::optional<double> y;
};
struct Row {
  [[=lake::pk]] std::int64_t id;
  std::string name;
  std::optional<lake::decimal<10, 2>> amount;
  std::vector<std::string> tags;
  std::map<std::string, std::int32_t> counts;
  Point where;
  lake::timestamp at;
  lake::date day;
};

TEST(DeltaActions, RoundTripThroughJson) {
  std::vector<Action> actions{
      Protocol{1, 2, {}, {}},
      Metadata{"5f1c8f6e-0000-4000-8000-000000000001", "t", std::nullopt, "{}", {"day"}, {{"k", "v"}}, 1700000000000},
      Add{"day=2026-11-21/part-0.parquet", {{"day", "2026-11-21"}}, 123, 1700000000001, true,
          R"({"numRecords":3})", {}, false},
      Add{"day=__HIVE_DEFAULT_PARTITION__/part-1.parquet", {{"day", std::nullopt}}, 1, 2, true, std::nullopt, {}, false},
      Remove{"old.parquet", 1700000000002, true, true, {{"day", "2026-11-20"}}, 99},
      Txn{"app", 7, 1700000000003},
  };
  auto text = to_commit_text(actions);
  EXPECT_EQ(std::ranges::count(text, '\n'), 6);
  auto parsed = parse_commit_text(text, "test");
  ASSERT_TRUE(parsed) << parsed.error().to_string();
  ASSERT_EQ(parsed->size(), actions.size());
  for (std::size_t i = 0; i < actions.size(); ++i) EXPECT_EQ((*parsed)[i], actions[i]) << "action " << i;
}

TEST(DeltaActions, UnknownActionsAreSkippedAndDeletionVectorsNoted) {
  std::string text =
      R"({"cdc":{"path":"x","partitionValues":{},"size":1,"dataChange":false}})" "\n"
      R"({"domainMetadata":{"domain":"d","configuration":"{}","removed":false}})" "\n"
      R"({"add":{"path":"a.parquet","partitionValues":{},"size":5,"modificationTime":1,"dataChange":true,)"
      R"("deletionVector":{"storageType":"u","pathOrInlineDv":"x","offset":1,"sizeInBytes":4,"cardinality":1}}})" "\n";
  auto parsed = parse_commit_text(text, "test");
  ASSERT_TRUE(parsed) << parsed.error().to_string();
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_TRUE(std::get<Add>((*parsed)[0]).has_deletion_vector);
}

TEST(DeltaActions, MalformedLinesAreErrorsNamingTheFile) {
  auto bad = parse_commit_text("{\"add\":{\"path\":5}}\n", "_delta_log/00000000000000000003.json");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("00000000000000000003.json"), std::string::npos);
  EXPECT_FALSE(parse_commit_text("not json\n", "f"));
}

TEST(DeltaActions, PathEncoding) {
  EXPECT_EQ(encode_path("country=GB/part-0.parquet"), "country=GB/part-0.parquet");
  EXPECT_EQ(encode_path("name=a b%c/x.parquet"), "name=a%20b%25c/x.parquet");
  EXPECT_EQ(*decode_path("name=a%20b%25c/x.parquet"), "name=a b%c/x.parquet");
  EXPECT_FALSE(decode_path("bad%2"));
}

TEST(DeltaSchema, SchemaStringRoundTripsEveryType) {
  const auto& schema = lake::schema_of<Row>();
  auto text = to_schema_string(schema);
  EXPECT_NE(text.find(R"x("type":"decimal(10,2)")x"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("containsNull":false)"), std::string::npos) << text;
  auto fields = parse_schema_string(text);
  ASSERT_TRUE(fields) << fields.error().to_string();
  ASSERT_EQ(fields->size(), schema.fields.size() + 1);
  for (std::size_t i = 0; i < schema.fields.size(); ++i) {
    EXPECT_EQ((*fields)[i].column, schema.fields[i].column);
    EXPECT_EQ((*fields)[i].type, schema.fields[i].type) << schema.fields[i].column;
    EXPECT_EQ((*fields)[i].nullable, schema.fields[i].nullable) << schema.fields[i].column;
  }
  EXPECT_EQ(fields->back().column, "_ingest_id");
}

TEST(DeltaSchema, UnsupportedTypesAreNamed) {
  auto ntz = parse_schema_string(
      R"({"type":"struct","fields":[{"name":"t","type":"timestamp_ntz","nullable":true,"metadata":{}}]})");
  ASSERT_FALSE(ntz);
  EXPECT_EQ(ntz.error().code(), ErrorCode::unsupported);
  EXPECT_NE(ntz.error().message().find("timestamp_ntz"), std::string::npos);
}

Metadata table_metadata() {
  return Metadata{"5f1c8f6e-0000-4000-8000-000000000001", std::nullopt, std::nullopt,
                  to_schema_string(lake::schema_of<Row>()), {}, {}, 0};
}

void commit(Backend& backend, std::int64_t version, const std::vector<Action>& actions) {
  ASSERT_TRUE(backend.put_text(commit_key("t", version), to_commit_text(actions), PutMode::create));
}

Add add(std::string path, std::int64_t records) {
  return Add{std::move(path), {}, 10, 0, true, std::format(R"({{"numRecords":{}}})", records), {}, false};
}

TEST(DeltaReplay, AddsRemovesTxnsAndTimeTravel) {
  auto backend = memory_backend();
  commit(*backend, 0, {Protocol{}, table_metadata(), add("a", 1)});
  commit(*backend, 1, {add("b", 2), Txn{"app", 3, std::nullopt}});
  commit(*backend, 2, {Remove{"a", 5, true, false, {}, std::nullopt}, add("c", 4)});
  auto listing = list_log(*backend, "t");
  ASSERT_TRUE(listing);
  auto latest = LogReplay{}.build(*backend, "t", *listing, std::nullopt);
  ASSERT_TRUE(latest) << latest.error().to_string();
  EXPECT_EQ(latest->version(), 2);
  EXPECT_EQ(latest->files().size(), 2u);
  EXPECT_TRUE(latest->files().contains("b"));
  EXPECT_TRUE(latest->tombstones().contains("a"));
  EXPECT_EQ(latest->num_records(), 6);
  EXPECT_EQ(latest->app_version("app"), 3);
  EXPECT_EQ(latest->columns().back().column, "_ingest_id");
  auto v0 = LogReplay{}.build(*backend, "t", *listing, 0);
  ASSERT_TRUE(v0);
  EXPECT_EQ(v0->files().size(), 1u);
  EXPECT_FALSE(v0->app_version("app"));
  auto v9 = LogReplay{}.build(*backend, "t", *listing, 9);
  ASSERT_FALSE(v9);
  EXPECT_EQ(v9.error().code(), ErrorCode::not_found);
}

TEST(DeltaReplay, MissingLogEntryIsDetected) {
  auto backend = memory_backend();
  commit(*backend, 0, {Protocol{}, table_metadata()});
  commit(*backend, 2, {add("b", 2)});
  auto listing = list_log(*backend, "t");
  ASSERT_TRUE(listing);
  auto snapshot = LogReplay{}.build(*backend, "t", *listing, std::nullopt);
  ASSERT_FALSE(snapshot);
  EXPECT_NE(snapshot.error().message().find("log entry 1 is missing"), std::string::npos)
      << snapshot.error().message();
}

TEST(DeltaReplay, NoTableIsNotFound) {
  auto backend = memory_backend();
  auto listing = list_log(*backend, "nothing");
  ASSERT_TRUE(listing);
  auto snapshot = LogReplay{}.build(*backend, "nothing", *listing, std::nullopt);
  ASSERT_FALSE(snapshot);
  EXPECT_EQ(snapshot.error().code(), ErrorCode::not_found);
}

TEST(DeltaFeatures, UnsupportedFeaturesAreRefusedByName) {
  auto backend = memory_backend();
  Metadata mapped = table_metadata();
  mapped.configuration["delta.columnMapping.mode"] = "name";
  commit(*backend, 0, {Protocol{3, 7, {"columnMapping"}, {"columnMapping"}}, mapped});
  auto listing = list_log(*backend, "t");
  auto snapshot = LogReplay{}.build(*backend, "t", *listing, std::nullopt);
  ASSERT_TRUE(snapshot);
  auto readable = snapshot->check_readable();
  ASSERT_FALSE(readable);
  EXPECT_EQ(readable.error().code(), ErrorCode::unsupported);
  EXPECT_NE(readable.error().message().find("columnMapping"), std::string::npos);

  auto other = memory_backend();
  commit(*other, 0, {Protocol{3, 7, {"someFutureFeature"}, {"someFutureFeature"}}, table_metadata()});
  auto s2 = LogReplay{}.build(*other, "t", *list_log(*other, "t"), std::nullopt);
  ASSERT_TRUE(s2);
  auto r2 = s2->check_readable();
  ASSERT_FALSE(r2);
  EXPECT_NE(r2.error().message().find("someFutureFeature"), std::string::npos);
}

TEST(DeltaFeatures, DeletionVectorFilesAreRefused) {
  // As another engine would write it: lake-orm itself never writes DVs.
  auto backend = memory_backend();
  std::string text = to_commit_text({Protocol{3, 7, {"deletionVectors"}, {"deletionVectors"}}, table_metadata()}) +
                     R"({"add":{"path":"dv.parquet","partitionValues":{},"size":5,"modificationTime":1,)"
                     R"("dataChange":true,"deletionVector":{"storageType":"u","pathOrInlineDv":"ab",)"
                     R"("offset":1,"sizeInBytes":36,"cardinality":2}}})" "\n";
  ASSERT_TRUE(backend->put_text(commit_key("t", 0), text, PutMode::create));
  auto snapshot = LogReplay{}.build(*backend, "t", *list_log(*backend, "t"), std::nullopt);
  ASSERT_TRUE(snapshot);
  auto readable = snapshot->check_readable();
  ASSERT_FALSE(readable);
  EXPECT_NE(readable.error().message().find("dv.parquet"), std::string::npos);
}

TEST(DeltaFeatures, AppendOnlyTablesRefuseRemovals) {
  auto backend = memory_backend();
  Metadata meta = table_metadata();
  meta.configuration["delta.appendOnly"] = "true";
  commit(*backend, 0, {Protocol{}, meta});
  auto snapshot = LogReplay{}.build(*backend, "t", *list_log(*backend, "t"), std::nullopt);
  ASSERT_TRUE(snapshot);
  EXPECT_TRUE(snapshot->check_writable(false));
  EXPECT_FALSE(snapshot->check_writable(true));
}

}  // namespace

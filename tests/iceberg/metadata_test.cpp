// Iceberg table metadata and schemas (src/iceberg/table_metadata,
// src/iceberg/schema): versions 1 and 2 read, version 2 written, version 3
// and unknown types refused by name, field ids carried into Arrow.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "iceberg/schema.hpp"
#include "iceberg/table_metadata.hpp"

namespace {

using namespace lake::iceberg;
using lake::ErrorCode;

// A version 2 table as the spec's reference implementation writes one: two
// schemas (a column added), a spec with bucket and day, two snapshots.
constexpr const char* kV2 = R"json({
  "format-version": 2,
  "table-uuid": "9c12d441-03fe-4693-9a96-a0705ddf69c1",
  "location": "s3://bucket/warehouse/db/events",
  "last-sequence-number": 2,
  "last-updated-ms": 1700000002000,
  "last-column-id": 5,
  "current-schema-id": 1,
  "schemas": [
    {"type": "struct", "schema-id": 0, "identifier-field-ids": [1], "fields": [
      {"id": 1, "name": "id", "required": true, "type": "long"},
      {"id": 2, "name": "ts", "required": false, "type": "timestamptz"},
      {"id": 3, "name": "tags", "required": false,
       "type": {"type": "list", "element-id": 4, "element": "string", "element-required": false}}]},
    {"type": "struct", "schema-id": 1, "identifier-field-ids": [1], "fields": [
      {"id": 1, "name": "id", "required": true, "type": "long"},
      {"id": 2, "name": "ts", "required": false, "type": "timestamptz"},
      {"id": 3, "name": "tags", "required": false,
       "type": {"type": "list", "element-id": 4, "element": "string", "element-required": false}},
      {"id": 5, "name": "amount", "required": false, "type": "decimal(9, 2)", "doc": "in euros"}]}
  ],
  "default-spec-id": 0,
  "partition-specs": [{"spec-id": 0, "fields": [
    {"source-id": 1, "field-id": 1000, "name": "id_bucket", "transform": "bucket[16]"},
    {"source-id": 2, "field-id": 1001, "name": "ts_day", "transform": "day"}]}],
  "last-partition-id": 1001,
  "default-sort-order-id": 1,
  "sort-orders": [{"order-id": 0, "fields": []},
                  {"order-id": 1, "fields": [{"transform": "identity", "source-id": 1, "direction": "desc",
                                              "null-order": "nulls-last"}]}],
  "properties": {"write.format.default": "parquet", "lake.primaryKeys": "id"},
  "current-snapshot-id": 3051729675574597004,
  "snapshots": [
    {"snapshot-id": 3055729675574597004, "sequence-number": 1, "timestamp-ms": 1700000001000,
     "manifest-list": "s3://bucket/warehouse/db/events/metadata/snap-1.avro",
     "summary": {"operation": "append", "added-records": "10"}, "schema-id": 0},
    {"snapshot-id": 3051729675574597004, "parent-snapshot-id": 3055729675574597004, "sequence-number": 2,
     "timestamp-ms": 1700000002000, "manifest-list": "s3://bucket/warehouse/db/events/metadata/snap-2.avro",
     "summary": {"operation": "overwrite"}, "schema-id": 1}],
  "refs": {"main": {"snapshot-id": 3051729675574597004, "type": "branch"},
           "v1": {"snapshot-id": 3055729675574597004, "type": "tag", "max-ref-age-ms": 86400000}},
  "snapshot-log": [{"timestamp-ms": 1700000001000, "snapshot-id": 3055729675574597004},
                   {"timestamp-ms": 1700000002000, "snapshot-id": 3051729675574597004}],
  "metadata-log": [{"timestamp-ms": 1700000001000, "metadata-file": "s3://bucket/warehouse/db/events/metadata/v1.metadata.json"}],
  "statistics": []
})json";

TEST(IcebergMetadata, AVersion2TableReadsWithEverythingItRecords) {
  auto m = parse_table_metadata(kV2, "v2.metadata.json");
  ASSERT_TRUE(m) << m.error().to_string();
  EXPECT_EQ(m->format_version, 2);
  EXPECT_EQ(m->location, "s3://bucket/warehouse/db/events");
  EXPECT_EQ(m->last_sequence_number, 2);
  ASSERT_EQ(m->schemas.size(), 2u);
  EXPECT_EQ(m->current_schema().fields.size(), 4u);
  EXPECT_EQ(m->current_schema().identifier_field_ids, std::vector<std::int32_t>{1});
  const NestedField* amount = m->current_schema().find("amount");
  ASSERT_NE(amount, nullptr);
  EXPECT_EQ(amount->type->primitive, "decimal(9, 2)");
  EXPECT_EQ(amount->doc, "in euros");
  const NestedField* element = m->current_schema().find(4);
  ASSERT_NE(element, nullptr);
  EXPECT_EQ(element->name, "element");

  ASSERT_EQ(m->default_spec().fields.size(), 2u);
  EXPECT_EQ(m->default_spec().fields[0].transform, (PartitionTransform{lake::formats::Transform::bucket, 16}));
  EXPECT_EQ(m->default_spec().fields[1].transform.kind, lake::formats::Transform::day);
  EXPECT_EQ(m->default_spec().fields[1].field_id, 1001);
  ASSERT_EQ(m->sort_orders.size(), 2u);
  EXPECT_FALSE(m->sort_orders[1].fields[0].ascending);
  EXPECT_FALSE(m->sort_orders[1].fields[0].nulls_first);

  ASSERT_NE(m->current_snapshot(), nullptr);
  EXPECT_EQ(m->current_snapshot()->sequence_number, 2);
  EXPECT_EQ(m->current_snapshot()->operation(), "overwrite");
  EXPECT_EQ(m->current_snapshot()->parent_snapshot_id, 3055729675574597004);
  const Snapshot* first = m->snapshot(3055729675574597004);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(m->schema_of(*first).schema_id, 0);
  EXPECT_EQ(first->summary.at("added-records"), "10");
  EXPECT_EQ(m->refs.at("v1").type, "tag");
  EXPECT_EQ(m->refs.at("v1").max_ref_age_ms, 86400000);
  EXPECT_EQ(m->snapshot_log.size(), 2u);
  EXPECT_EQ(m->metadata_log.size(), 1u);
  EXPECT_EQ(m->properties.at("lake.primaryKeys"), "id");
  EXPECT_TRUE(m->other.contains("statistics"));
}

TEST(IcebergMetadata, WrittenMetadataReadsBackTheSame) {
  auto m = parse_table_metadata(kV2, "v2.metadata.json");
  ASSERT_TRUE(m) << m.error().to_string();
  const std::string text = to_json_text(*m);
  auto again = parse_table_metadata(text, "rewritten");
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ(to_json_text(*again), text);
  // Nothing was lost on the way: every key of the original is written.
  const auto original = nlohmann::json::parse(kV2);
  const auto written = nlohmann::json::parse(text);
  for (const auto& [key, value] : original.items()) EXPECT_TRUE(written.contains(key)) << key;
  EXPECT_EQ(written["schemas"][1]["fields"][3]["doc"], "in euros");
  EXPECT_EQ(written["partition-specs"][0]["fields"][0]["transform"], "bucket[16]");
  EXPECT_EQ(written["refs"]["v1"]["max-ref-age-ms"], 86400000);
}

TEST(IcebergMetadata, AVersion1TableReadsAsVersion2Lists) {
  auto m = parse_table_metadata(R"({
    "format-version": 1, "location": "/warehouse/t", "last-updated-ms": 1, "last-column-id": 2,
    "schema": {"type": "struct", "fields": [{"id": 1, "name": "id", "required": true, "type": "int"},
                                            {"id": 2, "name": "name", "required": false, "type": "string"}]},
    "partition-spec": [{"source-id": 2, "name": "name_trunc", "transform": "truncate[4]"},
                       {"source-id": 1, "name": "id", "transform": "identity"}],
    "current-snapshot-id": -1, "snapshots": []})",
                                 "v1.metadata.json");
  ASSERT_TRUE(m) << m.error().to_string();
  EXPECT_EQ(m->format_version, 1);
  EXPECT_EQ(m->schemas.size(), 1u);
  ASSERT_EQ(m->default_spec().fields.size(), 2u);
  // Version 1 specs may leave out field ids; they count from 1000.
  EXPECT_EQ(m->default_spec().fields[0].field_id, 1000);
  EXPECT_EQ(m->default_spec().fields[1].field_id, 1001);
  EXPECT_EQ(m->last_partition_id, 1001);
  EXPECT_EQ(m->current_snapshot(), nullptr);  // -1 was "no snapshot"
  EXPECT_TRUE(m->refs.empty());
}

TEST(IcebergMetadata, Version3AndWhatThisReaderCannotReadAreRefusedByName) {
  auto v3 = nlohmann::json::parse(kV2);
  v3["format-version"] = 3;
  auto refused = parse_table_metadata(v3.dump(), "v3.metadata.json");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::unsupported);
  EXPECT_NE(refused.error().message().find("format version 3"), std::string::npos) << refused.error().message();

  auto variant = nlohmann::json::parse(kV2);
  variant["schemas"][1]["fields"].push_back({{"id", 6}, {"name", "payload"}, {"required", false}, {"type", "variant"}});
  auto unknown = parse_table_metadata(variant.dump(), "m.json");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code(), ErrorCode::unsupported);
  EXPECT_NE(unknown.error().message().find("'payload'"), std::string::npos) << unknown.error().message();

  auto defaulted = nlohmann::json::parse(kV2);
  defaulted["schemas"][1]["fields"][3]["initial-default"] = "1.00";
  auto with_default = parse_table_metadata(defaulted.dump(), "m.json");
  ASSERT_FALSE(with_default);
  EXPECT_EQ(with_default.error().code(), ErrorCode::unsupported);
  EXPECT_NE(with_default.error().message().find("'amount'"), std::string::npos) << with_default.error().message();
}

TEST(IcebergMetadata, BrokenMetadataIsInvalidArgumentSayingWhatIsWrong) {
  auto check = [](nlohmann::json j, std::string_view mentions) {
    auto m = parse_table_metadata(j.dump(), "bad.metadata.json");
    ASSERT_FALSE(m) << mentions;
    EXPECT_EQ(m.error().code(), ErrorCode::invalid_argument) << m.error().to_string();
    EXPECT_NE(m.error().message().find(mentions), std::string::npos) << m.error().message();
    EXPECT_NE(m.error().message().find("bad.metadata.json"), std::string::npos) << m.error().message();
  };
  const auto good = nlohmann::json::parse(kV2);
  auto j = good;
  j.erase("table-uuid");
  check(j, "table-uuid");
  j = good;
  j["current-schema-id"] = 7;
  check(j, "current-schema-id 7");
  j = good;
  j["current-snapshot-id"] = 42;
  check(j, "current-snapshot-id 42");
  j = good;
  j["refs"]["main"]["snapshot-id"] = 3055729675574597004;
  check(j, "main branch");
  j = good;
  j["schemas"][1]["fields"][3]["id"] = 2;
  check(j, "field id 2 is used twice");
  auto not_json = parse_table_metadata("{\"format-version\": ", "bad.metadata.json");
  ASSERT_FALSE(not_json);
  EXPECT_EQ(not_json.error().code(), ErrorCode::invalid_argument);
}

TEST(IcebergSchema, ArrowFieldsCarryTheirIds) {
  auto m = parse_table_metadata(kV2, "v2.metadata.json");
  ASSERT_TRUE(m) << m.error().to_string();
  auto arrow_schema = to_arrow(m->current_schema());
  ASSERT_TRUE(arrow_schema) << arrow_schema.error().to_string();
  ASSERT_EQ((*arrow_schema)->num_fields(), 4);
  EXPECT_EQ(field_id_of(*(*arrow_schema)->field(0)), 1);
  EXPECT_FALSE((*arrow_schema)->field(0)->nullable());  // required
  EXPECT_TRUE((*arrow_schema)->field(1)->type()->Equals(arrow::timestamp(arrow::TimeUnit::MICRO, "UTC")));
  const auto& tags = (*arrow_schema)->field(2);
  ASSERT_EQ(tags->type()->id(), arrow::Type::LIST);
  EXPECT_EQ(field_id_of(*tags->type()->field(0)), 4);
  EXPECT_TRUE((*arrow_schema)->field(3)->type()->Equals(arrow::decimal128(9, 2)));
}

TEST(IcebergSchema, LakeTypesMapOnlyWhereValuesStayTheSame) {
  auto column = [](std::string primitive) { return to_lake_type(*Type::of(std::move(primitive)), "c"); };
  EXPECT_EQ(column("long")->id, lake::TypeId::int64);
  EXPECT_EQ(column("timestamptz")->id, lake::TypeId::timestamp);
  EXPECT_EQ(column("timestamp")->id, lake::TypeId::timestamp_ntz);
  EXPECT_EQ(column("decimal(9,2)")->scale, 2);
  for (std::string refused : {"time", "uuid", "fixed[8]", "timestamp_ns"}) {
    auto type = column(refused);
    ASSERT_FALSE(type) << refused;
    EXPECT_EQ(type.error().code(), ErrorCode::unsupported) << refused;
  }
}

TEST(IcebergSchema, DeclaredTablesGetIdsTopLevelFirst) {
  lake::Schema declared;
  auto add = [&](std::string column, lake::DataType type, bool nullable) {
    lake::Field field;
    field.column = std::move(column);
    field.type = std::move(type);
    field.nullable = nullable;
    declared.fields.push_back(std::move(field));
  };
  add("id", lake::TypeId::int64, false);
  lake::DataType address(lake::TypeId::structure);
  address.children = {{"city", lake::TypeId::string, true}, {"zip", lake::TypeId::int16, true}};
  add("address", address, true);
  add("name", lake::TypeId::string, true);
  declared.primary_keys = {0};
  const Schema schema = from_lake(declared, true);
  ASSERT_EQ(schema.fields.size(), 4u);
  EXPECT_EQ(schema.fields[0].id, 1);
  EXPECT_EQ(schema.fields[1].id, 2);
  EXPECT_EQ(schema.fields[2].id, 3);
  EXPECT_EQ(schema.fields[3].name, "_ingest_id");
  EXPECT_EQ(schema.fields[3].id, 4);
  EXPECT_TRUE(schema.fields[3].required);
  ASSERT_EQ(schema.fields[1].type->fields.size(), 2u);
  EXPECT_EQ(schema.fields[1].type->fields[0].id, 5);
  EXPECT_EQ(schema.fields[1].type->fields[1].type->primitive, "int");  // no narrower integers
  EXPECT_EQ(schema.identifier_field_ids, std::vector<std::int32_t>{1});
  EXPECT_EQ(schema.highest_field_id(), 6);
  // And it survives the JSON form.
  auto parsed = parse_schema(to_json(schema));
  ASSERT_TRUE(parsed) << parsed.error().to_string();
  EXPECT_EQ(to_json(*parsed), to_json(schema));
}

}  // namespace

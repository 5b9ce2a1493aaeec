// A table's metadata after a list of schema changes (src/iceberg/
// schema_update): one new schema and at most one new spec per list, ids
// kept across renames and promotions, fresh ones for new columns and
// partition fields, earlier schemas and specs reused, and the spec's
// refusals by column.
#include <gtest/gtest.h>

#include "iceberg/schema_update.hpp"

namespace {

using namespace lake::iceberg;
namespace formats = lake::formats;

TableMetadata table() {
  auto parsed = parse_table_metadata(R"json({
    "format-version": 2, "table-uuid": "9c12d441-03fe-4693-9a96-a0705ddf69c1",
    "location": "file:///lake/users", "last-sequence-number": 0, "last-updated-ms": 1700000000000,
    "last-column-id": 4, "current-schema-id": 0,
    "schemas": [{"type": "struct", "schema-id": 0, "identifier-field-ids": [1], "fields": [
      {"id": 1, "name": "id", "required": true, "type": "string"},
      {"id": 2, "name": "email", "required": true, "type": "string"},
      {"id": 3, "name": "visits", "required": true, "type": "int"},
      {"id": 4, "name": "country", "required": true, "type": "string"}]}],
    "default-spec-id": 0, "last-partition-id": 1000,
    "partition-specs": [{"spec-id": 0, "fields": [{"source-id": 4, "field-id": 1000, "name": "country", "transform": "identity"}]}],
    "default-sort-order-id": 0, "sort-orders": [{"order-id": 0, "fields": []}],
    "properties": {"lake.primaryKeys": "id"}, "snapshots": [], "refs": {},
    "snapshot-log": [], "metadata-log": []})json",
                                     "users");
  EXPECT_TRUE(parsed) << parsed.error().to_string();
  return *parsed;
}

lake::Field column(std::string name, lake::DataType type) {
  lake::Field field;
  field.column = std::move(name);
  field.type = std::move(type);
  field.nullable = true;
  return field;
}

TEST(IcebergSchemaUpdate, AFileOfChangesIsOneSchema) {
  const TableMetadata before = table();
  const std::vector<formats::TableChange> changes{
      formats::RenameColumn{"email", "mail"},
      formats::AddColumns{{column("age", lake::TypeId::int64)}},
      formats::ChangeColumnType{"visits", lake::TypeId::int64},
      formats::DropNotNull{"mail"},
      formats::SetProperties{{{"lake.mergeKeys", "mail"}}},
      formats::UnsetProperties{{"lake.primaryKeys"}},
  };
  auto after = altered(before, changes, 1800000000000);
  ASSERT_TRUE(after) << after.error().to_string();
  ASSERT_EQ(after->schemas.size(), 2u);
  EXPECT_EQ(after->current_schema_id, 1);
  const Schema& schema = after->current_schema();
  ASSERT_EQ(schema.fields.size(), 5u);
  EXPECT_EQ(schema.fields[1].id, 2) << "a rename keeps the field id";
  EXPECT_EQ(schema.fields[1].name, "mail");
  EXPECT_FALSE(schema.fields[1].required);
  EXPECT_EQ(schema.fields[2].type->to_string(), "\"long\"");
  EXPECT_EQ(schema.fields[4].id, 5);
  EXPECT_EQ(schema.fields[4].name, "age");
  EXPECT_EQ(after->last_column_id, 5);
  EXPECT_EQ(after->properties, (std::map<std::string, std::string>{{"lake.mergeKeys", "mail"}}));
  EXPECT_EQ(after->specs.size(), 1u);
  EXPECT_EQ(after->last_updated_ms, 1800000000000);
  EXPECT_EQ(before.schemas.size(), 1u) << "the input is left as it was";
}

TEST(IcebergSchemaUpdate, PartitionFieldsEvolveAndEarlierSpecsAreReused) {
  auto bucketed = altered(table(), std::vector<formats::TableChange>{formats::PartitionFieldChange{
                                       true, "id", lake::PartitionKind::bucket, 16}},
                          0);
  ASSERT_TRUE(bucketed) << bucketed.error().to_string();
  ASSERT_EQ(bucketed->specs.size(), 2u);
  EXPECT_EQ(bucketed->default_spec_id, 1);
  ASSERT_EQ(bucketed->default_spec().fields.size(), 2u);
  EXPECT_EQ(bucketed->default_spec().fields[1].field_id, 1001);
  EXPECT_EQ(bucketed->default_spec().fields[1].name, "id_bucket");
  EXPECT_EQ(bucketed->last_partition_id, 1001);
  EXPECT_EQ(bucketed->schemas.size(), 1u) << "no schema change";
  // Dropping it again is the first spec, reused.
  auto back = altered(*bucketed, std::vector<formats::TableChange>{formats::PartitionFieldChange{
                                     false, "id", lake::PartitionKind::bucket, 16}},
                      0);
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(back->specs.size(), 2u);
  EXPECT_EQ(back->default_spec_id, 0);
  // And adding it once more reuses its field id.
  auto again = altered(*back, std::vector<formats::TableChange>{formats::PartitionFieldChange{
                                  true, "id", lake::PartitionKind::bucket, 16}},
                       0);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->default_spec_id, 1);
  EXPECT_EQ(again->last_partition_id, 1001);
}

TEST(IcebergSchemaUpdate, TheSpecsRefusalsNameTheColumn) {
  struct Case {
    formats::TableChange change;
    std::string column;
    lake::ErrorCode code;
  };
  const std::vector<Case> cases{
      {formats::DropColumn{"country"}, "country", lake::ErrorCode::schema_mismatch},   // a partition source
      {formats::DropColumn{"id"}, "id", lake::ErrorCode::schema_mismatch},             // an identifier field
      {formats::DropColumn{"nope"}, "nope", lake::ErrorCode::schema_mismatch},
      {formats::RenameColumn{"email", "id"}, "id", lake::ErrorCode::schema_mismatch},  // taken
      {formats::ChangeColumnType{"visits", lake::TypeId::string}, "visits", lake::ErrorCode::schema_mismatch},
      {formats::AddColumns{{[] {
         lake::Field f = column("source", lake::TypeId::string);
         f.nullable = false;
         return f;
       }()}},
       "source", lake::ErrorCode::schema_mismatch},
      {formats::PartitionFieldChange{true, "country", lake::PartitionKind::raw, 0}, "country",
       lake::ErrorCode::schema_mismatch},  // already
      {formats::SetProperties{{{"format-version", "3"}}}, "format-version", lake::ErrorCode::unsupported},
  };
  for (const auto& c : cases) {
    const TableMetadata before = table();
    auto after = altered(before, std::span(&c.change, 1), 0);
    ASSERT_FALSE(after) << c.column;
    EXPECT_EQ(after.error().code(), c.code) << after.error().to_string();
    EXPECT_NE(after.error().message().find(c.column), std::string::npos) << after.error().message();
  }
}

}  // namespace

// A commit as the REST protocol's requirements and updates
// (src/iceberg/table_updates): derived from the metadata before and after,
// for a create, an append, an expiry and a schema change.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "iceberg/table_updates.hpp"

namespace {

using namespace lake::iceberg;
using nlohmann::json;

TableMetadata table() {
  auto parsed = parse_table_metadata(R"json({
    "format-version": 2, "table-uuid": "9c12d441-03fe-4693-9a96-a0705ddf69c1",
    "location": "file:///lake/events", "last-sequence-number": 1, "last-updated-ms": 1700000000000,
    "last-column-id": 2, "current-schema-id": 0,
    "schemas": [{"type": "struct", "schema-id": 0, "fields": [
      {"id": 1, "name": "id", "required": true, "type": "long"},
      {"id": 2, "name": "region", "required": false, "type": "string"}]}],
    "default-spec-id": 0, "last-partition-id": 1000,
    "partition-specs": [{"spec-id": 0, "fields": [{"source-id": 2, "field-id": 1000, "name": "region", "transform": "identity"}]}],
    "default-sort-order-id": 0, "sort-orders": [{"order-id": 0, "fields": []}],
    "properties": {"owner": "lake-orm"},
    "current-snapshot-id": 1,
    "snapshots": [{"snapshot-id": 1, "sequence-number": 1, "timestamp-ms": 1700000000000,
                   "manifest-list": "file:///lake/events/metadata/snap-1.avro", "summary": {"operation": "append"}, "schema-id": 0}],
    "refs": {"main": {"snapshot-id": 1, "type": "branch"}},
    "snapshot-log": [], "metadata-log": []})json",
                                     "events");
  EXPECT_TRUE(parsed) << parsed.error().to_string();
  return *parsed;
}

std::vector<std::string> actions(const TableUpdates& change) {
  std::vector<std::string> out;
  for (const auto& update : change.updates) out.push_back(update.at("action"));
  return out;
}

TEST(TableUpdates, ACreateSendsTheWholeTableAndAssertsItIsNew) {
  TableMetadata m = table();
  m.snapshots.clear();
  m.refs.clear();
  m.current_snapshot_id.reset();
  const auto change = updates_between(nullptr, m);
  EXPECT_EQ(change.requirements, json::parse(R"([{"type": "assert-create"}])"));
  EXPECT_EQ(actions(change), (std::vector<std::string>{"assign-uuid", "upgrade-format-version", "add-schema",
                                                       "set-current-schema", "add-spec", "set-default-spec",
                                                       "add-sort-order", "set-default-sort-order", "set-location",
                                                       "set-properties"}));
  EXPECT_EQ(change.updates[0]["uuid"], m.table_uuid);
  EXPECT_EQ(change.updates[2]["schema"]["fields"][1]["name"], "region");
  EXPECT_EQ(change.updates[2]["last-column-id"], 2);
  EXPECT_EQ(change.updates[3]["schema-id"], -1) << "the schema just added, whatever id the service gives it";
  EXPECT_EQ(change.updates[4]["spec"]["fields"][0]["transform"], "identity");
  EXPECT_EQ(change.updates[8]["location"], "file:///lake/events");
  EXPECT_EQ(change.updates[9]["updates"], json::parse(R"({"owner": "lake-orm"})"));
}

TEST(TableUpdates, AnAppendAddsItsSnapshotAndRestsOnTheBranchItWasPlannedOn) {
  const TableMetadata base = table();
  TableMetadata next = base;
  next.snapshots.push_back(Snapshot{.snapshot_id = 2, .parent_snapshot_id = 1, .sequence_number = 2,
                                    .timestamp_ms = 1700000001000,
                                    .manifest_list = "file:///lake/events/metadata/snap-2.avro",
                                    .summary = {{"operation", "append"}, {"lake.ingest_id", "abc"}},
                                    .schema_id = 0});
  next.refs["main"].snapshot_id = 2;
  next.current_snapshot_id = 2;
  next.last_sequence_number = 2;
  next.last_updated_ms = 1700000001000;  // the service keeps it: not sent
  const auto change = updates_between(&base, next);
  EXPECT_EQ(change.requirements, json::parse(R"([
    {"type": "assert-table-uuid", "uuid": "9c12d441-03fe-4693-9a96-a0705ddf69c1"},
    {"type": "assert-ref-snapshot-id", "ref": "main", "snapshot-id": 1}])"));
  EXPECT_EQ(actions(change), (std::vector<std::string>{"add-snapshot", "set-snapshot-ref"}));
  EXPECT_EQ(change.updates[0]["snapshot"]["snapshot-id"], 2);
  EXPECT_EQ(change.updates[0]["snapshot"]["parent-snapshot-id"], 1);
  EXPECT_EQ(change.updates[0]["snapshot"]["summary"]["lake.ingest_id"], "abc");
  EXPECT_EQ(change.updates[1], json::parse(R"({"action": "set-snapshot-ref", "ref-name": "main", "snapshot-id": 2,
                                               "type": "branch"})"));
}

TEST(TableUpdates, ExpiryRemovesSnapshotsAndSchemaChangesAssertTheSchemaTheyExtend) {
  TableMetadata base = table();
  base.snapshots.push_back(Snapshot{.snapshot_id = 2, .parent_snapshot_id = 1, .sequence_number = 2,
                                    .timestamp_ms = 1700000001000, .manifest_list = "file:///x/snap-2.avro",
                                    .summary = {{"operation", "append"}}, .schema_id = 0});
  base.refs["main"].snapshot_id = 2;
  base.current_snapshot_id = 2;
  TableMetadata expired = base;
  expired.snapshots.erase(expired.snapshots.begin());
  auto change = updates_between(&base, expired);
  EXPECT_EQ(actions(change), std::vector<std::string>{"remove-snapshots"});
  EXPECT_EQ(change.updates[0]["snapshot-ids"], json::parse("[1]"));
  EXPECT_EQ(change.requirements.back(), json::parse(R"({"type": "assert-ref-snapshot-id", "ref": "main", "snapshot-id": 2})"))
      << "expiry chose from the branch as it was";

  TableMetadata wider = base;
  Schema schema = wider.current_schema();
  schema.schema_id = 1;
  schema.fields.push_back(NestedField{.id = 3, .name = "note", .required = false, .type = Type::of("string")});
  wider.schemas.push_back(schema);
  wider.current_schema_id = 1;
  wider.last_column_id = 3;
  wider.properties.erase("owner");
  change = updates_between(&base, wider);
  EXPECT_EQ(actions(change), (std::vector<std::string>{"add-schema", "set-current-schema", "remove-properties"}));
  EXPECT_EQ(change.updates[0]["last-column-id"], 3);
  EXPECT_EQ(change.updates[2]["removals"], json::parse(R"(["owner"])"));
  EXPECT_EQ(change.requirements, json::parse(R"([
    {"type": "assert-table-uuid", "uuid": "9c12d441-03fe-4693-9a96-a0705ddf69c1"},
    {"type": "assert-current-schema-id", "current-schema-id": 0},
    {"type": "assert-last-assigned-field-id", "last-assigned-field-id": 2},
    {"type": "assert-ref-snapshot-id", "ref": "main", "snapshot-id": 2}])"));
}

}  // namespace

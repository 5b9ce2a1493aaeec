// A table written wholly by us (label `interop`): data files with field ids
// and metrics, manifests, manifest lists and metadata, over two append
// snapshots, read by pyiceberg and DuckDB's iceberg extension row for row;
// pyiceberg's file pruning on our partition values and bounds keeps the
// right files.
#include <arrow/api.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <format>

#include "iceberg/data_files.hpp"
#include "iceberg/manifest.hpp"
#include "iceberg/table_metadata.hpp"
#include "lake/ingest_id.hpp"
#include "lake/storage/backend.hpp"
#include "support/peer_process.hpp"
#include "support/temp_dir.hpp"

namespace {

using namespace lake::iceberg;

std::shared_ptr<arrow::RecordBatch> rows(std::int64_t first, std::int64_t count) {
  arrow::Int64Builder id, amount;
  arrow::StringBuilder region, name;
  arrow::TimestampBuilder ts(arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"), arrow::default_memory_pool());
  arrow::DoubleBuilder score;
  arrow::Decimal128Builder price(arrow::decimal128(9, 2));
  const std::int64_t start = 1'793'491'200'000'000;  // 2026-11-01T00:00:00Z
  for (std::int64_t i = first; i < first + count; ++i) {
    (void)id.Append(i);
    (void)region.Append(std::array{"eu-west", "us-east", "ap-south"}[static_cast<std::size_t>(i % 3)]);
    if (i % 7 == 0) (void)amount.AppendNull();
    else (void)amount.Append(i * 10);
    (void)ts.Append(start + i * 7 * 3'600'000'000LL);
    (void)score.Append(i % 11 == 0 ? std::nan("") : static_cast<double>(i) / 4);
    (void)price.Append(arrow::Decimal128(i * 101));
    // Longer than a bound keeps (16 characters), and multi-byte.
    (void)name.Append(std::format("customer-{:04}-ünïcødé-{}", i, i % 5));
  }
  auto finish = [](arrow::ArrayBuilder& b) { return b.Finish().ValueOrDie(); };
  auto schema = arrow::schema({arrow::field("id", arrow::int64(), false), arrow::field("region", arrow::utf8()),
                               arrow::field("amount", arrow::int64()),
                               arrow::field("ts", arrow::timestamp(arrow::TimeUnit::MICRO, "UTC")),
                               arrow::field("score", arrow::float64()), arrow::field("price", arrow::decimal128(9, 2)),
                               arrow::field("name", arrow::utf8())});
  return arrow::RecordBatch::Make(schema, count,
                                  {finish(id), finish(region), finish(amount), finish(ts), finish(score), finish(price),
                                   finish(name)});
}

void write_file(lake::Backend& backend, const std::string& key, std::span<const std::byte> bytes) {
  ASSERT_TRUE(backend.put(key, bytes, lake::PutMode::create)) << key;
}

TEST(OurIcebergTable, ReadsRowForRowInPyIcebergAndDuckDB) {
  lake::testing::TempDir dir("iceberg-ours");
  auto backend = lake::file_backend(dir.path);
  ASSERT_TRUE(backend) << backend.error().to_string();
  const std::string location = "file://" + (dir.path / "t").string();
  const TableFiles files{.key_prefix = "t/", .location = location};

  auto parsed = parse_schema(nlohmann::json::parse(R"json({"type": "struct", "schema-id": 0, "fields": [
      {"id": 1, "name": "id", "required": true, "type": "long"},
      {"id": 2, "name": "region", "required": false, "type": "string"},
      {"id": 3, "name": "amount", "required": false, "type": "long"},
      {"id": 4, "name": "ts", "required": false, "type": "timestamptz"},
      {"id": 5, "name": "score", "required": false, "type": "double"},
      {"id": 6, "name": "price", "required": false, "type": "decimal(9, 2)"},
      {"id": 7, "name": "name", "required": false, "type": "string"}]})json"));
  ASSERT_TRUE(parsed) << parsed.error().to_string();
  TableMetadata table;
  table.table_uuid = "5f0bd0b0-6f51-4bb5-9c46-8a4c6c1f8c11";
  table.location = location;
  table.last_column_id = 7;
  table.schemas = {*parsed};
  table.specs = {PartitionSpec{.spec_id = 0,
                               .fields = {{1, 1000, "id_bucket", {lake::formats::Transform::bucket, 4}},
                                          {2, 1001, "region_trunc", {lake::formats::Transform::truncate, 2}},
                                          {4, 1002, "ts_day", {lake::formats::Transform::day, 0}}}}};
  table.last_partition_id = 1002;
  table.sort_orders = {SortOrder{}};

  std::vector<ManifestFile> manifests;
  std::vector<std::shared_ptr<arrow::RecordBatch>> written_rows;
  for (int commit = 1; commit <= 2; ++commit) {
    const std::int64_t snapshot_id = 1000 + commit;
    const std::int64_t sequence_number = table.last_sequence_number + 1;
    auto batch = rows(commit == 1 ? 0 : 300, commit == 1 ? 300 : 200);
    written_rows.push_back(batch);
    auto reader = arrow::RecordBatchReader::Make({batch}).ValueOrDie();
    auto data = write_data_files(**backend, files, table, *reader, {.file_rows = 40});
    ASSERT_TRUE(data) << data.error().to_string();
    ASSERT_GT(data->size(), 3u);
    for (const auto& file : *data) {
      EXPECT_EQ(file.value_counts.at(1), file.record_count);
      EXPECT_TRUE(file.lower_bounds.contains(1));
      EXPECT_TRUE(file.nan_value_counts.contains(5));
      // Names are longer than 16 characters: both bounds are cut, the upper one raised.
      ASSERT_TRUE(file.lower_bounds.contains(7));
      EXPECT_LE(file.lower_bounds.at(7).size(), 16u * 4);
    }

    std::vector<ManifestEntry> entries;
    for (auto& file : *data) entries.push_back({.status = EntryStatus::added, .file = std::move(file)});
    auto manifest = write_manifest({.table = &table, .spec_id = 0, .snapshot_id = snapshot_id}, entries);
    ASSERT_TRUE(manifest) << manifest.error().to_string();
    const std::string manifest_name = std::format("metadata/{}-m0.avro", lake::IngestId::generate().to_string());
    write_file(**backend, "t/" + manifest_name, manifest->bytes);
    manifest->file.path = location + "/" + manifest_name;
    manifests.push_back(manifest->file);

    const std::string list_name = std::format("metadata/snap-{}-1-{}.avro", snapshot_id, lake::IngestId::generate().to_string());
    auto list = write_manifest_list({.snapshot_id = snapshot_id,
                                     .parent_snapshot_id = commit == 1 ? std::nullopt : std::optional<std::int64_t>(1001),
                                     .sequence_number = sequence_number},
                                    manifests);
    ASSERT_TRUE(list) << list.error().to_string();
    write_file(**backend, "t/" + list_name, *list);
    // The numbers the list assigned are the manifest's from now on.
    manifests.back().sequence_number = manifests.back().min_sequence_number = sequence_number;

    const std::int64_t now = 1'793'500'000'000 + commit;
    table.snapshots.push_back(Snapshot{.snapshot_id = snapshot_id,
                                       .parent_snapshot_id = commit == 1 ? std::nullopt : std::optional<std::int64_t>(1001),
                                       .sequence_number = sequence_number,
                                       .timestamp_ms = now,
                                       .manifest_list = location + "/" + list_name,
                                       .summary = {{"operation", "append"}},
                                       .schema_id = 0});
    table.current_snapshot_id = snapshot_id;
    table.refs["main"] = SnapshotRef{.snapshot_id = snapshot_id};
    table.last_sequence_number = sequence_number;
    table.last_updated_ms = now;
    table.snapshot_log.push_back({now, snapshot_id});
  }
  const std::string metadata_key = "t/metadata/00002-ours.metadata.json";
  const std::string text = to_json_text(table);
  write_file(**backend, metadata_key, std::as_bytes(std::span(text)));

  auto all = arrow::Table::FromRecordBatches(written_rows).ValueOrDie();
  const auto expected = dir.path / "expected.arrow";
  lake::testing::write_ipc(all, expected);
  EXPECT_EQ(lake::testing::run_peer_script("tests/iceberg/peers", "read_written.py",
                                           {(dir.path / metadata_key).string(), expected.string()}),
            0);
}

}  // namespace

// A table written wholly by us (label `interop`): created, appended to
// twice and deleted from (copy-on-write) through our commits on the file-system layout (data files with
// field ids and metrics, manifests, manifest lists, metadata), read by
// pyiceberg and DuckDB's iceberg extension row for row; pyiceberg's file
// pruning on our partition values and bounds keeps the right files.
#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <format>

#include "iceberg/commits.hpp"
#include "iceberg/scan.hpp"
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

TEST(OurIcebergTable, ReadsRowForRowInPyIcebergAndDuckDB) {
  lake::testing::TempDir dir("iceberg-ours");
  std::shared_ptr<lake::Backend> backend = *lake::file_backend(dir.path);
  FileSystemCatalog catalog{backend};

  auto parsed = parse_schema(nlohmann::json::parse(R"json({"type": "struct", "schema-id": 0, "fields": [
      {"id": 1, "name": "id", "required": true, "type": "long"},
      {"id": 2, "name": "region", "required": false, "type": "string"},
      {"id": 3, "name": "amount", "required": false, "type": "long"},
      {"id": 4, "name": "ts", "required": false, "type": "timestamptz"},
      {"id": 5, "name": "score", "required": false, "type": "double"},
      {"id": 6, "name": "price", "required": false, "type": "decimal(9, 2)"},
      {"id": 7, "name": "name", "required": false, "type": "string"}]})json"));
  ASSERT_TRUE(parsed) << parsed.error().to_string();
  const NewTable definition{.schema = *parsed,
                            .spec = {.spec_id = 0,
                                     .fields = {{1, 1000, "id_bucket", {lake::formats::Transform::bucket, 4}},
                                                {2, 1001, "region_trunc", {lake::formats::Transform::truncate, 2}},
                                                {4, 1002, "ts_day", {lake::formats::Transform::day, 0}}}}};
  ASSERT_TRUE(create_table(catalog, "t", definition));

  std::vector<std::shared_ptr<arrow::RecordBatch>> written_rows;
  std::string metadata_location;
  for (int commit = 1; commit <= 2; ++commit) {
    auto batch = rows(commit == 1 ? 0 : 300, commit == 1 ? 300 : 200);
    written_rows.push_back(batch);
    auto reader = arrow::RecordBatchReader::Make({batch}).ValueOrDie();
    auto committed = append(catalog, backend, "t", *reader, {.files = {.file_rows = 40}});
    ASSERT_TRUE(committed) << committed.error().to_string();
    metadata_location = committed->location;
    // Every file's metrics, as manifests keep them.
    auto planned = plan_files(*backend, committed->metadata, *committed->metadata.current_snapshot(), std::nullopt);
    ASSERT_TRUE(planned) << planned.error().to_string();
    for (const auto& planned_file : planned->files) {
      const ContentFile& file = planned_file.file;
      EXPECT_EQ(file.value_counts.at(1), file.record_count);
      EXPECT_TRUE(file.lower_bounds.contains(1));
      EXPECT_TRUE(file.nan_value_counts.contains(5));
      // Names are longer than 16 characters: both bounds are cut, the upper one raised.
      ASSERT_TRUE(file.lower_bounds.contains(7));
      EXPECT_LE(file.lower_bounds.at(7).size(), 16u * 4);
    }
  }

  // A copy-on-write delete: pyiceberg and DuckDB must see its manifests'
  // deleted entries and the files it rewrote.
  namespace cp = arrow::compute;
  const auto kept = cp::less(cp::field_ref("id"), cp::literal(std::int64_t{451}));
  auto deleted = delete_where(catalog, backend, "t", cp::not_(kept));
  ASSERT_TRUE(deleted) << deleted.error().to_string();
  // (Files here hold a row or two: the delete removes whole files;
  // rewrites are covered in commits_test.cpp.)
  EXPECT_EQ(deleted->metadata.current_snapshot()->summary.at("deleted-records"), "49");
  metadata_location = deleted->location;

  auto all = arrow::Table::FromRecordBatches(written_rows).ValueOrDie()->CombineChunksToBatch().ValueOrDie();
  auto mask = cp::ExecuteScalarExpression(*kept.Bind(*all->schema()), *all->schema(), arrow::Datum(all));
  ASSERT_TRUE(mask.ok()) << mask.status().ToString();
  auto remaining = cp::Filter(arrow::Datum(all), *mask);
  ASSERT_TRUE(remaining.ok()) << remaining.status().ToString();
  auto expected_rows = arrow::Table::FromRecordBatches({remaining->record_batch()}).ValueOrDie();
  ASSERT_EQ(expected_rows->num_rows(), 451);
  const auto expected = dir.path / "expected.arrow";
  lake::testing::write_ipc(expected_rows, expected);
  const std::string metadata_path = metadata_location.substr(std::string("file://").size());
  EXPECT_EQ(lake::testing::run_peer_script("tests/iceberg/peers", "read_written.py", {metadata_path, expected.string()}),
            0);
}

}  // namespace

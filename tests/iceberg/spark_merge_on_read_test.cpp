// An Iceberg table Spark wrote with merge-on-read deletes (label `spark`,
// on the run's Spark Connect server and its Iceberg catalog `ice`): a
// DELETE and an UPDATE in merge-on-read mode leave position delete files
// beside the data files they concern. Our scan must apply them: the rows
// we read are exactly the rows Spark reads, and our stats count what is
// left, not what the data files hold. The Spark client's own stats and
// history come from the same reading (src/iceberg, each file read through
// the engine), so they count what is left too.
#include <arrow/api.h>
#include <gtest/gtest.h>

#include <lake/client.hpp>
#include <lake/drivers/spark.hpp>
#include <lake/query.hpp>

#include <filesystem>
#include <format>
#include <map>

#include "iceberg/scan.hpp"
#include "iceberg/table_metadata.hpp"
#include "support/spark_connect.hpp"
#include "support/temp_dir.hpp"

namespace {

using namespace lake::iceberg;

struct IdAmount {
  std::int64_t id = 0;
  std::optional<std::int64_t> amount;
};

struct MetadataFile {
  std::string file;
};

std::map<std::int64_t, std::optional<std::int64_t>> rows_of(arrow::RecordBatchReader& reader) {
  std::map<std::int64_t, std::optional<std::int64_t>> rows;
  auto table = reader.ToTable();
  EXPECT_TRUE(table.ok()) << table.status().ToString();
  if (!table.ok()) return rows;
  auto batch = (*table)->CombineChunksToBatch().ValueOrDie();
  const auto& ids = static_cast<const arrow::Int64Array&>(*batch->GetColumnByName("id"));
  const auto& amounts = static_cast<const arrow::Int64Array&>(*batch->GetColumnByName("amount"));
  for (std::int64_t i = 0; i < batch->num_rows(); ++i) {
    EXPECT_TRUE(rows.emplace(ids.Value(i), amounts.IsNull(i) ? std::nullopt : std::optional(amounts.Value(i))).second)
        << "id " << ids.Value(i) << " twice";
  }
  return rows;
}

TEST(SparkMergeOnRead, PositionDeletesAreAppliedRowForRow) {
  lake::testing::TempDir dir("iceberg-mor");
  const std::string database = std::format("lake_mor_{}", getpid());
  auto driver = lake::spark::driver(lake::testing::spark_connect_server().url);
  ASSERT_TRUE(driver) << driver.error().to_string();
  auto backend = lake::file_backend(dir.path);
  ASSERT_TRUE(backend);
  std::shared_ptr<lake::Backend> shared = std::move(*backend);
  auto db = lake::Client::open(*driver, lake::iceberg_dialect(), shared,
                               {.default_catalog = "ice", .default_database = database});
  ASSERT_TRUE(db) << db.error().to_string();
  const std::string table = std::format("ice.{}.t", database);
  for (const std::string& sql : {
           std::format("CREATE DATABASE IF NOT EXISTS ice.{}", database),
           std::format("CREATE TABLE {} (id BIGINT, region STRING, amount BIGINT) USING iceberg PARTITIONED BY (region) "
                       "LOCATION '{}' TBLPROPERTIES ('format-version' = '2', 'write.delete.mode' = 'merge-on-read', "
                       "'write.update.mode' = 'merge-on-read', 'write.merge.mode' = 'merge-on-read')",
                       table, (dir.path / "t").string()),
           std::format("INSERT INTO {} SELECT id, IF(id % 2 = 0, 'eu', 'us'), id * 10 FROM range(0, 300)", table),
           std::format("DELETE FROM {} WHERE id % 7 = 0", table),
           std::format("UPDATE {} SET amount = -1 WHERE id < 40", table),
       }) {
    auto done = db->exec(sql);
    ASSERT_TRUE(done) << sql << ": " << done.error().to_string();
  }
  auto spark_rows = db->query(std::format("SELECT id, amount FROM {}", table));
  ASSERT_TRUE(spark_rows) << spark_rows.error().to_string();
  const auto expected = rows_of(**spark_rows);
  ASSERT_EQ(expected.size(), 300u - 43u);  // 43 multiples of 7 below 300
  auto newest = lake::query<MetadataFile>(
      *db, std::format("SELECT file FROM {}.metadata_log_entries ORDER BY timestamp DESC LIMIT 1", table));
  ASSERT_TRUE(newest && newest->size() == 1) << (newest ? "no metadata log entry" : newest.error().to_string());

  // Ours, from Spark's metadata file.
  auto key = key_of(*shared, newest->front().file);
  ASSERT_TRUE(key) << key.error().to_string();
  auto text = shared->get(*key);
  ASSERT_TRUE(text) << text.error().to_string();
  auto metadata = parse_table_metadata(std::string_view(reinterpret_cast<const char*>(text->data()), text->size()),
                                       newest->front().file);
  ASSERT_TRUE(metadata) << metadata.error().to_string();
  const Snapshot* current = metadata->current_snapshot();
  ASSERT_NE(current, nullptr);
  auto planned = plan_files(*shared, *metadata, *current, std::nullopt);
  ASSERT_TRUE(planned) << planned.error().to_string();
  std::size_t with_deletes = 0;
  for (const auto& file : planned->files) with_deletes += !file.deletes.empty();
  EXPECT_GT(with_deletes, 0u) << "Spark wrote no delete file: the table is not merge-on-read";
  for (const auto& file : planned->files)
    for (const auto& d : file.deletes) EXPECT_EQ(d.file.content, FileContent::position_deletes) << d.file.path;
  auto reader = read_files(shared, metadata->current_schema(), planned->files, {"id", "amount"});
  ASSERT_TRUE(reader) << reader.error().to_string();
  EXPECT_EQ(rows_of(**reader), expected);

  // A filter that skips files still sees the deletes of those it keeps.
  namespace cp = arrow::compute;
  auto few = plan_files(*shared, *metadata, *current, cp::equal(cp::field_ref("region"), cp::literal("eu")));
  ASSERT_TRUE(few) << few.error().to_string();
  EXPECT_LT(few->files.size(), planned->files.size());
  auto eu = read_files(shared, metadata->current_schema(), few->files, {"id", "amount"});
  ASSERT_TRUE(eu) << eu.error().to_string();
  std::map<std::int64_t, std::optional<std::int64_t>> expected_eu;
  for (const auto& [id, amount] : expected)
    if (id % 2 == 0) expected_eu.emplace(id, amount);
  EXPECT_EQ(rows_of(**eu), expected_eu);

  // The Spark client describes the table with src/iceberg, reading Spark's
  // metadata through Spark: the rows left after the deletes, each snapshot.
  auto stats = db->maintain().stats("t");
  ASSERT_TRUE(stats) << stats.error().to_string();
  EXPECT_EQ(stats->rows, static_cast<std::int64_t>(expected.size()));
  EXPECT_EQ(stats->version, current->snapshot_id);
  EXPECT_EQ(stats->partition_columns, std::vector<std::string>{"region"});
  auto history = db->maintain().history("t");
  ASSERT_TRUE(history) << history.error().to_string();
  ASSERT_EQ(history->size(), metadata->snapshots.size());
  EXPECT_EQ(history->front().version, current->snapshot_id);
  EXPECT_EQ(history->front().operation, current->operation());
}

}  // namespace

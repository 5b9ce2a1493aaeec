// Merge-on-read delete files as other engines write them (the spec's
// "Delete Formats"), read by our scan: position deletes (file_path, pos)
// and equality deletes (NULL equal to NULL), each applying only to data
// files with an older data sequence number (position deletes: not newer)
// in their partition. The delete files and their snapshot are built here
// from the spec, as Spark and Flink would write them; Spark's own are
// read in spark_merge_on_read_test.cpp.
#include <arrow/api.h>
#include <arrow/io/memory.h>
#include <gtest/gtest.h>
#include <parquet/arrow/writer.h>

#include <algorithm>
#include <optional>

#include <nlohmann/json.hpp>

#include "iceberg/commits.hpp"
#include "iceberg/scan.hpp"
#include "lake/storage/backend.hpp"
#include "support/temp_dir.hpp"

namespace {

using namespace lake::iceberg;

std::shared_ptr<arrow::Field> with_id(std::shared_ptr<arrow::Field> field, std::int32_t id) {
  return field->WithMetadata(arrow::key_value_metadata({"PARQUET:field_id"}, {std::to_string(id)}));
}

std::shared_ptr<arrow::Array> strings(const std::vector<std::optional<std::string>>& values) {
  arrow::StringBuilder builder;
  for (const auto& v : values) EXPECT_TRUE((v ? builder.Append(*v) : builder.AppendNull()).ok());
  return builder.Finish().ValueOrDie();
}

std::shared_ptr<arrow::Array> longs(const std::vector<std::int64_t>& values) {
  arrow::Int64Builder builder;
  EXPECT_TRUE(builder.AppendValues(values).ok());
  return builder.Finish().ValueOrDie();
}

class IcebergDeletes : public ::testing::Test {
 protected:
  void SetUp() override {
    auto schema = parse_schema(nlohmann::json::parse(R"json({"type": "struct", "schema-id": 0, "fields": [
        {"id": 1, "name": "id", "required": true, "type": "long"},
        {"id": 2, "name": "name", "required": false, "type": "string"}]})json"));
    ASSERT_TRUE(schema) << schema.error().to_string();
    ASSERT_TRUE(create_table(catalog, "t", {.schema = *schema}));
  }

  // Appends ids [first, first + count); names NULL for multiples of 4.
  CurrentMetadata append_rows(std::int64_t first, std::int64_t count) {
    arrow::Int64Builder ids;
    arrow::StringBuilder names;
    for (std::int64_t i = first; i < first + count; ++i) {
      EXPECT_TRUE(ids.Append(i).ok());
      EXPECT_TRUE((i % 4 == 0 ? names.AppendNull() : names.Append(std::format("n{}", i))).ok());
    }
    auto batch = arrow::RecordBatch::Make(
        arrow::schema({arrow::field("id", arrow::int64(), false), arrow::field("name", arrow::utf8())}), count,
        {ids.Finish().ValueOrDie(), names.Finish().ValueOrDie()});
    auto reader = arrow::RecordBatchReader::Make({batch}).ValueOrDie();
    auto appended = append(catalog, backend, "t", *reader);
    EXPECT_TRUE(appended) << appended.error().to_string();
    return *appended;
  }

  // A Parquet delete file of `rows` under the table's data/.
  ContentFile put_delete_file(const CurrentMetadata& table, const std::string& name,
                              const std::shared_ptr<arrow::Table>& rows, FileContent content,
                              std::vector<std::int32_t> equality_ids = {}) {
    auto sink = arrow::io::BufferOutputStream::Create().ValueOrDie();
    EXPECT_TRUE(parquet::arrow::WriteTable(*rows, arrow::default_memory_pool(), sink, 1024).ok());
    auto buffer = sink->Finish().ValueOrDie();
    const std::string key = "t/data/" + name;
    EXPECT_TRUE(backend->put(key, std::span(reinterpret_cast<const std::byte*>(buffer->data()),
                                            static_cast<std::size_t>(buffer->size())),
                             lake::PutMode::create));
    return ContentFile{.content = content,
                       .path = table.metadata.location + "/data/" + name,
                       .record_count = rows->num_rows(),
                       .file_size_in_bytes = buffer->size(),
                       .equality_ids = std::move(equality_ids)};
  }

  // Commits a snapshot adding `deletes` (a delete manifest), as a
  // merge-on-read DELETE does.
  CurrentMetadata commit_deletes(const CurrentMetadata& base, const std::vector<ContentFile>& deletes) {
    const std::int64_t snapshot_id = base.metadata.last_sequence_number + 1000;
    std::vector<ManifestEntry> entries;
    for (const auto& d : deletes) entries.push_back({.status = EntryStatus::added, .file = d});
    auto manifest = write_manifest(
        {.table = &base.metadata, .spec_id = 0, .content = ManifestContent::deletes, .snapshot_id = snapshot_id},
        entries);
    EXPECT_TRUE(manifest) << manifest.error().to_string();
    manifest->file.path = base.metadata.location + std::format("/metadata/deletes-{}.avro", snapshot_id);
    EXPECT_TRUE(backend->put(std::format("t/metadata/deletes-{}.avro", snapshot_id), manifest->bytes,
                             lake::PutMode::create));
    auto manifests = load_manifest_list(*backend, *base.metadata.current_snapshot());
    EXPECT_TRUE(manifests);
    manifests->push_back(manifest->file);
    const std::int64_t sequence = base.metadata.last_sequence_number + 1;
    auto list = write_manifest_list(
        {.snapshot_id = snapshot_id, .parent_snapshot_id = base.metadata.current_snapshot_id, .sequence_number = sequence},
        *manifests);
    EXPECT_TRUE(list);
    EXPECT_TRUE(backend->put(std::format("t/metadata/snap-{}.avro", snapshot_id), *list, lake::PutMode::create));
    TableMetadata next = base.metadata;
    next.snapshots.push_back({.snapshot_id = snapshot_id,
                              .parent_snapshot_id = base.metadata.current_snapshot_id,
                              .sequence_number = sequence,
                              .timestamp_ms = base.metadata.last_updated_ms + 1,
                              .manifest_list = base.metadata.location + std::format("/metadata/snap-{}.avro", snapshot_id),
                              .summary = {{"operation", "delete"}},
                              .schema_id = 0});
    next.current_snapshot_id = snapshot_id;
    next.refs["main"] = SnapshotRef{.snapshot_id = snapshot_id};
    next.last_sequence_number = sequence;
    next.last_updated_ms += 1;
    auto committed = catalog.commit("t", &base, next);
    EXPECT_TRUE(committed) << committed.error().to_string();
    return *committed;
  }

  std::vector<std::int64_t> ids(const CurrentMetadata& table, std::vector<std::string> columns = {"id"}) {
    auto planned = plan_files(*backend, table.metadata, *table.metadata.current_snapshot(), std::nullopt);
    EXPECT_TRUE(planned) << planned.error().to_string();
    auto reader = read_files(backend, table.metadata.current_schema(), planned->files, columns);
    EXPECT_TRUE(reader) << reader.error().to_string();
    auto read = (*reader)->ToTable().ValueOrDie()->CombineChunksToBatch().ValueOrDie();
    std::vector<std::int64_t> out;
    if (auto column = read->GetColumnByName("id")) {
      const auto& values = static_cast<const arrow::Int64Array&>(*column);
      for (std::int64_t i = 0; i < values.length(); ++i) out.push_back(values.Value(i));
      std::ranges::sort(out);
    } else {
      out.assign(static_cast<std::size_t>(read->num_rows()), -1);
    }
    return out;
  }

  lake::testing::TempDir dir{"iceberg-deletes"};
  std::shared_ptr<lake::Backend> backend = *lake::file_backend(dir.path);
  FileSystemCatalog catalog{backend};
};

TEST_F(IcebergDeletes, PositionDeletesDropTheirRowsOfTheirFileOnly) {
  auto first = append_rows(0, 10);
  auto second = append_rows(10, 10);
  auto planned = plan_files(*backend, second.metadata, *second.metadata.current_snapshot(), std::nullopt);
  ASSERT_TRUE(planned && planned->files.size() == 2);
  std::string first_file;
  for (const auto& f : planned->files)
    if (f.file.record_count == 10 && f.sequence_number == 1) first_file = f.file.path;
  ASSERT_FALSE(first_file.empty());
  // Positions 0, 3 and 9 of the first file (ids 0, 3, 9); a position of a
  // file the table does not have is ignored.
  auto rows = arrow::Table::Make(
      arrow::schema({with_id(arrow::field("file_path", arrow::utf8(), false), kDeleteFilePathId),
                     with_id(arrow::field("pos", arrow::int64(), false), kDeletePosId)}),
      {strings({first_file, first_file, first_file, "file:///elsewhere.parquet"}), longs({0, 3, 9, 1})});
  auto deleted = commit_deletes(second, {put_delete_file(second, "pos-1.parquet", rows, FileContent::position_deletes)});
  std::vector<std::int64_t> expected;
  for (std::int64_t i = 0; i < 20; ++i)
    if (i != 0 && i != 3 && i != 9) expected.push_back(i);
  EXPECT_EQ(ids(deleted), expected);
  // Counting rows without reading a column still drops them.
  EXPECT_EQ(ids(deleted, {"name"}).size(), expected.size());
}

TEST_F(IcebergDeletes, EqualityDeletesMatchValuesNullsIncludedAndSpareNewerFiles) {
  auto first = append_rows(0, 12);
  // name = 'n5' or name IS NULL (ids 0, 4, 8), compared on field 2 only.
  auto rows = arrow::Table::Make(arrow::schema({with_id(arrow::field("name", arrow::utf8()), 2)}),
                                 {strings({"n5", std::nullopt})});
  auto deleted = commit_deletes(first, {put_delete_file(first, "eq-1.parquet", rows, FileContent::equality_deletes, {2})});
  EXPECT_EQ(ids(deleted), (std::vector<std::int64_t>{1, 2, 3, 6, 7, 9, 10, 11}));
  // Reading only `id`: the compared column is read for the deletes anyway.
  EXPECT_EQ(ids(deleted, {"id"}).size(), 8u);
  // Rows appended afterwards have a newer sequence number: untouched.
  auto later = append_rows(100, 6);  // names n101, n102, n103, n105, NULL (100, 104)
  EXPECT_EQ(ids(later), (std::vector<std::int64_t>{1, 2, 3, 6, 7, 9, 10, 11, 100, 101, 102, 103, 104, 105}));
}

}  // namespace

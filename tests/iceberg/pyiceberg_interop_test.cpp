// Interop with pyiceberg (label `interop`): a table pyiceberg writes
// through its SQLite catalog (bucket, truncate and day partitions, appends,
// a copy-on-write delete, an added column) is read by our metadata and
// manifest readers exactly as pyiceberg lists it, snapshot by snapshot;
// one whose partition spec evolved, under each file's own spec; and a
// format-version 1 table whose column types it promoted.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <format>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

#include <arrow/compute/api.h>
#include <arrow/table.h>
#include <nlohmann/json.hpp>

#include "iceberg/manifest.hpp"
#include "iceberg/scan.hpp"
#include "lake/ingest_id.hpp"
#include "iceberg/table_metadata.hpp"
#include "support/peer_process.hpp"
#include "support/temp_dir.hpp"

namespace {

using namespace lake::iceberg;
namespace fs = std::filesystem;

int run_peer(const std::string& script, const std::vector<std::string>& args) {
  return lake::testing::run_peer_script("tests/iceberg/peers", script, args);
}

std::string local_path(const std::string& uri) { return uri.starts_with("file://") ? uri.substr(7) : uri; }

std::vector<std::byte> file_bytes(const std::string& uri) {
  std::ifstream in(local_path(uri), std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  const std::string s = text.str();
  const auto* p = reinterpret_cast<const std::byte*>(s.data());
  return {p, p + s.size()};
}

void write_file(const std::string& uri, std::span<const std::byte> bytes) {
  std::ofstream out(local_path(uri), std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << uri;
}

// The rows of `snapshot` matching `filter` as our scan reads them in
// `schema` (files planned by partition values and metrics, then the filter
// applied to the rows, as pyiceberg's scan does), and how many files were
// read; a test failure and nullopt when planning or reading fails.
struct MatchingRows {
  std::shared_ptr<arrow::Table> table;
  std::size_t files = 0;
};
std::optional<MatchingRows> rows_matching(const std::shared_ptr<lake::Backend>& backend, const TableMetadata& metadata,
                                          const Snapshot& snapshot, const Schema& schema,
                                          const std::optional<arrow::compute::Expression>& filter) {
  namespace cp = arrow::compute;
  auto planned = plan_files(*backend, metadata, snapshot, filter);
  if (!planned) {
    ADD_FAILURE() << planned.error().to_string();
    return std::nullopt;
  }
  MatchingRows rows{.table = nullptr, .files = planned->files.size()};
  auto reader = read_files(backend, schema, std::move(planned->files), {});
  if (!reader) {
    ADD_FAILURE() << reader.error().to_string();
    return std::nullopt;
  }
  auto table = (*reader)->ToTable();
  if (!table.ok()) {
    ADD_FAILURE() << table.status().ToString();
    return std::nullopt;
  }
  rows.table = *table;
  if (!filter) return rows;
  auto bound = filter->Bind(*rows.table->schema());
  auto batch = rows.table->CombineChunksToBatch();
  if (!bound.ok() || !batch.ok()) {
    ADD_FAILURE() << bound.status().ToString() << batch.status().ToString();
    return std::nullopt;
  }
  auto mask = cp::ExecuteScalarExpression(*bound, *rows.table->schema(), arrow::Datum(*batch));
  auto kept = mask.ok() ? cp::Filter(rows.table, *mask) : arrow::Result<arrow::Datum>(mask.status());
  if (!kept.ok()) {
    ADD_FAILURE() << kept.status().ToString();
    return std::nullopt;
  }
  rows.table = kept->table();
  return rows;
}

struct LiveFile {
  std::string path;
  std::int64_t records = 0;
  std::vector<std::string> partition;
  friend bool operator==(const LiveFile&, const LiveFile&) = default;
};

// pyiceberg's table in a scratch directory, its metadata read by us.
struct TheirTable {
  lake::testing::TempDir dir{"iceberg-interop"};
  nlohmann::json expected;
  std::string location;  // its current metadata file
  lake::Result<TableMetadata> metadata = lake::fail(lake::ErrorCode::internal, "not loaded");

  // Runs the peer; false (with a test failure) when it or the parse fails.
  bool load() {
    const auto expected_file = dir.path / "expected.json";
    EXPECT_EQ(run_peer("pyiceberg_table.py", {dir.path.string(), expected_file.string()}), 0);
    if (!std::filesystem::exists(expected_file)) return false;
    expected = nlohmann::json::parse(std::ifstream(expected_file));
    location = expected["metadata_location"];
    const auto text = file_bytes(location);
    metadata = parse_table_metadata(std::string_view(reinterpret_cast<const char*>(text.data()), text.size()), location);
    EXPECT_TRUE(metadata) << metadata.error().to_string();
    return metadata.has_value();
  }
};

TEST(PyIcebergInterop, ItsTableReadsAsItListsItSnapshotBySnapshot) {
  TheirTable their;
  ASSERT_TRUE(their.load());
  const auto& expected = their.expected;
  const auto& metadata = their.metadata;
  EXPECT_EQ(metadata->format_version, 2);
  ASSERT_NE(metadata->current_snapshot(), nullptr);
  EXPECT_EQ(metadata->current_snapshot()->snapshot_id, expected["current_snapshot_id"].get<std::int64_t>());
  std::vector<std::string> columns;
  for (const auto& f : metadata->current_schema().fields) columns.push_back(f.name);
  EXPECT_EQ(columns, expected["schema_fields"].get<std::vector<std::string>>());
  ASSERT_EQ(metadata->default_spec().fields.size(), 3u);
  EXPECT_EQ(to_string(metadata->default_spec().fields[0].transform), "bucket[4]");
  EXPECT_EQ(to_string(metadata->default_spec().fields[1].transform), "truncate[2]");
  EXPECT_EQ(to_string(metadata->default_spec().fields[2].transform), "day");

  ASSERT_EQ(metadata->snapshots.size(), expected["snapshots"].size());
  for (const auto& want : expected["snapshots"]) {
    const std::int64_t id = want["id"];
    SCOPED_TRACE(std::format("snapshot {} ({})", id, want["operation"].get<std::string>()));
    const Snapshot* snapshot = metadata->snapshot(id);
    ASSERT_NE(snapshot, nullptr);
    EXPECT_EQ(snapshot->sequence_number, want["sequence_number"].get<std::int64_t>());
    EXPECT_EQ(snapshot->operation(), want["operation"].get<std::string>());
    if (want["parent"].is_null()) {
      EXPECT_FALSE(snapshot->parent_snapshot_id);
    } else {
      EXPECT_EQ(snapshot->parent_snapshot_id, want["parent"].get<std::int64_t>());
    }

    auto manifests = read_manifest_list(file_bytes(snapshot->manifest_list), snapshot->manifest_list);
    ASSERT_TRUE(manifests) << manifests.error().to_string();
    std::vector<LiveFile> live;
    std::int64_t rows = 0;
    for (const auto& manifest : *manifests) {
      ASSERT_EQ(manifest.content, ManifestContent::data) << "pyiceberg wrote a delete manifest";
      EXPECT_LE(manifest.sequence_number, snapshot->sequence_number);
      const PartitionSpec* spec = metadata->spec(manifest.spec_id);
      ASSERT_NE(spec, nullptr);
      auto types = partition_types(*spec, *metadata);
      ASSERT_TRUE(types) << types.error().to_string();
      auto entries = read_manifest(file_bytes(manifest.path), manifest.path, manifest, *types);
      ASSERT_TRUE(entries) << entries.error().to_string();
      std::int64_t live_in_manifest = 0;
      for (const auto& entry : *entries) {
        // Sequence numbers are inherited or kept, never from the future.
        EXPECT_LE(entry.sequence_number, snapshot->sequence_number);
        if (entry.status == EntryStatus::deleted) continue;
        // The manifest's minimum is over its live files.
        EXPECT_GE(entry.sequence_number, manifest.min_sequence_number) << entry.file.path;
        ++live_in_manifest;
        LiveFile file{entry.file.path, entry.file.record_count, {}};
        for (const auto& value : entry.file.partition) file.partition.push_back(value->ToString());
        // pyiceberg writes every column's metrics, keyed by field id.
        EXPECT_EQ(entry.file.value_counts.at(1), entry.file.record_count) << entry.file.path;
        EXPECT_TRUE(entry.file.lower_bounds.contains(1)) << entry.file.path;
        rows += entry.file.record_count;
        live.push_back(std::move(file));
      }
      EXPECT_EQ(live_in_manifest, manifest.added_files + manifest.existing_files) << manifest.path;
    }
    std::ranges::sort(live, {}, &LiveFile::path);
    std::vector<LiveFile> wanted;
    for (const auto& f : want["files"]) {
      EXPECT_EQ(f["deletes"].get<int>(), 0);
      LiveFile file{f["path"], f["records"], {}};
      for (const auto& v : f["partition"]) file.partition.push_back(v.is_null() ? "null" : v.get<std::string>());
      wanted.push_back(std::move(file));
    }
    ASSERT_EQ(live.size(), wanted.size());
    for (std::size_t i = 0; i < live.size(); ++i) {
      EXPECT_EQ(live[i].path, wanted[i].path);
      EXPECT_EQ(live[i].records, wanted[i].records) << live[i].path;
      EXPECT_EQ(live[i].partition, wanted[i].partition) << live[i].path;
    }
    EXPECT_EQ(rows, want["rows"].get<std::int64_t>());
  }
}

// Our writers, read by the others: the live files of pyiceberg's table
// rewritten into one manifest of ours, under a manifest list and a
// metadata file of ours (a "replace" snapshot, as a manifest rewrite is),
// read by pyiceberg and DuckDB as the same table, every older snapshot
// included.
TEST(PyIcebergInterop, OurManifestsListAndMetadataReadAsItsTable) {
  TheirTable their;
  ASSERT_TRUE(their.load());
  const std::string& location = their.location;
  const auto& metadata = their.metadata;
  const Snapshot current = *metadata->current_snapshot();

  std::vector<ManifestEntry> kept;
  auto manifests = read_manifest_list(file_bytes(current.manifest_list), current.manifest_list);
  ASSERT_TRUE(manifests) << manifests.error().to_string();
  for (const auto& manifest : *manifests) {
    ASSERT_EQ(manifest.spec_id, metadata->default_spec_id);
    auto types = partition_types(*metadata->spec(manifest.spec_id), *metadata);
    ASSERT_TRUE(types) << types.error().to_string();
    auto entries = read_manifest(file_bytes(manifest.path), manifest.path, manifest, *types);
    ASSERT_TRUE(entries) << entries.error().to_string();
    for (auto& entry : *entries) {
      if (entry.status == EntryStatus::deleted) continue;
      entry.status = EntryStatus::existing;  // kept, with its own numbers
      kept.push_back(std::move(entry));
    }
  }
  ASSERT_FALSE(kept.empty());

  std::mt19937_64 random{std::random_device{}()};
  const std::int64_t snapshot_id = static_cast<std::int64_t>(random() >> 1);
  const std::int64_t sequence_number = metadata->last_sequence_number + 1;
  const std::string metadata_dir = location.substr(0, location.rfind('/'));
  const std::string name = lake::IngestId::generate().to_string();

  auto manifest = write_manifest({.table = &*metadata, .spec_id = metadata->default_spec_id, .snapshot_id = snapshot_id}, kept);
  ASSERT_TRUE(manifest) << manifest.error().to_string();
  manifest->file.path = std::format("{}/{}-m0.avro", metadata_dir, name);
  write_file(manifest->file.path, manifest->bytes);
  EXPECT_EQ(manifest->file.existing_files, static_cast<std::int32_t>(kept.size()));
  EXPECT_EQ(manifest->file.added_files, 0);

  auto list = write_manifest_list({.snapshot_id = snapshot_id, .parent_snapshot_id = current.snapshot_id,
                                   .sequence_number = sequence_number},
                                  {manifest->file});
  ASSERT_TRUE(list) << list.error().to_string();
  const std::string list_path = std::format("{}/snap-{}-0-{}.avro", metadata_dir, snapshot_id, name);
  write_file(list_path, *list);

  // Our readers see what our writers wrote.
  auto reread = read_manifest_list(file_bytes(list_path), list_path);
  ASSERT_TRUE(reread) << reread.error().to_string();
  ASSERT_EQ(reread->size(), 1u);
  EXPECT_EQ(reread->front().sequence_number, sequence_number);
  EXPECT_EQ(reread->front().min_sequence_number, manifest->file.min_sequence_number);
  EXPECT_EQ(reread->front().partitions.size(), 3u);
  auto types = partition_types(metadata->default_spec(), *metadata);
  ASSERT_TRUE(types);
  auto entries = read_manifest(file_bytes(manifest->file.path), manifest->file.path, reread->front(), *types);
  ASSERT_TRUE(entries) << entries.error().to_string();
  ASSERT_EQ(entries->size(), kept.size());
  for (std::size_t i = 0; i < kept.size(); ++i) {
    EXPECT_EQ((*entries)[i].file.path, kept[i].file.path);
    EXPECT_EQ((*entries)[i].sequence_number, kept[i].sequence_number);
    EXPECT_EQ((*entries)[i].snapshot_id, kept[i].snapshot_id);
    EXPECT_EQ((*entries)[i].file.lower_bounds, kept[i].file.lower_bounds);
    for (std::size_t p = 0; p < kept[i].file.partition.size(); ++p)
      EXPECT_TRUE((*entries)[i].file.partition[p]->Equals(*kept[i].file.partition[p])) << kept[i].file.path;
  }

  TableMetadata next = *metadata;
  const std::int64_t now =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  next.snapshots.push_back(Snapshot{.snapshot_id = snapshot_id,
                                    .parent_snapshot_id = current.snapshot_id,
                                    .sequence_number = sequence_number,
                                    .timestamp_ms = now,
                                    .manifest_list = list_path,
                                    .summary = {{"operation", "replace"}, {"lake.ingest_id", name}},
                                    .schema_id = next.current_schema_id});
  next.current_snapshot_id = snapshot_id;
  next.refs["main"].snapshot_id = snapshot_id;
  next.last_sequence_number = sequence_number;
  next.last_updated_ms = now;
  next.snapshot_log.push_back({now, snapshot_id});
  next.metadata_log.push_back({metadata->last_updated_ms, location});
  const std::string ours = std::format("{}/99999-{}.metadata.json", metadata_dir, name);
  const std::string json = to_json_text(next);
  write_file(ours, std::as_bytes(std::span(json)));

  EXPECT_EQ(run_peer("read_ours.py", {local_path(ours), local_path(location)}), 0);
}

// Its rows, read by our scan at every snapshot in that snapshot's schema
// (a renamed column found by field id, a column added later read as NULL),
// as pyiceberg reads them; and a filter skips files by our reading of its
// partition values and metrics.
TEST(PyIcebergInterop, ItsRowsReadAsItReadsThemAtEverySnapshot) {
  TheirTable their;
  ASSERT_TRUE(their.load());
  const auto& metadata = *their.metadata;
  std::shared_ptr<lake::Backend> backend = *lake::file_backend(their.dir.path);
  for (const auto& snapshot : metadata.snapshots) {
    SCOPED_TRACE(std::format("snapshot {}", snapshot.snapshot_id));
    auto planned = plan_files(*backend, metadata, snapshot, std::nullopt);
    ASSERT_TRUE(planned) << planned.error().to_string();
    EXPECT_EQ(planned->files_total, static_cast<std::int64_t>(planned->files.size()));
    auto reader = read_files(backend, metadata.schema_of(snapshot), std::move(planned->files), {});
    ASSERT_TRUE(reader) << reader.error().to_string();
    auto rows = (*reader)->ToTable();
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    lake::testing::write_ipc(*rows, their.dir.path / std::format("ours-{}.arrow", snapshot.snapshot_id));
  }
  EXPECT_EQ(run_peer("compare_rows.py", {their.dir.path.string()}), 0);

  const Snapshot& current = *metadata.current_snapshot();
  namespace cp = arrow::compute;
  auto planned = plan_files(*backend, metadata, current, cp::equal(cp::field_ref("id"), cp::literal(std::int64_t{5})));
  ASSERT_TRUE(planned) << planned.error().to_string();
  EXPECT_GE(planned->files.size(), 1u);
  EXPECT_LT(planned->files.size(), static_cast<std::size_t>(planned->files_total) / 4) << "hardly anything skipped";
  auto reader = read_files(backend, metadata.current_schema(), std::move(planned->files), {"id", "total"});
  ASSERT_TRUE(reader) << reader.error().to_string();
  auto rows = (*reader)->ToTable();
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  auto ids = cp::Index(rows.ValueUnsafe()->GetColumnByName("id"), cp::IndexOptions(std::make_shared<arrow::Int64Scalar>(5)));
  ASSERT_TRUE(ids.ok());
  EXPECT_GE(ids->scalar_as<arrow::Int64Scalar>().value, 0) << "the row with id 5 is in the planned files";

  auto unknown = plan_files(*backend, metadata, current, cp::equal(cp::field_ref("amount"), cp::literal(std::int64_t{1})));
  ASSERT_FALSE(unknown) << "'amount' was renamed";
  EXPECT_EQ(unknown.error().code(), lake::ErrorCode::schema_mismatch);
}

// A table whose partition spec pyiceberg evolved (identity(region), then
// bucket[4](id) added, then region removed; an append under each) is
// planned and read here as pyiceberg reads it: every file under the spec
// it was written with, for filters on the old and the new partition
// fields, row for row.
TEST(PyIcebergInterop, ATableWhosePartitionSpecEvolvedReadsAsItReadsIt) {
  lake::testing::TempDir dir("pyiceberg-spec-evolution");
  const auto expected_file = dir.path / "expected.json";
  ASSERT_EQ(run_peer("spec_evolution_table.py", {dir.path.string(), expected_file.string()}), 0);
  std::ifstream in(expected_file);
  const auto expected = nlohmann::json::parse(in);
  const std::string location = expected["metadata_location"].get<std::string>();
  std::stringstream text;
  text << std::ifstream(local_path(location)).rdbuf();
  auto metadata = parse_table_metadata(text.str(), location);
  ASSERT_TRUE(metadata) << metadata.error().to_string();
  EXPECT_EQ(metadata->specs.size(), expected["spec_ids"].size());

  std::shared_ptr<lake::Backend> backend = *lake::file_backend(dir.path);
  const Snapshot& current = *metadata->current_snapshot();
  auto all = plan_files(*backend, *metadata, current, std::nullopt);
  ASSERT_TRUE(all) << all.error().to_string();
  std::vector<std::pair<std::string, std::int32_t>> ours, theirs;
  for (const auto& f : all->files) ours.emplace_back(f.file.path, f.spec_id);
  for (const auto& f : expected["files"]) theirs.emplace_back(f["path"].get<std::string>(), f["spec_id"].get<std::int32_t>());
  std::ranges::sort(ours);
  EXPECT_EQ(ours, theirs);

  namespace cp = arrow::compute;
  const std::vector<std::pair<std::string, std::optional<cp::Expression>>> filters{
      {"all", std::nullopt},
      {"eu", cp::equal(cp::field_ref("region"), cp::literal("eu"))},
      {"id42", cp::equal(cp::field_ref("id"), cp::literal(std::int64_t{42}))},
      {"late", cp::greater_equal(cp::field_ref("id"), cp::literal(std::int64_t{55}))}};
  for (const auto& [name, filter] : filters) {
    SCOPED_TRACE(name);
    auto rows = rows_matching(backend, *metadata, current, metadata->current_schema(), filter);
    ASSERT_TRUE(rows);
    if (filter) {
      EXPECT_LT(rows->files, all->files.size()) << "partition values or metrics skip files";
    }
    lake::testing::write_ipc(rows->table, dir.path / std::format("ours-{}.arrow", name));
  }
  EXPECT_EQ(run_peer("compare_rows.py", {dir.path.string()}), 0);
}

// A format-version 1 table pyiceberg wrote (manifests without sequence
// numbers, the v1 metadata fields), whose columns it then promoted as the
// spec allows (int to long and required to optional, float to double and
// renamed, decimal(9,2) to decimal(18,2)), a copy-on-write delete between:
// every snapshot read in its own schema, and the current one under filters
// on the promoted columns, so the old files' narrow values and bounds are
// read in the wide types, row for row as pyiceberg reads it.
TEST(PyIcebergInterop, AVersionOneTableWithPromotedColumnsReadsAsItReadsIt) {
  lake::testing::TempDir dir("pyiceberg-legacy");
  const auto expected_file = dir.path / "expected.json";
  ASSERT_EQ(run_peer("legacy_table.py", {dir.path.string(), expected_file.string()}), 0);
  const auto expected = nlohmann::json::parse(std::ifstream(expected_file));
  const std::string location = expected["metadata_location"].get<std::string>();
  std::stringstream text;
  text << std::ifstream(local_path(location)).rdbuf();
  auto metadata = parse_table_metadata(text.str(), location);
  ASSERT_TRUE(metadata) << metadata.error().to_string();
  EXPECT_EQ(metadata->format_version, 1);
  EXPECT_EQ(metadata->format_version, expected["format_version"].get<int>());
  ASSERT_EQ(metadata->snapshots.size(), expected["snapshots"].get<std::size_t>());
  EXPECT_EQ(metadata->schemas.size(), expected["schemas"].get<std::size_t>());
  std::vector<std::string> columns;
  for (const auto& field : metadata->current_schema().fields)
    columns.push_back(std::format("{} {}{}", field.name, field.type->primitive, field.required ? " required" : ""));
  EXPECT_EQ(columns, (std::vector<std::string>{"id long required", "region string", "count long", "rating double",
                                               "price decimal(18, 2)"}));

  std::shared_ptr<lake::Backend> backend = *lake::file_backend(dir.path);
  for (const auto& snapshot : metadata->snapshots) {
    SCOPED_TRACE(std::format("snapshot {}", snapshot.snapshot_id));
    auto rows = rows_matching(backend, *metadata, snapshot, metadata->schema_of(snapshot), std::nullopt);
    ASSERT_TRUE(rows);
    lake::testing::write_ipc(rows->table, dir.path / std::format("ours-{}.arrow", snapshot.snapshot_id));
  }

  namespace cp = arrow::compute;
  const Snapshot& current = *metadata->current_snapshot();
  auto all = plan_files(*backend, *metadata, current, std::nullopt);
  ASSERT_TRUE(all) << all.error().to_string();
  const auto price = std::make_shared<arrow::Decimal128Scalar>(arrow::Decimal128(1225), arrow::decimal128(18, 2));
  const std::vector<std::pair<std::string, std::optional<cp::Expression>>> filters{
      {"all", std::nullopt},
      {"big_count", cp::greater_equal(cp::field_ref("count"), cp::literal(std::int64_t{3'000'000'000}))},
      {"count_range", cp::and_(cp::greater_equal(cp::field_ref("count"), cp::literal(std::int64_t{100})),
                               cp::less(cp::field_ref("count"), cp::literal(std::int64_t{600})))},
      {"low_rating", cp::less(cp::field_ref("rating"), cp::literal(4.0))},
      {"price", cp::equal(cp::field_ref("price"), cp::literal(arrow::Datum(price)))}};
  for (const auto& [name, filter] : filters) {
    SCOPED_TRACE(name);
    auto rows = rows_matching(backend, *metadata, current, metadata->current_schema(), filter);
    ASSERT_TRUE(rows);
    // The old files' int32 bounds (at most 390) rule them out for a count
    // of at least 3e9; the new files' for counts below 600.
    if (name == "big_count" || name == "count_range") {
      EXPECT_LT(rows->files, all->files.size()) << "the promoted column's bounds skip files";
    }
    lake::testing::write_ipc(rows->table, dir.path / std::format("ours-{}.arrow", name));
  }
  EXPECT_EQ(run_peer("compare_rows.py", {dir.path.string()}), 0);
}

}  // namespace

// Interop with pyiceberg (label `interop`): a table pyiceberg writes
// through its SQLite catalog (bucket, truncate and day partitions, appends,
// a copy-on-write delete, an added column) is read by our metadata and
// manifest readers exactly as pyiceberg lists it, snapshot by snapshot.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <format>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "iceberg/manifest.hpp"
#include "iceberg/table_metadata.hpp"
#include "support/temp_dir.hpp"

namespace {

using namespace lake::iceberg;
namespace fs = std::filesystem;

int run_peer(const std::string& script, const std::vector<std::string>& args) {
  std::string command = std::string(LAKE_SOURCE_DIR) + "/tools/peers python " + LAKE_SOURCE_DIR +
                        "/tests/iceberg/peers/" + script;
  for (const auto& a : args) command += " '" + a + "'";
  const auto started = std::chrono::steady_clock::now();
  const int status = std::system(command.c_str());
  std::cerr << std::format("[interop] {} took {:.1f} s\n", script,
                           std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return status;
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

struct LiveFile {
  std::string path;
  std::int64_t records = 0;
  std::vector<std::string> partition;
  friend bool operator==(const LiveFile&, const LiveFile&) = default;
};

TEST(PyIcebergInterop, ItsTableReadsAsItListsItSnapshotBySnapshot) {
  lake::testing::TempDir dir("iceberg-interop");
  const auto expected_file = dir.path / "expected.json";
  ASSERT_EQ(run_peer("pyiceberg_table.py", {dir.path.string(), expected_file.string()}), 0);
  const auto expected = nlohmann::json::parse(std::ifstream(expected_file));

  const std::string location = expected["metadata_location"];
  const auto text = file_bytes(location);
  auto metadata = parse_table_metadata(std::string_view(reinterpret_cast<const char*>(text.data()), text.size()), location);
  ASSERT_TRUE(metadata) << metadata.error().to_string();
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

}  // namespace

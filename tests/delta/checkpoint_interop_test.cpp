// Checkpoint interop (label `interop`):
//  - a table delta-rs wrote without checkpoints gets one from lake-orm; with
//    the commits it covers deleted, delta-rs, DuckDB's delta extension and
//    Spark must read it back exactly;
//  - a table Spark wrote (DML, a classic and a multi-part checkpoint) is
//    replayed by lake-orm to the same live files and row counts Spark sees.
// The peers come from tools/peers; each Spark run is one JVM.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <format>
#include <fstream>
#include <random>
#include <set>

#include <nlohmann/json.hpp>

#include <lake/delta/table.hpp>

#include "delta/checkpoint_writer.hpp"
#include "delta/log_replay.hpp"

#include "peer_support.hpp"

namespace {

using lake::delta::testing::run_peer;
using lake::delta::testing::TempDir;
using lake::delta::testing::write_ipc;

namespace fs = std::filesystem;
using namespace lake;
using namespace lake::delta;

Result<Snapshot> snapshot_of(Backend& backend, std::optional<std::int64_t> version = std::nullopt) {
  auto listing = list_log(backend, "");
  if (!listing) return std::unexpected(listing.error());
  return LogReplay{}.build(backend, "", *listing, version);
}

// Every row lake::delta::Table reads from the table at `dir`, compared with
// the rows Spark's script computed (and checked Spark reads) by the peer
// script table_rows.py: values, NULLs, partition values, types.
void expect_rows_as_spark_wrote(const fs::path& table_dir, const fs::path& expected, const fs::path& scratch) {
  auto backend = file_backend(table_dir);
  ASSERT_TRUE(backend) << backend.error().to_string();
  auto table = Table::open(std::shared_ptr<Backend>(std::move(*backend)), "");
  ASSERT_TRUE(table) << table.error().to_string();
  auto reader = table->scan();
  ASSERT_TRUE(reader) << reader.error().to_string();
  auto rows = (*reader)->ToTable();
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ((*rows)->num_rows(), table->snapshot().num_records());
  write_ipc(*rows, scratch);
  EXPECT_EQ(run_peer("table_rows.py", {"compare", scratch.string(), expected.string()}), 0);
}

// Decoded path -> numRecords of each live file.
std::map<std::string, std::int64_t> records_per_file(const Snapshot& snapshot) {
  std::map<std::string, std::int64_t> out;
  for (const auto& [file, add] : snapshot.files()) out[*decode_path(file.path)] = records_in_stats(add.stats).value_or(-1);
  return out;
}

TEST(CheckpointInterop, PeersReadATableThroughOurCheckpoint) {
  TempDir dir("checkpoint-interop");
  const auto table = dir.path / "table";
  const auto expected = dir.path / "expected.jsonl";
  ASSERT_EQ(run_peer("checkpoint_peers.py", {"write", table.string(), expected.string()}), 0);

  auto backend = file_backend(table);
  ASSERT_TRUE(backend) << backend.error().to_string();
  auto listing = list_log(**backend, "");
  ASSERT_TRUE(listing) << listing.error().to_string();
  ASSERT_TRUE(listing->checkpoints.empty()) << "delta-rs wrote a checkpoint of its own";
  ASSERT_EQ(listing->commits.size(), 12u);
  const std::int64_t latest = listing->commits.back().version;

  // The checkpoint is one version behind the latest, so readers need it
  // and the commit after it.
  const std::int64_t checkpointed = latest - 1;
  auto at_checkpoint = snapshot_of(**backend, checkpointed);
  ASSERT_TRUE(at_checkpoint) << at_checkpoint.error().to_string();
  EXPECT_FALSE(at_checkpoint->tombstones().empty()) << "the deletes should have left tombstones";
  EXPECT_EQ(at_checkpoint->app_version("lake-interop"), 7);
  auto before = snapshot_of(**backend);
  ASSERT_TRUE(before) << before.error().to_string();

  auto written = write_checkpoint(**backend, "", *at_checkpoint, lake::now());
  ASSERT_TRUE(written) << written.error().to_string();
  for (const auto& commit : listing->commits) {
    if (commit.version > checkpointed) continue;
    ASSERT_TRUE((*backend)->remove(commit.object.key));
  }

  auto after = snapshot_of(**backend);
  ASSERT_TRUE(after) << after.error().to_string();
  EXPECT_EQ(after->version(), latest);
  EXPECT_EQ(records_per_file(*after), records_per_file(*before));
  EXPECT_EQ(after->app_version("lake-interop"), 7);

  EXPECT_EQ(run_peer("checkpoint_peers.py", {"read", table.string(), expected.string(), "--version",
                                             std::to_string(latest), "--txn", "lake-interop=7"}),
            0);
}

TEST(CheckpointInterop, WeReplaySparksTableAsSparkSeesIt) {
  TempDir dir("checkpoint-interop");
  const auto table = dir.path / "table";
  const auto expected = dir.path / "expected.jsonl";
  const auto view_file = dir.path / "spark-view.json";
  ASSERT_EQ(run_peer("spark_delta.py", {"write-sample", table.string(), expected.string(), view_file.string()}), 0);
  const auto view = nlohmann::json::parse(std::ifstream(view_file));

  auto backend = file_backend(table);
  ASSERT_TRUE(backend) << backend.error().to_string();
  auto listing = list_log(**backend, "");
  ASSERT_TRUE(listing) << listing.error().to_string();
  std::map<std::string, int> checkpoints;
  for (const auto& c : listing->checkpoints) checkpoints[std::to_string(c.version)] = c.parts;
  EXPECT_EQ(checkpoints, view["checkpoints"].get<decltype(checkpoints)>());
  ASSERT_GT(listing->checkpoints.back().parts, 1) << "the newest checkpoint should be multi-part";

  auto snapshot = snapshot_of(**backend);
  ASSERT_TRUE(snapshot) << snapshot.error().to_string();
  ASSERT_TRUE(snapshot->check_readable()) << snapshot->check_readable().error().to_string();
  EXPECT_EQ(snapshot->version(), view["version"].get<std::int64_t>());
  EXPECT_EQ(static_cast<std::int64_t>(snapshot->files().size()), view["num_files"].get<std::int64_t>());
  EXPECT_EQ(records_per_file(*snapshot), (view["files"].get<std::map<std::string, std::int64_t>>()));
  EXPECT_EQ(snapshot->num_records(), view["rows"].get<std::int64_t>());
  EXPECT_EQ(snapshot->partition_columns(), std::vector<std::string>{"country"});
  EXPECT_EQ(snapshot->columns().size(), 9u);
  // Row for row, through Spark's multi-part checkpoint and the commit after it.
  expect_rows_as_spark_wrote(table, expected, dir.path / "ours.arrow");

  // Every version, rebuilt from commits alone, from the classic checkpoint
  // or from the multi-part one, holds the files Spark recorded in its
  // checksum file for that version (Delta's .crc: numFiles, tableSizeBytes
  // and, for small tables, allFiles).
  for (std::int64_t version = 0; version <= snapshot->version(); ++version) {
    auto crc_text = (*backend)->get_text(std::format("_delta_log/{:020}.crc", version));
    ASSERT_TRUE(crc_text) << crc_text.error().to_string();
    auto crc = nlohmann::json::parse(*crc_text);
    auto at = snapshot_of(**backend, version);
    ASSERT_TRUE(at) << at.error().to_string();
    EXPECT_EQ(static_cast<std::int64_t>(at->files().size()), crc["numFiles"].get<std::int64_t>()) << version;
    EXPECT_EQ(at->total_bytes(), crc["tableSizeBytes"].get<std::int64_t>()) << version;
    std::set<std::string> ours, sparks;
    for (const auto& [file, add] : at->files()) ours.insert(file.path);
    for (const auto& add : crc["allFiles"]) sparks.insert(add["path"].get<std::string>());
    EXPECT_EQ(ours, sparks) << "version " << version;
  }

  // The Spark-written NULL partition value reads back as NULL.
  bool null_partition = false;
  for (const auto& [file, add] : snapshot->files())
    null_partition |= add.partition_values.at("country") == std::nullopt;
  EXPECT_TRUE(null_partition);

  // Our checkpoint of Spark's table (Spark's stats, a NOT NULL column, a
  // NULL partition value) replaces the log for the kernel-based readers.
  // Spark itself reads our checkpoints in the test above; a second JVM
  // here would double this test's time.
  ASSERT_TRUE(write_checkpoint(**backend, "", *snapshot, lake::now()));
  auto log = (*backend)->list("_delta_log/");
  ASSERT_TRUE(log) << log.error().to_string();
  for (const auto& object : *log) {
    if (object.key.ends_with("_last_checkpoint")) continue;
    auto name = std::string_view(object.key).substr(std::string_view("_delta_log/").size());
    if (name.starts_with(std::format("{:020}.checkpoint.parquet", snapshot->version()))) continue;
    ASSERT_TRUE((*backend)->remove(object.key));
  }
  auto from_ours = snapshot_of(**backend);
  ASSERT_TRUE(from_ours) << from_ours.error().to_string();
  EXPECT_EQ(records_per_file(*from_ours), records_per_file(*snapshot));
  expect_rows_as_spark_wrote(table, expected, dir.path / "ours-after-checkpoint.arrow");
  EXPECT_EQ(run_peer("checkpoint_peers.py", {"read", table.string(), expected.string(), "--version",
                                             std::to_string(snapshot->version()), "--readers", "delta-rs,duckdb"}),
            0);
}

}  // namespace

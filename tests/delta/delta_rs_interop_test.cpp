// Interop with delta-rs (label `interop`): tables delta-rs writes, including
// its checkpoints, are read by our log replay identically.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "delta/log_replay.hpp"

#include "peer_support.hpp"

namespace {

using lake::delta::testing::run_peer;
using lake::delta::testing::TempDir;

namespace fs = std::filesystem;

TEST(DeltaRsInterop, ReadsATableThroughItsCheckpoint) {
  TempDir dir("delta-interop");
  auto table_dir = dir.path / "table";
  auto expected_file = dir.path / "expected.json";
  ASSERT_EQ(run_peer("delta_rs_checkpointed.py", {table_dir.string(), expected_file.string()}), 0);
  auto expected = nlohmann::json::parse(std::ifstream(expected_file));

  auto backend = lake::file_backend(table_dir);
  ASSERT_TRUE(backend);
  auto listing = lake::delta::list_log(**backend, "");
  ASSERT_TRUE(listing);
  ASSERT_FALSE(listing->checkpoints.empty()) << "delta-rs wrote no checkpoint";
  EXPECT_EQ(listing->checkpoints.back().version, expected["checkpoint_version"].get<std::int64_t>());
  // The commits the checkpoint covers are gone, so only the checkpoint can
  // rebuild the table.
  EXPECT_GT(listing->commits.front().version, listing->checkpoints.back().version);

  auto snapshot = lake::delta::LogReplay{}.build(**backend, "", *listing, std::nullopt);
  ASSERT_TRUE(snapshot) << snapshot.error().to_string();
  ASSERT_TRUE(snapshot->check_readable());
  EXPECT_EQ(snapshot->version(), expected["version"].get<std::int64_t>());
  std::vector<std::string> files;
  for (const auto& [file, add] : snapshot->files()) files.push_back(*lake::delta::decode_path(file.path));
  std::ranges::sort(files);
  EXPECT_EQ(files, expected["files"].get<std::vector<std::string>>());
  EXPECT_EQ(snapshot->num_records(), expected["rows"].get<std::int64_t>());
  ASSERT_EQ(snapshot->columns().size(), 2u);
  EXPECT_EQ(snapshot->columns()[0].column, "id");
  EXPECT_EQ(snapshot->columns()[0].type.id, lake::TypeId::int64);
}

}  // namespace

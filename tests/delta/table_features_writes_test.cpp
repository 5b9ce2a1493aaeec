// Writing tables with the writer features that keep state in the log:
// domain metadata (replayed, tombstoned, kept by checkpoints, conflicts),
// V2 checkpoints (a UUID-named top level and a sidecar when the table's
// policy asks for them), in-commit timestamps (commitInfo first, strictly
// increasing, used by history and time travel), row tracking (fresh row
// ids and commit versions, kept by deletion vectors, never reused across
// concurrent writers) and liquid clustering (the clustering domain,
// optimize on its columns, stats on them). Spark reading such tables:
// spark_features_interop_test.
#include <arrow/compute/api.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "delta/liquid_clustering.hpp"
#include "delta/log_replay.hpp"
#include "delta/row_tracking.hpp"
#include "table_support.hpp"

namespace {

using namespace lake;
using namespace lake::delta;
using namespace lake::delta::testing;
namespace cp = arrow::compute;

std::vector<Action> commit_actions(Backend& backend, std::int64_t version) {
  auto text = backend.get_text(commit_key("t", version));
  EXPECT_TRUE(text) << text.error().to_string();
  if (!text) return {};
  auto actions = parse_commit_text(*text, "commit");
  EXPECT_TRUE(actions) << actions.error().to_string();
  return actions ? *actions : std::vector<Action>{};
}

nlohmann::json commit_info(Backend& backend, std::int64_t version) {
  for (const auto& action : commit_actions(backend, version))
    if (const auto* info = std::get_if<CommitInfo>(&action)) return nlohmann::json::parse(info->json);
  return {};
}

std::vector<Plain> plain_rows(std::int64_t first, std::int64_t count) {
  std::vector<Plain> rows;
  for (std::int64_t id = first; id < first + count; ++id)
    rows.push_back({.id = id, .name = "n" + std::to_string(id), .score = static_cast<double>(id % 7)});
  return rows;
}

Result<Table> create(std::shared_ptr<Backend> backend, std::map<std::string, std::string> properties) {
  return Table::create(std::move(backend), "t", schema_of<Plain>(), {.properties = std::move(properties)});
}

Snapshot reopened(std::shared_ptr<Backend> backend) {
  auto table = Table::open(std::move(backend), "t");
  EXPECT_TRUE(table) << table.error().to_string();
  return table ? table->snapshot() : Snapshot{};
}

TEST(TableFeatureWrites, DomainsReplayTombstoneAndSurviveCheckpoints) {
  auto actions = parse_commit_text(R"({"domainMetadata":{"domain":"app.x","configuration":"{\"a\":1}","removed":false}})"
                                   "\n",
                                   "c");
  ASSERT_TRUE(actions) << actions.error().to_string();
  ASSERT_EQ(actions->size(), 1u);
  EXPECT_EQ(std::get<DomainMetadata>(actions->front()), (DomainMetadata{"app.x", R"({"a":1})", false}));
  EXPECT_EQ(to_json_line(actions->front()),
            R"({"domainMetadata":{"configuration":"{\"a\":1}","domain":"app.x","removed":false}})");

  std::shared_ptr<Backend> backend = memory_backend();
  // Spark's way of asking for a feature: the property becomes the protocol.
  auto table = create(backend, {{"delta.feature.domainMetadata", "supported"}});
  ASSERT_TRUE(table) << table.error().to_string();
  EXPECT_TRUE(std::ranges::contains(table->snapshot().protocol().writer_features, std::string("domainMetadata")));
  EXPECT_FALSE(table->snapshot().metadata().configuration.contains("delta.feature.domainMetadata"));
  // Domains someone else wrote (a user domain, then one removed) are kept
  // by our commits and checkpoints.
  auto put = [&](std::int64_t version, std::string_view lines) {
    ASSERT_TRUE(backend->put_text(commit_key("t", version), std::string(lines), PutMode::create));
  };
  put(1, R"({"commitInfo":{"operation":"X"}})" "\n"
         R"({"domainMetadata":{"domain":"app.keep","configuration":"{}","removed":false}})" "\n"
         R"({"domainMetadata":{"domain":"app.gone","configuration":"{}","removed":false}})" "\n");
  put(2, R"({"commitInfo":{"operation":"X"}})" "\n"
         R"({"domainMetadata":{"domain":"app.gone","configuration":"{}","removed":true}})" "\n");
  ASSERT_TRUE(table->refresh());
  ASSERT_TRUE(table->append(batch_of(plain_rows(0, 10))));
  ASSERT_TRUE(table->checkpoint());
  auto snapshot = reopened(backend);
  ASSERT_EQ(snapshot.domains().size(), 1u);
  EXPECT_NE(snapshot.domain("app.keep"), nullptr);
  EXPECT_EQ(snapshot.domain("app.gone"), nullptr);
  // Read from the checkpoint alone.
  for (std::int64_t v = 0; v <= 3; ++v) ASSERT_TRUE(backend->remove(commit_key("t", v)));
  snapshot = reopened(backend);
  EXPECT_NE(snapshot.domain("app.keep"), nullptr);
  EXPECT_EQ(snapshot.files().size(), 1u);
}

TEST(TableFeatureWrites, TablesWithTheV2PolicyGetUuidNamedCheckpointsWithASidecar) {
  std::shared_ptr<Backend> backend = memory_backend();
  auto table = create(backend, {{"delta.checkpointPolicy", "v2"}, {"delta.checkpointInterval", "3"}});
  ASSERT_TRUE(table) << table.error().to_string();
  EXPECT_TRUE(std::ranges::contains(table->snapshot().protocol().reader_features, std::string("v2Checkpoint")));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(table->append(batch_of(plain_rows(i * 10, 10))));  // v3 checkpoints
  auto log = backend->list("t/_delta_log/");
  ASSERT_TRUE(log) << log.error().to_string();
  std::vector<std::string> checkpoints, sidecars;
  for (const auto& object : *log) {
    if (object.key.find(".checkpoint.") != std::string::npos) checkpoints.push_back(object.key);
    if (object.key.find("/_sidecars/") != std::string::npos) sidecars.push_back(object.key);
  }
  ASSERT_EQ(checkpoints.size(), 1u);
  EXPECT_TRUE(checkpoints[0].starts_with("t/_delta_log/00000000000000000003.checkpoint."));
  EXPECT_TRUE(checkpoints[0].ends_with(".parquet"));
  EXPECT_EQ(checkpoints[0].size(), std::string("t/_delta_log/00000000000000000003.checkpoint.").size() + 36 + 8);
  EXPECT_EQ(sidecars.size(), 1u);
  // Only the checkpoint: every file comes back through the sidecar.
  for (std::int64_t v = 0; v <= 3; ++v) ASSERT_TRUE(backend->remove(commit_key("t", v)));
  auto reread = Table::open(backend, "t");
  ASSERT_TRUE(reread) << reread.error().to_string();
  EXPECT_EQ(reread->snapshot().files().size(), 3u);
  EXPECT_EQ(read_all<Plain>(*reread).size(), 30u);
  // Without the policy, a table with the feature gets classic checkpoints.
  std::shared_ptr<Backend> other = memory_backend();
  auto classic = create(other, {{"delta.feature.v2Checkpoint", "supported"}});
  ASSERT_TRUE(classic) << classic.error().to_string();
  ASSERT_TRUE(classic->append(batch_of(plain_rows(0, 5))));
  ASSERT_TRUE(classic->checkpoint());
  EXPECT_TRUE(other->head("t/_delta_log/00000000000000000001.checkpoint.parquet"));
}

TEST(TableFeatureWrites, InCommitTimestampsComeFirstIncreaseAndDriveTimeTravel) {
  std::shared_ptr<Backend> backend = memory_backend();
  auto table = create(backend, {{"delta.enableInCommitTimestamps", "true"}});
  ASSERT_TRUE(table) << table.error().to_string();
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(table->append(batch_of(plain_rows(i * 10, 10))));
  std::int64_t previous = -1;
  std::vector<std::int64_t> stamps;
  for (std::int64_t v = 0; v <= 4; ++v) {
    auto actions = commit_actions(*backend, v);
    ASSERT_FALSE(actions.empty());
    ASSERT_TRUE(std::holds_alternative<CommitInfo>(actions.front())) << "commitInfo must come first, version " << v;
    auto info = nlohmann::json::parse(std::get<CommitInfo>(actions.front()).json);
    ASSERT_TRUE(info.contains("inCommitTimestamp")) << v;
    const auto at = info["inCommitTimestamp"].get<std::int64_t>();
    EXPECT_GT(at, previous) << "in-commit timestamps must strictly increase";
    previous = at;
    stamps.push_back(at);
  }
  EXPECT_EQ(table->snapshot().in_commit_timestamp(), stamps.back());
  auto history = table->history();
  ASSERT_TRUE(history) << history.error().to_string();
  ASSERT_EQ(history->size(), 5u);
  EXPECT_EQ(history->front().committed_at, timestamp(std::chrono::milliseconds(stamps.back())));
  // Time travel by the recorded times, not the files' times.
  auto at = table->as_of(timestamp(std::chrono::milliseconds(stamps[2])));
  ASSERT_TRUE(at) << at.error().to_string();
  EXPECT_EQ(at->version(), 2);
  EXPECT_EQ(read_all<Plain>(*at).size(), 20u);
  EXPECT_FALSE(table->as_of(timestamp(std::chrono::milliseconds(stamps[0] - 1))));
}

TEST(TableFeatureWrites, RowTrackingAssignsFreshIdsAndKeepsThemForDeletionVectors) {
  std::shared_ptr<Backend> backend = memory_backend();
  auto table = create(backend, {{"delta.enableRowTracking", "true"}, {"delta.enableDeletionVectors", "true"}});
  ASSERT_TRUE(table) << table.error().to_string();
  const auto& configuration = table->snapshot().metadata().configuration;
  EXPECT_TRUE(configuration.contains("delta.rowTracking.materializedRowIdColumnName"));
  ASSERT_TRUE(table->append(batch_of(plain_rows(0, 10))));   // v1: ids 0..9
  ASSERT_TRUE(table->append(batch_of(plain_rows(10, 5))));   // v2: ids 10..14
  std::map<std::int64_t, std::int64_t> base_by_version;
  for (const auto& [key, add] : table->snapshot().files()) {
    ASSERT_TRUE(add.base_row_id && add.default_row_commit_version) << key.path;
    base_by_version[*add.default_row_commit_version] = *add.base_row_id;
  }
  EXPECT_EQ(base_by_version, (std::map<std::int64_t, std::int64_t>{{1, 0}, {2, 10}}));
  EXPECT_EQ(row_id_high_water_mark(table->snapshot()), 14);
  EXPECT_EQ(commit_info(*backend, 1)["tags"]["delta.rowTracking.preserved"], "true");

  // A deletion vector keeps the file's ids and commit version.
  ASSERT_TRUE(table->delete_where(cp::equal(cp::field_ref("id"), cp::literal(std::int64_t{3}))));
  for (const auto& [key, add] : table->snapshot().files())
    if (add.deletion_vector) {
      EXPECT_EQ(add.base_row_id, 0);
      EXPECT_EQ(add.default_row_commit_version, 1);
    }
  EXPECT_EQ(commit_info(*backend, 3)["tags"]["delta.rowTracking.preserved"], "true");
  for (const auto& action : commit_actions(*backend, 3))
    if (const auto* remove = std::get_if<Remove>(&action)) {
      EXPECT_EQ(remove->base_row_id, 0);
    }

  // Copy-on-write: the copied rows get fresh ids above the mark, and the
  // commit says their stable ids were not kept.
  auto copying = Table::open(backend, "t", {.row_changes = RowChanges::copy_on_write});
  ASSERT_TRUE(copying) << copying.error().to_string();
  ASSERT_TRUE(copying->delete_where(cp::equal(cp::field_ref("id"), cp::literal(std::int64_t{12}))));
  EXPECT_EQ(commit_info(*backend, 4)["tags"]["delta.rowTracking.preserved"], "false");
  for (const auto& action : commit_actions(*backend, 4))
    if (const auto* add = std::get_if<Add>(&action)) {
      EXPECT_EQ(add->base_row_id, 15);
      EXPECT_EQ(add->default_row_commit_version, 4);
    }
  EXPECT_EQ(row_id_high_water_mark(copying->snapshot()), 18);  // four rows copied
  EXPECT_EQ(read_all<Plain>(*copying).size(), 13u);

  // Two handles appending from the same version: the loser's ids are
  // assigned again on top of the winner's.
  auto first = Table::open(backend, "t");
  auto second = Table::open(backend, "t");
  ASSERT_TRUE(first && second);
  ASSERT_TRUE(first->append(batch_of(plain_rows(100, 3))));
  ASSERT_TRUE(second->append(batch_of(plain_rows(200, 4))));
  std::vector<std::pair<std::int64_t, std::int64_t>> ranges;
  for (const auto& [key, add] : second->snapshot().files()) {
    auto rows = records_in_stats(add.stats);
    ASSERT_TRUE(rows && add.base_row_id);
    ranges.emplace_back(*add.base_row_id, *add.base_row_id + *rows - 1);
  }
  std::ranges::sort(ranges);
  for (std::size_t i = 1; i < ranges.size(); ++i)
    EXPECT_GT(ranges[i].first, ranges[i - 1].second) << "row ids assigned twice";
  EXPECT_EQ(row_id_high_water_mark(second->snapshot()), ranges.back().second);
}

struct Wide {
  [[=lake::pk]] std::int64_t id = 0;
  std::int64_t a = 0;
  std::int64_t b = 0;
  std::string c;
};

TEST(TableFeatureWrites, LiquidClusteringRecordsItsColumnsAndOptimizeClustersOnThem) {
  std::shared_ptr<Backend> backend = memory_backend();
  // Stats on the first column only: the clustering column gets them anyway.
  auto table = Table::create(backend, "t", schema_of<Wide>(), {.properties = {{"delta.dataSkippingNumIndexedCols", "1"}}});
  ASSERT_TRUE(table) << table.error().to_string();
  auto clustered = table->cluster_by({"b"});
  ASSERT_TRUE(clustered) << clustered.error().to_string();
  const auto& protocol = table->snapshot().protocol();
  EXPECT_TRUE(std::ranges::contains(protocol.writer_features, std::string("clustering")));
  EXPECT_TRUE(std::ranges::contains(protocol.writer_features, std::string("domainMetadata")));
  const auto* domain = table->snapshot().domain(kClusteringDomain);
  ASSERT_NE(domain, nullptr);
  EXPECT_EQ(nlohmann::json::parse(domain->configuration)["clusteringColumns"], nlohmann::json::parse(R"([["b"]])"));

  std::vector<Wide> rows;
  for (std::int64_t id = 0; id < 40; ++id) rows.push_back({.id = id, .a = id % 5, .b = (id * 7) % 40, .c = "x"});
  ASSERT_TRUE(table->append(batch_of(std::vector<Wide>(rows.begin(), rows.begin() + 20))));
  ASSERT_TRUE(table->append(batch_of(std::vector<Wide>(rows.begin() + 20, rows.end()))));
  for (const auto& [key, add] : table->snapshot().files()) {
    auto stats = nlohmann::json::parse(add.stats.value_or("{}"));
    EXPECT_TRUE(stats["minValues"].contains("b")) << *add.stats;
    EXPECT_FALSE(stats["minValues"].contains("a")) << *add.stats;
  }
  // A column the files have no stats for cannot become a clustering column.
  auto refused = table->cluster_by({"b", "a"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::invalid_argument);
  EXPECT_NE(refused.error().message().find("no statistics for 'a'"), std::string::npos) << refused.error().message();

  // A file another implementation clustered is not ours to recluster.
  auto files = table->snapshot().files();
  ASSERT_EQ(files.size(), 2u);
  Add theirs = files.begin()->second;
  theirs.clustering_provider = "liquid";
  theirs.data_change = false;
  ASSERT_TRUE(backend->put_text(commit_key("t", table->version() + 1),
                                to_commit_text({CommitInfo{R"({"operation":"OPTIMIZE"})"}, theirs}), PutMode::create));
  ASSERT_TRUE(table->refresh());

  auto optimized = table->optimize();
  ASSERT_TRUE(optimized) << optimized.error().to_string();
  EXPECT_EQ(optimized->files_removed, 1);
  int ours = 0, liquid = 0;
  for (const auto& [key, add] : table->snapshot().files()) {
    if (add.clustering_provider == std::string(kClusteringProvider)) ++ours;
    if (add.clustering_provider == std::string("liquid")) ++liquid;
  }
  EXPECT_EQ(ours, 1);
  EXPECT_EQ(liquid, 1);
  EXPECT_EQ(read_all<Wide>(*table).size(), 40u);
  // Optimizing again finds nothing to do; other orders are refused.
  auto again = table->optimize();
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ(again->files_removed, 0);
  auto zorder = table->optimize({.zorder_by = {"a"}});
  ASSERT_FALSE(zorder);
  EXPECT_EQ(zorder.error().code(), ErrorCode::invalid_argument);
  // A clustering column cannot be dropped; partitioned tables cannot be
  // clustered.
  ASSERT_TRUE(table->enable_column_mapping());
  auto dropped = table->drop_column("b");
  ASSERT_FALSE(dropped);
  EXPECT_EQ(dropped.error().code(), ErrorCode::invalid_argument);
  EXPECT_TRUE(table->drop_column("c"));
  std::shared_ptr<Backend> other = memory_backend();
  auto partitioned = Table::create(other, "t", schema_of<Event>());
  ASSERT_TRUE(partitioned) << partitioned.error().to_string();
  auto both = partitioned->cluster_by({"id"});
  ASSERT_FALSE(both);
  EXPECT_EQ(both.error().code(), ErrorCode::invalid_argument);
}

struct Visit {
  [[=lake::pk]] std::int64_t id = 0;
  lake::local_timestamp at{};
  lake::date day{};
};

struct VisitAfter {
  [[=lake::pk]] std::int64_t id = 0;
  lake::local_timestamp at{};
  lake::local_timestamp day{};
  std::optional<lake::local_timestamp> left{};
};

Field ntz_column(std::string name) {
  Field field;
  field.column = std::move(name);
  field.type = DataType(TypeId::timestamp_ntz);
  field.nullable = true;
  return field;
}

TEST(TableFeatureWrites, TimestampNtzColumnsBringTheirFeatureAndKeepTheirReadings) {
  std::shared_ptr<Backend> backend = memory_backend();
  auto table = Table::create(backend, "t", schema_of<Visit>());
  ASSERT_TRUE(table) << table.error().to_string();
  const auto& protocol = table->snapshot().protocol();
  EXPECT_TRUE(std::ranges::contains(protocol.reader_features, std::string("timestampNtz")));
  EXPECT_TRUE(std::ranges::contains(protocol.writer_features, std::string("timestampNtz")));
  auto schema = nlohmann::json::parse(table->snapshot().metadata().schema_string);
  EXPECT_EQ(schema["fields"][1]["type"], "timestamp_ntz");
  std::vector<Visit> visits{{.id = 1, .at = *parse_local_timestamp("2026-03-29 02:30:00.123456"),
                             .day = *parse_date("2026-03-29")}};
  ASSERT_TRUE(table->append(batch_of(visits)));
  // Stats without a zone (Spark's form); the upper bound rounded up to the
  // millisecond.
  auto stats = nlohmann::json::parse(*table->snapshot().files().begin()->second.stats);
  EXPECT_EQ(stats["minValues"]["at"], "2026-03-29T02:30:00.123");
  EXPECT_EQ(stats["maxValues"]["at"], "2026-03-29T02:30:00.124");

  // Date widened to timestamp_ntz (Delta's type widening): the old file's
  // dates read as midnight.
  auto widened = table->change_column_type("day", DataType(TypeId::timestamp_ntz));
  ASSERT_TRUE(widened) << widened.error().to_string();
  EXPECT_TRUE(std::ranges::contains(table->snapshot().protocol().reader_features, std::string("typeWidening")));
  ASSERT_TRUE(table->add_columns({ntz_column("left")}));
  auto back = read_all<VisitAfter>(*table);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].at, visits[0].at);
  EXPECT_EQ(back[0].day, *parse_local_timestamp("2026-03-29"));
  EXPECT_FALSE(back[0].left);

  // A table without one gets the feature with its first timestamp_ntz column.
  std::shared_ptr<Backend> other = memory_backend();
  auto plain = Table::create(other, "t", schema_of<Plain>());
  ASSERT_TRUE(plain) << plain.error().to_string();
  EXPECT_EQ(plain->snapshot().protocol().min_writer_version, 2);
  ASSERT_TRUE(plain->add_columns({ntz_column("seen")}));
  EXPECT_TRUE(std::ranges::contains(plain->snapshot().protocol().reader_features, std::string("timestampNtz")));
}

}  // namespace

// Checkpoint writing: a checkpoint written from a snapshot rebuilds the same
// snapshot on its own (the commits it covers deleted) and with later
// commits on top, on the memory and file backends; tombstone and txn
// expiry; _last_checkpoint; features that must not be checkpointed.
#include <gtest/gtest.h>

#include <arrow/array.h>
#include <arrow/compute/api.h>
#include <arrow/io/memory.h>
#include <arrow/table.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/writer.h>

#include <format>

#include <nlohmann/json.hpp>

#include <lake/delta/actions.hpp>
#include <lake/delta/snapshot.hpp>
#include <lake/storage/arrow_io.hpp>

#include "delta/checkpoint_writer.hpp"
#include "delta/table_writer.hpp"
#include "delta/log_replay.hpp"
#include "support/temp_dir.hpp"

namespace lake::delta {
// Failure messages show actions as their log JSON.
void PrintTo(const Add& a, std::ostream* os) { *os << to_json_line(a) << (a.deletion_vector ? " +DV" : ""); }
void PrintTo(const Remove& r, std::ostream* os) {
  *os << to_json_line(r) << " partitionValues=" << r.partition_values.size();
}
void PrintTo(const Txn& t, std::ostream* os) { *os << to_json_line(t); }
void PrintTo(const Metadata& m, std::ostream* os) { *os << to_json_line(m); }
void PrintTo(const Protocol& p, std::ostream* os) { *os << to_json_line(p); }
}  // namespace lake::delta

namespace {

using namespace lake;
using namespace lake::delta;
using namespace std::chrono_literals;

// "Now" for every checkpoint here, and log timestamps relative to it.
const timestamp kNow = timestamp(std::chrono::sys_days(std::chrono::year(2026) / 11 / 21)) + 9h;
std::int64_t ms_before_now(std::chrono::milliseconds ago) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(kNow.time_since_epoch() - ago).count();
}

constexpr std::string_view kSchema =
    R"({"type":"struct","fields":[{"name":"id","type":"long","nullable":false,"metadata":{}},)"
    R"({"name":"country","type":"string","nullable":true,"metadata":{}}]})";

Metadata table_metadata(std::map<std::string, std::string> configuration = {}) {
  return Metadata{"8d2c61a4-0f5e-4c1e-9d3a-3f1b2a9c7e11", "events", "checkpoint test", std::string(kSchema),
                  {"country"}, std::move(configuration), 1700000000000};
}

Add add(std::string path, std::optional<std::string> country, std::optional<std::int64_t> records = std::nullopt) {
  Add a;
  a.path = std::move(path);
  a.partition_values = {{"country", std::move(country)}};
  a.size = 1000 + static_cast<std::int64_t>(a.path.size());
  a.modification_time = ms_before_now(48h);
  if (records) a.stats = std::format(R"({{"numRecords":{},"minValues":{{"id":1}},"nullCount":{{"id":0}}}})", *records);
  return a;
}

Remove removal(const Add& file, std::optional<std::int64_t> deleted_at) {
  return Remove{file.path, deleted_at, true, true, file.partition_values, file.size};
}

// A snapshot's state the way a checkpoint must restate it: data_change is
// not part of a table's state (checkpoints write false).
struct TableState {
  Protocol protocol;
  Metadata metadata;
  std::map<LogicalFileKey, Add> files;
  std::map<LogicalFileKey, Remove> tombstones;
  std::map<std::string, Txn> txns;
};

TableState state_of(const Snapshot& s) {
  TableState state{s.protocol(), s.metadata(), s.files(), s.tombstones(), s.transactions()};
  for (auto& [path, a] : state.files) a.data_change = false;
  for (auto& [path, r] : state.tombstones) r.data_change = false;
  return state;
}

void expect_same_state(const TableState& actual, const TableState& expected) {
  EXPECT_EQ(actual.protocol, expected.protocol);
  EXPECT_EQ(actual.metadata, expected.metadata);
  EXPECT_EQ(actual.files, expected.files);
  EXPECT_EQ(actual.tombstones, expected.tombstones);
  EXPECT_EQ(actual.txns, expected.txns);
}

enum class BackendKind { memory, file };
void PrintTo(BackendKind kind, std::ostream* os) { *os << (kind == BackendKind::memory ? "memory" : "file"); }

class CheckpointTest : public ::testing::TestWithParam<BackendKind> {
 protected:
  void SetUp() override {
    if (GetParam() == BackendKind::memory) {
      backend_ = memory_backend();
    } else {
      auto file = file_backend(dir_.path);
      ASSERT_TRUE(file) << file.error().to_string();
      backend_ = std::move(*file);
    }
  }

  Backend& backend() { return *backend_; }

  void commit(const std::string& table, std::int64_t version, const std::vector<Action>& actions) {
    ASSERT_TRUE(backend_->put_text(commit_key(table, version), to_commit_text(actions), PutMode::create));
  }

  Result<Snapshot> snapshot(const std::string& table, std::optional<std::int64_t> version = std::nullopt) {
    auto listing = list_log(*backend_, table);
    if (!listing) return std::unexpected(listing.error());
    return LogReplay{}.build(*backend_, table, *listing, version);
  }

  // Deletes the commits a checkpoint at `version` covers, so only the
  // checkpoint can rebuild the table up to there.
  void delete_commits_through(const std::string& table, std::int64_t version) {
    for (std::int64_t v = 0; v <= version; ++v) ASSERT_TRUE(backend_->remove(commit_key(table, v)));
  }

  // Checkpoints the latest version, deletes the commits it covers and
  // rebuilds the table from the checkpoint alone.
  Result<Snapshot> rebuilt_from_checkpoint(const std::string& table) {
    auto latest = snapshot(table);
    if (!latest) return latest;
    if (auto written = write_checkpoint(*backend_, table, *latest, kNow); !written)
      return std::unexpected(written.error());
    delete_commits_through(table, latest->version());
    return snapshot(table);
  }

  nlohmann::json last_checkpoint(const std::string& table) {
    auto text = backend_->get_text(log_prefix(table) + "_last_checkpoint");
    if (!text) return nullptr;
    return nlohmann::json::parse(*text);
  }

  std::string checkpoint_key(const std::string& table, std::int64_t version) {
    return std::format("{}{:020}.checkpoint.parquet", log_prefix(table), version);
  }

  std::shared_ptr<arrow::Table> read_checkpoint(const std::string& table, std::int64_t version) {
    auto input = open_arrow_input(*backend_, checkpoint_key(table, version));
    EXPECT_TRUE(input);
    if (!input) return nullptr;
    auto reader = parquet::arrow::OpenFile(*input, arrow::default_memory_pool());
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    if (!reader.ok()) return nullptr;
    auto rows = (*reader)->ReadTable();
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? *rows : nullptr;
  }

 private:
  lake::testing::TempDir dir_{"checkpoint-test"};
  std::unique_ptr<Backend> backend_;
};

INSTANTIATE_TEST_SUITE_P(Backends, CheckpointTest, ::testing::Values(BackendKind::memory, BackendKind::file),
                         [](const auto& param_info) { return param_info.param == BackendKind::memory ? "memory" : "file"; });

TEST_P(CheckpointTest, RebuildsTheSnapshotFromTheCheckpointAloneAndWithLaterCommits) {
  const std::string table = "lake/events";
  Add us = add("country=US/part-0.parquet", "US", 10);
  us.tags = {{"INSERTION_TIME", "1700000000000000"}, {"OPTIMIZE_TARGET_SIZE", "268435456"}};
  Add unknown = add("country=__HIVE_DEFAULT_PARTITION__/part-1.parquet", std::nullopt);  // no stats
  Add gb = add("country=GB/part%20two.parquet", "GB", 3);
  Add old = add("country=FR/part-old.parquet", "FR", 5);
  Add later = add("country=DE/part-3.parquet", "DE", 7);

  commit(table, 0, {Protocol{1, 2, {}, {}}, table_metadata()});
  commit(table, 1, {us, unknown, old, Txn{"stream-a", 1, ms_before_now(72h)}});
  commit(table, 2, {removal(us, ms_before_now(1h)), gb, Txn{"stream-a", 2, ms_before_now(1h)},
                    Txn{"stream-b", 5, std::nullopt}});
  // Deleted long before the one-week default retention: expired by now.
  commit(table, 3, {Remove{old.path, ms_before_now(24h * 30), true, false, {}, std::nullopt}});
  commit(table, 4, {later, removal(unknown, ms_before_now(10min))});

  auto reference_v3 = snapshot(table, 3);
  ASSERT_TRUE(reference_v3) << reference_v3.error().to_string();
  auto reference_v4 = snapshot(table, 4);
  ASSERT_TRUE(reference_v4) << reference_v4.error().to_string();
  ASSERT_TRUE(reference_v3->tombstones().contains(old.key()));

  ASSERT_TRUE(write_checkpoint(backend(), table, *reference_v3, kNow));
  delete_commits_through(table, 3);

  auto listing = list_log(backend(), table);
  ASSERT_TRUE(listing);
  ASSERT_EQ(listing->checkpoints.size(), 1u);
  EXPECT_EQ(listing->checkpoints[0].version, 3);
  ASSERT_EQ(listing->commits.size(), 1u);

  TableState expected_v3 = state_of(*reference_v3);
  expected_v3.tombstones.erase(old.key());
  auto from_checkpoint = snapshot(table, 3);
  ASSERT_TRUE(from_checkpoint) << from_checkpoint.error().to_string();
  EXPECT_EQ(from_checkpoint->version(), 3);
  expect_same_state(state_of(*from_checkpoint), expected_v3);
  EXPECT_TRUE(from_checkpoint->tombstones().contains(us.key())) << "a fresh tombstone must be kept";
  EXPECT_EQ(from_checkpoint->columns().size(), 2u);
  EXPECT_EQ(from_checkpoint->num_records(), -1);  // `unknown` has no stats

  TableState expected_v4 = state_of(*reference_v4);
  expected_v4.tombstones.erase(old.key());
  auto with_later_commit = snapshot(table);
  ASSERT_TRUE(with_later_commit) << with_later_commit.error().to_string();
  EXPECT_EQ(with_later_commit->version(), 4);
  expect_same_state(state_of(*with_later_commit), expected_v4);
  EXPECT_EQ(with_later_commit->num_records(), 10);  // gb (3) and later (7)

  // At version 3: protocol, metaData, 2 txns, 2 adds (unknown, gb) and the
  // one tombstone not expired (us).
  auto last = last_checkpoint(table);
  ASSERT_TRUE(last.is_object()) << last;
  EXPECT_EQ(last["version"], 3);
  EXPECT_EQ(last["size"], 7);
  EXPECT_EQ(last["numOfAddFiles"], 2);
  auto object = backend().head(checkpoint_key(table, 3));
  ASSERT_TRUE(object);
  EXPECT_EQ(last["sizeInBytes"], object->size);
  EXPECT_FALSE(last.contains("parts"));
}

TEST_P(CheckpointTest, TheLatestSnapshotListsTheLogFromTheHintedCheckpoint) {
  const std::string table = "t";
  commit(table, 0, {Protocol{1, 2, {}, {}}, table_metadata()});
  for (std::int64_t v = 1; v <= 6; ++v)
    commit(table, v, {add(std::format("country=US/part-{}.parquet", v), "US", v)});
  auto at_4 = snapshot(table, 4);
  ASSERT_TRUE(at_4) << at_4.error().to_string();
  ASSERT_TRUE(write_checkpoint(backend(), table, *at_4, kNow));
  auto full = snapshot(table);
  ASSERT_TRUE(full) << full.error().to_string();

  auto short_listing = list_log_for_latest(backend(), table);
  ASSERT_TRUE(short_listing) << short_listing.error().to_string();
  ASSERT_EQ(short_listing->checkpoints.size(), 1u);
  EXPECT_EQ(short_listing->checkpoints[0].version, 4);
  std::vector<std::int64_t> versions;
  for (const auto& c : short_listing->commits) versions.push_back(c.version);
  EXPECT_EQ(versions, (std::vector<std::int64_t>{4, 5, 6})) << "commits before the checkpoint are not listed";
  auto from_hint = LogReplay{}.build(backend(), table, *short_listing, std::nullopt);
  ASSERT_TRUE(from_hint) << from_hint.error().to_string();
  expect_same_state(state_of(*from_hint), state_of(*full));
  EXPECT_EQ(from_hint->committed_at(), full->committed_at());

  // Catching up from a version lists only what follows it.
  auto after = list_log_from(backend(), table, 6);
  ASSERT_TRUE(after);
  ASSERT_EQ(after->commits.size(), 1u);
  EXPECT_EQ(after->commits[0].version, 6);
  EXPECT_TRUE(after->checkpoints.empty());

  // A hint that cannot be trusted falls back to the whole log: unreadable,
  // naming a checkpoint that is not there, or naming one that is incomplete.
  const std::string hint_key = log_prefix(table) + "_last_checkpoint";
  for (std::string hint : {R"(not json)", R"({"version":5,"size":3})", R"({"version":-1})"}) {
    ASSERT_TRUE(backend().put_text(hint_key, hint, PutMode::overwrite));
    auto listing = list_log_for_latest(backend(), table);
    ASSERT_TRUE(listing) << listing.error().to_string();
    EXPECT_EQ(listing->commits.size(), 7u) << hint;
    auto rebuilt = LogReplay{}.build(backend(), table, *listing, std::nullopt);
    ASSERT_TRUE(rebuilt) << rebuilt.error().to_string();
    expect_same_state(state_of(*rebuilt), state_of(*full));
  }
  ASSERT_TRUE(backend().put_text(std::format("{}{:020}.checkpoint.0000000001.0000000002.parquet", log_prefix(table), 6),
                                 "half of a checkpoint", PutMode::create));
  ASSERT_TRUE(backend().put_text(hint_key, R"({"version":6,"size":3,"parts":2})", PutMode::overwrite));
  auto listing = list_log_for_latest(backend(), table);
  ASSERT_TRUE(listing);
  EXPECT_EQ(listing->commits.size(), 7u);
  ASSERT_TRUE(backend().remove(hint_key));
  listing = list_log_for_latest(backend(), table);
  ASSERT_TRUE(listing);
  EXPECT_EQ(listing->commits.size(), 7u) << "no hint: the whole log";
}

// A tombstone keeps its deletion vector through a checkpoint: the vector is
// part of the logical file's key, and vacuum must keep the vector's file
// while the tombstone lasts.
TEST_P(CheckpointTest, FileActionsKeepTheirDeletionVectors) {
  const std::string table = "lake/events";
  Add file = add("country=US/part-0.parquet", "US", 10);
  Add with_vector = file;
  with_vector.deletion_vector = DeletionVector{'u', "ab^-aqEH.-t@S}K{vb[*k^", 4, 40, 6};
  Remove purged = removal(with_vector, ms_before_now(1h));
  purged.deletion_vector = with_vector.deletion_vector;
  Add inline_removed = add("country=GB/part-1.parquet", "GB", 2);
  Remove gone = removal(inline_removed, ms_before_now(1h));
  gone.deletion_vector = DeletionVector{'i', "wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L", std::nullopt, 40, 6};
  commit(table, 0, {Protocol{1, 2, {}, {}}, table_metadata(), file});
  commit(table, 1, {purged, gone});
  auto reference = snapshot(table);
  ASSERT_TRUE(reference) << reference.error().to_string();
  auto rebuilt = rebuilt_from_checkpoint(table);
  ASSERT_TRUE(rebuilt) << rebuilt.error().to_string();
  expect_same_state(state_of(*rebuilt), state_of(*reference));
  ASSERT_TRUE(rebuilt->tombstones().contains(purged.key()));
  EXPECT_EQ(rebuilt->tombstones().at(purged.key()).deletion_vector, purged.deletion_vector);
  EXPECT_EQ(rebuilt->tombstones().at(gone.key()).deletion_vector, gone.deletion_vector);
  EXPECT_TRUE(rebuilt->files().contains(file.key())) << "the file without a vector is still live";
}

TEST_P(CheckpointTest, CheckpointRowsFollowTheProtocol) {
  const std::string table = "t";
  commit(table, 0, {Protocol{1, 2, {}, {}}, table_metadata(), add("country=US/a.parquet", "US", 1)});
  auto s = snapshot(table);
  ASSERT_TRUE(s);
  ASSERT_TRUE(write_checkpoint(backend(), table, *s, kNow));
  auto rows = read_checkpoint(table, 0);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->num_rows(), 3);
  std::vector<std::string> columns;
  for (const auto& field : rows->schema()->fields()) columns.push_back(field->name());
  EXPECT_EQ(columns, (std::vector<std::string>{"txn", "add", "remove", "metaData", "protocol", "domainMetadata"}));
  auto combined = rows->CombineChunksToBatch();
  ASSERT_TRUE(combined.ok());
  // One action per row.
  for (std::int64_t row = 0; row < rows->num_rows(); ++row) {
    int set = 0;
    for (const auto& column : (*combined)->columns()) set += column->IsValid(row) ? 1 : 0;
    EXPECT_EQ(set, 1) << "row " << row;
  }
  const auto& protocol = static_cast<const arrow::StructArray&>(*(*combined)->GetColumnByName("protocol"));
  const auto& add_column = static_cast<const arrow::StructArray&>(*(*combined)->GetColumnByName("add"));
  for (std::int64_t row = 0; row < rows->num_rows(); ++row) {
    if (protocol.IsValid(row)) {
      // Legacy protocol versions: the feature lists must be null.
      EXPECT_TRUE(protocol.GetFieldByName("readerFeatures")->IsNull(row));
      EXPECT_TRUE(protocol.GetFieldByName("writerFeatures")->IsNull(row));
    }
    if (add_column.IsValid(row)) {
      const auto& data_change = static_cast<const arrow::BooleanArray&>(*add_column.GetFieldByName("dataChange"));
      EXPECT_FALSE(data_change.Value(row));
    }
  }
}

TEST_P(CheckpointTest, EmptyTableAtVersionZero) {
  const std::string table = "";  // the table at the backend's root
  commit(table, 0, {Protocol{1, 2, {}, {}}, table_metadata()});
  auto reference = snapshot(table);
  ASSERT_TRUE(reference);
  ASSERT_TRUE(write_checkpoint(backend(), table, *reference, kNow));
  EXPECT_TRUE(backend().head(std::format("_delta_log/{:020}.checkpoint.parquet", 0)));
  delete_commits_through(table, 0);

  auto rebuilt = snapshot(table);
  ASSERT_TRUE(rebuilt) << rebuilt.error().to_string();
  EXPECT_EQ(rebuilt->version(), 0);
  expect_same_state(state_of(*rebuilt), state_of(*reference));
  EXPECT_TRUE(rebuilt->files().empty());
  auto last = last_checkpoint(table);
  EXPECT_EQ(last, nlohmann::json::parse(std::format(R"({{"version":0,"size":2,"sizeInBytes":{},"numOfAddFiles":0}})",
                                                    last.value("sizeInBytes", -1))));
}

TEST_P(CheckpointTest, TableFeaturesRoundTrip) {
  const std::string table = "t";
  Protocol features{3, 7, {"vacuumProtocolCheck"}, {"appendOnly", "vacuumProtocolCheck"}};
  commit(table, 0, {features, table_metadata({{"delta.appendOnly", "true"}})});
  commit(table, 1, {add("country=US/a.parquet", "US", 4)});
  auto reference = snapshot(table);
  ASSERT_TRUE(reference);
  auto rebuilt = rebuilt_from_checkpoint(table);
  ASSERT_TRUE(rebuilt) << rebuilt.error().to_string();
  EXPECT_EQ(rebuilt->protocol(), features);
  expect_same_state(state_of(*rebuilt), state_of(*reference));
}

TEST_P(CheckpointTest, TombstonesExpireAfterTheTablesRetention) {
  const std::string table = "t";
  // Two days, written as Spark users do; a tombstone exactly at the cutoff
  // has expired, one a millisecond younger has not.
  commit(table, 0, {Protocol{}, table_metadata({{"delta.deletedFileRetentionDuration", "interval 2 days"}})});
  Add at_cutoff = add("country=US/a.parquet", "US", 1);
  Add inside = add("country=US/b.parquet", "US", 1);
  Add no_timestamp = add("country=US/c.parquet", "US", 1);
  commit(table, 1, {at_cutoff, inside, no_timestamp});
  commit(table, 2, {removal(at_cutoff, ms_before_now(48h)), removal(inside, ms_before_now(48h) + 1),
                    Remove{no_timestamp.path, std::nullopt, true, false, {}, std::nullopt}});
  auto rebuilt = rebuilt_from_checkpoint(table);
  ASSERT_TRUE(rebuilt) << rebuilt.error().to_string();
  std::vector<std::string> kept;
  for (const auto& [file, remove] : rebuilt->tombstones()) kept.push_back(file.path);
  EXPECT_EQ(kept, std::vector<std::string>{inside.path});
}

TEST_P(CheckpointTest, TransactionsExpireOnlyWhenTheTableSaysSo) {
  const std::string table = "t";
  commit(table, 0,
         {Protocol{}, table_metadata({{"delta.setTransactionRetentionDuration", "interval 1 day"}}),
          Txn{"old", 1, ms_before_now(25h)}, Txn{"fresh", 2, ms_before_now(1h)}, Txn{"unstamped", 3, std::nullopt}});
  auto rebuilt = rebuilt_from_checkpoint(table);
  ASSERT_TRUE(rebuilt) << rebuilt.error().to_string();
  ASSERT_EQ(rebuilt->transactions().size(), 1u);
  EXPECT_EQ(rebuilt->app_version("fresh"), 2);

  // Without the property every txn is kept, however old.
  commit("u", 0, {Protocol{}, table_metadata(), Txn{"old", 1, ms_before_now(24h * 365)}, Txn{"unstamped", 3, {}}});
  auto kept = rebuilt_from_checkpoint("u");
  ASSERT_TRUE(kept) << kept.error().to_string();
  EXPECT_EQ(kept->transactions().size(), 2u);
}

TEST_P(CheckpointTest, ManyFilesSpanSeveralBatches) {
  // More adds than one Arrow batch of the writer holds (4 Ki rows).
  const std::string table = "t";
  std::vector<Action> actions{Protocol{}, table_metadata()};
  constexpr int kFiles = 5'000;
  for (int i = 0; i < kFiles; ++i) actions.emplace_back(add(std::format("country=US/part-{:05}.parquet", i), "US", 1));
  commit(table, 0, actions);
  auto reference = snapshot(table);
  ASSERT_TRUE(reference);
  auto rebuilt = rebuilt_from_checkpoint(table);
  ASSERT_TRUE(rebuilt) << rebuilt.error().to_string();
  EXPECT_EQ(rebuilt->files().size(), std::size_t{kFiles});
  EXPECT_EQ(rebuilt->num_records(), kFiles);
  expect_same_state(state_of(*rebuilt), state_of(*reference));
  EXPECT_EQ(last_checkpoint(table)["numOfAddFiles"], kFiles);
}

TEST_P(CheckpointTest, FeaturesItCannotRestateAreRefusedByName) {
  struct Case {
    Protocol protocol;
    std::string feature;
  };
  std::vector<Case> cases{
      {Protocol{3, 7, {"variantType"}, {"variantType"}}, "variantType"},
      {Protocol{1, 7, {}, {"identityColumns"}}, "identityColumns"},
      {Protocol{1, 7, {}, {"changeDataFeed"}}, "changeDataFeed"},
  };
  for (const auto& c : cases) {
    const std::string table = "t-" + c.feature;
    commit(table, 0, {c.protocol, table_metadata()});
    auto s = snapshot(table);
    ASSERT_TRUE(s) << s.error().to_string();
    auto written = write_checkpoint(backend(), table, *s, kNow);
    ASSERT_FALSE(written) << c.feature;
    EXPECT_EQ(written.error().code(), ErrorCode::unsupported) << c.feature;
    EXPECT_NE(written.error().message().find(c.feature), std::string::npos) << written.error().message();
    EXPECT_FALSE(backend().head(checkpoint_key(table, 0))) << "nothing may be written for " << c.feature;
    EXPECT_TRUE(last_checkpoint(table).is_null());
  }
}

// A table with deletion vectors: every live file and tombstone is
// restated with its vector (a logical file is the pair), so the table
// rebuilt from the checkpoint alone is the same.
TEST_P(CheckpointTest, DeletionVectorsAreRestated) {
  const DeletionVector vector{'u', "ab^-aqEH.-t@S}K{vb[*k^", 4, 40, 2};
  const Add a = add("a.parquet", std::nullopt, 5), b = add("b.parquet", std::nullopt, 5);
  Add a_deleted = a;
  a_deleted.deletion_vector = vector;
  Add b_inline = b;
  b_inline.deletion_vector = DeletionVector{'i', "wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L", std::nullopt, 40, 1};
  commit("dv", 0, {Protocol{3, 7, {"deletionVectors"}, {"deletionVectors"}}, table_metadata(), a, b});
  commit("dv", 1, {a_deleted, remove_of(a), b_inline, remove_of(b)});
  auto before = snapshot("dv");
  ASSERT_TRUE(before) << before.error().to_string();
  auto rebuilt = rebuilt_from_checkpoint("dv");
  ASSERT_TRUE(rebuilt) << rebuilt.error().to_string();
  ASSERT_EQ(rebuilt->files().size(), 2u);
  EXPECT_EQ(rebuilt->files().at(a_deleted.key()).deletion_vector, vector);
  EXPECT_EQ(rebuilt->files().at(b_inline.key()).deletion_vector, b_inline.deletion_vector);
  EXPECT_EQ(rebuilt->num_records(), 7);
  EXPECT_TRUE(rebuilt->tombstones().contains(a.key()));
  EXPECT_TRUE(rebuilt->tombstones().contains(b.key()));
}

TEST_P(CheckpointTest, StatsFollowTheCheckpointProperties) {
  // writeStatsAsJson = false: the stats column is left empty.
  commit("t", 0, {Protocol{}, table_metadata({{"delta.checkpoint.writeStatsAsJson", "false"}}),
                  add("country=US/a.parquet", "US", 3)});
  auto rebuilt = rebuilt_from_checkpoint("t");
  ASSERT_TRUE(rebuilt) << rebuilt.error().to_string();
  ASSERT_EQ(rebuilt->files().size(), 1u);
  EXPECT_FALSE(rebuilt->files().begin()->second.stats);

  // writeStatsAsStruct = true makes stats_parsed / partitionValues_parsed
  // required, which this writer does not produce.
  commit("u", 0, {Protocol{}, table_metadata({{"delta.checkpoint.writeStatsAsStruct", "true"}})});
  auto typed = snapshot("u");
  ASSERT_TRUE(typed);
  auto written = write_checkpoint(backend(), "u", *typed, kNow);
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code(), ErrorCode::unsupported);
  EXPECT_NE(written.error().message().find("writeStatsAsStruct"), std::string::npos) << written.error().message();
}

TEST_P(CheckpointTest, AnEmptySnapshotIsRefused) {
  auto written = write_checkpoint(backend(), "t", Snapshot{}, kNow);
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code(), ErrorCode::invalid_argument);
}

TEST_P(CheckpointTest, AnInvalidRetentionIsAnErrorNotASilentDefault) {
  commit("t", 0, {Protocol{}, table_metadata({{"delta.deletedFileRetentionDuration", "interval 1 month"}})});
  auto s = snapshot("t");
  ASSERT_TRUE(s);
  auto written = write_checkpoint(backend(), "t", *s, kNow);
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code(), ErrorCode::invalid_argument);
  EXPECT_FALSE(backend().head(checkpoint_key("t", 0)));
}

}  // namespace

// V2 checkpoints (PROTOCOL.md "V2 Checkpoint Table Feature"): a
// UUID-named JSON checkpoint whose adds and removes are in a Parquet
// sidecar under _delta_log/_sidecars/ rebuilds the table alone; a sidecar
// named outside _sidecars/ is refused. (UUID-named Parquet top levels,
// as Spark writes them: spark_features_interop_test.)
TEST_P(CheckpointTest, VersionTwoCheckpointsAndTheirSidecarsRebuildTheTable) {
  const std::string table = "lake/v2";
  const Protocol v2{3, 7, {"v2Checkpoint"}, {"v2Checkpoint", "appendOnly", "invariants"}};
  const Metadata metadata = table_metadata({{"delta.checkpointPolicy", "v2"}});
  Add us = add("country=US/part-0.parquet", "US", 10);
  Add gb = add("country=GB/part-1.parquet", "GB", 3);
  const Txn txn{"stream-a", 1, ms_before_now(1h)};
  const std::vector<Action> files{us, gb, txn};
  const std::vector<Action> removes{removal(us, ms_before_now(1h))};
  commit(table, 0, {v2, metadata});
  commit(table, 1, files);
  commit(table, 2, removes);
  auto reference = snapshot(table);
  ASSERT_TRUE(reference) << reference.error().to_string();
  ASSERT_TRUE(reference->check_readable()) << "v2Checkpoint is a reader feature lake-orm reads";
  // lake-orm writes such tables (checkpoint_writer writes V2 checkpoints).
  auto writable = reference->check_writable(false);
  EXPECT_TRUE(writable) << writable.error().to_string();

  // The sidecar: the add and remove rows of a checkpoint of the same files
  // (written for a twin table on the classic protocol), in _sidecars/.
  const std::string twin = "lake/twin";
  commit(twin, 0, {Protocol{1, 2, {}, {}}, metadata});
  commit(twin, 1, files);
  commit(twin, 2, removes);
  auto twin_snapshot = snapshot(twin);
  ASSERT_TRUE(twin_snapshot);
  ASSERT_TRUE(write_checkpoint(backend(), twin, *twin_snapshot, kNow));
  auto rows = read_checkpoint(twin, 2);
  ASSERT_NE(rows, nullptr);
  ASSERT_TRUE(arrow::compute::Initialize().ok());
  auto is_file = arrow::compute::Or(arrow::compute::IsValid(rows->GetColumnByName("add")).ValueOrDie(),
                                    arrow::compute::IsValid(rows->GetColumnByName("remove")).ValueOrDie());
  ASSERT_TRUE(is_file.ok());
  auto file_rows = arrow::compute::Filter(rows, *is_file);
  ASSERT_TRUE(file_rows.ok());
  ASSERT_EQ(file_rows->table()->num_rows(), 2);  // gb, and us's tombstone
  auto sink = arrow::io::BufferOutputStream::Create().ValueOrDie();
  ASSERT_TRUE(parquet::arrow::WriteTable(*file_rows->table(), arrow::default_memory_pool(), sink).ok());
  auto sidecar_bytes = sink->Finish().ValueOrDie();
  const std::string sidecar = "00000000000000000002.checkpoint.0000000001.0000000001.016e2f5a-4f6d-4c55-9d0b-2b5f0a1c9e77.parquet";
  ASSERT_TRUE(backend().put(log_prefix(table) + "_sidecars/" + sidecar,
                            std::as_bytes(std::span(sidecar_bytes->data(), static_cast<std::size_t>(sidecar_bytes->size()))),
                            PutMode::create));
  auto top_level = [&](std::string_view sidecar_path) {
    return to_commit_text({v2, metadata, txn}) + R"({"checkpointMetadata":{"version":2}})" "\n" +
           std::format(R"({{"sidecar":{{"path":"{}","sizeInBytes":{},"modificationTime":1}}}})", sidecar_path,
                       sidecar_bytes->size()) +
           "\n";
  };
  ASSERT_TRUE(backend().put_text(
      std::format("{}{:020}.checkpoint.80a1a5d7-6a1c-4f7e-b2b1-2f9e0c3d4a55.json", log_prefix(table), 2),
      top_level(sidecar), PutMode::create));
  delete_commits_through(table, 2);

  auto listing = list_log(backend(), table);
  ASSERT_TRUE(listing);
  ASSERT_EQ(listing->checkpoints.size(), 1u);
  EXPECT_TRUE(listing->commits.empty());
  auto rebuilt = snapshot(table);
  ASSERT_TRUE(rebuilt) << rebuilt.error().to_string();
  EXPECT_EQ(rebuilt->version(), 2);
  expect_same_state(state_of(*rebuilt), state_of(*reference));
  EXPECT_EQ(rebuilt->num_records(), 3);

  // A sidecar path outside _delta_log/_sidecars/ is refused, not followed.
  const std::string other = "lake/v2-escape";
  commit(other, 0, {v2, metadata});
  ASSERT_TRUE(backend().put_text(std::format("{}{:020}.checkpoint.80a1a5d7-6a1c-4f7e-b2b1-2f9e0c3d4a55.json",
                                             log_prefix(other), 1),
                                 top_level("../../v2/_delta_log/_sidecars/" + sidecar), PutMode::create));
  auto escaped = snapshot(other);
  ASSERT_FALSE(escaped);
  EXPECT_EQ(escaped.error().code(), ErrorCode::unsupported) << escaped.error().to_string();
}

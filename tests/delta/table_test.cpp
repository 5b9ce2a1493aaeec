// The native Delta Table: create/open, appends, time travel, history,
// idempotent writes, the conflict rules, copy-on-write delete / update /
// merge, schema evolution, checkpoints, optimize, vacuum and stats, on the
// memory and file backends, and (built again) on S3 and GCS.
#include <arrow/compute/api.h>
#include <arrow/table.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "delta/log_replay.hpp"
#include "delta/table_properties.hpp"
#include "delta/table_writer.hpp"
#include "lake/duplicate_keys.hpp"
#include "table_support.hpp"
#include "support/remote_store.hpp"

namespace {

using namespace lake;
using namespace lake::delta;
using namespace lake::delta::testing;
namespace cp = arrow::compute;

enum class Kind { memory, file, object_store };

class DeltaTable : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    if (GetParam() == Kind::memory) {
      backend_ = memory_backend();
    } else if (GetParam() == Kind::object_store) {
#ifdef LAKE_TEST_ON_OBJECT_STORE
      auto backend = lake::testing::open_object_store(lake::testing::fresh_object_store_uri());
      ASSERT_TRUE(backend) << backend.error().to_string();
      backend_ = std::move(*backend);
#else
      FAIL() << "this binary is built without an object store";
#endif
    } else {
      std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
      std::ranges::replace(name, '/', '_');
      dir_ = std::filesystem::temp_directory_path() / std::format("lake-table-test-{}-{}", ::getpid(), name);
      std::filesystem::remove_all(dir_);
      auto backend = file_backend(dir_);
      ASSERT_TRUE(backend) << backend.error().to_string();
      backend_ = std::move(*backend);
    }
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
    if (GetParam() == Kind::object_store && backend_) {
      auto removed = backend_->remove_prefix("");
      EXPECT_TRUE(removed) << removed.error().to_string();
    }
  }

  Table create_events(TableOptions options = {}) {
    auto table = Table::create(backend_, "events", schema_of<Event>(), {}, options);
    EXPECT_TRUE(table) << table.error().to_string();
    return std::move(*table);
  }

  std::shared_ptr<Backend> backend_;
  std::filesystem::path dir_;
};

// The same suite runs on the memory and file backends (label unit) and, in
// the delta_table_object_store_test binary, on S3 against MinIO (label s3)
// and on GCS against fake-gcs-server (label gcs): one name for both, the
// store is chosen when the binary runs and CTest prefixes it (s3.*, gcs.*).
#ifdef LAKE_TEST_ON_OBJECT_STORE
INSTANTIATE_TEST_SUITE_P(Backends, DeltaTable, ::testing::Values(Kind::object_store),
                         [](const ::testing::TestParamInfo<Kind>&) { return std::string("object_store"); });
#else
INSTANTIATE_TEST_SUITE_P(Backends, DeltaTable, ::testing::Values(Kind::memory, Kind::file),
                         [](const ::testing::TestParamInfo<Kind>& param) {
                           return param.param == Kind::memory ? "memory" : "file";
                         });
#endif

TEST_P(DeltaTable, CreateAppendAndScanRoundTrip) {
  auto table = create_events();
  EXPECT_EQ(table.version(), 0);
  auto events = make_events(0, 300);
  auto result = table.append(batch_of(events));
  ASSERT_TRUE(result) << result.error().to_string();
  EXPECT_TRUE(result->committed);
  EXPECT_EQ(result->version, 1);
  EXPECT_EQ(result->rows_inserted, 300);
  EXPECT_EQ(result->files_added, 3);  // one per country
  EXPECT_EQ(table.version(), 1);
  EXPECT_EQ(read_all<Event>(table), events);

  auto reopened = Table::open(backend_, "events");
  ASSERT_TRUE(reopened) << reopened.error().to_string();
  EXPECT_EQ(reopened->version(), 1);
  EXPECT_EQ(reopened->snapshot().partition_columns(), std::vector<std::string>{"country"});
  EXPECT_EQ(read_all<Event>(*reopened), events);
  auto stats = reopened->stats();
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->rows, 300);
  EXPECT_EQ(stats->files, 3);
  EXPECT_EQ(stats->versions, 2);
}

TEST_P(DeltaTable, CreateRefusesAnExistingTableUnlessAskedToOpenIt) {
  auto table = create_events();
  auto again = Table::create(backend_, "events", schema_of<Event>());
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), ErrorCode::already_exists);
  auto opened = Table::create(backend_, "events", schema_of<Event>(), {.if_not_exists = true});
  ASSERT_TRUE(opened) << opened.error().to_string();
  auto different = Table::create(backend_, "events", schema_of<Plain>(), {.if_not_exists = true});
  ASSERT_FALSE(different);
  EXPECT_EQ(different.error().code(), ErrorCode::schema_mismatch);
  EXPECT_NE(different.error().message().find("column 'name' is missing"), std::string::npos)
      << different.error().message();
}

TEST_P(DeltaTable, ScansTheFilesACallerAlreadySkippedTo) {
  auto table = create_events();
  ASSERT_TRUE(table.append(batch_of(make_events(0, 90))));
  auto nl = cp::equal(cp::field_ref("country"), cp::literal("NL"));
  auto files = table.files(nl);
  ASSERT_TRUE(files) << files.error().to_string();
  ASSERT_EQ(files->size(), 1U);
  auto reader = table.scan(*files, {.filter = nl});
  ASSERT_TRUE(reader) << reader.error().to_string();
  auto rows = (*reader)->ToTable();
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ((*rows)->num_rows(), 30);
  EXPECT_EQ(read_all<Event>(table, {.filter = nl}).size(), 30U);

  Add stranger = files->front();
  stranger.path = "country=NL/not-ours.parquet";
  auto refused = table.scan({stranger}, {});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::invalid_argument);
  EXPECT_NE(refused.error().message().find("not-ours"), std::string::npos) << refused.error().to_string();
}

TEST_P(DeltaTable, OpeningNothingIsNotFound) {
  auto table = Table::open(backend_, "nowhere");
  ASSERT_FALSE(table);
  EXPECT_EQ(table.error().code(), ErrorCode::not_found);
}

TEST_P(DeltaTable, FiltersSkipFilesAndSelectRows) {
  auto table = create_events();
  ASSERT_TRUE(table.append(batch_of(make_events(0, 90))));
  auto nl = cp::equal(cp::field_ref("country"), cp::literal("NL"));
  auto files = table.files(nl);
  ASSERT_TRUE(files) << files.error().to_string();
  ASSERT_EQ(files->size(), 1U);
  EXPECT_EQ(files->front().partition_values.at("country"), "NL");

  auto rows = read_all<Event>(table, {.filter = cp::and_(nl, cp::greater(cp::field_ref("amount"), cp::literal(50)))});
  ASSERT_FALSE(rows.empty());
  for (const auto& e : rows) {
    EXPECT_EQ(e.country, "NL");
    EXPECT_GT(e.amount, 50);
  }
  auto unknown = table.scan({.filter = cp::equal(cp::field_ref("nope"), cp::literal(1))});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code(), ErrorCode::schema_mismatch);
}

TEST_P(DeltaTable, TimeTravelAndHistory) {
  auto table = create_events();
  std::vector<timestamp> after;
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_TRUE(table.append(batch_of(make_events(i * 10, 10))));
    after.push_back(lake::now());
  }
  auto v1 = table.snapshot_at(1);
  ASSERT_TRUE(v1) << v1.error().to_string();
  EXPECT_EQ(read_all<Event>(table, {}, &*v1), make_events(0, 10));
  auto as_of = table.snapshot_as_of(after[1]);
  ASSERT_TRUE(as_of) << as_of.error().to_string();
  EXPECT_EQ(as_of->version(), 2);
  EXPECT_EQ(read_all<Event>(table, {}, &*as_of), make_events(0, 20));
  auto too_early = table.snapshot_as_of(timestamp{});
  ASSERT_FALSE(too_early);
  EXPECT_EQ(too_early.error().code(), ErrorCode::not_found);
  auto missing = table.snapshot_at(9);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::not_found);

  auto history = table.history();
  ASSERT_TRUE(history) << history.error().to_string();
  ASSERT_EQ(history->size(), 4U);
  EXPECT_EQ(history->front().version, 3);
  EXPECT_EQ(history->front().operation, "WRITE");
  EXPECT_EQ(history->back().operation, "CREATE TABLE");
  EXPECT_LT(history->back().committed_at, history->front().committed_at);
  auto last_two = table.history(2);
  ASSERT_TRUE(last_two);
  EXPECT_EQ(last_two->size(), 2U);
}

TEST_P(DeltaTable, IdempotentWritesAddNothingTwice) {
  auto table = create_events();
  WriteOptions key{.idempotency = Idempotency{"ingest-service", 7}};
  auto first = table.append(batch_of(make_events(0, 10)), key);
  ASSERT_TRUE(first && first->committed);
  auto objects_before = data_objects(*backend_).size();
  auto retry = table.append(batch_of(make_events(0, 10)), key);
  ASSERT_TRUE(retry) << retry.error().to_string();
  EXPECT_FALSE(retry->committed);
  EXPECT_TRUE(retry->skipped_as_duplicate);
  // A stale handle (opened before the first write) also skips, after the
  // commit race shows the winner recorded the key.
  auto stale = Table::open(backend_, "events");
  ASSERT_TRUE(stale);
  auto other = Table::open(backend_, "events");
  ASSERT_TRUE(other->append(batch_of(make_events(10, 1)), {.idempotency = Idempotency{"ingest-service", 8}}));
  auto stale_retry = stale->append(batch_of(make_events(10, 1)), {.idempotency = Idempotency{"ingest-service", 8}});
  ASSERT_TRUE(stale_retry) << stale_retry.error().to_string();
  EXPECT_TRUE(stale_retry->skipped_as_duplicate);
  EXPECT_EQ(data_objects(*backend_).size(), objects_before + 1) << "the skipped write left files behind";
  ASSERT_TRUE(table.refresh());
  EXPECT_EQ(read_all<Event>(table).size(), 11U);
  EXPECT_EQ(table.snapshot().app_version("ingest-service"), 8);
}

TEST_P(DeltaTable, BlindAppendsCommuteAcrossHandles) {
  create_events();
  auto a = Table::open(backend_, "events");
  auto b = Table::open(backend_, "events");
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->append(batch_of(make_events(0, 5))));
  auto late = b->append(batch_of(make_events(5, 5)));
  ASSERT_TRUE(late) << late.error().to_string();
  EXPECT_EQ(late->version, 2);
  EXPECT_EQ(late->attempts, 2);
  EXPECT_EQ(read_all<Event>(*b), make_events(0, 10));
}

TEST_P(DeltaTable, ConflictingDeletesAreDetectedAndLeaveNothingBehind) {
  auto table = create_events();
  ASSERT_TRUE(table.append(batch_of(make_events(0, 30))));
  auto a = Table::open(backend_, "events");
  auto b = Table::open(backend_, "events");
  ASSERT_TRUE(a && b);
  auto first = a->delete_where(cp::less(cp::field_ref("id"), cp::literal(int64_t{10})));
  ASSERT_TRUE(first && first->committed) << (first ? "" : first.error().to_string());
  auto objects = data_objects(*backend_);
  auto second = b->delete_where(cp::less(cp::field_ref("id"), cp::literal(int64_t{5})));
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), ErrorCode::conflict);
  EXPECT_TRUE(second.error().retryable());
  const auto* detail = second.error().detail<ConflictDetail>();
  ASSERT_NE(detail, nullptr) << second.error().to_string();
  EXPECT_EQ(detail->kind(), ConflictDetail::Kind::concurrent_delete_delete);
  EXPECT_EQ(detail->winning_version(), 2);
  EXPECT_EQ(data_objects(*backend_), objects) << "the losing delete left its rewritten files";
  // After a refresh the same delete goes through (and finds nothing new).
  ASSERT_TRUE(b->refresh());
  auto retried = b->delete_where(cp::less(cp::field_ref("id"), cp::literal(int64_t{5})));
  ASSERT_TRUE(retried);
  EXPECT_FALSE(retried->committed);
  EXPECT_EQ(read_all<Event>(*b), make_events(10, 20));
}

TEST_P(DeltaTable, UpdateAfterConcurrentUpdateOfTheSameRowsConflicts) {
  auto table = create_events();
  ASSERT_TRUE(table.append(batch_of(make_events(0, 30))));
  auto a = Table::open(backend_, "events");
  auto b = Table::open(backend_, "events");
  auto de = cp::equal(cp::field_ref("country"), cp::literal("DE"));
  ASSERT_TRUE(a->update_where(de, {{"amount", cp::literal(1)}}));
  auto lost = b->update_where(de, {{"amount", cp::literal(2)}});
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().code(), ErrorCode::conflict);
  // A blind append in between does not conflict with an update (WriteSerializable).
  ASSERT_TRUE(b->refresh());
  auto c = Table::open(backend_, "events");
  ASSERT_TRUE(c->append(batch_of(make_events(100, 3))));
  auto fine = b->update_where(de, {{"amount", cp::literal(3)}});
  ASSERT_TRUE(fine) << fine.error().to_string();
}

TEST_P(DeltaTable, DeleteRewritesOnlyFilesWithMatches) {
  auto table = create_events();
  ASSERT_TRUE(table.append(batch_of(make_events(0, 300))));
  auto before = table.snapshot().files();
  auto predicate = cp::and_(cp::equal(cp::field_ref("country"), cp::literal("NL")),
                            cp::greater_equal(cp::field_ref("amount"), cp::literal(50)));
  auto result = table.delete_where(predicate);
  ASSERT_TRUE(result) << result.error().to_string();
  EXPECT_TRUE(result->committed);
  EXPECT_EQ(result->files_removed, 1);
  std::vector<Event> expected;
  for (auto& e : make_events(0, 300))
    if (!(e.country == "NL" && e.amount >= 50)) expected.push_back(e);
  EXPECT_EQ(result->rows_deleted, 300 - static_cast<std::int64_t>(expected.size()));
  EXPECT_EQ(read_all<Event>(table), expected);
  // The DE and FR files are the same files as before.
  for (const auto& [file, add] : table.snapshot().files()) {
    if (add.partition_values.at("country") != "NL") {
      EXPECT_TRUE(before.contains(file)) << file.path;
    }
  }
  // Deleting a whole partition removes its file without rewriting.
  auto all_fr = table.delete_where(cp::equal(cp::field_ref("country"), cp::literal("FR")));
  ASSERT_TRUE(all_fr);
  EXPECT_EQ(all_fr->files_added, 0);
  EXPECT_EQ(all_fr->rows_copied, 0);
  // A predicate matching nothing commits nothing.
  auto none = table.delete_where(cp::equal(cp::field_ref("id"), cp::literal(int64_t{-1})));
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->committed);
}

TEST_P(DeltaTable, UpdateSetsColumnsOnMatchingRows) {
  auto table = create_events();
  ASSERT_TRUE(table.append(batch_of(make_events(0, 60))));
  auto result = table.update_where(
      cp::equal(cp::field_ref("country"), cp::literal("DE")),
      {{"amount", cp::call("multiply", {cp::field_ref("amount"), cp::literal(2)})}, {"note", cp::literal("doubled")}});
  ASSERT_TRUE(result) << result.error().to_string();
  EXPECT_EQ(result->rows_updated, 20);
  auto expected = make_events(0, 60);
  for (auto& e : expected) {
    if (e.country == "DE") {
      e.amount *= 2;
      e.note = "doubled";
    }
  }
  EXPECT_EQ(read_all<Event>(table), expected);
  auto bad = table.update_where(cp::literal(true), {{"amount", cp::literal(std::string("x"))}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::schema_mismatch);
  auto null_into_required =
      table.update_where(cp::literal(true), {{"amount", cp::literal(std::make_shared<arrow::Int32Scalar>())}});
  ASSERT_FALSE(null_into_required);
  EXPECT_EQ(null_into_required.error().code(), ErrorCode::schema_mismatch);
  EXPECT_EQ(read_all<Event>(table), expected) << "a failed update changed the table";
}

TEST_P(DeltaTable, MergeUpsertsOnKeys) {
  auto table = create_events();
  ASSERT_TRUE(table.append(batch_of(make_events(0, 30))));
  auto source = make_events(25, 10);  // 25..29 exist, 30..34 are new
  for (auto& e : source) e.amount = 999;
  auto reader = arrow::RecordBatchReader::Make({batch_of(source)});
  auto result = table.merge(**reader, {.keys = {"id"}});
  ASSERT_TRUE(result) << result.error().to_string();
  EXPECT_EQ(result->rows_updated, 5);
  EXPECT_EQ(result->rows_inserted, 5);
  auto expected = make_events(0, 25);
  expected.insert(expected.end(), source.begin(), source.end());
  EXPECT_EQ(read_all<Event>(table), expected);

  // The table's declared primary key is the default merge key.
  auto again = arrow::RecordBatchReader::Make({batch_of(make_events(0, 1))});
  auto by_pk = table.merge(**again, {.when_matched = WhenMatched::remove, .when_not_matched = WhenNotMatched::ignore});
  ASSERT_TRUE(by_pk) << by_pk.error().to_string();
  EXPECT_EQ(by_pk->rows_deleted, 1);
  EXPECT_EQ(read_all<Event>(table).size(), 34U);

  auto duplicate = make_events(40, 2);
  duplicate[1].id = duplicate[0].id;
  auto dup_reader = arrow::RecordBatchReader::Make({batch_of(duplicate)});
  const auto version_before = table.version();
  auto refused = table.merge(**dup_reader, {.keys = {"id"}});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::invalid_argument);
  EXPECT_NE(refused.error().message().find("id=40"), std::string::npos) << refused.error().message();
  EXPECT_EQ(table.version(), version_before);
}

// Merge finds target rows by every key shape: one fixed-width column (a
// timestamp), one string column (where NULL never matches) and several
// columns together.
TEST_P(DeltaTable, MergeMatchesByEveryKeyShape) {
  auto table = create_events();
  ASSERT_TRUE(table.append(batch_of(make_events(0, 12))));
  auto expected = make_events(0, 12);
  auto merge = [&](const std::vector<Event>& source, MergeOptions options) {
    auto reader = arrow::RecordBatchReader::Make({batch_of(source)});
    auto result = table.merge(**reader, std::move(options));
    EXPECT_TRUE(result) << result.error().to_string();
    return result.value_or(CommitResult{});
  };

  std::vector<Event> by_time = {expected[2], expected[5]};
  for (auto& e : by_time) e.amount = 500;
  auto timed = merge(by_time, {.keys = {"at"}, .when_not_matched = WhenNotMatched::ignore});
  EXPECT_EQ(timed.rows_updated, 2);
  expected[2].amount = expected[5].amount = 500;

  std::vector<Event> by_note = {expected[4], expected[1]};  // 1 has no note: it matches nothing
  by_note[0].amount = 444;
  by_note[1].amount = 111;
  auto noted = merge(by_note, {.keys = {"note"}, .when_not_matched = WhenNotMatched::ignore});
  EXPECT_EQ(noted.rows_updated, 1);
  EXPECT_EQ(noted.rows_inserted, 0);
  expected[4].amount = 444;

  Event fresh = expected[7];
  fresh.id = 99;
  fresh.country = "NL";  // (NL, 7) is not in the table; (DE, 7) is row 7
  std::vector<Event> by_pair = {expected[7], fresh};
  by_pair[0].note = "pair";
  auto paired = merge(by_pair, {.keys = {"country", "amount"}});
  EXPECT_EQ(paired.rows_updated, 1);
  EXPECT_EQ(paired.rows_inserted, 1);
  expected[7].note = "pair";
  expected.push_back(fresh);

  EXPECT_EQ(read_all<Event>(table), expected);
}

// Two handles at one version, as two writers are: the second merge loses
// the commit race to the first. With keys of its own it commits on top of
// the winner (no redo: it wrote its files once); with a key the winner
// wrote it runs again against the winner's rows, under its own rule.
TEST_P(DeltaTable, AMergeThatLostTheRaceIsJudgedByTheWinnersKeys) {
  auto table = create_events();
  ASSERT_TRUE(table.append(batch_of(make_events(0, 30))));
  auto merge_into = [&](Table& handle, std::vector<Event> rows, MergeOptions options) {
    auto reader = arrow::RecordBatchReader::Make({batch_of(rows)});
    return handle.merge(**reader, std::move(options));
  };
  auto stale = [&] {
    auto handle = Table::open(backend_, "events");
    EXPECT_TRUE(handle) << handle.error().to_string();
    return std::move(*handle);
  };

  // Disjoint keys: the loser rebases onto the winner.
  Table loser = stale();
  ASSERT_TRUE(merge_into(table, make_events(100, 5), {.when_matched = WhenMatched::fail}));
  const auto files_before = data_objects(*backend_).size();
  auto rebased = merge_into(loser, make_events(200, 5), {.when_matched = WhenMatched::fail});
  ASSERT_TRUE(rebased) << rebased.error().to_string();
  EXPECT_EQ(rebased->attempts, 2);
  EXPECT_EQ(rebased->rows_inserted, 5);
  EXPECT_EQ(data_objects(*backend_).size(), files_before + rebased->files_added) << "it wrote its files once";

  // The same key, insert-if-absent: refused, naming it, nothing written.
  Table late = stale();
  ASSERT_TRUE(merge_into(table, make_events(300, 3), {.when_matched = WhenMatched::fail}));
  const auto version = table.version();
  auto refused = merge_into(late, make_events(302, 3), {.when_matched = WhenMatched::fail});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::already_exists) << refused.error().to_string();
  const auto* keys = refused.error().detail<DuplicateKeys>();
  ASSERT_NE(keys, nullptr);
  EXPECT_EQ(keys->count(), 1);
  EXPECT_EQ(keys->sample(), std::vector<std::string>{"id=302"});
  ASSERT_TRUE(late.refresh());
  EXPECT_EQ(late.version(), version) << "nothing committed";

  // The same key, skip: only the new keys land.
  Table skipper = stale();
  ASSERT_TRUE(merge_into(table, make_events(400, 3), {.when_matched = WhenMatched::fail}));
  auto skipped = merge_into(skipper, make_events(402, 3), {.when_matched = WhenMatched::ignore});
  ASSERT_TRUE(skipped) << skipped.error().to_string();
  EXPECT_EQ(skipped->rows_inserted, 2);
  EXPECT_GE(skipped->attempts, 2);

  // The same key, update: the later merge's value wins, once.
  Table updater = stale();
  auto first = make_events(500, 2);
  ASSERT_TRUE(merge_into(table, first, {}));
  auto second = make_events(500, 2);
  for (auto& e : second) e.amount = 77;
  auto updated = merge_into(updater, second, {});
  ASSERT_TRUE(updated) << updated.error().to_string();
  EXPECT_EQ(updated->rows_updated, 2);
  EXPECT_EQ(updated->rows_inserted, 0);

  // A winner that rewrote a file the loser rewrites: the loser runs again.
  Table rewriter = stale();
  auto bump = make_events(0, 1);
  bump[0].amount = 11;
  ASSERT_TRUE(merge_into(table, bump, {}));
  auto also = make_events(3, 1);  // same partition (NL) and file as id 0
  also[0].amount = 33;
  auto redone = merge_into(rewriter, also, {});
  ASSERT_TRUE(redone) << redone.error().to_string();
  EXPECT_EQ(redone->rows_updated, 1);

  ASSERT_TRUE(table.refresh());
  auto rows = read_all<Event>(table);
  std::map<std::int64_t, std::int32_t> amounts;
  for (const auto& e : rows) EXPECT_TRUE(amounts.emplace(e.id, e.amount).second) << "id " << e.id << " twice";
  EXPECT_EQ(amounts.size(), 30u + 5 + 5 + 3 + 2 + 3 + 2);  // 302, 402 once each
  EXPECT_EQ(amounts[0], 11) << "the first writer's change survives the second's";
  EXPECT_EQ(amounts[3], 33);
  EXPECT_EQ(amounts[500], 77);
  EXPECT_EQ(amounts[501], 77);
}

// A merge that keeps losing to colliding writers gives up after its
// attempts with too_many_attempts, having committed nothing.
TEST_P(DeltaTable, AMergeOutOfAttemptsIsAConflictAndWritesNothing) {
  auto table = create_events();
  ASSERT_TRUE(table.append(batch_of(make_events(0, 3))));
  auto loser = Table::open(backend_, "events", {.max_commit_attempts = 1});
  ASSERT_TRUE(loser);
  auto winner_rows = make_events(10, 1);
  auto reader = arrow::RecordBatchReader::Make({batch_of(winner_rows)});
  ASSERT_TRUE(table.merge(**reader, {}));
  auto mine = arrow::RecordBatchReader::Make({batch_of(make_events(20, 1))});
  auto result = loser->merge(**mine, {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::conflict);
  const auto* detail = result.error().detail<ConflictDetail>();
  ASSERT_NE(detail, nullptr);
  EXPECT_EQ(detail->kind(), ConflictDetail::Kind::too_many_attempts);
  ASSERT_TRUE(table.refresh());
  EXPECT_EQ(read_all<Event>(table).size(), 4u);
}

TEST_P(DeltaTable, BadRowsWriteNothing) {
  auto table = create_events();
  auto plain = batch_of(std::vector<Plain>{{1, "x", std::nullopt}});
  auto result = table.append(plain);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::schema_mismatch);
  EXPECT_TRUE(data_objects(*backend_).empty());
  EXPECT_EQ(table.version(), 0);
}

TEST_P(DeltaTable, SchemaEvolutionAddsNullableColumns) {
  auto created = Table::create(backend_, "plain", schema_of<Plain>());
  ASSERT_TRUE(created);
  auto& table = *created;
  ASSERT_TRUE(table.append(batch_of(std::vector<Plain>{{1, "a", 1.5}})));
  Field extra;
  extra.column = "level";
  extra.type = DataType(TypeId::int32);
  extra.nullable = false;
  auto refused = table.add_columns({extra});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::schema_mismatch);
  extra.nullable = true;
  auto added = table.add_columns({extra});
  ASSERT_TRUE(added) << added.error().to_string();
  EXPECT_EQ(table.snapshot().columns().back().column, "level");
  auto dup = table.add_columns({extra});
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code(), ErrorCode::schema_mismatch);

  // Old files read the new column as NULL.
  auto reader = table.scan({.columns = {"id", "level"}});
  ASSERT_TRUE(reader) << reader.error().to_string();
  auto rows = (*reader)->ToTable();
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ((*rows)->num_rows(), 1);
  EXPECT_EQ((*rows)->GetColumnByName("level")->null_count(), 1);

  // evolve_to: the same declaration again changes nothing; a type change
  // is refused with every difference named.
  struct PlainV2 {
    [[=lake::pk]] std::int64_t id = 0;
    std::string name;
    std::optional<double> score;
    std::optional<std::int32_t> level;
    std::optional<std::string> tag;
  };
  auto evolved = table.evolve_to(schema_of<PlainV2>());
  ASSERT_TRUE(evolved) << evolved.error().to_string();
  EXPECT_TRUE(evolved->committed);
  EXPECT_EQ(table.snapshot().columns().size(), 6U);  // + _ingest_id
  struct PlainBad {
    [[=lake::pk]] std::int64_t id = 0;
    std::int64_t name = 0;
  };
  auto bad = table.evolve_to(schema_of<PlainBad>());
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::schema_mismatch);
  EXPECT_NE(bad.error().message().find("column 'name' is string in the table and int64"), std::string::npos)
      << bad.error().message();
  EXPECT_NE(bad.error().message().find("column 'score' is in the table but not declared"), std::string::npos)
      << bad.error().message();
}

TEST_P(DeltaTable, CheckpointsAreWrittenEveryNCommitsAndUsedByReaders) {
  auto table = create_events({.checkpoint_interval = 3});
  for (int i = 0; i < 7; ++i) {
    auto r = table.append(batch_of(make_events(i * 10, 10)));
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_FALSE(r->checkpoint_error) << r->checkpoint_error->to_string();
  }
  auto listing = list_log(*backend_, "events");
  ASSERT_TRUE(listing);
  std::vector<std::int64_t> checkpoints;
  for (const auto& c : listing->checkpoints) checkpoints.push_back(c.version);
  EXPECT_EQ(checkpoints, (std::vector<std::int64_t>{3, 6}));
  EXPECT_TRUE(backend_->head("events/_delta_log/_last_checkpoint"));
  // Readers start from the checkpoint: the commits before it can go.
  for (std::int64_t v = 0; v <= 6; ++v) ASSERT_TRUE(backend_->remove(commit_key("events", v)));
  auto reopened = Table::open(backend_, "events");
  ASSERT_TRUE(reopened) << reopened.error().to_string();
  EXPECT_EQ(reopened->version(), 7);
  EXPECT_EQ(read_all<Event>(*reopened), make_events(0, 70));
}

TEST_P(DeltaTable, OptimizeCompactsAndClusters) {
  auto table = create_events();
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(table.append(batch_of(make_events(i * 30, 30))));
  ASSERT_EQ(table.snapshot().files().size(), 18U);
  auto report = table.optimize();
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_EQ(report->files_removed, 18);
  EXPECT_EQ(report->files_added, 3);
  EXPECT_EQ(report->partitions_optimized, 3);
  EXPECT_EQ(table.snapshot().files().size(), 3U);
  for (const auto& [file, add] : table.snapshot().files()) EXPECT_FALSE(add.data_change);
  EXPECT_EQ(read_all<Event>(table), make_events(0, 180));
  auto nothing = table.optimize();
  ASSERT_TRUE(nothing);
  EXPECT_EQ(nothing->version, -1);

  auto zorder = table.optimize({.zorder_by = {"amount", "id"}});
  ASSERT_TRUE(zorder) << zorder.error().to_string();
  EXPECT_EQ(zorder->partitions_optimized, 3);
  for (const auto& [file, add] : table.snapshot().files())
    EXPECT_EQ(add.tags.at("lake.clusteredBy"), "zorder:amount,id");
  auto again = table.optimize({.zorder_by = {"amount", "id"}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->version, -1) << "clustered partitions were rewritten again";
  EXPECT_EQ(read_all<Event>(table), make_events(0, 180));
  auto bad = table.optimize({.zorder_by = {"country"}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::invalid_argument);
}

TEST_P(DeltaTable, VacuumDeletesOnlyUnreferencedFilesOutsideTheRetention) {
  auto table = create_events();
  ASSERT_TRUE(table.append(batch_of(make_events(0, 30))));
  ASSERT_TRUE(table.delete_where(cp::equal(cp::field_ref("country"), cp::literal("NL"))));
  ASSERT_TRUE(table.optimize({.sort_by = {"amount"}}));
  const auto live = table.snapshot().files().size();

  auto refused = table.vacuum({.retention = std::chrono::milliseconds(0)});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::invalid_argument);
  auto default_retention = table.vacuum({.dry_run = true});
  ASSERT_TRUE(default_retention);
  EXPECT_TRUE(default_retention->files.empty()) << "files inside the 7-day window would be deleted";

  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto dry = table.vacuum({.retention = std::chrono::milliseconds(0), .allow_short_retention = true, .dry_run = true});
  ASSERT_TRUE(dry) << dry.error().to_string();
  EXPECT_EQ(dry->files.size(), 3U);  // the NL file, and the DE and FR files optimize replaced
  EXPECT_EQ(data_objects(*backend_).size(), live + 3);
  auto real = table.vacuum({.retention = std::chrono::milliseconds(0), .allow_short_retention = true});
  ASSERT_TRUE(real) << real.error().to_string();
  EXPECT_EQ(real->files, dry->files);
  EXPECT_EQ(data_objects(*backend_).size(), live);
  auto expected = make_events(0, 30);
  std::erase_if(expected, [](const Event& e) { return e.country == "NL"; });
  EXPECT_EQ(read_all<Event>(table), expected);
}

}  // namespace

namespace {

TEST(DeltaTableProperties, RetentionReadsSparkIntervals) {
  using namespace std::chrono_literals;
  auto retention = [](std::optional<std::string> value) {
    lake::delta::Metadata m;
    if (value) m.configuration["delta.deletedFileRetentionDuration"] = *value;
    return lake::delta::deleted_file_retention(m);
  };
  using std::chrono::milliseconds;
  EXPECT_EQ(*retention(std::nullopt), milliseconds(7 * 24h));
  EXPECT_EQ(*retention("interval 1 week"), milliseconds(7 * 24h));
  EXPECT_EQ(*retention("interval 168 hours"), milliseconds(168h));
  EXPECT_EQ(*retention("7 days"), milliseconds(7 * 24h));
  EXPECT_EQ(*retention("  INTERVAL 2 Days 12 hours "), milliseconds(60h));
  EXPECT_EQ(*retention("interval 1 day 1 hour 1 minute 1 second 1 millisecond"), milliseconds(25h + 1min + 1s + 1ms));
  EXPECT_EQ(*retention("interval 1500 microseconds"), milliseconds(1));
  for (std::string bad : {"", "interval", "7", "seven days", "interval 1 month", "2 years", "interval -1 days",
                          "interval 1 fortnight", "1.5 days", "interval 99999999999999 weeks"}) {
    auto parsed = retention(bad);
    ASSERT_FALSE(parsed) << "'" << bad << "'";
    EXPECT_EQ(parsed.error().code(), lake::ErrorCode::invalid_argument);
    EXPECT_NE(parsed.error().message().find("delta.deletedFileRetentionDuration"), std::string::npos)
        << parsed.error().message();
  }
}

}  // namespace

#ifndef LAKE_TEST_ON_OBJECT_STORE
namespace {

// Vacuum keeps what a retained version reads: here a deletion-vector file
// that a tombstone inside the retention window still names (a table whose
// vectors were purged, as Spark's REORG ... APPLY (PURGE) leaves it), and
// deletes an old vector file no version names.
TEST(DeltaVacuum, KeepsTheDeletionVectorFilesOfRetainedVersions) {
  using namespace std::chrono_literals;
  const auto dir = std::filesystem::temp_directory_path() / std::format("lake-vacuum-dv-{}", ::getpid());
  std::filesystem::remove_all(dir);
  std::shared_ptr<Backend> backend = std::move(*file_backend(dir));
  auto table = Table::create(backend, "events", schema_of<Event>());
  ASSERT_TRUE(table) << table.error().to_string();
  ASSERT_TRUE(table->append(batch_of(make_events(0, 10))));
  const Add file = table->snapshot().files().begin()->second;
  Add with_vector = file;
  with_vector.deletion_vector = DeletionVector{'u', "ab^-aqEH.-t@S}K{vb[*k^", 1, 40, 2};
  Remove purge_old = remove_of(file);
  Remove purge_vector = remove_of(with_vector);
  const Protocol vectors{3, 7, {"deletionVectors"}, {"deletionVectors"}};
  ASSERT_TRUE(backend->put_text(commit_key("events", 2), to_commit_text({vectors, with_vector, purge_old}),
                                PutMode::create));
  // The purge: the file is live again without its vector.
  ASSERT_TRUE(backend->put_text(commit_key("events", 3), to_commit_text({file, purge_vector}), PutMode::create));
  ASSERT_TRUE(table->refresh()) << "no live file has a vector now";

  const auto kept = dir / "events" / *with_vector.deletion_vector->file_path();
  const auto orphan = dir / "events" / "cd" / "deletion_vector_0c6cbaaf-5e04-4c9d-8959-1088814f58ef.bin";
  for (const auto& path : {kept, orphan}) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << "vector";
    std::filesystem::last_write_time(path, std::filesystem::file_time_type::clock::now() - 48h);
  }
  auto report = table->vacuum({.retention = 24h, .allow_short_retention = true});
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_TRUE(std::filesystem::exists(kept)) << "a retained tombstone names it";
  EXPECT_FALSE(std::filesystem::exists(orphan));
  EXPECT_EQ(report->files, std::vector<std::string>{"events/cd/deletion_vector_0c6cbaaf-5e04-4c9d-8959-1088814f58ef.bin"});
  EXPECT_EQ(read_all<Event>(*table), make_events(0, 10));
  std::filesystem::remove_all(dir);
}

}  // namespace
#endif

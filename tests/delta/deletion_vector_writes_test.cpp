// Merge-on-read changes: delete, update and merge on a table with
// deletion vectors enabled record the rows they take out in vectors and
// rewrite no data file; the table reads as if the rows had been
// rewritten away, at every version; optimize purges the vectors; two
// writers changing rows of one file conflict and the redo keeps both
// changes; copy-on-write stays available per handle. (Spark, delta-rs and
// DuckDB reading these tables: spark_features_interop_test.)
#include <arrow/builder.h>
#include <arrow/compute/api.h>
#include <gtest/gtest.h>

#include <format>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "delta/deletion_vectors.hpp"
#include "delta/log_replay.hpp"
#include "delta/row_deletions.hpp"
#include "delta/table_properties.hpp"
#include "delta/table_writer.hpp"
#include "table_support.hpp"

namespace {

using namespace lake;
using namespace lake::delta;
using namespace lake::delta::testing;
namespace cp = arrow::compute;

const CreateOptions kWithVectors{.properties = {{"delta.enableDeletionVectors", "true"}}};

std::vector<Plain> plain_rows(std::int64_t count) {
  std::vector<Plain> rows;
  for (std::int64_t id = 0; id < count; ++id) rows.push_back({.id = id, .name = std::format("row {}", id), .score = id * 0.5});
  return rows;
}

// id IN (ids): rows scattered through a file.
cp::Expression id_in(const std::vector<std::int64_t>& ids) {
  arrow::Int64Builder values;
  EXPECT_TRUE(values.AppendValues(ids).ok());
  return cp::call("is_in", {cp::field_ref("id")}, cp::SetLookupOptions(values.Finish().ValueOrDie()));
}

std::vector<std::int64_t> every(std::int64_t step, std::int64_t from, std::int64_t below) {
  std::vector<std::int64_t> ids;
  for (std::int64_t id = from; id < below; id += step) ids.push_back(id);
  return ids;
}

template <class T, class Pred>
std::vector<T> without(std::vector<T> rows, Pred gone) {
  std::erase_if(rows, gone);
  return rows;
}

bool same_plain(const std::vector<Plain>& a, const std::vector<Plain>& b) {
  return std::ranges::equal(a, b, [](const Plain& x, const Plain& y) {
    return x.id == y.id && x.name == y.name && x.score == y.score;
  });
}

std::set<std::string> vector_files(Backend& backend) {
  std::set<std::string> keys;
  for (const auto& key : data_objects(backend))
    if (key.find("deletion_vector_") != std::string::npos) keys.insert(key);
  return keys;
}

std::set<std::string> parquet_files(Backend& backend) {
  std::set<std::string> keys;
  for (const auto& key : data_objects(backend))
    if (key.ends_with(".parquet")) keys.insert(key);
  return keys;
}

class DeletionVectorWrites : public ::testing::Test {
 protected:
  Table create_plain(std::int64_t rows, TableOptions options = {}) {
    auto table = Table::create(backend_, "t", schema_of<Plain>(), kWithVectors, options);
    EXPECT_TRUE(table) << table.error().to_string();
    EXPECT_TRUE(table->append(batch_of(plain_rows(rows))));
    return std::move(*table);
  }
  std::shared_ptr<Backend> backend_ = memory_backend();
};

TEST_F(DeletionVectorWrites, ATableCreatedWithThemHasTheFeature) {
  auto table = Table::create(backend_, "t", schema_of<Plain>(), kWithVectors);
  ASSERT_TRUE(table) << table.error().to_string();
  const Protocol expected{3, 7, {"deletionVectors"}, {"appendOnly", "invariants", "deletionVectors"}};
  EXPECT_EQ(table->snapshot().protocol(), expected);
  // Without the property a table stays on the protocol every reader reads.
  auto plain = Table::create(backend_, "u", schema_of<Plain>());
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->snapshot().protocol(), (Protocol{1, 2, {}, {}}));
}

TEST_F(DeletionVectorWrites, ADeleteRecordsItsRowsAndRewritesNoFile) {
  auto table = create_plain(1000);
  const auto data_before = parquet_files(*backend_);
  ASSERT_EQ(data_before.size(), 1u);
  const std::int64_t version_before = table.version();

  auto gone = [](const Plain& r) { return r.id % 10 == 3; };
  auto deleted = table.delete_where(id_in(every(10, 3, 1000)));
  ASSERT_TRUE(deleted) << deleted.error().to_string();
  EXPECT_TRUE(deleted->committed);
  EXPECT_EQ(deleted->rows_deleted, 100);
  EXPECT_EQ(deleted->deletion_vectors_added, 1);
  EXPECT_EQ(deleted->files_added, 0);
  EXPECT_EQ(deleted->files_removed, 0);
  EXPECT_EQ(deleted->rows_copied, 0);
  EXPECT_EQ(parquet_files(*backend_), data_before) << "a merge-on-read delete wrote a data file";
  ASSERT_EQ(vector_files(*backend_).size(), 1u);

  // The same data file, now with a vector of 100 rows; its stats keep the
  // file's row count and say their bounds are no longer tight.
  ASSERT_EQ(table.snapshot().files().size(), 1u);
  const Add& file = table.snapshot().files().begin()->second;
  ASSERT_TRUE(file.deletion_vector);
  EXPECT_EQ(file.deletion_vector->storage_type, 'u');
  EXPECT_EQ(file.deletion_vector->cardinality, 100);
  EXPECT_EQ(file.deletion_vector->offset, 1) << "the first vector follows the file's version byte";
  auto stats = nlohmann::json::parse(file.stats.value_or("{}"));
  EXPECT_EQ(stats.value("numRecords", -1), 1000);
  EXPECT_EQ(stats.value("tightBounds", true), false);
  EXPECT_EQ(table.snapshot().num_records(), 900);

  const auto all = plain_rows(1000);
  EXPECT_TRUE(same_plain(read_all<Plain>(table), without(all, gone)));
  // A filtered, projected scan and a fresh handle see the same.
  auto reopened = Table::open(backend_, "t");
  ASSERT_TRUE(reopened);
  EXPECT_TRUE(same_plain(read_all<Plain>(*reopened), without(all, gone)));
  auto some = read_all<Plain>(table, {.filter = cp::less(cp::field_ref("id"), cp::literal(int64_t{20}))});
  EXPECT_EQ(some.size(), 18u);

  // A second delete on the file: its vector grows (the first one's rows
  // stay deleted), and the version before still reads as it was.
  auto second = table.delete_where(cp::less(cp::field_ref("id"), cp::literal(int64_t{50})));
  ASSERT_TRUE(second) << second.error().to_string();
  EXPECT_EQ(second->rows_deleted, 45);
  EXPECT_EQ(second->deletion_vectors_added, 1);
  const Add& again = table.snapshot().files().begin()->second;
  ASSERT_TRUE(again.deletion_vector);
  EXPECT_EQ(again.deletion_vector->cardinality, 145);
  EXPECT_TRUE(same_plain(read_all<Plain>(table), without(all, [&](const Plain& r) { return gone(r) || r.id < 50; })));
  auto before = table.snapshot_at(version_before);
  ASSERT_TRUE(before);
  EXPECT_TRUE(same_plain(read_all<Plain>(table, {}, &*before), all));

  // Deleting every row left removes the file; nothing is written.
  auto rest = table.delete_where(cp::literal(true));
  ASSERT_TRUE(rest) << rest.error().to_string();
  EXPECT_EQ(rest->rows_deleted, 855);
  EXPECT_EQ(rest->files_removed, 1);
  EXPECT_EQ(rest->deletion_vectors_added, 0);
  EXPECT_TRUE(table.snapshot().files().empty());
  EXPECT_EQ(vector_files(*backend_).size(), 2u) << "a vector file written for a file that went";
}

TEST_F(DeletionVectorWrites, AnUpdateWritesOnlyTheChangedRows) {
  auto table = create_plain(1000);
  auto updated = table.update_where(cp::greater_equal(cp::field_ref("id"), cp::literal(int64_t{990})),
                                    {{"name", cp::literal("changed")}});
  ASSERT_TRUE(updated) << updated.error().to_string();
  EXPECT_EQ(updated->rows_updated, 10);
  EXPECT_EQ(updated->deletion_vectors_added, 1);
  EXPECT_EQ(updated->files_added, 1);
  EXPECT_EQ(updated->rows_copied, 0);
  // The new file holds the 10 changed rows only.
  std::int64_t with_vector = 0, new_rows = 0;
  for (const auto& [key, add] : table.snapshot().files()) {
    if (add.deletion_vector) {
      ++with_vector;
    } else {
      new_rows += records_in_stats(add.stats).value_or(-1);
    }
  }
  EXPECT_EQ(with_vector, 1);
  EXPECT_EQ(new_rows, 10);
  auto expected = plain_rows(1000);
  for (auto& row : expected)
    if (row.id >= 990) row.name = "changed";
  EXPECT_TRUE(same_plain(read_all<Plain>(table), expected));
}

TEST_F(DeletionVectorWrites, AMergeTakesMatchedRowsOutByVector) {
  auto table = create_plain(1000);
  const auto data_before = parquet_files(*backend_);
  // Upsert: 5 existing keys change, 5 are new.
  std::vector<Plain> source;
  for (std::int64_t id = 995; id < 1005; ++id) source.push_back({.id = id, .name = "upserted", .score = std::nullopt});
  auto reader = arrow::RecordBatchReader::Make({batch_of(source)});
  auto merged = table.merge(**reader, {.keys = {"id"}});
  ASSERT_TRUE(merged) << merged.error().to_string();
  EXPECT_EQ(merged->rows_updated, 5);
  EXPECT_EQ(merged->rows_inserted, 5);
  EXPECT_EQ(merged->deletion_vectors_added, 1);
  EXPECT_EQ(merged->files_removed, 0);
  EXPECT_EQ(merged->rows_copied, 0);
  for (const auto& key : data_before) EXPECT_TRUE(parquet_files(*backend_).contains(key)) << key;
  auto expected = plain_rows(995);
  expected.insert(expected.end(), source.begin(), source.end());
  EXPECT_TRUE(same_plain(read_all<Plain>(table), expected));

  // Remove by key, then a merge on the rows of a file that already has a
  // vector: the rows found are the live ones.
  auto removal = arrow::RecordBatchReader::Make({batch_of(std::vector<Plain>{{.id = 3, .name = "", .score = std::nullopt}, {.id = 996, .name = "", .score = std::nullopt}})});
  auto removed = table.merge(**removal, {.keys = {"id"}, .when_matched = WhenMatched::remove,
                                         .when_not_matched = WhenNotMatched::ignore});
  ASSERT_TRUE(removed) << removed.error().to_string();
  EXPECT_EQ(removed->rows_deleted, 2);
  std::erase_if(expected, [](const Plain& r) { return r.id == 3 || r.id == 996; });
  EXPECT_TRUE(same_plain(read_all<Plain>(table), expected));
}

TEST_F(DeletionVectorWrites, CopyOnWriteStaysAvailablePerHandle) {
  auto table = create_plain(100, TableOptions{.row_changes = RowChanges::copy_on_write});
  auto deleted = table.delete_where(cp::less(cp::field_ref("id"), cp::literal(int64_t{10})));
  ASSERT_TRUE(deleted) << deleted.error().to_string();
  EXPECT_EQ(deleted->deletion_vectors_added, 0);
  EXPECT_EQ(deleted->files_removed, 1);
  EXPECT_EQ(deleted->files_added, 1);
  EXPECT_TRUE(vector_files(*backend_).empty());
  for (const auto& [key, add] : table.snapshot().files()) EXPECT_FALSE(add.deletion_vector) << add.path;
  EXPECT_EQ(read_all<Plain>(table).size(), 90u);
}

TEST_F(DeletionVectorWrites, OptimizePurgesThemAndVacuumThenDropsTheirFiles) {
  auto table = create_plain(1000);
  ASSERT_TRUE(table.delete_where(cp::less(cp::field_ref("id"), cp::literal(int64_t{100}))));
  ASSERT_TRUE(table.update_where(cp::equal(cp::field_ref("id"), cp::literal(int64_t{500})),
                                 {{"name", cp::literal("x")}}));
  auto expected = read_all<Plain>(table);
  ASSERT_EQ(expected.size(), 900u);

  auto optimized = table.optimize();
  ASSERT_TRUE(optimized) << optimized.error().to_string();
  EXPECT_GE(optimized->files_removed, 2);
  EXPECT_EQ(optimized->files_added, 1);
  for (const auto& [key, add] : table.snapshot().files()) EXPECT_FALSE(add.deletion_vector) << add.path;
  EXPECT_EQ(records_in_stats(table.snapshot().files().begin()->second.stats), 900);
  EXPECT_TRUE(same_plain(read_all<Plain>(table), expected));
  // Again: nothing left to purge or compact.
  auto idle = table.optimize();
  ASSERT_TRUE(idle);
  EXPECT_EQ(idle->files_removed, 0);

  // Vacuum keeps the vector files while a retained version uses them,
  // and drops them with the files they belonged to.
  ASSERT_TRUE(table.vacuum());
  EXPECT_EQ(vector_files(*backend_).size(), 2u);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // the removes are older than "now"
  auto vacuumed = table.vacuum({.retention = std::chrono::milliseconds(0), .allow_short_retention = true});
  ASSERT_TRUE(vacuumed) << vacuumed.error().to_string();
  EXPECT_TRUE(vector_files(*backend_).empty());
  EXPECT_TRUE(same_plain(read_all<Plain>(table), expected));
}

// Two writers change rows of the same file: both remove its logical file
// (path, old vector), so the second to commit conflicts; run again on the
// winner's version, it adds its rows to the winner's vector, and neither
// change is lost.
TEST_F(DeletionVectorWrites, TwoWritersOnOneFileConflictAndTheRedoKeepsBoth) {
  auto table = create_plain(100);
  auto a = Table::open(backend_, "t");
  auto b = Table::open(backend_, "t");
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->delete_where(cp::less(cp::field_ref("id"), cp::literal(int64_t{5}))));
  const auto vectors_before = vector_files(*backend_);
  auto lost = b->delete_where(cp::greater_equal(cp::field_ref("id"), cp::literal(int64_t{95})));
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().code(), ErrorCode::conflict);
  const auto* detail = lost.error().detail<ConflictDetail>();
  ASSERT_NE(detail, nullptr);
  EXPECT_EQ(detail->kind(), ConflictDetail::Kind::concurrent_delete_delete);
  EXPECT_TRUE(redo_resolves(lost.error()));
  EXPECT_EQ(vector_files(*backend_), vectors_before) << "the losing delete left its vector file";
  ASSERT_TRUE(b->refresh());
  auto redone = b->delete_where(cp::greater_equal(cp::field_ref("id"), cp::literal(int64_t{95})));
  ASSERT_TRUE(redone) << redone.error().to_string();
  EXPECT_EQ(redone->rows_deleted, 5);
  EXPECT_EQ(b->snapshot().files().begin()->second.deletion_vector->cardinality, 10);

  // A merge prepared before another writer's change of the same file
  // plans itself again on the winner's version and keeps both.
  auto source = arrow::RecordBatchReader::Make({batch_of(std::vector<Plain>{{.id = 50, .name = "merged", .score = std::nullopt}})});
  ASSERT_TRUE(a->refresh());
  auto prepared = a->prepare_merge(**source, {.keys = {"id"}});
  ASSERT_TRUE(prepared) << prepared.error().to_string();
  ASSERT_TRUE(b->delete_where(cp::equal(cp::field_ref("id"), cp::literal(int64_t{60}))));
  auto merged = prepared->commit();
  ASSERT_TRUE(merged) << merged.error().to_string();
  EXPECT_GE(merged->attempts, 2);
  auto rows = read_all<Plain>(*a);
  EXPECT_EQ(rows.size(), 89u);
  EXPECT_FALSE(std::ranges::any_of(rows, [](const Plain& r) { return r.id == 60 || r.id < 5 || r.id >= 95; }));
  auto fifty = std::ranges::find(rows, 50, &Plain::id);
  ASSERT_NE(fifty, rows.end());
  EXPECT_EQ(fifty->name, "merged");
}

// A file's stats under a new vector: the text of every bound is kept (a
// decimal beyond a double's digits stays exact), tightBounds becomes false,
// numRecords is the file's row count.
TEST(DeletionVectorStats, BoundsAreKeptAndMarkedWide) {
  const std::string stats =
      R"({"numRecords":3,"minValues":{"d":12345678901234567890.12,"s":"a\"tightBounds\":true"},)"
      R"("maxValues":{"d":99999999999999999999.99},"nullCount":{"d":0}})";
  const std::string wide = stats_under_vector(stats, 3);
  EXPECT_NE(wide.find("12345678901234567890.12"), std::string::npos) << wide;
  EXPECT_NE(wide.find("99999999999999999999.99"), std::string::npos) << wide;
  EXPECT_NE(wide.find(R"(a\"tightBounds\":true)"), std::string::npos) << "a string value was edited: " << wide;
  auto parsed = nlohmann::json::parse(wide);
  EXPECT_EQ(parsed["tightBounds"], false);
  EXPECT_EQ(parsed["numRecords"], 3);
  auto again = nlohmann::json::parse(stats_under_vector(R"({"numRecords":7,"tightBounds":true})", 7));
  EXPECT_EQ(again["tightBounds"], false);
  auto without = nlohmann::json::parse(stats_under_vector(R"({"minValues":{"a":1}})", 9));
  EXPECT_EQ(without["numRecords"], 9);
  EXPECT_EQ(without["minValues"]["a"], 1);
  for (const std::optional<std::string>& nothing : {std::optional<std::string>(), std::optional<std::string>("{ }"),
                                                    std::optional<std::string>("not json")}) {
    auto fresh = nlohmann::json::parse(stats_under_vector(nothing, 4));
    EXPECT_EQ(fresh, (nlohmann::json{{"numRecords", 4}, {"tightBounds", false}}));
  }
  EXPECT_EQ(records_in_stats(wide), 3);
}

// The vector file format written here reads back through the reader's
// checks (frame size, CRC-32, cardinality), several vectors to a file.
TEST_F(DeletionVectorWrites, WrittenVectorsReadBackAtTheirOffsets) {
  const TableLayout layout{.root = "t", .columns = {}, .partition_columns = {}, .arrow_schema = nullptr};
  std::vector<std::unique_ptr<DeletedRows>> owned;
  std::vector<DeletedRows*> vectors;
  for (std::uint64_t stride : {3u, 1000u, 7u}) {
    auto rows = DeletedRows::none();
    arrow::BooleanBuilder gone;
    for (std::uint64_t row = 0; row < 100'000; ++row) ASSERT_TRUE(gone.Append(row % stride == 0).ok());
    auto mask = gone.Finish();
    ASSERT_TRUE(mask.ok());
    rows->delete_remaining(static_cast<const arrow::BooleanArray&>(**mask));
    vectors.push_back(rows.get());
    owned.push_back(std::move(rows));
  }
  auto written = write_deletion_vectors(*backend_, layout, vectors);
  ASSERT_TRUE(written) << written.error().to_string();
  ASSERT_EQ(written->descriptors.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    auto loaded = load_deleted_rows(*backend_, layout, written->descriptors[i], "part.parquet");
    ASSERT_TRUE(loaded) << loaded.error().to_string();
    EXPECT_EQ((*loaded)->cardinality(), owned[i]->cardinality());
    EXPECT_EQ((*loaded)->count_in(0, 100'000), owned[i]->cardinality());
  }
  // Rows marked among those a vector leaves land on the right positions.
  auto rows = owned[1]->copy();  // deletes positions 0, 1000, 2000, ...
  arrow::BooleanBuilder third;
  for (int i = 0; i < 1001; ++i) ASSERT_TRUE(third.Append(i == 999 || i == 1000).ok());
  auto longer = third.Finish();
  ASSERT_TRUE(longer.ok());
  // Live rows 999 and 1000 are positions 1001 and 1002 (0 and 1000 are gone).
  EXPECT_EQ(rows->delete_remaining(static_cast<const arrow::BooleanArray&>(**longer)), 2u);
  EXPECT_TRUE(rows->contains(1001));
  EXPECT_TRUE(rows->contains(1002));
  EXPECT_FALSE(rows->contains(999));
}

}  // namespace

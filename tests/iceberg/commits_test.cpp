// Iceberg commits (src/iceberg/catalog, src/iceberg/commits) on the
// file-system layout: creating tables, appends with inherited sequence
// numbers, concurrent appenders that all land, conflicts typed, failed
// appends leave nothing behind.
#include <arrow/api.h>
#include <gtest/gtest.h>

#include <arrow/compute/api.h>

#include <atomic>
#include <limits>
#include <numeric>
#include <functional>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "iceberg/commits.hpp"
#include "iceberg/scan.hpp"
#include "lake/storage/backend.hpp"
#include "support/forwarding_backend.hpp"
#include "support/temp_dir.hpp"

namespace {

using namespace lake::iceberg;
using lake::ErrorCode;

std::shared_ptr<arrow::RecordBatchReader> rows(std::int64_t first, std::int64_t count) {
  arrow::Int64Builder id;
  arrow::StringBuilder region;
  for (std::int64_t i = first; i < first + count; ++i) {
    (void)id.Append(i);
    (void)region.Append(i % 2 ? "eu" : "us");
  }
  auto schema = arrow::schema({arrow::field("id", arrow::int64(), false), arrow::field("region", arrow::utf8())});
  auto batch = arrow::RecordBatch::Make(schema, count, {id.Finish().ValueOrDie(), region.Finish().ValueOrDie()});
  return arrow::RecordBatchReader::Make({batch}).ValueOrDie();
}

NewTable events() {
  auto schema = parse_schema(nlohmann::json::parse(R"json({"type": "struct", "schema-id": 0, "fields": [
      {"id": 1, "name": "id", "required": true, "type": "long"},
      {"id": 2, "name": "region", "required": false, "type": "string"}]})json"));
  EXPECT_TRUE(schema) << schema.error().to_string();
  return NewTable{.schema = *schema,
                  .spec = PartitionSpec{.spec_id = 0, .fields = {{2, 1000, "region", {lake::formats::Transform::identity, 0}}}}};
}

struct Fixture : ::testing::Test {
  lake::testing::TempDir dir{"iceberg-commits"};
  std::shared_ptr<lake::Backend> backend = *lake::file_backend(dir.path);
  FileSystemCatalog catalog{backend};

  std::vector<std::int64_t> ids_of(const CurrentMetadata& current) {
    auto planned = plan_files(*backend, current.metadata, *current.metadata.current_snapshot(), std::nullopt);
    EXPECT_TRUE(planned) << planned.error().to_string();
    auto reader = read_files(backend, current.metadata.current_schema(), planned->files, {"id"});
    EXPECT_TRUE(reader) << reader.error().to_string();
    auto table = (*reader)->ToTable().ValueOrDie();
    std::vector<std::int64_t> ids;
    for (const auto& chunk : table->column(0)->chunks())
      for (std::int64_t i = 0; i < chunk->length(); ++i) ids.push_back(static_cast<const arrow::Int64Array&>(*chunk).Value(i));
    std::ranges::sort(ids);
    return ids;
  }

  // Objects under the table that no snapshot references (metadata files
  // and the version hint aside): what a writer left behind.
  std::vector<std::string> orphans(const std::string& table) {
    auto current = catalog.load(table);
    EXPECT_TRUE(current && *current);
    const TableMetadata& m = (*current)->metadata;
    std::set<std::string> referenced;
    auto key = [&](const std::string& location) { return *key_of(*backend, location); };
    for (const auto& snapshot : m.snapshots) {
      referenced.insert(key(snapshot.manifest_list));
      auto list = read_manifest_list(*backend->get(key(snapshot.manifest_list)), snapshot.manifest_list);
      EXPECT_TRUE(list);
      for (const auto& manifest : *list) referenced.insert(key(manifest.path));
      auto planned = plan_files(*backend, m, snapshot, std::nullopt);
      EXPECT_TRUE(planned);
      for (const auto& f : planned->files) referenced.insert(key(f.file.path));
    }
    std::vector<std::string> left;
    for (const auto& object : *backend->list(table + "/"))
      if (!object.key.ends_with(".metadata.json") && !object.key.ends_with("version-hint.text") &&
          !referenced.contains(object.key))
        left.push_back(object.key);
    return left;
  }
};

using IcebergCommits = Fixture;

TEST_F(IcebergCommits, AppendsBecomeSnapshotsWithTheirSequenceNumbers) {
  auto created = create_table(catalog, "db/events", events());
  ASSERT_TRUE(created) << created.error().to_string();
  EXPECT_EQ(created->location, catalog.default_location("db/events") + "/metadata/v1.metadata.json");
  EXPECT_EQ(create_table(catalog, "db/events", events()).error().code(), ErrorCode::already_exists);

  for (int i = 0; i < 3; ++i) {
    auto input = rows(i * 10, 10);
    auto appended = append(catalog, backend, "db/events", *input, {.summary = {{"lake.ingest_id", std::to_string(i)}}});
    ASSERT_TRUE(appended) << appended.error().to_string();
  }
  auto current = catalog.load("db/events");
  ASSERT_TRUE(current && *current) << (current ? "no table" : current.error().to_string());
  const TableMetadata& m = (*current)->metadata;
  EXPECT_EQ((*current)->location, catalog.default_location("db/events") + "/metadata/v4.metadata.json");
  EXPECT_EQ(backend->get_text("db/events/metadata/version-hint.text").value_or(""), "4");
  ASSERT_EQ(m.snapshots.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(m.snapshots[i].sequence_number, static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(m.snapshots[i].summary.at("lake.ingest_id"), std::to_string(i));
    EXPECT_EQ(m.snapshots[i].summary.at("total-records"), std::to_string((i + 1) * 10));
  }
  EXPECT_EQ(m.metadata_log.size(), 3u);

  // Each append's files carry the sequence number of the commit that added them.
  auto planned = plan_files(*backend, m, *m.current_snapshot(), std::nullopt);
  ASSERT_TRUE(planned);
  EXPECT_EQ(planned->files_total, 6);  // three appends, two regions each
  std::vector<std::int64_t> expected(30);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(ids_of(**current), expected);

  // The identity partition skips the other region's files.
  namespace cp = arrow::compute;
  auto eu = plan_files(*backend, m, *m.current_snapshot(), cp::equal(cp::field_ref("region"), cp::literal("eu")));
  ASSERT_TRUE(eu);
  EXPECT_EQ(eu->files.size(), 3u);
}

// Encoding a row group's columns on several threads writes the same data
// files, byte for byte, in the same order.
TEST_F(IcebergCommits, WriterThreadsWriteTheSameBytes) {
  auto created = create_table(catalog, "db/events", events());
  ASSERT_TRUE(created) << created.error().to_string();
  std::vector<std::vector<std::vector<std::byte>>> files_by_threads;
  for (int threads : {1, 3}) {
    auto input = rows(0, 5000);
    auto written = write_data_files(*backend, created->metadata, *input,
                                    {.file_rows = 1500, .row_group_rows = 500, .writer_threads = threads});
    ASSERT_TRUE(written) << written.error().to_string();
    auto& files = files_by_threads.emplace_back();
    for (const auto& file : *written) {
      auto bytes = backend->get(*key_of(*backend, file.path));
      ASSERT_TRUE(bytes) << bytes.error().to_string();
      files.push_back(std::move(*bytes));
    }
  }
  ASSERT_EQ(files_by_threads[0].size(), files_by_threads[1].size());
  EXPECT_GE(files_by_threads[0].size(), 4u);  // two regions, 2500 rows each, files of 1500
  for (std::size_t i = 0; i < files_by_threads[0].size(); ++i)
    EXPECT_TRUE(files_by_threads[0][i] == files_by_threads[1][i]) << "file " << i << " differs";
}

// Every append adds a manifest; once a table has
// commit.manifest.min-count-to-merge of them, a commit packs them into one
// (their entries kept as "existing" with their numbers), so scans do not
// read a manifest per commit forever.
TEST_F(IcebergCommits, AppendsMergeManifestsOnceThereAreEnough) {
  NewTable definition = events();
  definition.properties["commit.manifest.min-count-to-merge"] = "4";
  ASSERT_TRUE(create_table(catalog, "t", definition));
  std::optional<CurrentMetadata> last;
  std::vector<std::size_t> manifests_after;
  for (int i = 0; i < 6; ++i) {
    auto input = rows(i * 10, 10);
    auto appended = append(catalog, backend, "t", *input);
    ASSERT_TRUE(appended) << appended.error().to_string();
    auto listed = load_manifest_list(*backend, *appended->metadata.current_snapshot());
    ASSERT_TRUE(listed) << listed.error().to_string();
    manifests_after.push_back(listed->size());
    last = std::move(*appended);
  }
  // The fifth append finds 4 manifests: they become one, then its own.
  EXPECT_EQ(manifests_after, (std::vector<std::size_t>{1, 2, 3, 4, 2, 3}));
  std::vector<std::int64_t> expected(60);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(ids_of(*last), expected);
  // The merged entries keep the sequence numbers of the appends that added them.
  auto planned = plan_files(*backend, last->metadata, *last->metadata.current_snapshot(), std::nullopt);
  ASSERT_TRUE(planned);
  std::set<std::int64_t> sequence_numbers;
  for (const auto& f : planned->files) sequence_numbers.insert(f.sequence_number);
  EXPECT_EQ(sequence_numbers.size(), 6u);
  // Every older snapshot still reads as it was.
  for (const auto& snapshot : last->metadata.snapshots) {
    auto then = plan_files(*backend, last->metadata, snapshot, std::nullopt);
    ASSERT_TRUE(then) << then.error().to_string();
    std::int64_t rows_then = 0;
    for (const auto& f : then->files) rows_then += f.file.record_count;
    EXPECT_EQ(rows_then, snapshot.sequence_number * 10);
  }
}

// A filter on an identity partition skips whole manifests by their
// partition summaries: only the manifests that may hold the value are read.
TEST(IcebergScan, ManifestsWhosePartitionRangesRuleTheFilterOutAreNotRead) {
  struct CountingBackend final : lake::testing::ForwardingBackend {
    using ForwardingBackend::ForwardingBackend;
    lake::Result<std::vector<std::byte>> get(std::string_view key) override {
      if (key.ends_with("-m0.avro")) ++manifest_reads;
      return ForwardingBackend::get(key);
    }
    std::atomic<int> manifest_reads = 0;
  };
  lake::testing::TempDir dir{"iceberg-manifest-skipping"};
  auto counting = std::make_shared<CountingBackend>(*lake::file_backend(dir.path));
  std::shared_ptr<lake::Backend> backend = counting;
  FileSystemCatalog catalog{backend};
  NewTable definition = events();
  definition.properties["commit.manifest-merge.enabled"] = "false";
  ASSERT_TRUE(create_table(catalog, "t", definition));
  std::optional<CurrentMetadata> last;
  for (int i = 0; i < 6; ++i) {  // one region per append: "eu", "us", "eu", ...
    arrow::Int64Builder id;
    arrow::StringBuilder region;
    for (int r = 0; r < 5; ++r) {
      ASSERT_TRUE(id.Append(i * 5 + r).ok());
      ASSERT_TRUE(region.Append(i % 2 ? "us" : "eu").ok());
    }
    auto schema = arrow::schema({arrow::field("id", arrow::int64(), false), arrow::field("region", arrow::utf8())});
    auto batch = arrow::RecordBatch::Make(schema, 5, {id.Finish().ValueOrDie(), region.Finish().ValueOrDie()});
    auto reader = arrow::RecordBatchReader::Make({batch}).ValueOrDie();
    auto appended = append(catalog, backend, "t", *reader);
    ASSERT_TRUE(appended) << appended.error().to_string();
    last = std::move(*appended);
  }
  namespace cp = arrow::compute;
  counting->manifest_reads = 0;
  auto us = plan_files(*backend, last->metadata, *last->metadata.current_snapshot(),
                       cp::equal(cp::field_ref("region"), cp::literal("us")));
  ASSERT_TRUE(us) << us.error().to_string();
  EXPECT_EQ(us->files.size(), 3u);
  EXPECT_EQ(us->files_total, 6);
  EXPECT_EQ(counting->manifest_reads, 3) << "the three \"eu\" manifests were read";
  // A filter on another column reads them all (and skips by file metrics).
  counting->manifest_reads = 0;
  auto one = plan_files(*backend, last->metadata, *last->metadata.current_snapshot(),
                        cp::equal(cp::field_ref("id"), cp::literal(std::int64_t{12})));
  ASSERT_TRUE(one) << one.error().to_string();
  EXPECT_EQ(one->files.size(), 1u);
}

TEST_F(IcebergCommits, ConcurrentAppendersAllLand) {
  ASSERT_TRUE(create_table(catalog, "t", events()));
  constexpr int kWriters = 4, kAppends = 5, kRows = 10;
  std::vector<std::thread> writers;
  std::atomic<int> failures = 0;
  for (int w = 0; w < kWriters; ++w)
    writers.emplace_back([&, w] {
      FileSystemCatalog own{backend};  // each writer its own catalog, as separate processes would be
      for (int a = 0; a < kAppends; ++a) {
        auto input = rows((w * kAppends + a) * kRows, kRows);
        if (!append(own, backend, "t", *input)) ++failures;
      }
    });
  for (auto& w : writers) w.join();
  EXPECT_EQ(failures, 0);
  auto current = catalog.load("t");
  ASSERT_TRUE(current && *current);
  EXPECT_EQ((*current)->metadata.snapshots.size(), static_cast<std::size_t>(kWriters * kAppends));
  EXPECT_EQ((*current)->metadata.last_sequence_number, kWriters * kAppends);
  std::vector<std::int64_t> expected(kWriters * kAppends * kRows);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(ids_of(**current), expected);
  // Lost attempts took their manifest lists with them.
  EXPECT_EQ(orphans("t"), std::vector<std::string>{});
}

// A catalog through which another writer's commit (`interloper`) lands
// just before this writer's first commit, so that commit finds its base
// replaced.
class OvertakenCatalog final : public Catalog {
 public:
  OvertakenCatalog(FileSystemCatalog& inner, std::function<void(FileSystemCatalog&)> interloper)
      : inner_(inner), interloper_(std::move(interloper)) {}
  lake::Result<std::optional<CurrentMetadata>> load(const std::string& table) override { return inner_.load(table); }
  std::string default_location(const std::string& table) const override { return inner_.default_location(table); }
  lake::Status drop(const std::string& table) override { return inner_.drop(table); }
  lake::Result<CurrentMetadata> commit(const std::string& table, const CurrentMetadata* base,
                                       const TableMetadata& next) override {
    if (++commits == 1) interloper_(inner_);
    return inner_.commit(table, base, next);
  }
  int commits = 0;

 private:
  FileSystemCatalog& inner_;
  std::function<void(FileSystemCatalog&)> interloper_;
};

TEST_F(IcebergCommits, AnAppendThatLosesTheRaceCommitsOnTopOfTheWinner) {
  ASSERT_TRUE(create_table(catalog, "t", events()));
  OvertakenCatalog overtaken(catalog, [&](FileSystemCatalog& inner) {
    auto other = rows(1000, 3);
    EXPECT_TRUE(append(inner, backend, "t", *other));
  });
  auto input = rows(0, 5);
  auto appended = append(overtaken, backend, "t", *input);
  ASSERT_TRUE(appended) << appended.error().to_string();
  EXPECT_EQ(overtaken.commits, 2);  // lost once, then landed
  const TableMetadata& m = appended->metadata;
  ASSERT_EQ(m.snapshots.size(), 2u);
  EXPECT_EQ(m.current_snapshot()->parent_snapshot_id, m.snapshots[0].snapshot_id);
  EXPECT_EQ(m.current_snapshot()->sequence_number, 2);
  EXPECT_EQ(m.current_snapshot()->summary.at("total-records"), "8");
  EXPECT_EQ(ids_of(*appended), (std::vector<std::int64_t>{0, 1, 2, 3, 4, 1000, 1001, 1002}));
  // The lost attempt's manifest list is gone; the manifest was reused.
  EXPECT_EQ(backend->list("t/metadata/snap-")->size(), 2u);
  EXPECT_EQ(orphans("t"), std::vector<std::string>{});
}

namespace cp = arrow::compute;
cp::Expression id_below(std::int64_t n) { return cp::less(cp::field_ref("id"), cp::literal(n)); }

TEST_F(IcebergCommits, DeletesRemoveWholeFilesAndRewriteTheRest) {
  ASSERT_TRUE(create_table(catalog, "t", events()));
  auto input = rows(0, 30);
  ASSERT_TRUE(append(catalog, backend, "t", *input));  // one file per region

  // Some rows of both files: both rewritten.
  auto partly = delete_where(catalog, backend, "t", id_below(5));
  ASSERT_TRUE(partly) << partly.error().to_string();
  const Snapshot* overwrite = partly->metadata.current_snapshot();
  EXPECT_EQ(overwrite->operation(), "overwrite");
  EXPECT_EQ(overwrite->summary.at("deleted-data-files"), "2");
  EXPECT_EQ(overwrite->summary.at("deleted-records"), "30");
  EXPECT_EQ(overwrite->summary.at("added-records"), "25");
  EXPECT_EQ(overwrite->summary.at("total-records"), "25");
  std::vector<std::int64_t> expected(25);
  std::iota(expected.begin(), expected.end(), 5);
  EXPECT_EQ(ids_of(*partly), expected);

  // All rows of one file: removed, nothing rewritten.
  auto whole = delete_where(catalog, backend, "t", cp::equal(cp::field_ref("region"), cp::literal("eu")));
  ASSERT_TRUE(whole) << whole.error().to_string();
  EXPECT_EQ(whole->metadata.current_snapshot()->operation(), "delete");
  // Counts that are zero are left out, as Iceberg's own summaries do.
  EXPECT_FALSE(whole->metadata.current_snapshot()->summary.contains("added-data-files"));
  EXPECT_EQ(whole->metadata.current_snapshot()->summary.at("deleted-data-files"), "1");
  expected.clear();
  for (std::int64_t i = 6; i < 30; i += 2) expected.push_back(i);
  EXPECT_EQ(ids_of(*whole), expected);

  // Nothing matches: no snapshot.
  auto none = delete_where(catalog, backend, "t", id_below(0));
  ASSERT_TRUE(none);
  EXPECT_EQ(none->metadata.snapshots.size(), whole->metadata.snapshots.size());

  // The older snapshots still read as they were.
  auto first = whole->metadata.snapshots.front();
  auto planned = plan_files(*backend, whole->metadata, first, std::nullopt);
  ASSERT_TRUE(planned) << planned.error().to_string();
  std::int64_t rows_then = 0;
  for (const auto& f : planned->files) rows_then += f.file.record_count;
  EXPECT_EQ(rows_then, 30);

  auto unknown = delete_where(catalog, backend, "t", cp::equal(cp::field_ref("colour"), cp::literal("red")));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code(), ErrorCode::schema_mismatch);
}

TEST_F(IcebergCommits, ADeleteOvertakenByAnAppendCommitsOnTopAndKeepsItsRows) {
  ASSERT_TRUE(create_table(catalog, "t", events()));
  auto input = rows(0, 10);
  ASSERT_TRUE(append(catalog, backend, "t", *input));
  OvertakenCatalog overtaken(catalog, [&](FileSystemCatalog& inner) {
    auto other = rows(100, 4);  // none below 5, but the predicate was decided before they came
    EXPECT_TRUE(append(inner, backend, "t", *other));
  });
  auto deleted = delete_where(overtaken, backend, "t", id_below(5));
  ASSERT_TRUE(deleted) << deleted.error().to_string();
  EXPECT_EQ(overtaken.commits, 2);
  EXPECT_EQ(ids_of(*deleted), (std::vector<std::int64_t>{5, 6, 7, 8, 9, 100, 101, 102, 103}));
  EXPECT_EQ(orphans("t"), std::vector<std::string>{});
}

TEST_F(IcebergCommits, ADeleteOvertakenByADeleteOfItsFilesIsAConflictThatLeavesNothing) {
  ASSERT_TRUE(create_table(catalog, "t", events()));
  auto input = rows(0, 10);
  ASSERT_TRUE(append(catalog, backend, "t", *input));
  OvertakenCatalog overtaken(catalog, [&](FileSystemCatalog& inner) {
    EXPECT_TRUE(delete_where(inner, backend, "t", id_below(3)));
  });
  auto lost = delete_where(overtaken, backend, "t", id_below(5));
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().code(), ErrorCode::conflict) << lost.error().to_string();
  EXPECT_EQ(orphans("t"), std::vector<std::string>{}) << "the loser left files behind";
  std::vector<std::int64_t> expected(7);
  std::iota(expected.begin(), expected.end(), 3);
  EXPECT_EQ(ids_of(**catalog.load("t")), expected);
}

TEST_F(IcebergCommits, ExpiryDropsOldSnapshotsAndOnlyTheFilesTheyAloneNeeded) {
  ASSERT_TRUE(create_table(catalog, "t", events()));
  for (int i = 0; i < 3; ++i) {
    auto input = rows(i * 10, 10);
    ASSERT_TRUE(append(catalog, backend, "t", *input));
  }
  ASSERT_TRUE(delete_where(catalog, backend, "t", id_below(15)));  // removes and rewrites files of the first two
  auto before = catalog.load("t");
  ASSERT_TRUE(before && *before);
  const auto ids_before = ids_of(**before);
  const std::size_t objects_before = backend->list("t/")->size();

  // Nothing is old enough: nothing goes.
  auto none = expire_snapshots(catalog, backend, "t", {.older_than_ms = 0, .retain_last = 1});
  ASSERT_TRUE(none) << none.error().to_string();
  EXPECT_EQ(none->snapshots_expired, 0);

  // Everything before now but the newest two.
  auto expired = expire_snapshots(catalog, backend, "t",
                                  {.older_than_ms = (*before)->metadata.last_updated_ms + 1, .retain_last = 2});
  ASSERT_TRUE(expired) << expired.error().to_string();
  EXPECT_EQ(expired->snapshots_expired, 2);
  EXPECT_GT(expired->files_deleted, 0);
  auto after = catalog.load("t");
  ASSERT_TRUE(after && *after);
  const TableMetadata& m = (*after)->metadata;
  ASSERT_EQ(m.snapshots.size(), 2u);
  EXPECT_EQ(m.current_snapshot_id, (*before)->metadata.current_snapshot_id);
  EXPECT_EQ(m.snapshot_log.size(), 2u);
  EXPECT_EQ(ids_of(**after), ids_before);
  // The retained older snapshot still reads whole: its files stayed.
  auto planned = plan_files(*backend, m, m.snapshots.front(), std::nullopt);
  ASSERT_TRUE(planned) << planned.error().to_string();
  std::int64_t rows_then = 0;
  for (const auto& f : planned->files) rows_then += f.file.record_count;
  EXPECT_EQ(rows_then, 30);
  // Every object left is referenced, and as many went as the report says
  // (plus one more metadata file).
  EXPECT_EQ(orphans("t"), std::vector<std::string>{});
  EXPECT_EQ(backend->list("t/")->size(), objects_before - static_cast<std::size_t>(expired->files_deleted) + 1);

  // Only the newest: the data files the delete removed or rewrote (the
  // first two appends', both regions) go too.
  const auto data_before = backend->list("t/data/")->size();
  auto last = expire_snapshots(catalog, backend, "t", {.older_than_ms = m.last_updated_ms + 1, .retain_last = 1});
  ASSERT_TRUE(last) << last.error().to_string();
  EXPECT_EQ(last->snapshots_expired, 1);
  EXPECT_EQ(backend->list("t/data/")->size(), data_before - 4);
  EXPECT_EQ(ids_of(**catalog.load("t")), ids_before);
  EXPECT_EQ(orphans("t"), std::vector<std::string>{});
}

// A file system stamps files with a coarse clock: a file written just after
// an expiry's cutoff of "now" can carry an older time. Listings here say
// every object is from 1970, the extreme of that.
class OldListings final : public lake::testing::ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  using Backend::list;
  lake::Result<std::vector<lake::ObjectInfo>> list(std::string_view prefix, std::string_view start_after) override {
    auto listed = ForwardingBackend::list(prefix, start_after);
    if (listed)
      for (auto& object : *listed) object.modified = lake::timestamp{};
    return listed;
  }
};

TEST_F(IcebergCommits, ExpiryWithOrphanRemovalKeepsTheMetadataItCommits) {
  auto old = std::make_shared<OldListings>(*lake::file_backend(dir.path));
  FileSystemCatalog on_old{old};
  ASSERT_TRUE(create_table(on_old, "t", events()));
  for (int i = 0; i < 3; ++i) {
    auto input = rows(i * 10, 10);
    ASSERT_TRUE(append(on_old, old, "t", *input));
  }
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  auto expired = expire_snapshots(on_old, old, "t",
                                  {.older_than_ms = (now + std::chrono::minutes(1)).count(), .retain_last = 1,
                                   .remove_orphans = true});
  ASSERT_TRUE(expired) << expired.error().to_string();
  EXPECT_EQ(expired->snapshots_expired, 2);
  EXPECT_FALSE(std::ranges::contains(expired->files, std::string("t/metadata/v5.metadata.json")))
      << "the metadata the expiry committed was removed as an orphan";
  auto after = on_old.load("t");
  ASSERT_TRUE(after && *after) << (after ? "no table" : after.error().to_string());
  EXPECT_EQ((*after)->metadata.snapshots.size(), 1u) << "the expiry stays committed";
  EXPECT_EQ(ids_of(**after).size(), 30u);
}

TEST_F(IcebergCommits, ACommitOnAStaleBaseIsAConflict) {
  auto created = create_table(catalog, "t", events());
  ASSERT_TRUE(created);
  TableMetadata next = created->metadata;
  next.properties["a"] = "1";
  ASSERT_TRUE(catalog.commit("t", &*created, next));
  next.properties["a"] = "2";
  auto stale = catalog.commit("t", &*created, next);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code(), ErrorCode::conflict);
  EXPECT_EQ((*catalog.load("t"))->metadata.properties.at("a"), "1");
}

TEST_F(IcebergCommits, AFailedAppendLeavesNothingBehind) {
  auto missing = rows(0, 5);
  EXPECT_EQ(append(catalog, backend, "nope", *missing).error().code(), ErrorCode::not_found);

  ASSERT_TRUE(create_table(catalog, "t", events()));
  arrow::Int64Builder id;
  (void)id.Append(1);
  auto batch = arrow::RecordBatch::Make(arrow::schema({arrow::field("id", arrow::int64(), false),
                                                       arrow::field("colour", arrow::utf8())}),
                                        1, {id.Finish().ValueOrDie(), arrow::MakeArrayOfNull(arrow::utf8(), 1).ValueOrDie()});
  auto input = arrow::RecordBatchReader::Make({batch}).ValueOrDie();
  auto refused = append(catalog, backend, "t", *input);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::schema_mismatch);
  EXPECT_NE(refused.error().message().find("colour"), std::string::npos);
  EXPECT_TRUE(backend->list("t/data/")->empty());
  EXPECT_EQ(backend->list("t/metadata/")->size(), 2u);  // v1 and the hint

  // A bad batch after good ones: the files the good ones opened are
  // abandoned unpublished.
  auto good = rows(0, 10);
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  for (std::shared_ptr<arrow::RecordBatch> b; good->ReadNext(&b).ok() && b;) batches.push_back(b);
  auto mixed = arrow::RecordBatchReader::Make({batches.front(), batch}, nullptr);
  ASSERT_TRUE(mixed.ok()) << mixed.status().ToString();
  auto half = append(catalog, backend, "t", **mixed);
  ASSERT_FALSE(half);
  EXPECT_EQ(half.error().code(), ErrorCode::schema_mismatch);
  EXPECT_TRUE(backend->list("t/data/")->empty()) << "a half-written file was published";
  EXPECT_TRUE((*catalog.load("t"))->metadata.snapshots.empty());
}

}  // namespace

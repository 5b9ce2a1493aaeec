// Tables Spark wrote with the features it turns on (label `interop`).
//
// Deletion vectors: Spark 4.2 + Delta 4.4 turn them on, and a DELETE,
// UPDATE or MERGE then commits, for every file it touches, the file again
// with a vector (the rows it no longer has) instead of a rewritten file.
// lake-orm reads them row for row as Spark reads them, through the Delta
// implementation and through the SQL engine a service or the CLI uses.
// Covered: a DELETE's vectors, a file whose vector a second DELETE
// replaced, the same state restated by checkpoints, an UPDATE's and a
// MERGE's vectors. Then our own delete and merge on such a table, which
// write deletion vectors of their own (the table enables them), and a
// vacuum keeping the vector files the files still use: we read the rows
// expected from Spark's own, and Spark and DuckDB read what we read
// (delta-rs 1.6 refuses the deletionVectors and columnMapping reader
// features, so it reads none of these tables). And a table of ours created with
// deletion vectors, changed by delete, update and merge (merge-on-read)
// and checkpointed: the three engines read it row for row.
//
// Type widening: a table whose columns Spark widened (INT to BIGINT, BYTE
// to INT, FLOAT to DOUBLE, DECIMAL(5,2) to DECIMAL(12,2)) after writing
// rows, then wrote wider ones: the older files' narrow Parquet columns and
// stats read in the new types. Then our delete, a type change of ours and
// an update beyond the old type on it: Spark and DuckDB read what we read.
//
// V2 checkpoints: UUID-named checkpoints, Parquet and JSON at the top
// level, their adds in sidecars, read as Spark reads the tables; our
// delete and a V2 checkpoint of ours on them, read by Spark and DuckDB.
//
// Liquid clustering, row tracking and in-commit timestamps: Spark's
// clustered table and its row-tracking table take our appends, an
// optimize that clusters only our files, and a delete by deletion vectors
// that keeps every row's id; a table of ours with all of them.
//
// Column mapping (name and id modes): columns, a struct field and the
// partition column renamed and a column dropped after rows were written;
// the older files read by physical name or field id. Then our delete,
// update and rename on them, and a mapped table of our own (renames, a
// drop, rows in the new shape): Spark and DuckDB read them as
// we do (all our tables in one peer process at the end: one Spark start).
#include <gtest/gtest.h>

#include <arrow/builder.h>
#include <arrow/compute/api.h>
#include <arrow/record_batch.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include <lake/arrow/convert.hpp>
#include <lake/delta/table.hpp>
#include <lake/local.hpp>
#include <lake/query.hpp>
#include <lake/schema/reflect.hpp>

#include "delta/log_replay.hpp"
#include "peer_support.hpp"

namespace {

using lake::delta::testing::run_peer;
using lake::delta::testing::TempDir;
using lake::delta::testing::write_ipc;
namespace fs = std::filesystem;
namespace cp = arrow::compute;
using namespace lake;

struct Count {
  std::int64_t n;
};

struct [[=lake::partition_by("sensor")]] Reading {
  [[=lake::pk]] std::int64_t id = 0;
  std::string sensor;
  double value = 0;
  std::optional<std::string> note;
};

struct NtzRow {
  std::int64_t n = 0;
  lake::local_timestamp at{};
  std::string label;
  lake::local_timestamp slot{};
};

struct Metric {
  [[=lake::pk]] std::int64_t id = 0;
  std::string sensor;
  double value = 0;
};

// Reading after value was renamed reading, sensor station, and note dropped.
struct [[=lake::partition_by("station")]] Renamed {
  [[=lake::pk]] std::int64_t id = 0;
  std::string station;
  double reading = 0;
};

// Spark's rows of a table (canonical JSON lines) kept where `keep` says.
std::int64_t copy_rows(const fs::path& from, const fs::path& to, const std::function<bool(std::int64_t n)>& keep) {
  std::ifstream in(from);
  std::ofstream out(to);
  std::int64_t kept = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || !keep(nlohmann::json::parse(line)["n"].get<std::int64_t>())) continue;
    out << line << '\n';
    ++kept;
  }
  return kept;
}

class SparkFeatures : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("spark-features");
    written_ = run_peer("spark_delta.py", {"write-feature-tables", dir_->path.string(),
                                           (dir_->path / "view.json").string()}) == 0;
    if (written_) view_ = nlohmann::json::parse(std::ifstream(dir_->path / "view.json"));
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(written_) << "Spark could not write the tables"; }

  static std::shared_ptr<Backend> backend() {
    auto made = file_backend(dir_->path);
    EXPECT_TRUE(made) << made.error().to_string();
    return made ? std::shared_ptr<Backend>(std::move(*made)) : nullptr;
  }

  // The table reads here as Spark read it.
  static void expect_read_as_spark_reads(const std::string& name) {
    SCOPED_TRACE(name);
    const std::int64_t rows = view_[name]["rows"].get<std::int64_t>();
    std::shared_ptr<Backend> shared = backend();
    ASSERT_NE(shared, nullptr);

    // The log replay keeps every file (each with its vector); the rows it
    // accounts for are the ones Spark reads.
    auto listing = delta::list_log(*shared, name);
    ASSERT_TRUE(listing) << listing.error().to_string();
    auto snapshot = delta::LogReplay{}.build(*shared, name, *listing, std::nullopt);
    ASSERT_TRUE(snapshot) << snapshot.error().to_string();
    EXPECT_FALSE(snapshot->files().empty());
    EXPECT_EQ(snapshot->num_records(), rows);

    auto table = delta::Table::open(shared, name);
    ASSERT_TRUE(table) << table.error().to_string();
    auto reader = table->scan();
    ASSERT_TRUE(reader) << reader.error().to_string();
    auto read = (*reader)->ToTable();
    ASSERT_TRUE(read.ok()) << read.status().ToString();
    EXPECT_EQ((*read)->num_rows(), rows);
    const fs::path ours = dir_->path / (name + "-ours.arrow");
    write_ipc(*read, ours);
    EXPECT_EQ(run_peer("table_rows.py", {"compare", ours.string(), (dir_->path / (name + ".jsonl")).string(), "n"}), 0);

    // What `lakeorm sql "SELECT count(*) FROM t"` does, and a filtered
    // count the vectors decide.
    auto db = lake::local::open(dir_->path);
    ASSERT_TRUE(db) << db.error().to_string();
    auto counted = lake::query_first<Count>(*db, std::format("SELECT count(*) AS n FROM {}", name));
    ASSERT_TRUE(counted) << counted.error().to_string();
    EXPECT_EQ(counted->n, rows);
    const std::int64_t small = copy_rows(dir_->path / (name + ".jsonl"), dir_->path / "scratch.jsonl",
                                         [](std::int64_t n) { return n < 100; });
    auto filtered = lake::query_first<Count>(*db, std::format("SELECT count(*) AS n FROM {} WHERE n < 100", name));
    ASSERT_TRUE(filtered) << filtered.error().to_string();
    EXPECT_EQ(filtered->n, small);
  }

  // The parts of the one test below (each a gtest test would be a process
  // of its own under CTest, each starting Spark again).
  static void SparksTablesWithDeletionVectorsReadAsSparkReadsThem();
  static void OurDeleteMergeAndVacuumOnSparksTableReadInSpark();
  static void OurTableWithDeletionVectorsReadsInEveryEngine();
  static void OurColumnMappedTableReadsInEveryEngine();
  static void SparksV2CheckpointedTablesReadAsSparkReadsThem();
  static void SparksClusteredAndTrackedTablesTakeOurWrites();
  static void SparksTimestampNtzTableReadsAndTakesOurRows();

  // Queues a table (as we read it, in `ours`) for Spark and DuckDB to
  // read; check_queued_tables runs them all in one process (one Spark
  // session). delta-rs 1.6 refuses tables with the deletionVectors,
  // columnMapping or v2Checkpoint reader features ("not yet supported by
  // the deltalake reader"), so it reads only the tables without them
  // (`with_delta_rs`: the clustered and the timestamp_ntz ones).
  // DuckDB's delta extension (1.5.5) reads the partition column of a
  // column-mapped table as NULL, Spark's own tables included, so under
  // column mapping it is compared without it (`unread_by_duckdb`).
  static void check_in_every_engine(const std::string& table, const fs::path& ours,
                                    const std::string& unread_by_duckdb = "", bool with_delta_rs = false) {
    checks_.push_back((dir_->path / table).string());
    checks_.push_back(ours.string());
    checks_.push_back((unread_by_duckdb.empty() ? "spark,duckdb" : "spark,duckdb!" + unread_by_duckdb) +
                      (with_delta_rs ? ",deltalake" : ""));
  }
  // What we read of `table` (directory `name`): saved as <file>.arrow and
  // queued for Spark and DuckDB (check_in_every_engine).
  struct OurReading {
    std::shared_ptr<arrow::Table> rows;
    fs::path file;
  };
  static OurReading read_for_every_engine(delta::Table& table, const std::string& name, const std::string& file,
                                          const std::string& unread_by_duckdb = "", bool with_delta_rs = false) {
    auto scanned = table.scan();
    EXPECT_TRUE(scanned) << scanned.error().to_string();
    if (!scanned) return {};
    auto read = (*scanned)->ToTable();
    EXPECT_TRUE(read.ok()) << read.status().ToString();
    if (!read.ok()) return {};
    OurReading ours{*read, dir_->path / (file + ".arrow")};
    write_ipc(*read, ours.file);
    check_in_every_engine(name, ours.file, unread_by_duckdb, with_delta_rs);
    return ours;
  }
  static void check_queued_tables() {
    ASSERT_FALSE(checks_.empty());
    std::vector<std::string> args{"check-tables"};
    args.insert(args.end(), checks_.begin(), checks_.end());
    EXPECT_EQ(run_peer("table_interop.py", args), 0);
  }
  static void SparksWidenedTableReadsAsSparkReadsIt();
  static void SparksColumnMappedTablesReadAsSparkReadsThem();

  static inline TempDir* dir_ = nullptr;
  static inline bool written_ = false;
  static inline nlohmann::json view_;
  static inline std::vector<std::string> checks_;
};

void SparkFeatures::SparksTablesWithDeletionVectorsReadAsSparkReadsThem() {
  for (const char* name : {"deleted", "redeleted", "checkpointed", "updated", "merged"})
    EXPECT_GT(view_[name]["vector_adds"].get<int>(), 0) << name << ": Spark used no deletion vector";
  expect_read_as_spark_reads("deleted");
  expect_read_as_spark_reads("redeleted");  // files whose vector a second DELETE replaced
  ASSERT_FALSE(view_["checkpointed"]["checkpoints"].empty());
  expect_read_as_spark_reads("checkpointed");
  expect_read_as_spark_reads("updated");
  expect_read_as_spark_reads("merged");
}

// Our delete and merge on Spark's table, which enables deletion vectors:
// the files they touch get a vector of ours replacing Spark's (Spark's
// rows stay deleted; a key whose row a vector deleted is not matched) and
// no data file is rewritten; a vacuum with no retention deletes nothing,
// every vector file still holding vectors of live files. Spark and DuckDB
// then read what we read.
void SparkFeatures::OurDeleteMergeAndVacuumOnSparksTableReadInSpark() {
  std::shared_ptr<Backend> shared = backend();
  ASSERT_NE(shared, nullptr);
  auto table = delta::Table::open(shared, "redeleted");
  ASSERT_TRUE(table) << table.error().to_string();
  // Part of partition 0 (n % 4 = 0): its files are rewritten, in part.
  auto deleted = table->delete_where(cp::and_(cp::equal(cp::field_ref("part"), cp::literal(0)),
                                              cp::less(cp::field_ref("n"), cp::literal(std::int64_t{1000}))));
  ASSERT_TRUE(deleted) << deleted.error().to_string();
  EXPECT_GT(deleted->deletion_vectors_added, 0);
  EXPECT_EQ(deleted->files_added, 0) << "a merge-on-read delete wrote a data file";
  auto keep = [](std::int64_t n) { return !(n % 4 == 0 && n < 1000); };
  const fs::path expected = dir_->path / "redeleted-after.jsonl";
  const std::int64_t left = copy_rows(dir_->path / "redeleted.jsonl", expected, keep);
  EXPECT_EQ(deleted->rows_deleted, view_["redeleted"]["rows"].get<std::int64_t>() - left);

  // Key 3 is live; 11 was deleted by Spark's vector (n % 10 = 1); 6000 is new.
  arrow::Int64Builder ns;
  arrow::StringBuilder labels;
  arrow::Int32Builder parts;
  for (std::int64_t n : {3, 11, 6000})
    ASSERT_TRUE(ns.Append(n).ok() && labels.Append("ours").ok() && parts.Append(static_cast<std::int32_t>(n % 4)).ok());
  auto source_batch = arrow::RecordBatch::Make(
      arrow::schema({arrow::field("n", arrow::int64()), arrow::field("label", arrow::utf8()), arrow::field("part", arrow::int32())}),
      3, {ns.Finish().ValueOrDie(), labels.Finish().ValueOrDie(), parts.Finish().ValueOrDie()});
  auto source = arrow::RecordBatchReader::Make({source_batch}).ValueOrDie();
  ASSERT_TRUE(table->refresh());
  auto merged = table->merge(*source, {.keys = {"n"}});
  ASSERT_TRUE(merged) << merged.error().to_string();
  EXPECT_EQ(merged->rows_updated, 1);
  EXPECT_EQ(merged->rows_inserted, 2);
  EXPECT_EQ(merged->deletion_vectors_added, 1);
  {
    std::map<std::int64_t, nlohmann::json> rows;
    std::ifstream in(expected);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) {
        auto row = nlohmann::json::parse(line);
        rows[row["n"].get<std::int64_t>()] = row;
      }
    for (std::int64_t n : {3, 11, 6000}) rows[n] = {{"n", n}, {"label", "ours"}, {"part", n % 4}};
    std::ofstream out(expected);
    for (const auto& [n, row] : rows) out << row.dump() << '\n';
  }

  ASSERT_TRUE(table->refresh());
  std::size_t with_vectors = 0;
  for (const auto& [key, add] : table->snapshot().files()) with_vectors += add.deletion_vector.has_value();
  EXPECT_GT(with_vectors, 0u) << "the files outside part 0 keep their vectors";
  auto vacuumed = table->vacuum({.retention = std::chrono::milliseconds(0), .allow_short_retention = true});
  ASSERT_TRUE(vacuumed) << vacuumed.error().to_string();
  // Nothing to delete: no data file was rewritten, and each of Spark's
  // vector files still holds the vectors of files we did not touch.
  EXPECT_TRUE(vacuumed->files.empty()) << "vacuum deleted " << vacuumed->files.front();

  auto ours = read_for_every_engine(*table, "redeleted", "redeleted-after");
  ASSERT_NE(ours.rows, nullptr);
  EXPECT_EQ(ours.rows->num_rows(), left + 2);
  EXPECT_EQ(run_peer("table_rows.py", {"compare", ours.file.string(), expected.string(), "n"}), 0);
}

// A table of ours with deletion vectors on, partitioned, changed by
// delete, update, merge and a second delete of rows in files that already
// have vectors, then checkpointed: Spark and DuckDB read it as we do.
void SparkFeatures::OurTableWithDeletionVectorsReadsInEveryEngine() {
  std::shared_ptr<Backend> shared = backend();
  ASSERT_NE(shared, nullptr);
  auto table = delta::Table::create(shared, "ours", schema_of<Reading>(),
                                    {.properties = {{"delta.enableDeletionVectors", "true"}}});
  ASSERT_TRUE(table) << table.error().to_string();
  for (std::int64_t first : {0, 1500}) {
    std::vector<Reading> rows;
    for (std::int64_t id = first; id < first + 1500; ++id)
      rows.push_back({.id = id, .sensor = std::format("s{}", id % 3), .value = id * 0.25, .note = std::nullopt});
    auto batch = to_record_batch(std::span<const Reading>(rows));
    ASSERT_TRUE(batch) << batch.error().to_string();
    ASSERT_TRUE(table->append(*batch));
  }
  // id % 7 == remainder, as the ids it selects.
  auto modulo_is = [](std::int64_t remainder) {
    arrow::Int64Builder ids;
    for (std::int64_t id = remainder; id < 3010; id += 7) EXPECT_TRUE(ids.Append(id).ok());
    return cp::call("is_in", {cp::field_ref("id")}, cp::SetLookupOptions(ids.Finish().ValueOrDie()));
  };
  auto deleted = table->delete_where(modulo_is(0));
  ASSERT_TRUE(deleted) << deleted.error().to_string();
  EXPECT_EQ(deleted->deletion_vectors_added, 6);
  auto updated = table->update_where(cp::and_(cp::equal(cp::field_ref("sensor"), cp::literal("s1")),
                                              cp::less(cp::field_ref("id"), cp::literal(std::int64_t{1000}))),
                                     {{"note", cp::literal("updated")}});
  ASSERT_TRUE(updated) << updated.error().to_string();
  EXPECT_EQ(updated->deletion_vectors_added, 1);
  std::vector<Reading> source;
  for (std::int64_t id = 2990; id < 3010; ++id)
    source.push_back({.id = id, .sensor = std::format("s{}", id % 3), .value = -1, .note = "merged"});
  auto source_batch = to_record_batch(std::span<const Reading>(source));
  ASSERT_TRUE(source_batch);
  auto reader = arrow::RecordBatchReader::Make({*source_batch}).ValueOrDie();
  auto merged = table->merge(*reader, {.keys = {"id"}});
  ASSERT_TRUE(merged) << merged.error().to_string();
  EXPECT_GT(merged->deletion_vectors_added, 0);
  auto again = table->delete_where(modulo_is(1));
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_GT(again->deletion_vectors_added, 0);
  ASSERT_TRUE(table->checkpoint());
  std::size_t with_vectors = 0;
  for (const auto& [key, add] : table->snapshot().files()) with_vectors += add.deletion_vector.has_value();
  EXPECT_GE(with_vectors, 6u);

  auto ours = read_for_every_engine(*table, "ours", "ours");
  ASSERT_NE(ours.rows, nullptr);
  // The merge brought 2990..3009 back whole; the second delete then took
  // every row with id % 7 == 1.
  std::int64_t expected_rows = 0;
  for (std::int64_t id = 0; id < 3010; ++id) expected_rows += id % 7 != 1 && (id >= 2990 || id % 7 != 0);
  EXPECT_EQ(ours.rows->num_rows(), expected_rows);
}

// A table of ours with column mapping on: columns
// renamed, the partition column among them, and one dropped after rows
// were written, then rows in the new shape and a delete through a renamed
// column. Spark and DuckDB read it as we do.
void SparkFeatures::OurColumnMappedTableReadsInEveryEngine() {
  std::shared_ptr<Backend> shared = backend();
  ASSERT_NE(shared, nullptr);
  auto table = delta::Table::create(shared, "ours_mapped", schema_of<Reading>(),
                                    {.properties = {{"delta.columnMapping.mode", "name"}}});
  ASSERT_TRUE(table) << table.error().to_string();
  std::vector<Reading> rows;
  for (std::int64_t id = 0; id < 300; ++id)
    rows.push_back({.id = id, .sensor = std::format("s{}", id % 3), .value = id * 0.5,
                    .note = id % 2 ? std::optional<std::string>("odd") : std::nullopt});
  auto batch = to_record_batch(std::span<const Reading>(rows));
  ASSERT_TRUE(batch);
  ASSERT_TRUE(table->append(*batch));
  ASSERT_TRUE(table->rename_column("value", "reading"));
  ASSERT_TRUE(table->rename_column("sensor", "station"));
  ASSERT_TRUE(table->drop_column("note"));
  std::vector<Renamed> more;
  for (std::int64_t id = 300; id < 400; ++id)
    more.push_back({.id = id, .station = std::format("s{}", id % 3), .reading = -1.0 * id});
  auto more_batch = to_record_batch(std::span<const Renamed>(more));
  ASSERT_TRUE(more_batch);
  ASSERT_TRUE(table->append(*more_batch));
  auto deleted = table->delete_where(cp::and_(cp::equal(cp::field_ref("station"), cp::literal("s1")),
                                              cp::less(cp::field_ref("reading"), cp::literal(50.0))));
  ASSERT_TRUE(deleted) << deleted.error().to_string();
  EXPECT_GT(deleted->rows_deleted, 0);

  auto ours = read_for_every_engine(*table, "ours_mapped", "ours_mapped", "station");
  ASSERT_NE(ours.rows, nullptr);
  EXPECT_EQ(ours.rows->num_rows(), 400 - deleted->rows_deleted);
  EXPECT_EQ(ours.rows->schema()->field_names(), (std::vector<std::string>{"id", "station", "reading", "_ingest_id"}));
}

// The widened table: read as Spark reads it, filters on the widened
// columns skip by the old files' narrow stats and still find every row;
// then our writes on it.
void SparkFeatures::SparksWidenedTableReadsAsSparkReadsIt() {
  ASSERT_EQ(view_["widened"]["reader_features"], nlohmann::json::array({"typeWidening"}));
  expect_read_as_spark_reads("widened");
  auto db = lake::local::open(dir_->path);
  ASSERT_TRUE(db) << db.error().to_string();
  for (const auto& [where, expected] : std::vector<std::pair<std::string, std::int64_t>>{
           {"n >= 5000000000", 30}, {"n < 10", 10}, {"small < 0", 20}, {"ratio = 2.5", 1},
           {"price >= 1000000", 40}, {"price = 9.75", 1}}) {
    auto counted = lake::query_first<Count>(*db, std::format("SELECT count(*) AS n FROM widened WHERE {}", where));
    ASSERT_TRUE(counted) << where << ": " << counted.error().to_string();
    EXPECT_EQ(counted->n, expected) << where;
  }

  // Our writes on it: a delete (the narrow files rewritten in the wide
  // types), a type change of our own (small, INT to BIGINT, recorded after
  // Spark's BYTE to INT) and rows beyond the old type. Spark and DuckDB
  // read what we read.
  std::shared_ptr<Backend> shared = backend();
  ASSERT_NE(shared, nullptr);
  auto table = delta::Table::open(shared, "widened");
  ASSERT_TRUE(table) << table.error().to_string();
  auto deleted = table->delete_where(cp::less(cp::field_ref("n"), cp::literal(std::int64_t{5})));
  ASSERT_TRUE(deleted) << deleted.error().to_string();
  EXPECT_EQ(deleted->rows_deleted, 5);
  auto changed = table->change_column_type("small", DataType(TypeId::int64));
  ASSERT_TRUE(changed) << changed.error().to_string();
  auto updated = table->update_where(cp::equal(cp::field_ref("n"), cp::literal(std::int64_t{7})),
                                     {{"small", cp::literal(std::int64_t{9'000'000'000})}});
  ASSERT_TRUE(updated) << updated.error().to_string();
  EXPECT_EQ(updated->rows_updated, 1);
  auto ours = read_for_every_engine(*table, "widened", "widened-after");
  ASSERT_NE(ours.rows, nullptr);
  EXPECT_EQ(ours.rows->num_rows(), view_["widened"]["rows"].get<std::int64_t>() - 5);
}

// Column mapping, name and id modes: a column, a struct field and the
// partition column renamed and a column dropped after rows were written,
// then more rows. Read as Spark reads them, the old files by their
// physical names (or field ids), partition values and stats too; filters
// on the renamed columns. Writing is refused by the feature's name.
void SparkFeatures::SparksColumnMappedTablesReadAsSparkReadsThem() {
  auto db = lake::local::open(dir_->path);
  ASSERT_TRUE(db) << db.error().to_string();
  for (const std::string name : {"mapped", "idmapped"}) {
    SCOPED_TRACE(name);
    EXPECT_EQ(view_[name]["columns"], nlohmann::json::array({"n", "title", "info", "tags", "shard"}));
    expect_read_as_spark_reads(name);
    for (const auto& [where, expected] : std::vector<std::pair<std::string, std::int64_t>>{
             {"shard = 1", 20}, {"n >= 45", 15}, {"title LIKE 'new-%'", 30}, {"info.alpha >= 50", 10},
             {"info.b = 'nb'", 30}}) {
      auto counted = lake::query_first<Count>(*db, std::format("SELECT count(*) AS n FROM {} WHERE {}", name, where));
      ASSERT_TRUE(counted) << where << ": " << counted.error().to_string();
      EXPECT_EQ(counted->n, expected) << where;
    }
    // Our writes on Spark's mapped table: a delete, an update of a renamed
    // column (its files rewritten under the physical names), then a
    // rename of our own; every engine reads what we read.
    std::shared_ptr<Backend> shared = backend();
    ASSERT_NE(shared, nullptr);
    auto table = delta::Table::open(shared, name);
    ASSERT_TRUE(table) << table.error().to_string();
    auto deleted = table->delete_where(cp::less(cp::field_ref("n"), cp::literal(std::int64_t{5})));
    ASSERT_TRUE(deleted) << deleted.error().to_string();
    EXPECT_EQ(deleted->rows_deleted, 5);
    auto updated = table->update_where(cp::equal(cp::field_ref("n"), cp::literal(std::int64_t{40})),
                                       {{"title", cp::literal("ours")}});
    ASSERT_TRUE(updated) << updated.error().to_string();
    EXPECT_EQ(updated->rows_updated, 1);
    auto renamed = table->rename_column("title", "heading");
    ASSERT_TRUE(renamed) << renamed.error().to_string();
    auto ours = read_for_every_engine(*table, name, name + "-after", "shard");
    ASSERT_NE(ours.rows, nullptr);
    EXPECT_EQ(ours.rows->num_rows(), view_[name]["rows"].get<std::int64_t>() - 5);
  }
}

// V2 checkpoints: Spark's tables with delta.checkpointPolicy = v2, whose
// latest version is a UUID-named checkpoint (Parquet or JSON at the top
// level) with the file actions in a sidecar: read from it as Spark reads
// them. Then our delete and a checkpoint of ours, a V2 one as the table's
// policy asks.
void SparkFeatures::SparksV2CheckpointedTablesReadAsSparkReadsThem() {
  for (const auto& [name, extension] : {std::pair{"v2parquet", ".parquet"}, std::pair{"v2json", ".json"}}) {
    SCOPED_TRACE(name);
    const auto& view = view_[name];
    EXPECT_EQ(view["reader_features"], nlohmann::json::array({"v2Checkpoint"}));
    bool uuid_named = false;
    for (const auto& file : view["checkpoint_files"]) {
      const std::string file_name = file.get<std::string>();
      uuid_named |= file_name.starts_with("00000000000000000006.checkpoint.") && file_name.ends_with(extension) &&
                    file_name.size() == 20 + 12 + 36 + std::string_view(extension).size();
    }
    EXPECT_TRUE(uuid_named) << view.dump();
    EXPECT_FALSE(view["sidecars"].empty()) << "Spark wrote no sidecar";
    auto listing = delta::list_log(*backend(), name);
    ASSERT_TRUE(listing);
    ASSERT_FALSE(listing->checkpoints.empty());
    EXPECT_EQ(listing->checkpoints.back().version, 6);
    expect_read_as_spark_reads(name);

    // Our delete, then a checkpoint of ours: a V2 one (the table's
    // policy), its files in a sidecar. Spark and DuckDB read what we read.
    auto table = delta::Table::open(backend(), name);
    ASSERT_TRUE(table) << table.error().to_string();
    auto deleted = table->delete_where(cp::less(cp::field_ref("n"), cp::literal(std::int64_t{5})));
    ASSERT_TRUE(deleted) << deleted.error().to_string();
    EXPECT_EQ(deleted->rows_deleted, 4);  // 0 went with Spark's DELETE of n % 7 = 0
    ASSERT_TRUE(table->checkpoint());
    auto relisted = delta::list_log(*backend(), name);
    ASSERT_TRUE(relisted);
    ASSERT_EQ(relisted->checkpoints.back().version, table->version());
    EXPECT_NE(relisted->checkpoints.back().files.front().key.find(".checkpoint."), std::string::npos);
    EXPECT_FALSE(relisted->checkpoints.back().files.front().key.ends_with(".checkpoint.parquet"))
        << "a classic checkpoint on a table whose policy is v2";
    auto ours = read_for_every_engine(*table, name, std::string(name) + "-after");
    ASSERT_NE(ours.rows, nullptr);
    EXPECT_EQ(ours.rows->num_rows(), view["rows"].get<std::int64_t>() - 4);
  }
}

// Spark's clustered table (CLUSTER BY, OPTIMIZEd) and its table with row
// tracking, in-commit timestamps and deletion vectors, read as Spark reads
// them; then our writes on them: rows appended to the clustered table and
// an optimize of ours, which clusters our files and leaves Spark's; rows
// appended to the tracked table and a delete by deletion vectors, after
// which Spark reads every row it had with the row id and commit version it
// had, our rows with ids of their own, and our commits at the in-commit
// timestamps we recorded. And a table of ours with all of these features.
void SparkFeatures::SparksClusteredAndTrackedTablesTakeOurWrites() {
  EXPECT_NE(view_["clustered"]["writer_features"].dump().find("\"clustering\""), std::string::npos)
      << view_["clustered"].dump();
  expect_read_as_spark_reads("clustered");
  expect_read_as_spark_reads("tracked");
  std::shared_ptr<Backend> shared = backend();
  ASSERT_NE(shared, nullptr);

  auto clustered = delta::Table::open(shared, "clustered");
  ASSERT_TRUE(clustered) << clustered.error().to_string();
  const auto* domain = clustered->snapshot().domain("delta.clustering");
  ASSERT_NE(domain, nullptr);
  // Spark's form of the domain is the one we write.
  EXPECT_EQ(nlohmann::json::parse(domain->configuration), view_["clustered"]["domains"]["delta.clustering"]);
  auto batch = [](std::int64_t first, std::int64_t count) {
    arrow::Int64Builder ns;
    arrow::StringBuilder labels;
    arrow::Int32Builder parts;
    for (std::int64_t n = first; n < first + count; ++n)
      EXPECT_TRUE(ns.Append(n).ok() && labels.Append(std::format("ours-{}", n)).ok() &&
                  parts.Append(static_cast<std::int32_t>(n % 3)).ok());
    return arrow::RecordBatch::Make(arrow::schema({arrow::field("n", arrow::int64()), arrow::field("label", arrow::utf8()),
                                                   arrow::field("part", arrow::int32())}),
                                    count, {ns.Finish().ValueOrDie(), labels.Finish().ValueOrDie(),
                                            parts.Finish().ValueOrDie()});
  };
  ASSERT_TRUE(clustered->append(batch(1000, 50)));
  ASSERT_TRUE(clustered->append(batch(1050, 50)));
  auto optimized = clustered->optimize();
  ASSERT_TRUE(optimized) << optimized.error().to_string();
  EXPECT_EQ(optimized->files_removed, 2) << "optimize reclustered files Spark's clustering wrote";
  std::set<std::string> providers;
  for (const auto& [key, add] : clustered->snapshot().files()) providers.insert(add.clustering_provider.value_or(""));
  EXPECT_EQ(providers, (std::set<std::string>{"liquid", "lake-orm"}));
  auto ours = read_for_every_engine(*clustered, "clustered", "clustered-after", "", true);
  ASSERT_NE(ours.rows, nullptr);
  EXPECT_EQ(ours.rows->num_rows(), view_["clustered"]["rows"].get<std::int64_t>() + 100);

  auto tracked = delta::Table::open(shared, "tracked");
  ASSERT_TRUE(tracked) << tracked.error().to_string();
  const std::int64_t first_ours = tracked->version() + 1;
  ASSERT_TRUE(tracked->append(batch(1000, 40)));
  arrow::Int64Builder threes;
  for (std::int64_t n = 3; n < 1040; n += 10) ASSERT_TRUE(threes.Append(n).ok());
  auto deleted = tracked->delete_where(
      cp::call("is_in", {cp::field_ref("n")}, cp::SetLookupOptions(threes.Finish().ValueOrDie())));
  ASSERT_TRUE(deleted) << deleted.error().to_string();
  EXPECT_GT(deleted->deletion_vectors_added, 0);
  EXPECT_EQ(deleted->files_added, 0);
  auto tracked_rows = read_for_every_engine(*tracked, "tracked", "tracked-after");
  ASSERT_NE(tracked_rows.rows, nullptr);
  EXPECT_EQ(tracked_rows.rows->num_rows(), 300 + 40 - 34);
  const fs::path ids_after = dir_->path / "tracked-ids-after.json";
  ASSERT_EQ(run_peer("spark_delta.py", {"row-ids", (dir_->path / "tracked").string(), ids_after.string()}), 0);
  const auto before = nlohmann::json::parse(std::ifstream(dir_->path / "tracked-ids.json"));
  const auto after = nlohmann::json::parse(std::ifstream(ids_after));
  std::set<std::int64_t> seen;
  for (const auto& [n, id] : after["rows"].items()) {
    EXPECT_TRUE(seen.insert(id[0].get<std::int64_t>()).second) << "row id " << id[0] << " twice (row " << n << ")";
    if (before["rows"].contains(n)) {
      EXPECT_EQ(id, before["rows"][n]) << "row " << n << " changed its row id or version";
    } else {
      EXPECT_EQ(id[1].get<std::int64_t>(), first_ours) << "row " << n;
    }
  }
  EXPECT_EQ(after["rows"].size(), 306u);
  auto history = tracked->history();
  ASSERT_TRUE(history) << history.error().to_string();
  for (const auto& entry : *history) {
    if (entry.version < first_ours) continue;
    EXPECT_EQ(after["history"][std::to_string(entry.version)].get<std::int64_t>(),
              std::chrono::duration_cast<std::chrono::milliseconds>(entry.committed_at.time_since_epoch()).count())
        << "Spark's time for our version " << entry.version;
  }

  // Ours, with every feature: row tracking, in-commit timestamps, deletion
  // vectors, V2 checkpoints and liquid clustering.
  auto all = delta::Table::create(shared, "ours_features", schema_of<Metric>(),
                                  {.properties = {{"delta.enableRowTracking", "true"},
                                                  {"delta.enableInCommitTimestamps", "true"},
                                                  {"delta.enableDeletionVectors", "true"},
                                                  {"delta.checkpointPolicy", "v2"}}});
  ASSERT_TRUE(all) << all.error().to_string();
  ASSERT_TRUE(all->cluster_by({"sensor", "id"}));
  for (std::int64_t first : {0, 600}) {
    std::vector<Metric> metrics;
    for (std::int64_t id = first; id < first + 600; ++id)
      metrics.push_back({.id = id, .sensor = std::format("s{}", id % 4), .value = id * 0.5});
    auto metric_batch = to_record_batch(std::span<const Metric>(metrics));
    ASSERT_TRUE(metric_batch);
    ASSERT_TRUE(all->append(*metric_batch));
  }
  auto removed = all->delete_where(cp::equal(cp::field_ref("sensor"), cp::literal("s1")));
  ASSERT_TRUE(removed) << removed.error().to_string();
  EXPECT_EQ(removed->deletion_vectors_added, 2);
  auto clustered_ours = all->optimize();
  ASSERT_TRUE(clustered_ours) << clustered_ours.error().to_string();
  EXPECT_EQ(clustered_ours->files_removed, 2);
  ASSERT_TRUE(all->checkpoint());
  for (const auto& [key, add] : all->snapshot().files()) {
    EXPECT_EQ(add.clustering_provider, std::optional<std::string>("lake-orm"));
    EXPECT_TRUE(add.base_row_id.has_value());
  }
  auto all_rows = read_for_every_engine(*all, "ours_features", "ours_features");
  ASSERT_NE(all_rows.rows, nullptr);
  EXPECT_EQ(all_rows.rows->num_rows(), 900);
}


// Spark's table with a TIMESTAMP_NTZ column and partition column: read as
// Spark reads it, the readings unchanged in local_timestamp members (no
// zone applied); then rows of ours, read by every engine.
void SparkFeatures::SparksTimestampNtzTableReadsAndTakesOurRows() {
  EXPECT_EQ(view_["ntz"]["reader_features"], nlohmann::json::array({"timestampNtz"}));
  expect_read_as_spark_reads("ntz");
  std::shared_ptr<Backend> shared = backend();
  ASSERT_NE(shared, nullptr);
  auto table = delta::Table::open(shared, "ntz");
  ASSERT_TRUE(table) << table.error().to_string();
  auto reader = table->scan({.filter = cp::equal(cp::field_ref("n"), cp::literal(std::int64_t{7}))});
  ASSERT_TRUE(reader) << reader.error().to_string();
  auto batch = (*reader)->ToTable().ValueOrDie()->CombineChunksToBatch().ValueOrDie();
  auto rows = from_record_batch<NtzRow>(batch);
  ASSERT_TRUE(rows) << rows.error().to_string();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().at, *parse_local_timestamp("2026-03-29 02:07:00.123456"));
  EXPECT_EQ(rows->front().slot, *parse_local_timestamp("2026-03-29 01:00:00"));
  std::vector<NtzRow> ours;
  for (std::int64_t n = 100; n < 110; ++n)
    ours.push_back({.n = n, .at = *parse_local_timestamp("2026-10-25 02:30:00") + std::chrono::seconds(n),
                    .label = "ours", .slot = *parse_local_timestamp("2026-10-25")});
  auto our_batch = to_record_batch(std::span<const NtzRow>(ours));
  ASSERT_TRUE(our_batch) << our_batch.error().to_string();
  ASSERT_TRUE(table->append(*our_batch));
  auto read = read_for_every_engine(*table, "ntz", "ntz-after", "", true);
  ASSERT_NE(read.rows, nullptr);
  EXPECT_EQ(read.rows->num_rows(), 40);
}

// One test, so that Spark (a JVM, about a minute here) writes the tables once.
TEST_F(SparkFeatures, SparksFeatureTablesReadAsSparkReadsThemAndOurWritesReadInSpark) {
  {
    SCOPED_TRACE("deletion vectors");
    SparksTablesWithDeletionVectorsReadAsSparkReadsThem();
  }
  {
    SCOPED_TRACE("our delete, merge and vacuum on a table with deletion vectors");
    OurDeleteMergeAndVacuumOnSparksTableReadInSpark();
  }
  {
    SCOPED_TRACE("our table with deletion vectors");
    OurTableWithDeletionVectorsReadsInEveryEngine();
  }
  {
    SCOPED_TRACE("our table with column mapping");
    OurColumnMappedTableReadsInEveryEngine();
  }
  {
    SCOPED_TRACE("type widening");
    SparksWidenedTableReadsAsSparkReadsIt();
  }
  {
    SCOPED_TRACE("column mapping");
    SparksColumnMappedTablesReadAsSparkReadsThem();
  }
  {
    SCOPED_TRACE("V2 checkpoints");
    SparksV2CheckpointedTablesReadAsSparkReadsThem();
  }
  {
    SCOPED_TRACE("liquid clustering, row tracking, in-commit timestamps");
    SparksClusteredAndTrackedTablesTakeOurWrites();
  }
  {
    SCOPED_TRACE("timestamp_ntz");
    SparksTimestampNtzTableReadsAndTakesOurRows();
  }
  {
    SCOPED_TRACE("our tables and our writes read by Spark and DuckDB");
    check_queued_tables();
  }
}

}  // namespace

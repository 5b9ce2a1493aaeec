// Data-file interop (label `interop`): files and stats we write are read
// by delta-rs and DuckDB's delta extension as we wrote them, and a
// partitioned table delta-rs writes reads back through read_data_file and
// scan_files as delta-rs wrote it.
#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/io/file.h>
#include <arrow/ipc/reader.h>
#include <arrow/ipc/writer.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <random>

#include <lake/arrow/convert.hpp>
#include <lake/delta/actions.hpp>
#include <lake/schema/reflect.hpp>

#include "formats/compute.hpp"
#include "delta/data_files.hpp"
#include "delta/log_replay.hpp"
#include "delta/scan.hpp"
#include "delta/schema_json.hpp"
#include "delta/table_layout.hpp"

#include "peer_support.hpp"

namespace {

using lake::delta::testing::run_peer;
using lake::delta::testing::read_ipc;
using lake::delta::testing::TempDir;
using lake::delta::testing::write_ipc;

using namespace lake;
using namespace lake::delta;
namespace cp = arrow::compute;
namespace fs = std::filesystem;

struct Address {
  std::optional<std::string> city;
  std::optional<std::int32_t> zip;
};

struct Event {
  [[=lake::pk]] std::int64_t id = 0;
  std::optional<std::string> name;
  std::optional<lake::decimal<12, 2>> amount;
  std::optional<lake::timestamp> at;
  lake::date day;                     // partition
  std::optional<std::string> region;  // partition: NULLs and a value to escape
  std::optional<lake::date> due;
  std::optional<double> score;
  std::optional<bool> flag;
  std::vector<std::string> tags;
  std::map<std::string, std::int64_t> counts;
  std::optional<Address> address;
};

std::vector<Event> make_events(std::int64_t first, std::int64_t count) {
  static const std::optional<std::string> kRegions[] = {"north", "a b/c=d%", std::nullopt, "\xc3\xbcn\xc3\xaf"};
  std::vector<Event> events;
  for (std::int64_t i = first; i < first + count; ++i) {
    Event e;
    e.id = i;
    if (i % 7 != 0) e.name = "name-" + std::to_string(i) + std::string(static_cast<std::size_t>(i % 40), 'x');
    if (i % 5 != 0) e.amount = lake::decimal<12, 2>::from_unscaled(i * 137 - 5000);
    if (i % 6 != 0) e.at = lake::timestamp(std::chrono::microseconds(1'704'067'200'000'000 + i * 1'234'567));
    e.day = lake::date(std::chrono::year(2024) / 1 / 1) + std::chrono::days(i % 3);
    e.region = kRegions[i % 4];
    if (i % 9 != 0) e.due = lake::date(std::chrono::year(2025) / 6 / 1) + std::chrono::days(i % 17);
    if (i % 3 != 0) e.score = static_cast<double>(i) * 0.25;
    if (i % 4 != 0) e.flag = i % 2 == 0;
    for (std::int64_t t = 0; t < i % 3; ++t) e.tags.push_back("t" + std::to_string(t));
    e.counts["n"] = i;
    if (i % 8 != 0) e.address = Address{"city" + std::to_string(i % 5), static_cast<std::int32_t>(i)};
    events.push_back(std::move(e));
  }
  return events;
}

std::shared_ptr<arrow::Table> sorted_by_id(const std::shared_ptr<arrow::Table>& table) {
  auto indices = cp::SortIndices(arrow::Datum(table), cp::SortOptions({cp::SortKey("id")}));
  EXPECT_TRUE(indices.ok()) << indices.status().ToString();
  auto sorted = cp::Take(arrow::Datum(table), arrow::Datum(*indices));
  EXPECT_TRUE(sorted.ok()) << sorted.status().ToString();
  return *sorted->table()->CombineChunks();
}

void expect_same_rows(const std::shared_ptr<arrow::Table>& actual, const std::shared_ptr<arrow::Table>& expected) {
  ASSERT_TRUE(actual->schema()->Equals(*expected->schema())) << actual->schema()->ToString() << "\nvs\n"
                                                             << expected->schema()->ToString();
  ASSERT_EQ(actual->num_rows(), expected->num_rows());
  for (int i = 0; i < expected->num_columns(); ++i)
    EXPECT_TRUE(actual->column(i)->Equals(*expected->column(i), arrow::EqualOptions::Defaults().nans_equal(true)))
        << "column " << expected->field(i)->name() << "\nactual:   " << actual->column(i)->ToString().substr(0, 1500)
        << "\nexpected: " << expected->column(i)->ToString().substr(0, 1500);
}

TEST(DataFilesInterop, DeltaRsAndDuckDbReadOurFilesAndStats) {
  ASSERT_TRUE(lake::formats::ensure_compute_initialized());
  TempDir dir("data-files-interop");
  const fs::path table_dir = dir.path / "table";
  auto backend = file_backend(table_dir);
  ASSERT_TRUE(backend) << backend.error().to_string();

  Metadata metadata;
  metadata.id = IngestId::generate().to_string();
  metadata.schema_string = to_schema_string(lake::schema_of<Event>());
  metadata.partition_columns = {"day", "region"};
  metadata.created_time = 1'750'000'000'000;
  // The layout as layout_of derives it from a snapshot of this metadata.
  TableLayout layout;
  layout.columns = *parse_schema_string(metadata.schema_string);
  layout.partition_columns = metadata.partition_columns;
  Schema columns;
  columns.fields = layout.columns;
  layout.arrow_schema = lake::to_arrow_schema(columns, false);

  const auto ingest_id = IngestId::generate();
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  for (int b = 0; b < 3; ++b) {
    auto events = make_events(b * 200, 200);
    auto batch = lake::to_record_batch(std::span<const Event>(events), {.ingest_id = ingest_id});
    ASSERT_TRUE(batch) << batch.error().to_string();
    batches.push_back(*batch);
  }
  auto input = *arrow::RecordBatchReader::Make(batches, batches.front()->schema());
  auto adds = write_data_files(**backend, layout, *input);
  ASSERT_TRUE(adds) << adds.error().to_string();

  std::vector<Action> actions{Protocol{1, 2, {}, {}}, metadata};
  for (const auto& add : *adds) actions.emplace_back(add);
  ASSERT_TRUE((*backend)->put_text(commit_key("", 0), to_commit_text(actions), PutMode::create));

  // Our own replay sees the layout we wrote with.
  auto listing = list_log(**backend, "");
  ASSERT_TRUE(listing);
  auto snapshot = LogReplay{}.build(**backend, "", *listing, std::nullopt);
  ASSERT_TRUE(snapshot) << snapshot.error().to_string();
  auto replayed = layout_of("", *snapshot);
  ASSERT_TRUE(replayed) << replayed.error().to_string();
  EXPECT_TRUE(replayed->arrow_schema->Equals(*layout.arrow_schema));

  write_ipc(*arrow::Table::FromRecordBatches(batches), dir.path / "expected.arrow");
  EXPECT_EQ(run_peer("data_files_interop.py", {"read-ours", table_dir.string(), (dir.path / "expected.arrow").string()}), 0);
}

TEST(DataFilesInterop, WeReadWhatDeltaRsWrites) {
  ASSERT_TRUE(lake::formats::ensure_compute_initialized());
  TempDir dir("data-files-interop");
  const fs::path table_dir = dir.path / "table";
  ASSERT_EQ(run_peer("data_files_interop.py", {"write-delta-rs", table_dir.string(), (dir.path / "expected.arrow").string()}), 0);

  auto backend = file_backend(table_dir);
  ASSERT_TRUE(backend) << backend.error().to_string();
  auto listing = list_log(**backend, "");
  ASSERT_TRUE(listing);
  auto snapshot = LogReplay{}.build(**backend, "", *listing, std::nullopt);
  ASSERT_TRUE(snapshot) << snapshot.error().to_string();
  ASSERT_TRUE(snapshot->check_readable());
  auto layout = layout_of("", *snapshot);
  ASSERT_TRUE(layout) << layout.error().to_string();

  // delta-rs's Arrow types name list elements differently; otherwise the
  // expected rows already have the table's types.
  auto raw = read_ipc(dir.path / "expected.arrow");
  arrow::ChunkedArrayVector columns;
  for (const auto& field : layout->arrow_schema->fields()) {
    auto column = raw->GetColumnByName(field->name());
    ASSERT_NE(column, nullptr) << field->name();
    auto cast = cp::Cast(arrow::Datum(column), field->type());
    ASSERT_TRUE(cast.ok()) << field->name() << ": " << cast.status().ToString();
    columns.push_back(cast->chunked_array());
  }
  auto expected = sorted_by_id(arrow::Table::Make(layout->arrow_schema, columns));

  std::vector<Add> files;
  std::vector<std::shared_ptr<arrow::Table>> tables;
  for (const auto& [file, add] : snapshot->files()) {
    files.push_back(add);
    auto table = read_data_file(**backend, *layout, add);
    ASSERT_TRUE(table) << table.error().to_string();
    tables.push_back(*table);
  }
  ASSERT_FALSE(files.empty());
  expect_same_rows(sorted_by_id(*arrow::ConcatenateTables(tables)), expected);

  // A filtered scan (skipping on delta-rs's partition values and stats)
  // returns exactly the rows the filter holds for.
  auto filter = cp::and_({cp::greater(cp::field_ref("amount"),
                                      cp::literal(std::make_shared<arrow::Decimal128Scalar>(arrow::Decimal128(20000),
                                                                                            arrow::decimal128(12, 2)))),
                          cp::equal(cp::field_ref("region"), cp::literal("a b/c=d%")),
                          cp::less(cp::field_ref("at"), cp::literal(std::make_shared<arrow::TimestampScalar>(
                                                             1'704'067'200'000'000 + 400 * 1'234'567,
                                                             arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"))))});
  ScanOptions options;
  options.filter = filter;
  auto reader = scan_files(std::shared_ptr<Backend>(std::move(*backend)), *layout, files, options);
  ASSERT_TRUE(reader) << reader.error().to_string();
  auto scanned = (*reader)->ToTable();
  ASSERT_TRUE(scanned.ok()) << scanned.status().ToString();

  auto bound = filter.Bind(*expected->schema());
  ASSERT_TRUE(bound.ok());
  auto batch = *expected->CombineChunksToBatch();
  auto mask = cp::ExecuteScalarExpression(*bound, cp::ExecBatch(*batch));
  ASSERT_TRUE(mask.ok()) << mask.status().ToString();
  auto kept = cp::Filter(batch, *mask);
  ASSERT_TRUE(kept.ok());
  auto expected_filtered = *arrow::Table::FromRecordBatches({kept->record_batch()});
  ASSERT_GT(expected_filtered->num_rows(), 0);
  expect_same_rows(sorted_by_id(*scanned), sorted_by_id(expected_filtered));
}

}  // namespace

// Writing and reading Delta data files: Parquet layout, Hive partition
// directories, per-file stats, file rolling, input validation and cleanup,
// and reading files other writers produce; over the memory and file
// backends.
#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/json/from_string.h>
#include <gtest/gtest.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/writer.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include <lake/arrow/convert.hpp>
#include <lake/delta/actions.hpp>
#include <lake/schema/reflect.hpp>
#include <lake/storage/arrow_io.hpp>

#include "formats/compute.hpp"
#include "delta/data_files.hpp"
#include "delta/log_replay.hpp"
#include "delta/partition_values.hpp"
#include "delta/scan.hpp"
#include "delta/schema_json.hpp"
#include "delta/table_layout.hpp"
#include "table_support.hpp"

namespace {

using namespace lake;
using namespace lake::delta;
using lake::delta::testing::batch_of;
using lake::delta::testing::layout_of_type;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

struct Address {
  std::optional<std::string> city;
  std::optional<std::int32_t> zip;
  friend bool operator==(const Address&, const Address&) = default;
};

struct Row {
  [[=lake::pk]] std::int64_t id = 0;
  std::optional<std::string> name;
  std::optional<lake::decimal<10, 2>> amount;
  std::optional<lake::timestamp> at;
  std::optional<lake::date> day;
  std::optional<double> score;
  std::optional<bool> flag;
  std::vector<std::string> tags;
  std::map<std::string, std::int32_t> attrs;
  std::optional<Address> address;
  lake::bytes blob;
  std::optional<std::string> country;
  std::int32_t bucket = 0;
};

// Country values: plain, one that needs escaping in a directory name, and
// one outside ASCII; every tenth row has a NULL country.
const std::string kCountries[] = {"US", "GB", "a b/c=d%", "\xc3\xbcn\xc3\xaf"};

std::vector<Row> make_rows(std::int64_t first, std::int64_t count) {
  std::vector<Row> rows;
  for (std::int64_t i = first; i < first + count; ++i) {
    Row r;
    r.id = i;
    if (i % 7 != 0) r.name = "name-" + std::to_string(i);
    if (i % 5 != 0) r.amount = lake::decimal<10, 2>::from_unscaled(i * 137 - 5000);
    if (i % 6 != 0) r.at = lake::timestamp(std::chrono::microseconds(1'700'000'000'000'000 + i * 1'234'567));
    if (i % 11 != 0) r.day = lake::date(std::chrono::year(2024) / 1 / 1) + std::chrono::days(i % 3);
    if (i % 9 != 0) r.score = static_cast<double>(i) * 0.5;
    if (i % 4 != 0) r.flag = i % 2 == 0;
    for (std::int64_t t = 0; t < i % 3; ++t) r.tags.push_back("t" + std::to_string(t));
    r.attrs["k"] = static_cast<std::int32_t>(i);
    if (i % 8 != 0)
      r.address = Address{"city" + std::to_string(i % 5),
                          i % 10 == 0 ? std::nullopt : std::optional<std::int32_t>(static_cast<std::int32_t>(i))};
    r.blob = {std::byte(i & 0xff)};
    if (i % 10 != 3) r.country = kCountries[i % 4];
    r.bucket = static_cast<std::int32_t>(i % 3);
    rows.push_back(std::move(r));
  }
  return rows;
}

std::shared_ptr<arrow::RecordBatchReader> reader_of(std::vector<std::shared_ptr<arrow::RecordBatch>> batches) {
  auto schema = batches.front()->schema();
  return *arrow::RecordBatchReader::Make(std::move(batches), schema);
}

std::shared_ptr<arrow::Table> sorted_by_id(const std::shared_ptr<arrow::Table>& table) {
  auto indices = arrow::compute::SortIndices(arrow::Datum(table),
                                             arrow::compute::SortOptions({arrow::compute::SortKey("id")}));
  EXPECT_TRUE(indices.ok()) << indices.status().ToString();
  auto sorted = arrow::compute::Take(arrow::Datum(table), arrow::Datum(*indices));
  EXPECT_TRUE(sorted.ok()) << sorted.status().ToString();
  return *sorted->table()->CombineChunks();
}

std::shared_ptr<arrow::Table> table_of(const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches) {
  return *arrow::Table::FromRecordBatches(batches);
}

std::shared_ptr<arrow::Table> read_all(Backend& backend, const TableLayout& layout, const std::vector<Add>& adds) {
  std::vector<std::shared_ptr<arrow::Table>> tables;
  for (const auto& add : adds) {
    auto table = read_data_file(backend, layout, add);
    EXPECT_TRUE(table) << table.error().to_string();
    if (table) tables.push_back(*table);
  }
  if (tables.empty()) return nullptr;
  return sorted_by_id(*arrow::ConcatenateTables(tables));
}

// Table equality, reporting which columns differ.
void expect_same_rows(const std::shared_ptr<arrow::Table>& actual, const std::shared_ptr<arrow::Table>& expected) {
  ASSERT_NE(actual, nullptr);
  ASSERT_TRUE(actual->schema()->Equals(*expected->schema())) << actual->schema()->ToString() << "\nvs\n"
                                                             << expected->schema()->ToString();
  ASSERT_EQ(actual->num_rows(), expected->num_rows());
  for (int i = 0; i < expected->num_columns(); ++i)
    EXPECT_TRUE(actual->column(i)->Equals(*expected->column(i)))
        << "column " << expected->field(i)->name() << "\nactual:   " << actual->column(i)->ToString().substr(0, 1500)
        << "\nexpected: " << expected->column(i)->ToString().substr(0, 1500);
}

std::int64_t records_in(const Add& add) {
  EXPECT_TRUE(add.stats.has_value());
  return nlohmann::json::parse(*add.stats)["numRecords"].get<std::int64_t>();
}

// The parquet metadata of a written file.
std::shared_ptr<parquet::FileMetaData> parquet_metadata(Backend& backend, const std::string& key) {
  auto input = lake::open_arrow_input(backend, key);
  EXPECT_TRUE(input) << input.error().to_string();
  auto reader = parquet::ParquetFileReader::Open(*input);
  return reader->metadata();
}

std::vector<std::string> object_keys(Backend& backend) {
  std::vector<std::string> keys;
  auto objects = backend.list("");
  EXPECT_TRUE(objects) << objects.error().to_string();
  for (const auto& o : *objects) keys.push_back(o.key);
  return keys;
}

void expect_schema_mismatch(const Result<std::vector<Add>>& result, std::string_view column);

enum class BackendKind { memory, file };

class DataFilesTest : public ::testing::TestWithParam<BackendKind> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(lake::formats::ensure_compute_initialized());
    if (GetParam() == BackendKind::memory) {
      backend_ = memory_backend();
      return;
    }
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("lake-data-files-" + std::to_string(rd()));
    auto backend = file_backend(dir_);
    ASSERT_TRUE(backend) << backend.error().to_string();
    backend_ = std::move(*backend);
  }
  void TearDown() override {
    backend_.reset();
    if (!dir_.empty()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }

  Result<std::vector<Add>> write(const TableLayout& layout, std::vector<std::shared_ptr<arrow::RecordBatch>> batches,
                                 const DataFileOptions& options = {}) {
    auto input = reader_of(std::move(batches));
    return write_data_files(*backend_, layout, *input, options);
  }

  std::shared_ptr<Backend> backend_;
  fs::path dir_;
};

INSTANTIATE_TEST_SUITE_P(Backends, DataFilesTest, ::testing::Values(BackendKind::memory, BackendKind::file),
                         [](const auto& param) { return param.param == BackendKind::memory ? "memory" : "file"; });

TEST_P(DataFilesTest, UnpartitionedRowsRoundTrip) {
  auto layout = layout_of_type<Row>({});
  auto rows = make_rows(0, 1000);
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches{batch_of(std::vector<Row>(rows.begin(), rows.begin() + 300)),
                                                           batch_of(std::vector<Row>(rows.begin() + 300, rows.begin() + 600)),
                                                           batch_of(std::vector<Row>(rows.begin() + 600, rows.end()))};
  const auto before = std::chrono::system_clock::now();
  auto adds = write(layout, batches);
  ASSERT_TRUE(adds) << adds.error().to_string();
  ASSERT_EQ(adds->size(), 1u);
  const Add& add = adds->front();
  EXPECT_TRUE(std::regex_match(add.path, std::regex("part-00000-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}-c000\\.zstd\\.parquet")))
      << add.path;
  EXPECT_TRUE(add.partition_values.empty());
  EXPECT_TRUE(add.data_change);
  EXPECT_EQ(records_in(add), 1000);
  auto ms = [](auto t) { return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count(); };
  EXPECT_GE(add.modification_time, ms(before));
  EXPECT_LE(add.modification_time, ms(std::chrono::system_clock::now()));
  auto info = backend_->head("t/" + add.path);
  ASSERT_TRUE(info) << info.error().to_string();
  EXPECT_EQ(add.size, info->size);

  auto metadata = parquet_metadata(*backend_, "t/" + add.path);
  ASSERT_GE(metadata->num_row_groups(), 1);
  EXPECT_EQ(metadata->RowGroup(0)->ColumnChunk(0)->compression(), parquet::Compression::ZSTD);

  expect_same_rows(read_all(*backend_, layout, *adds), sorted_by_id(table_of(batches)));
}

TEST_P(DataFilesTest, PartitionedRowsGoToHiveDirectories) {
  auto layout = layout_of_type<Row>({"country", "bucket", "day"});
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  for (int b = 0; b < 4; ++b) batches.push_back(batch_of(make_rows(b * 500, 500)));
  auto adds = write(layout, batches);
  ASSERT_TRUE(adds) << adds.error().to_string();

  // One file per distinct (country, bucket, day).
  std::set<std::tuple<std::optional<std::string>, std::int32_t, std::optional<std::string>>> expected_partitions;
  for (const auto& r : make_rows(0, 2000))
    expected_partitions.emplace(r.country, r.bucket,
                                r.day ? std::optional<std::string>(format_date(*r.day)) : std::nullopt);
  EXPECT_EQ(adds->size(), expected_partitions.size());

  std::int64_t total = 0;
  bool saw_escaped = false, saw_null = false, saw_unicode = false;
  for (const auto& add : *adds) {
    total += records_in(add);
    ASSERT_EQ(add.partition_values.size(), 3u);
    const auto& country = add.partition_values.at("country");
    const auto& bucket = add.partition_values.at("bucket");
    const auto& day = add.partition_values.at("day");
    ASSERT_TRUE(bucket.has_value());
    std::string directory = hive_directory("country", country) + "/bucket=" + *bucket + "/" +
                            (day ? "day=" + *day : std::string("day=__HIVE_DEFAULT_PARTITION__"));
    auto decoded = decode_path(add.path);
    ASSERT_TRUE(decoded);
    EXPECT_TRUE(decoded->starts_with(directory + "/part-")) << *decoded << " vs " << directory;
    EXPECT_EQ(add.path, encode_path(*decoded));
    if (country == "a b/c=d%") {
      saw_escaped = true;
      EXPECT_TRUE(add.path.starts_with("country=a%20b%252Fc%253Dd%2525/bucket=")) << add.path;
    }
    if (!country) {
      saw_null = true;
      EXPECT_TRUE(add.path.starts_with("country=__HIVE_DEFAULT_PARTITION__/")) << add.path;
    }
    if (country == kCountries[3]) {
      saw_unicode = true;
      EXPECT_TRUE(add.path.starts_with("country=%C3%BCn%C3%AF/")) << add.path;
    }
    if (day) {
      EXPECT_TRUE(std::regex_match(*day, std::regex("2024-01-0[123]"))) << *day;
    }
    // The file holds the data columns only, and its stats skip the
    // partition columns.
    auto key = layout.key_of(add.path);
    ASSERT_TRUE(key) << key.error().to_string();
    auto metadata = parquet_metadata(*backend_, *key);
    for (int c = 0; c < metadata->schema()->num_columns(); ++c) {
      std::string top = metadata->schema()->Column(c)->path()->ToDotVector().front();
      EXPECT_NE(top, "country");
      EXPECT_NE(top, "bucket");
      EXPECT_NE(top, "day");
    }
    auto stats = nlohmann::json::parse(*add.stats);
    EXPECT_FALSE(stats["nullCount"].contains("country"));
    EXPECT_TRUE(stats["nullCount"].contains("name"));
  }
  EXPECT_TRUE(saw_escaped && saw_null && saw_unicode);
  EXPECT_EQ(total, 2000);
  expect_same_rows(read_all(*backend_, layout, *adds), sorted_by_id(table_of(batches)));
}

struct Place {
  std::optional<std::string> city;
  std::optional<std::int32_t> zip;
};
struct StatsRow {
  [[=lake::pk]] std::int64_t id = 0;
  std::optional<std::string> name;
  std::optional<lake::timestamp> at;
  std::optional<lake::decimal<10, 2>> amount;
  Place place;
  std::optional<std::int64_t> nothing;
  lake::date day;
  bool flag = false;
  std::vector<std::int32_t> list;
  lake::bytes blob;
  std::optional<double> score;
};

lake::timestamp at_utc(std::string_view text) { return *lake::parse_timestamp(text); }

std::vector<StatsRow> stats_rows() {
  StatsRow a;
  a.id = 3;
  a.name = std::string(40, 'b');
  a.at = at_utc("2024-01-01T00:00:00.000001Z");
  a.amount = *lake::decimal<10, 2>::parse("123.45");
  a.place = {"Amsterdam", 1011};
  a.day = *lake::parse_date("2024-03-01");
  a.flag = true;
  a.list = {1, 2};
  a.blob = {std::byte{1}};
  a.score = 1.5;
  StatsRow b;
  b.id = -7;
  b.name = std::string(35, 'a');
  b.at = at_utc("2024-06-30T23:59:59.999001Z");
  b.amount = *lake::decimal<10, 2>::parse("-0.05");
  b.day = *lake::parse_date("2023-12-31");
  b.flag = false;
  StatsRow c;
  c.id = 10;
  c.place = {"Zwolle", 8000};
  c.day = *lake::parse_date("2024-02-29");
  c.flag = true;
  c.list = {3};
  c.blob = {std::byte{2}, std::byte{3}};
  c.score = -2.25;
  return {a, b, c};
}

constexpr std::string_view kExpectedStats =
    R"({"numRecords":3,)"
    R"("minValues":{"id":-7,"name":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","at":"2024-01-01T00:00:00.000Z",)"
    R"("amount":-0.05,"place":{"city":"Amsterdam","zip":1011},"day":"2023-12-31","flag":false,"score":-2.25},)"
    R"("maxValues":{"id":10,"at":"2024-07-01T00:00:00.000Z","amount":123.45,"place":{"city":"Zwolle","zip":8000},)"
    R"("day":"2024-03-01","flag":true,"score":1.5},)"
    R"("nullCount":{"id":0,"name":1,"at":1,"amount":1,"place":{"city":1,"zip":1},"nothing":3,"day":0,"flag":0,)"
    R"("list":0,"blob":0,"score":1}})";

TEST_P(DataFilesTest, StatsAreExact) {
  auto layout = layout_of_type<StatsRow>({});
  auto batch = batch_of(stats_rows());
  auto stats = compute_stats(layout, *batch);
  ASSERT_TRUE(stats) << stats.error().to_string();
  EXPECT_EQ(*stats, kExpectedStats);
  EXPECT_TRUE(nlohmann::json::accept(*stats));

  // The writer accumulates the same stats across batches.
  auto rows = stats_rows();
  auto adds = write(layout, {batch_of(std::vector<StatsRow>{rows[0]}), batch_of(std::vector<StatsRow>{rows[1], rows[2]})});
  ASSERT_TRUE(adds) << adds.error().to_string();
  ASSERT_EQ(adds->size(), 1u);
  EXPECT_EQ(adds->front().stats, std::string(kExpectedStats));
}

TEST_P(DataFilesTest, StatsCoverOnlyTheIndexedLeafColumns) {
  auto layout = layout_of_type<StatsRow>({});
  layout.stats_columns = 6;  // id, name, at, amount, place.city, place.zip
  auto stats = compute_stats(layout, *batch_of(stats_rows()));
  ASSERT_TRUE(stats) << stats.error().to_string();
  auto json = nlohmann::json::parse(*stats);
  EXPECT_EQ(json["nullCount"].dump(), R"({"amount":1,"at":1,"id":0,"name":1,"place":{"city":1,"zip":1}})");
  layout.stats_columns = 0;
  EXPECT_EQ(*compute_stats(layout, *batch_of(stats_rows())),
            R"({"numRecords":3,"minValues":{},"maxValues":{},"nullCount":{}})");
}

struct Measure {
  [[=lake::pk]] std::int64_t id = 0;
  std::optional<double> value;
  std::optional<float> ratio;
};

TEST_P(DataFilesTest, FloatBoundsAreLeftOutWhenTheyCannotHold) {
  auto layout = layout_of_type<Measure>({});
  std::vector<Measure> rows{{1, 0.5, 0.1f}, {2, std::nan(""), -0.25f}, {3, std::nullopt, std::nullopt}};
  auto stats = compute_stats(layout, *batch_of(rows));
  ASSERT_TRUE(stats) << stats.error().to_string();
  // NaN: no bounds for `value`; a float is written as the double it is,
  // so readers parsing a double still get a bound that holds.
  EXPECT_EQ(*stats, R"({"numRecords":3,"minValues":{"id":1,"ratio":-0.25},)"
                    R"("maxValues":{"id":3,"ratio":0.10000000149011612},)"
                    R"("nullCount":{"id":0,"value":1,"ratio":1}})");
  rows[1].value = std::numeric_limits<double>::infinity();
  EXPECT_EQ(*compute_stats(layout, *batch_of(rows)),
            R"({"numRecords":3,"minValues":{"id":1,"value":0.5,"ratio":-0.25},)"
            R"("maxValues":{"id":3,"ratio":0.10000000149011612},)"
            R"("nullCount":{"id":0,"value":1,"ratio":1}})");
}

struct Payload {
  [[=lake::pk]] std::int64_t id = 0;
  std::string payload;
};

TEST_P(DataFilesTest, FilesRollAtTheTargetSize) {
  auto layout = layout_of_type<Payload>({});
  std::mt19937_64 random(42);
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  std::int64_t id = 0;
  for (int b = 0; b < 4; ++b) {
    std::vector<Payload> rows;
    for (int i = 0; i < 5000; ++i) {
      std::string text(96, ' ');
      for (char& c : text) c = "0123456789abcdef"[random() % 16];
      rows.push_back({id++, std::move(text)});
    }
    batches.push_back(batch_of(rows));
  }
  DataFileOptions options;
  options.target_file_bytes = 200 * 1024;
  options.row_group_rows = 1000;
  auto adds = write(layout, batches, options);
  ASSERT_TRUE(adds) << adds.error().to_string();
  ASSERT_GE(adds->size(), 4u);
  std::int64_t total = 0;
  for (std::size_t i = 0; i < adds->size(); ++i) {
    const Add& add = (*adds)[i];
    total += records_in(add);
    EXPECT_TRUE(add.path.starts_with(std::format("part-{:05}-", i))) << add.path;
    if (i + 1 < adds->size()) {
      EXPECT_GE(add.size, options.target_file_bytes * 8 / 10) << "file " << i;
      EXPECT_LE(add.size, options.target_file_bytes * 13 / 10) << "file " << i;
    }
    auto metadata = parquet_metadata(*backend_, "t/" + add.path);
    for (int g = 0; g < metadata->num_row_groups(); ++g) {
      EXPECT_LE(metadata->RowGroup(g)->num_rows(), 1000);
      EXPECT_GT(metadata->RowGroup(g)->num_rows(), 0);
    }
  }
  EXPECT_EQ(total, 20000);
  expect_same_rows(read_all(*backend_, layout, *adds), sorted_by_id(table_of(batches)));
}

// Encoding a row group's columns on several threads changes nothing in
// the files: the same files, byte for byte, in the same order, rolled at
// the same rows, partitioned or not.
TEST_P(DataFilesTest, WriterThreadsWriteTheSameBytes) {
  std::mt19937_64 random(7);
  std::vector<std::shared_ptr<arrow::RecordBatch>> payloads;
  std::int64_t id = 0;
  for (int b = 0; b < 3; ++b) {
    std::vector<Payload> rows;
    for (int i = 0; i < 4000; ++i) {
      std::string text(64, ' ');
      for (char& c : text) c = "0123456789abcdef"[random() % 16];
      rows.push_back({id++, std::move(text)});
    }
    payloads.push_back(batch_of(rows));
  }
  std::vector<std::shared_ptr<arrow::RecordBatch>> partitioned;
  for (int b = 0; b < 3; ++b) partitioned.push_back(batch_of(make_rows(b * 700, 700)));

  for (const auto& [layout, batches] : {std::pair{layout_of_type<Payload>({}), payloads},
                                        std::pair{layout_of_type<Row>({"country"}), partitioned}}) {
    std::vector<std::vector<std::vector<std::byte>>> files_by_threads;
    for (int threads : {1, 3}) {
      DataFileOptions options;
      options.target_file_bytes = 120 * 1024;
      options.row_group_rows = 1500;
      options.writer_threads = threads;
      auto adds = write(layout, batches, options);
      ASSERT_TRUE(adds) << adds.error().to_string();
      auto& files = files_by_threads.emplace_back();
      for (const Add& add : *adds) {
        auto bytes = backend_->get("t/" + *lake::delta::decode_path(add.path));
        ASSERT_TRUE(bytes) << bytes.error().to_string();
        files.push_back(std::move(*bytes));
      }
      std::int64_t rows = 0;
      for (const Add& add : *adds) rows += records_in(add);
      EXPECT_EQ(rows, table_of(batches)->num_rows());
      if (layout.partition_columns.empty())
        expect_same_rows(read_all(*backend_, layout, *adds), sorted_by_id(table_of(batches)));
    }
    ASSERT_EQ(files_by_threads[0].size(), files_by_threads[1].size());
    EXPECT_GT(files_by_threads[0].size(), 1u);
    for (std::size_t i = 0; i < files_by_threads[0].size(); ++i)
      EXPECT_TRUE(files_by_threads[0][i] == files_by_threads[1][i]) << "file " << i << " differs";
  }
}

TEST_P(DataFilesTest, EmptyInputWritesNothing) {
  auto layout = layout_of_type<Payload>({});
  auto empty = batch_of(std::vector<Payload>{});
  auto adds = write(layout, {empty});
  ASSERT_TRUE(adds) << adds.error().to_string();
  EXPECT_TRUE(adds->empty());
  EXPECT_TRUE(object_keys(*backend_).empty());
  // Even without rows, the input's columns must be the table's.
  expect_schema_mismatch(write(layout, {*empty->RemoveColumn(1)}), "payload");
}

std::shared_ptr<arrow::RecordBatch> with_column(const std::shared_ptr<arrow::RecordBatch>& batch,
                                                const std::string& name, std::shared_ptr<arrow::Array> values) {
  int index = batch->schema()->GetFieldIndex(name);
  auto field = arrow::field(name, values->type(), true);
  if (index < 0) return *batch->AddColumn(batch->num_columns(), field, values);
  return *batch->SetColumn(index, field, values);
}

void expect_schema_mismatch(const Result<std::vector<Add>>& result, std::string_view column) {
  ASSERT_FALSE(result) << "expected an error naming " << column;
  EXPECT_EQ(result.error().code(), ErrorCode::schema_mismatch) << result.error().to_string();
  EXPECT_NE(result.error().message().find(std::format("'{}'", column)), std::string::npos)
      << result.error().to_string();
}

TEST_P(DataFilesTest, InputNotMatchingTheTableIsRefusedAndLeavesNothing) {
  auto layout = layout_of_type<Row>({"country"});
  auto batch = batch_of(make_rows(0, 50));

  expect_schema_mismatch(write(layout, {*batch->RemoveColumn(batch->schema()->GetFieldIndex("name"))}), "name");
  expect_schema_mismatch(write(layout, {with_column(batch, "bogus", batch->column(0))}), "bogus");
  auto id_as_int64 = batch->GetColumnByName("bucket");
  auto widened = *arrow::compute::Cast(*id_as_int64, arrow::int64());
  expect_schema_mismatch(write(layout, {with_column(batch, "bucket", widened)}), "bucket");
  auto ids_with_null = *arrow::json::ArrayFromJSONString(arrow::int64(), "[1, null]");
  auto short_batch = batch->Slice(0, 2);
  expect_schema_mismatch(write(layout, {with_column(short_batch, "id", ids_with_null)}), "id");
  auto strings = *arrow::compute::Cast(*batch->GetColumnByName("bucket"), arrow::utf8());
  expect_schema_mismatch(write(layout, {with_column(batch, "bucket", strings)}), "bucket");
  EXPECT_TRUE(object_keys(*backend_).empty());
}

TEST_P(DataFilesTest, InputIsReorderedAndWidenedWithoutLoss) {
  auto layout = layout_of_type<Row>({"country"});
  auto batch = batch_of(make_rows(0, 60));
  // Columns in reverse order, id as int32 and bucket as int16.
  arrow::FieldVector fields;
  arrow::ArrayVector columns;
  for (int i = batch->num_columns() - 1; i >= 0; --i) {
    auto column = batch->column(i);
    auto field = batch->schema()->field(i);
    if (field->name() == "id") column = *arrow::compute::Cast(*column, arrow::int32());
    if (field->name() == "bucket") column = *arrow::compute::Cast(*column, arrow::int16());
    fields.push_back(arrow::field(field->name(), column->type(), field->nullable()));
    columns.push_back(column);
  }
  auto reordered = arrow::RecordBatch::Make(arrow::schema(fields), batch->num_rows(), columns);
  auto adds = write(layout, {reordered});
  ASSERT_TRUE(adds) << adds.error().to_string();
  expect_same_rows(read_all(*backend_, layout, *adds), sorted_by_id(table_of({batch})));
}

// Hands out a good batch, then a bad one, noting what the backend held
// when the bad one was asked for.
class GoodThenBadReader final : public arrow::RecordBatchReader {
 public:
  GoodThenBadReader(Backend& backend, std::shared_ptr<arrow::RecordBatch> good, std::shared_ptr<arrow::RecordBatch> bad)
      : backend_(backend), good_(std::move(good)), bad_(std::move(bad)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return good_->schema(); }
  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    if (calls_++ == 0) {
      *out = good_;
    } else if (calls_ == 2) {
      objects_before_bad = object_keys(backend_).size();
      *out = bad_;
    } else {
      *out = nullptr;
    }
    return arrow::Status::OK();
  }
  std::size_t objects_before_bad = 0;

 private:
  Backend& backend_;
  std::shared_ptr<arrow::RecordBatch> good_, bad_;
  int calls_ = 0;
};

TEST_P(DataFilesTest, AFailureMidwayRemovesTheFilesAlreadyWritten) {
  auto layout = layout_of_type<Row>({"country"});
  auto good = batch_of(make_rows(0, 3000));
  auto bad = *good->RemoveColumn(good->schema()->GetFieldIndex("score"));
  GoodThenBadReader input(*backend_, good, bad);
  DataFileOptions options;
  options.target_file_bytes = 8 * 1024;  // so the good batch closes files
  auto adds = write_data_files(*backend_, layout, input, options);
  expect_schema_mismatch(adds, "score");
  EXPECT_GT(input.objects_before_bad, 0u);
  EXPECT_TRUE(object_keys(*backend_).empty());
}

// --- reading ----------------------------------------------------------------

struct Other {
  [[=lake::pk]] std::int64_t id = 0;
  std::optional<std::string> name;
  std::optional<lake::timestamp> at;
  std::optional<double> score;
  std::optional<std::string> country;
};

void put_parquet(Backend& backend, const std::string& key, const std::shared_ptr<arrow::Table>& table,
                 bool int96 = false) {
  auto output = lake::open_arrow_output(backend, key, PutMode::create);
  ASSERT_TRUE(output) << output.error().to_string();
  auto arrow_properties = parquet::ArrowWriterProperties::Builder();
  if (int96) arrow_properties.enable_deprecated_int96_timestamps();
  ASSERT_TRUE(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), *output, 1024,
                                         parquet::default_writer_properties(), arrow_properties.build())
                  .ok());
  ASSERT_TRUE((*output)->Close().ok());
}

TEST_P(DataFilesTest, FilesFromOtherWritersReadAsTheTableDeclares) {
  auto layout = layout_of_type<Other>({"country"});
  // int32 ids, zone-less nanosecond or INT96 timestamps, large strings, no
  // score column, and a country column the log's value overrides.
  auto schema = arrow::schema({arrow::field("id", arrow::int32()), arrow::field("name", arrow::large_utf8()),
                               arrow::field("at", arrow::timestamp(arrow::TimeUnit::NANO)),
                               arrow::field("country", arrow::utf8())});
  auto table = arrow::Table::Make(
      schema, {*arrow::json::ArrayFromJSONString(arrow::int32(), "[1, 2]"),
               *arrow::json::ArrayFromJSONString(arrow::large_utf8(), R"(["x", null])"),
               *arrow::json::ArrayFromJSONString(arrow::timestamp(arrow::TimeUnit::NANO),
                                                 R"(["2024-05-06 07:08:09.123456000", null])"),
               *arrow::json::ArrayFromJSONString(arrow::utf8(), R"(["ignored", "ignored"])")});
  put_parquet(*backend_, "t/country=NL/a.parquet", table);
  put_parquet(*backend_, "t/country=NL/b.parquet", table, /*int96=*/true);

  auto expected = arrow::Table::Make(
      layout.arrow_schema,
      {*arrow::json::ArrayFromJSONString(arrow::int64(), "[1, 2]"),
       *arrow::json::ArrayFromJSONString(arrow::utf8(), R"(["x", null])"),
       *arrow::json::ArrayFromJSONString(arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"),
                                         R"(["2024-05-06 07:08:09.123456", null])"),
       *arrow::json::ArrayFromJSONString(arrow::float64(), "[null, null]"),
       *arrow::json::ArrayFromJSONString(arrow::utf8(), R"(["NL", "NL"])")});
  for (const char* name : {"a.parquet", "b.parquet"}) {
    Add add;
    add.path = std::string("country=NL/") + name;
    add.partition_values = {{"country", "NL"}};
    auto read = read_data_file(*backend_, layout, add);
    ASSERT_TRUE(read) << read.error().to_string();
    expect_same_rows(*read, expected);
  }

  // A column the table says is never NULL cannot be missing from a file.
  auto no_id = arrow::Table::Make(arrow::schema({arrow::field("name", arrow::utf8())}),
                                  {*arrow::json::ArrayFromJSONString(arrow::utf8(), R"(["x"])")});
  put_parquet(*backend_, "t/country=NL/c.parquet", no_id);
  Add add;
  add.path = "country=NL/c.parquet";
  add.partition_values = {{"country", "NL"}};
  auto read = read_data_file(*backend_, layout, add);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code(), ErrorCode::schema_mismatch);
  EXPECT_NE(read.error().message().find("'id'"), std::string::npos) << read.error().to_string();
}

// --- layout and partition values -------------------------------------------------

TEST(DeltaTableLayout, LayoutComesFromTheSnapshot) {
  auto backend = memory_backend();
  Metadata metadata;
  metadata.id = "00000000-0000-4000-8000-000000000001";
  metadata.schema_string = to_schema_string(lake::schema_of<Row>());
  metadata.partition_columns = {"country"};
  metadata.configuration = {{"delta.dataSkippingNumIndexedCols", "5"}};
  ASSERT_TRUE(backend->put_text(commit_key("t", 0), to_commit_text({Protocol{1, 2, {}, {}}, metadata}),
                                PutMode::create));
  auto listing = list_log(*backend, "t");
  ASSERT_TRUE(listing);
  auto snapshot = LogReplay{}.build(*backend, "t", *listing, std::nullopt);
  ASSERT_TRUE(snapshot) << snapshot.error().to_string();
  auto layout = layout_of("t", *snapshot);
  ASSERT_TRUE(layout) << layout.error().to_string();
  EXPECT_EQ(layout->root, "t");
  EXPECT_EQ(layout->stats_columns, 5);
  EXPECT_EQ(layout->partition_columns, std::vector<std::string>{"country"});
  // The Arrow schema is the struct's, plus the _ingest_id system column.
  auto expected = lake::to_arrow_schema(lake::schema_of<Row>(), true);
  EXPECT_TRUE(layout->arrow_schema->Equals(*expected)) << layout->arrow_schema->ToString() << "\nvs\n"
                                                       << expected->ToString();
  EXPECT_EQ(layout->columns.back().column, "_ingest_id");

  EXPECT_EQ(*layout->key_of("country=a%20b/part-0.parquet"), "t/country=a b/part-0.parquet");
  TableLayout at_root = *layout;
  at_root.root = "";
  EXPECT_EQ(*at_root.key_of("part-0.parquet"), "part-0.parquet");
  for (const char* absolute : {"s3://bucket/t/part-0.parquet", "file:///data/t/part-0.parquet", "/data/part-0.parquet"}) {
    auto key = layout->key_of(absolute);
    ASSERT_FALSE(key) << absolute;
    EXPECT_EQ(key.error().code(), ErrorCode::unsupported) << absolute;
  }
  auto escaping = layout->key_of("../other/part-0.parquet");
  ASSERT_FALSE(escaping);
  EXPECT_EQ(escaping.error().code(), ErrorCode::invalid_argument);

  metadata.configuration = {{"delta.dataSkippingNumIndexedCols", "many"}};
  ASSERT_TRUE(backend->put_text(commit_key("t", 1), to_commit_text({metadata}), PutMode::create));
  listing = list_log(*backend, "t");
  auto bad = LogReplay{}.build(*backend, "t", *listing, std::nullopt);
  ASSERT_TRUE(bad);
  auto refused = layout_of("t", *bad);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("delta.dataSkippingNumIndexedCols"), std::string::npos);
}

TEST(DeltaPartitionValues, SpelledAsTheProtocolSays) {
  auto spell = [](const std::shared_ptr<arrow::DataType>& type, const std::string& json) {
    auto scalar = arrow::json::ScalarFromJSONString(type, json);
    EXPECT_TRUE(scalar.ok()) << scalar.status().ToString();
    auto text = serialize_partition_value(**scalar);
    EXPECT_TRUE(text) << text.error().to_string();
    return *text;
  };
  EXPECT_EQ(spell(arrow::int64(), "-42"), "-42");
  EXPECT_EQ(spell(arrow::int8(), "7"), "7");
  EXPECT_EQ(spell(arrow::boolean(), "true"), "true");
  EXPECT_EQ(spell(arrow::float64(), "0.1"), "0.1");
  EXPECT_EQ(spell(arrow::date32(), "19723"), "2024-01-01");
  EXPECT_EQ(spell(arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"), "1704067200123456"),
            "2024-01-01 00:00:00.123456");
  EXPECT_EQ(spell(arrow::decimal128(10, 2), R"("-0.05")"), "-0.05");
  EXPECT_EQ(spell(arrow::decimal128(12, 7), R"("0.0000001")"), "0.0000001");
  EXPECT_EQ(spell(arrow::utf8(), R"("a b")"), "a b");
  EXPECT_EQ(spell(arrow::utf8(), R"("")"), std::nullopt);  // the protocol reads "" as NULL
  EXPECT_EQ(spell(arrow::utf8(), "null"), std::nullopt);

  auto parse = [](const std::optional<std::string>& text, const std::shared_ptr<arrow::DataType>& type) {
    auto scalar = parse_partition_value(text, type, "c");
    EXPECT_TRUE(scalar) << scalar.error().to_string();
    return (*scalar)->ToString();
  };
  auto utc = arrow::timestamp(arrow::TimeUnit::MICRO, "UTC");
  EXPECT_EQ(parse("2024-01-01 00:00:00.123456", utc), parse("2024-01-01T00:00:00.123456Z", utc));
  EXPECT_EQ(parse("2024-01-01 00:00:00", utc), parse("2024-01-01T00:00:00Z", utc));
  EXPECT_EQ(parse("-0.05", arrow::decimal128(10, 2)), "-0.05");
  EXPECT_EQ(parse(std::nullopt, arrow::int32()), "null");
  EXPECT_EQ(parse("", arrow::int32()), "null");
  EXPECT_FALSE(parse_partition_value("1x", arrow::int32(), "c"));
  EXPECT_FALSE(parse_partition_value("300", arrow::int8(), "c"));

  EXPECT_EQ(hive_directory("country", "a b/c=d%"), "country=a b%2Fc%3Dd%25");
  EXPECT_EQ(hive_directory("country", std::nullopt), "country=__HIVE_DEFAULT_PARTITION__");
  EXPECT_EQ(hive_directory("k", "x:y?z#{[]}^*\"'\\\x01"), "k=x%3Ay%3Fz%23%7B%5B%5D}%5E%2A%22%27%5C%01");  // Spark leaves '}' alone
}

}  // namespace

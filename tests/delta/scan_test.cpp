// File skipping and scans: pruning by partition values and stats (never
// dropping a file that holds a matching row, checked against brute force
// on random data and predicates), projection, filters, bounded batches,
// ranged reads of the needed columns only, and errors naming the column.
#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/json/from_string.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <random>
#include <set>

#include <lake/arrow/convert.hpp>
#include <lake/schema/reflect.hpp>

#include "formats/compute.hpp"
#include "delta/data_files.hpp"
#include "delta/scan.hpp"
#include "delta/table_layout.hpp"
#include "support/forwarding_backend.hpp"
#include "table_support.hpp"

namespace {

using namespace lake;
using namespace lake::delta;
using lake::delta::testing::batch_of;
using lake::delta::testing::layout_of_type;
namespace cp = arrow::compute;

template <class T>
std::vector<Add> write_rows(Backend& backend, const TableLayout& layout, const std::vector<T>& rows,
                            DataFileOptions options = {}) {
  auto batch = batch_of(rows);
  auto input = *arrow::RecordBatchReader::Make({batch}, batch->schema());
  auto adds = write_data_files(backend, layout, *input, options);
  EXPECT_TRUE(adds) << adds.error().to_string();
  return adds ? *adds : std::vector<Add>{};
}

Add file(std::string path, PartitionValues values, std::optional<std::string> stats) {
  Add add;
  add.path = std::move(path);
  add.partition_values = std::move(values);
  add.stats = std::move(stats);
  return add;
}

std::vector<std::string> kept_paths(const TableLayout& layout, const std::vector<Add>& files, const cp::Expression& filter) {
  auto kept = prune_files(layout, files, filter);
  EXPECT_TRUE(kept) << kept.error().to_string();
  std::vector<std::string> paths;
  if (kept)
    for (const auto& add : *kept) paths.push_back(add.path);
  return paths;
}

using Paths = std::vector<std::string>;

cp::Expression is_in(const std::string& column, std::shared_ptr<arrow::Array> values) {
  return cp::call("is_in", {cp::field_ref(column)}, cp::SetLookupOptions(std::move(values)));
}

std::shared_ptr<arrow::Scalar> timestamp_literal(std::string_view text) {
  return std::make_shared<arrow::TimestampScalar>((*lake::parse_timestamp(text)).time_since_epoch().count(),
                                                  arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"));
}

std::shared_ptr<arrow::Scalar> decimal_literal(std::int64_t unscaled) {
  return std::make_shared<arrow::Decimal128Scalar>(arrow::Decimal128(unscaled), arrow::decimal128(10, 2));
}

// --- pruning on hand-made adds ---------------------------------------------------

struct Event {
  [[=lake::pk]] std::int64_t id = 0;
  std::optional<std::string> name;
  std::optional<lake::timestamp> at;
  std::optional<lake::decimal<10, 2>> amount;
  std::optional<double> score;
  std::optional<std::int64_t> x;
  std::optional<std::string> country;
};

class Pruning : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(lake::formats::ensure_compute_initialized()); }
  TableLayout layout = layout_of_type<Event>({"country"});
};

TEST_F(Pruning, ByPartitionValue) {
  std::vector<Add> files{file("us", {{"country", "US"}}, std::nullopt), file("gb", {{"country", "GB"}}, std::nullopt),
                         file("none", {{"country", std::nullopt}}, std::nullopt)};
  auto country = cp::field_ref("country");
  EXPECT_EQ(kept_paths(layout, files, cp::equal(country, cp::literal("US"))), (Paths{"us"}));
  EXPECT_EQ(kept_paths(layout, files, cp::is_null(country)), (Paths{"none"}));
  EXPECT_EQ(kept_paths(layout, files, cp::is_valid(country)), (Paths{"us", "gb"}));
  EXPECT_EQ(kept_paths(layout, files, cp::not_equal(country, cp::literal("US"))), (Paths{"gb"}));
  EXPECT_EQ(kept_paths(layout, files, is_in("country", *arrow::json::ArrayFromJSONString(arrow::utf8(), R"(["GB","FR"])"))),
            (Paths{"gb"}));
  EXPECT_EQ(kept_paths(layout, files, cp::or_(cp::equal(country, cp::literal("US")), cp::is_null(country))),
            (Paths{"us", "none"}));
  EXPECT_EQ(kept_paths(layout, files, cp::and_(cp::equal(country, cp::literal("US")), cp::greater(cp::field_ref("id"), cp::literal(std::int64_t{5})))),
            (Paths{"us"}));
  // Nothing known about `id` (no stats): every file may match.
  EXPECT_EQ(kept_paths(layout, files, cp::greater(cp::field_ref("id"), cp::literal(std::int64_t{5}))).size(), 3u);
  // No filter: every file.
  EXPECT_EQ(prune_files(layout, files, std::nullopt)->size(), 3u);
}

TEST_F(Pruning, ByMinAndMax) {
  auto stats = [](int lo, int hi, std::string extra = "") {
    return std::format(R"({{"numRecords":10,"minValues":{{"id":{}}},"maxValues":{{"id":{}}},"nullCount":{{"id":0{}}}}})",
                       lo, hi, extra);
  };
  std::vector<Add> files{file("a", {{"country", "US"}}, stats(0, 9)), file("b", {{"country", "US"}}, stats(10, 19)),
                         file("c", {{"country", "US"}}, stats(20, 29)),
                         file("nostats", {{"country", "US"}}, std::nullopt)};
  auto id = cp::field_ref("id");
  auto n = [](std::int64_t v) { return cp::literal(v); };
  EXPECT_EQ(kept_paths(layout, files, cp::equal(id, n(15))), (Paths{"b", "nostats"}));
  EXPECT_EQ(kept_paths(layout, files, cp::equal(id, n(10))), (Paths{"b", "nostats"}));
  EXPECT_EQ(kept_paths(layout, files, cp::less(id, n(10))), (Paths{"a", "nostats"}));
  EXPECT_EQ(kept_paths(layout, files, cp::less_equal(id, n(10))), (Paths{"a", "b", "nostats"}));
  EXPECT_EQ(kept_paths(layout, files, cp::greater(id, n(19))), (Paths{"c", "nostats"}));
  EXPECT_EQ(kept_paths(layout, files, cp::and_(cp::greater_equal(id, n(5)), cp::less_equal(id, n(12)))),
            (Paths{"a", "b", "nostats"}));
  EXPECT_EQ(kept_paths(layout, files, is_in("id", *arrow::json::ArrayFromJSONString(arrow::int64(), "[3, 25]"))),
            (Paths{"a", "c", "nostats"}));
  EXPECT_EQ(kept_paths(layout, files, cp::equal(id, n(100))), (Paths{"nostats"}));
  // nullCount 0: no row has a NULL id.
  EXPECT_EQ(kept_paths(layout, files, cp::is_null(id)), (Paths{"nostats"}));
  // An int32 literal is compared as the int64 column.
  EXPECT_EQ(kept_paths(layout, files, cp::equal(id, cp::literal(std::int32_t{15}))), (Paths{"b", "nostats"}));
  // A file whose every id equals 4 cannot hold id != 4.
  std::vector<Add> constant{file("four", {{"country", "US"}}, stats(4, 4))};
  EXPECT_TRUE(kept_paths(layout, constant, cp::not_equal(id, n(4))).empty());
  EXPECT_EQ(kept_paths(layout, constant, cp::not_equal(id, n(5))), (Paths{"four"}));
}

TEST_F(Pruning, NullCountsDecideNullTests) {
  auto x = cp::field_ref("x");
  std::vector<Add> files{
      file("all-null", {{"country", "US"}}, R"({"numRecords":5,"minValues":{},"maxValues":{},"nullCount":{"x":5}})"),
      file("no-null", {{"country", "US"}}, R"({"numRecords":5,"minValues":{"x":1},"maxValues":{"x":3},"nullCount":{"x":0}})"),
      file("some-null", {{"country", "US"}}, R"({"numRecords":5,"minValues":{"x":5},"maxValues":{"x":7},"nullCount":{"x":2}})"),
      file("unknown", {{"country", "US"}}, R"({"numRecords":5,"minValues":{"x":5},"maxValues":{"x":7}})")};
  EXPECT_EQ(kept_paths(layout, files, cp::is_null(x)), (Paths{"all-null", "some-null", "unknown"}));
  EXPECT_EQ(kept_paths(layout, files, cp::is_valid(x)), (Paths{"no-null", "some-null", "unknown"}));
  EXPECT_EQ(kept_paths(layout, files, cp::equal(x, cp::literal(std::int64_t{6}))), (Paths{"some-null", "unknown"}));
  // NOT (x > 2) is never true: x is 5..7 or NULL.
  EXPECT_EQ(kept_paths(layout, files, cp::not_(cp::greater(x, cp::literal(std::int64_t{2})))), (Paths{"no-null"}));
  EXPECT_EQ(kept_paths(layout, files, cp::or_(cp::is_null(x), cp::equal(x, cp::literal(std::int64_t{2})))),
            (Paths{"all-null", "no-null", "some-null", "unknown"}));
}

TEST_F(Pruning, StringBoundsCutToAPrefixStayValid) {
  const std::string prefix(32, 'a');
  std::vector<Add> files{
      // Written by us: the min cut to 32 characters, a longer max left out.
      file("cut", {{"country", "US"}},
           std::format(R"({{"numRecords":2,"minValues":{{"name":"{}"}},"maxValues":{{}},"nullCount":{{"name":0}}}})",
                       prefix)),
      file("short", {{"country", "US"}},
           R"({"numRecords":2,"minValues":{"name":"c"},"maxValues":{"name":"d"},"nullCount":{"name":0}})")};
  auto name = cp::field_ref("name");
  EXPECT_EQ(kept_paths(layout, files, cp::equal(name, cp::literal(prefix + "aaaaaaaab"))), (Paths{"cut"}));
  EXPECT_EQ(kept_paths(layout, files, cp::equal(name, cp::literal("zzz"))), (Paths{"cut"}));
  EXPECT_EQ(kept_paths(layout, files, cp::equal(name, cp::literal("a"))), Paths{});
  EXPECT_EQ(kept_paths(layout, files, cp::equal(name, cp::literal("cc"))), (Paths{"cut", "short"}));
}

TEST_F(Pruning, TimestampDecimalAndFloatBoundsFromOtherWriters) {
  std::vector<Add> files{
      // Spark truncates timestamp maxima to milliseconds; delta-rs writes
      // decimals as binary floats and takes float bounds from Parquet
      // statistics, which leave NaN out.
      file("f", {{"country", "US"}},
           R"({"numRecords":4,"minValues":{"at":"2024-01-01T00:00:00.000Z","amount":1.1,"score":1.0},)"
           R"("maxValues":{"at":"2024-01-01T00:00:00.000Z","amount":2.5,"score":2.0},)"
           R"("nullCount":{"at":0,"amount":0,"score":0}})")};
  auto at = cp::field_ref("at");
  EXPECT_EQ(kept_paths(layout, files, cp::equal(at, cp::literal(timestamp_literal("2024-01-01T00:00:00.000500Z")))),
            (Paths{"f"}));
  EXPECT_TRUE(kept_paths(layout, files, cp::greater(at, cp::literal(timestamp_literal("2024-01-01T00:00:00.001Z")))).empty());
  auto amount = cp::field_ref("amount");
  EXPECT_EQ(kept_paths(layout, files, cp::equal(amount, cp::literal(decimal_literal(250)))), (Paths{"f"}));
  EXPECT_EQ(kept_paths(layout, files, cp::equal(amount, cp::literal(decimal_literal(110)))), (Paths{"f"}));
  EXPECT_TRUE(kept_paths(layout, files, cp::equal(amount, cp::literal(decimal_literal(300)))).empty());
  auto score = cp::field_ref("score");
  EXPECT_TRUE(kept_paths(layout, files, cp::greater(score, cp::literal(5.0))).empty());
  // A NaN row would satisfy these, and the bounds do not rule NaN out.
  EXPECT_EQ(kept_paths(layout, files, cp::not_equal(score, cp::literal(1.5))), (Paths{"f"}));
  EXPECT_EQ(kept_paths(layout, files, cp::not_(cp::less(score, cp::literal(5.0)))), (Paths{"f"}));
}

TEST_F(Pruning, MalformedStatsCountAsMissing) {
  std::vector<Add> files{file("bad", {{"country", "US"}}, "{not json"),
                         file("odd", {{"country", "US"}}, R"({"numRecords":"x","minValues":{"id":"y"}})")};
  EXPECT_EQ(kept_paths(layout, files, cp::equal(cp::field_ref("id"), cp::literal(std::int64_t{1}))).size(), 2u);
}

TEST_F(Pruning, FiltersThatDoNotFitTheTableAreErrorsNamingTheColumn) {
  Add any = file("a", {{"country", "US"}}, std::nullopt);
  auto unknown = may_match(layout, any, cp::equal(cp::field_ref("nope"), cp::literal(1)));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code(), ErrorCode::schema_mismatch);
  EXPECT_NE(unknown.error().message().find("'nope'"), std::string::npos) << unknown.error().to_string();

  auto mismatched = prune_files(layout, {any}, cp::equal(cp::field_ref("x"), cp::literal("abc")));
  ASSERT_FALSE(mismatched);
  EXPECT_EQ(mismatched.error().code(), ErrorCode::schema_mismatch);
  EXPECT_NE(mismatched.error().message().find("x"), std::string::npos) << mismatched.error().to_string();

  auto not_boolean = may_match(layout, any, cp::field_ref("x"));
  ASSERT_FALSE(not_boolean);
  EXPECT_EQ(not_boolean.error().code(), ErrorCode::invalid_argument);
}

struct Place {
  std::optional<std::string> city;
  std::optional<std::int32_t> zip;
};
struct Located {
  [[=lake::pk]] std::int64_t id = 0;
  std::optional<Place> place;
};

TEST(NestedPruning, StructFieldsUseTheirNestedStats) {
  ASSERT_TRUE(lake::formats::ensure_compute_initialized());
  auto layout = layout_of_type<Located>({});
  std::vector<Add> files{file("f", {}, R"({"numRecords":3,"minValues":{"place":{"zip":10,"city":"a"}},)"
                                       R"("maxValues":{"place":{"zip":20,"city":"c"}},"nullCount":{"place":{"zip":0}}})")};
  auto zip = cp::field_ref(arrow::FieldRef("place", "zip"));
  EXPECT_TRUE(kept_paths(layout, files, cp::equal(zip, cp::literal(30))).empty());
  EXPECT_EQ(kept_paths(layout, files, cp::equal(zip, cp::literal(15))), (Paths{"f"}));
  EXPECT_TRUE(kept_paths(layout, files, cp::is_null(zip)).empty());
  auto city = cp::field_ref(arrow::FieldRef("place", "city"));
  EXPECT_TRUE(kept_paths(layout, files, cp::greater(city, cp::literal("d"))).empty());

  // Written and scanned: a NULL place makes its fields NULL too.
  auto backend = std::shared_ptr<Backend>(memory_backend());
  std::vector<Located> rows{{1, Place{"x", 5}}, {2, std::nullopt}, {3, Place{std::nullopt, 7}}};
  auto written = write_rows(*backend, layout, rows);
  ScanOptions options;
  options.columns = {"id"};
  options.filter = cp::or_(cp::is_null(zip), cp::greater(zip, cp::literal(6)));
  auto reader = scan_files(backend, layout, written, options);
  ASSERT_TRUE(reader) << reader.error().to_string();
  auto table = (*reader)->ToTable();
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ((*table)->GetColumnByName("id")->ToString(), arrow::ChunkedArray(*arrow::json::ArrayFromJSONString(arrow::int64(), "[2, 3]")).ToString());
}

// --- scans over written files ---------------------------------------------

// A backend that counts the bytes reads fetch.
class CountingBackend final : public lake::testing::ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  Result<std::vector<std::byte>> get(std::string_view key) override {
    auto bytes = ForwardingBackend::get(key);
    if (bytes) bytes_read += static_cast<std::int64_t>(bytes->size());
    return bytes;
  }
  Result<std::vector<std::byte>> get_range(std::string_view key, std::int64_t offset, std::int64_t length) override {
    auto bytes = ForwardingBackend::get_range(key, offset, length);
    if (bytes) bytes_read += static_cast<std::int64_t>(bytes->size());
    return bytes;
  }

  std::int64_t bytes_read = 0;
};

struct Wide {
  [[=lake::pk]] std::int64_t id = 0;
  std::string payload;
  std::optional<std::int64_t> x;
  std::string g;
};

std::vector<Wide> wide_rows(std::int64_t count) {
  std::mt19937_64 random(7);
  std::vector<Wide> rows;
  for (std::int64_t i = 0; i < count; ++i) {
    std::string payload(800, ' ');
    for (char& c : payload) c = static_cast<char>('a' + random() % 26);
    rows.push_back({i, std::move(payload), i % 3 == 0 ? std::nullopt : std::optional<std::int64_t>(i % 50),
                    i % 2 == 0 ? "even" : "odd"});
  }
  return rows;
}

std::vector<std::shared_ptr<arrow::RecordBatch>> drain(arrow::RecordBatchReader& reader) {
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    auto status = reader.ReadNext(&batch);
    EXPECT_TRUE(status.ok()) << status.ToString();
    if (!status.ok() || !batch) return batches;
    batches.push_back(std::move(batch));
  }
}

class Scans : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(lake::formats::ensure_compute_initialized());
    backend = std::make_shared<CountingBackend>(memory_backend());
    files = write_rows(*backend, layout, wide_rows(3000));
  }
  TableLayout layout = layout_of_type<Wide>({"g"});
  std::shared_ptr<CountingBackend> backend;
  std::vector<Add> files;
};

TEST_F(Scans, ProjectionReturnsTheRequestedColumnsInOrder) {
  ScanOptions options;
  options.columns = {"x", "id"};
  auto reader = scan_files(backend, layout, files, options);
  ASSERT_TRUE(reader) << reader.error().to_string();
  auto expected_schema = arrow::schema({layout.arrow_schema->GetFieldByName("x"), layout.arrow_schema->GetFieldByName("id")});
  EXPECT_TRUE((*reader)->schema()->Equals(*expected_schema)) << (*reader)->schema()->ToString();
  std::int64_t rows = 0;
  for (const auto& batch : drain(**reader)) {
    EXPECT_TRUE(batch->schema()->Equals(*expected_schema));
    rows += batch->num_rows();
  }
  EXPECT_EQ(rows, 3000);
}

TEST_F(Scans, FilterKeepsExactlyTheRowsWhereItIsTrue) {
  ScanOptions options;
  options.columns = {"id"};
  // x > 40 is NULL for NULL x: those rows are left out.
  options.filter = cp::and_(cp::greater(cp::field_ref("x"), cp::literal(std::int64_t{40})),
                            cp::equal(cp::field_ref("g"), cp::literal("odd")));
  auto reader = scan_files(backend, layout, files, options);
  ASSERT_TRUE(reader) << reader.error().to_string();
  std::set<std::int64_t> ids;
  for (const auto& batch : drain(**reader)) {
    EXPECT_EQ(batch->num_columns(), 1);
    auto column = std::static_pointer_cast<arrow::Int64Array>(batch->column(0));
    for (std::int64_t i = 0; i < column->length(); ++i) ids.insert(column->Value(i));
  }
  std::set<std::int64_t> expected;
  for (const auto& row : wide_rows(3000))
    if (row.x && *row.x > 40 && row.g == "odd") expected.insert(row.id);
  EXPECT_EQ(ids, expected);
}

TEST_F(Scans, BatchesAreBoundedAndOnlyNeededColumnsAreFetched) {
  ScanOptions all;
  all.batch_rows = 100;
  backend->bytes_read = 0;
  auto reader = scan_files(backend, layout, files, all);
  ASSERT_TRUE(reader) << reader.error().to_string();
  auto batches = drain(**reader);
  EXPECT_GT(batches.size(), 10u);
  for (const auto& batch : batches) EXPECT_LE(batch->num_rows(), 100);
  const std::int64_t everything = backend->bytes_read;

  ScanOptions ids;
  ids.columns = {"id"};
  backend->bytes_read = 0;
  reader = scan_files(backend, layout, files, ids);
  ASSERT_TRUE(reader) << reader.error().to_string();
  (void)drain(**reader);
  // The payload column is most of each file; reading ids alone skips it.
  EXPECT_LT(backend->bytes_read * 4, everything) << backend->bytes_read << " vs " << everything;
}

TEST_F(Scans, UnknownColumnsAreErrors) {
  ScanOptions options;
  options.columns = {"id", "nope"};
  auto reader = scan_files(backend, layout, files, options);
  ASSERT_FALSE(reader);
  EXPECT_EQ(reader.error().code(), ErrorCode::schema_mismatch);
  EXPECT_NE(reader.error().message().find("'nope'"), std::string::npos) << reader.error().to_string();

  ScanOptions filtered;
  filtered.filter = cp::is_null(cp::field_ref("missing"));
  reader = scan_files(backend, layout, files, filtered);
  ASSERT_FALSE(reader);
  EXPECT_EQ(reader.error().code(), ErrorCode::schema_mismatch);
  EXPECT_NE(reader.error().message().find("'missing'"), std::string::npos) << reader.error().to_string();
}

// A file whose column cannot be read as the table's type fails the scan
// mid-stream; the error keeps its own code through Arrow's reader
// interface instead of turning into the nearest Arrow status.
struct WideWithTextX {
  [[=lake::pk]] std::int64_t id = 0;
  std::string payload;
  std::optional<std::string> x;
  std::string g;
};

TEST_F(Scans, AFileThatCannotBeReadAsTheTableFailsWithItsOwnErrorCode) {
  auto other = layout_of_type<WideWithTextX>({"g"});
  std::vector<WideWithTextX> rows(3);
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = {static_cast<std::int64_t>(i), "p", "not a number", "odd"};
  auto foreign = write_rows(*backend, other, rows);
  ASSERT_FALSE(foreign.empty());
  auto all = files;
  all.insert(all.end(), foreign.begin(), foreign.end());
  auto reader = scan_files(backend, layout, all, {});
  ASSERT_TRUE(reader) << reader.error().to_string();
  std::shared_ptr<arrow::RecordBatch> batch;
  arrow::Status status;
  do status = (*reader)->ReadNext(&batch);
  while (status.ok() && batch != nullptr);
  ASSERT_FALSE(status.ok()) << "a string column read as int64";
  auto error = lake::detail::from_arrow_status(status, "scanning");
  EXPECT_EQ(error.code(), ErrorCode::schema_mismatch) << error.to_string();
  EXPECT_NE(error.message().find("'x'"), std::string::npos) << error.to_string();
}

// --- property: skipping never drops a matching row ------------------------

struct Sample {
  [[=lake::pk]] std::int64_t id = 0;
  std::optional<std::int64_t> x;
  std::optional<std::string> s;
  std::optional<double> d;
  std::optional<lake::timestamp> t;
  std::optional<lake::decimal<10, 2>> k;
  std::optional<bool> b;
  std::optional<std::string> g;
};

using Tri = std::optional<bool>;  // Kleene logic: nullopt is NULL

struct Predicate {
  cp::Expression expression;
  std::function<Tri(const Sample&)> holds;
};

class PredicateMaker {
 public:
  explicit PredicateMaker(std::mt19937_64& random) : random_(random) {}

  Predicate make(int depth) {
    if (depth > 0 && pick(3) == 0) {
      auto a = make(depth - 1);
      switch (pick(3)) {
        case 0: {
          auto b = make(depth - 1);
          return {cp::and_(a.expression, b.expression), [a, b](const Sample& r) -> Tri {
                    Tri x = a.holds(r), y = b.holds(r);
                    if (x == false || y == false) return false;
                    if (!x || !y) return std::nullopt;
                    return true;
                  }};
        }
        case 1: {
          auto b = make(depth - 1);
          return {cp::or_(a.expression, b.expression), [a, b](const Sample& r) -> Tri {
                    Tri x = a.holds(r), y = b.holds(r);
                    if (x == true || y == true) return true;
                    if (!x || !y) return std::nullopt;
                    return false;
                  }};
        }
        default:
          return {cp::not_(a.expression), [a](const Sample& r) -> Tri {
                    Tri x = a.holds(r);
                    if (!x) return std::nullopt;
                    return !*x;
                  }};
      }
    }
    switch (pick(7)) {
      case 0: return leaf<std::int64_t>("x", &Sample::x, std::int64_t(pick(50)) - 25, [](auto v) { return cp::literal(v); });
      case 1: return leaf<std::string>("s", &Sample::s, random_string(), [](const std::string& v) { return cp::literal(v); });
      case 2: {
        static const double kValues[] = {-1.5, 0.0, 2.25, 7.5, 12.0};
        return leaf<double>("d", &Sample::d, kValues[pick(5)], [](double v) { return cp::literal(v); });
      }
      case 3:
        return leaf<lake::timestamp>("t", &Sample::t, random_timestamp(), [](lake::timestamp v) {
          return cp::literal(std::make_shared<arrow::TimestampScalar>(v.time_since_epoch().count(),
                                                                      arrow::timestamp(arrow::TimeUnit::MICRO, "UTC")));
        });
      case 4:
        return leaf<lake::decimal<10, 2>>("k", &Sample::k, lake::decimal<10, 2>::from_unscaled(int(pick(4000)) - 2000),
                                          [](lake::decimal<10, 2> v) {
                                            return cp::literal(decimal_literal(static_cast<std::int64_t>(v.unscaled())));
                                          });
      case 5: return leaf<bool>("b", &Sample::b, pick(2) == 0, [](bool v) { return cp::literal(v); });
      default: {
        static const char* kGroups[] = {"p", "q", "r"};
        return leaf<std::string>("g", &Sample::g, kGroups[pick(3)], [](const std::string& v) { return cp::literal(v); });
      }
    }
  }

  std::string random_string() {
    static const std::string kPrefixes[] = {std::string(32, 'm'), "m", "mm", "n", ""};
    std::string s = kPrefixes[pick(5)];
    for (std::uint64_t i = pick(4); i > 0; --i) s += static_cast<char>('l' + pick(3));
    return s;
  }
  lake::timestamp random_timestamp() {
    return lake::timestamp(std::chrono::microseconds(kTimeBase + std::int64_t(pick(40'000))));
  }
  std::uint64_t pick(std::uint64_t n) { return random_() % n; }

  static constexpr std::int64_t kTimeBase = 1'700'000'000'000'000;

 private:
  template <class V, class Member, class Literal>
  Predicate leaf(const std::string& column, Member member, V value, Literal literal) {
    auto ref = cp::field_ref(column);
    auto get = [member](const Sample& r) { return r.*member; };
    switch (pick(9)) {
      case 0: return {cp::is_null(ref), [get](const Sample& r) -> Tri { return !get(r).has_value(); }};
      case 1: return {cp::is_valid(ref), [get](const Sample& r) -> Tri { return get(r).has_value(); }};
      case 2: {
        V other = value;
        if constexpr (std::same_as<V, std::int64_t>) other = value + 3;
        arrow::ScalarVector scalars{literal(value).literal()->scalar(), literal(other).literal()->scalar()};
        auto builder = *arrow::MakeBuilder(scalars[0]->type);
        for (const auto& scalar : scalars) EXPECT_TRUE(builder->AppendScalar(*scalar).ok());
        auto set = *builder->Finish();
        // is_in never yields NULL: a NULL value is not in a set without NULLs.
        return {cp::call("is_in", {ref}, cp::SetLookupOptions(set)), [get, value, other](const Sample& r) -> Tri {
                  auto v = get(r);
                  return v && (*v == value || *v == other);
                }};
      }
      default: break;
    }
    auto compare = [get, value](auto op) {
      return [get, value, op](const Sample& r) -> Tri {
        auto v = get(r);
        if (!v) return std::nullopt;
        return op(*v, value);
      };
    };
    auto lit = literal(value);
    switch (pick(6)) {
      case 0: return {cp::equal(ref, lit), compare(std::equal_to<>())};
      case 1: return {cp::not_equal(ref, lit), compare(std::not_equal_to<>())};
      case 2: return {cp::less(ref, lit), compare(std::less<>())};
      case 3: return {cp::less_equal(ref, lit), compare(std::less_equal<>())};
      case 4: return {cp::greater(ref, lit), compare(std::greater<>())};
      default: return {cp::greater_equal(ref, lit), compare(std::greater_equal<>())};
    }
  }

  std::mt19937_64& random_;
};

TEST(ScanProperty, SkippingNeverDropsAMatchingRow) {
  ASSERT_TRUE(lake::formats::ensure_compute_initialized());
  std::mt19937_64 random(20260822);
  PredicateMaker maker(random);
  auto backend = std::shared_ptr<Backend>(memory_backend());
  auto layout = layout_of_type<Sample>({"g"});

  // Many small files whose values cluster by write, so bounds differ.
  std::map<std::int64_t, Sample> rows;
  std::vector<Add> files;
  std::int64_t next_id = 0;
  for (int write = 0; write < 24; ++write) {
    std::vector<Sample> batch;
    for (int i = 0; i < 30; ++i) {
      Sample r;
      r.id = next_id++;
      if (maker.pick(6) != 0) r.x = write * 2 - 24 + std::int64_t(maker.pick(8));
      if (maker.pick(6) != 0) r.s = maker.random_string();
      if (maker.pick(8) != 0) r.d = maker.pick(15) == 0 ? std::nan("") : write * 0.5 + double(maker.pick(10)) / 4;
      if (maker.pick(6) != 0)
        r.t = lake::timestamp(std::chrono::microseconds(PredicateMaker::kTimeBase + write * 1'500 +
                                                        std::int64_t(maker.pick(1'800))));
      if (maker.pick(6) != 0) r.k = lake::decimal<10, 2>::from_unscaled(write * 150 - 1800 + int(maker.pick(300)));
      if (maker.pick(4) != 0) r.b = write % 3 == 0 ? true : maker.pick(2) == 0;
      static const char* kGroups[] = {"p", "q"};
      if (maker.pick(5) != 0) r.g = kGroups[maker.pick(2)];
      rows[r.id] = r;
      batch.push_back(r);
    }
    auto written = write_rows(*backend, layout, batch);
    files.insert(files.end(), written.begin(), written.end());
  }
  // Which rows each file holds.
  std::vector<std::vector<std::int64_t>> file_ids;
  for (const auto& add : files) {
    auto table = read_data_file(*backend, layout, add);
    ASSERT_TRUE(table) << table.error().to_string();
    auto ids = std::static_pointer_cast<arrow::Int64Array>((*table)->GetColumnByName("id")->chunk(0));
    file_ids.emplace_back(ids->raw_values(), ids->raw_values() + ids->length());
  }

  std::size_t skipped = 0, considered = 0;
  for (int round = 0; round < 150; ++round) {
    Predicate predicate = maker.make(2);
    SCOPED_TRACE(predicate.expression.ToString());
    std::set<std::int64_t> expected;
    for (const auto& [id, row] : rows)
      if (predicate.holds(row) == true) expected.insert(id);

    auto kept = prune_files(layout, files, predicate.expression);
    ASSERT_TRUE(kept) << kept.error().to_string();
    std::set<std::string> kept_paths;
    for (const auto& add : *kept) kept_paths.insert(add.path);
    for (std::size_t f = 0; f < files.size(); ++f) {
      bool matches = std::ranges::any_of(file_ids[f], [&](std::int64_t id) { return expected.contains(id); });
      if (matches) {
        EXPECT_TRUE(kept_paths.contains(files[f].path))
            << "dropped " << files[f].path << " stats " << files[f].stats.value_or("none");
      }
    }
    skipped += files.size() - kept->size();
    considered += files.size();

    ScanOptions options;
    options.columns = {"id"};
    options.filter = predicate.expression;
    auto reader = scan_files(backend, layout, files, options);
    ASSERT_TRUE(reader) << reader.error().to_string();
    std::set<std::int64_t> scanned;
    for (const auto& batch : drain(**reader)) {
      auto ids = std::static_pointer_cast<arrow::Int64Array>(batch->column(0));
      for (std::int64_t i = 0; i < ids->length(); ++i) scanned.insert(ids->Value(i));
    }
    EXPECT_EQ(scanned, expected);
  }
  // The property would hold vacuously if nothing were ever skipped.
  EXPECT_GT(skipped, considered / 5) << skipped << " of " << considered;
}

}  // namespace

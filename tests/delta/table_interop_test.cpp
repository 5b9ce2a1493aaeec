// Row-for-row interop of whole tables (label `interop`): tables lake-orm
// writes through the Table API (partitioned, with a NULL partition,
// checkpoints, after delete / update / merge / optimize / schema
// evolution) read identically by delta-rs, DuckDB's delta extension and
// Spark; tables delta-rs writes the same way read identically by lake-orm.
#include <arrow/compute/api.h>
#include <arrow/io/file.h>
#include <arrow/ipc/reader.h>
#include <arrow/ipc/writer.h>
#include <arrow/table.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <random>

#include <lake/arrow/convert.hpp>
#include <lake/delta/table.hpp>
#include <lake/local.hpp>
#include <lake/schema/reflect.hpp>

#include "peer_support.hpp"
#include "table_support.hpp"

namespace {

using lake::delta::testing::run_peer;
using lake::delta::testing::batch_of;
using lake::delta::testing::read_ipc;
using lake::delta::testing::TempDir;
using lake::delta::testing::write_ipc;

namespace fs = std::filesystem;
namespace cp = arrow::compute;
using namespace lake;
using namespace lake::delta;

struct [[=lake::partition_by("country")]] Sale {
  [[=lake::pk]] std::int64_t id = 0;
  std::optional<std::string> country;
  std::int32_t amount = 0;
  lake::decimal<10, 2> price;
  std::optional<std::string> note;
  lake::date day{};
  lake::timestamp at{};
};

std::vector<Sale> sales(std::int64_t first, std::int64_t count) {
  static const std::optional<std::string> kCountries[] = {"NL", "DE", "FR", std::nullopt};
  std::vector<Sale> rows;
  for (std::int64_t i = first; i < first + count; ++i) {
    Sale s;
    s.id = i;
    s.country = kCountries[i % 4];
    s.amount = static_cast<std::int32_t>(i % 100);
    s.price = *lake::decimal<10, 2>::parse(std::format("{}.{:02}", i / 100, i % 100));
    if (i % 3 == 0) s.note = std::format("note {}", i);
    s.day = lake::date(std::chrono::days(19000 + i % 30));
    s.at = lake::timestamp(std::chrono::microseconds(1'700'000'000'000'000 + i * 1'000'003));
    rows.push_back(std::move(s));
  }
  return rows;
}

std::shared_ptr<arrow::Table> read_table(const Table& table, std::vector<std::string> columns = {}) {
  auto reader = table.scan({.columns = std::move(columns)});
  EXPECT_TRUE(reader) << reader.error().to_string();
  auto rows = (*reader)->ToTable();
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  return *rows;
}

// Rows sorted by id, with the columns in `names` order cast to `like`'s types.
std::shared_ptr<arrow::Table> comparable(const std::shared_ptr<arrow::Table>& rows, const arrow::Schema& like) {
  std::vector<std::shared_ptr<arrow::ChunkedArray>> columns;
  for (const auto& field : like.fields()) {
    auto column = rows->GetColumnByName(field->name());
    EXPECT_NE(column, nullptr) << "no column " << field->name();
    if (column == nullptr) return nullptr;
    auto cast = cp::Cast(column, field->type());
    EXPECT_TRUE(cast.ok()) << field->name() << ": " << cast.status().ToString();
    columns.push_back(cast->chunked_array());
  }
  auto table = arrow::Table::Make(std::make_shared<arrow::Schema>(like.fields()), columns);
  auto order = cp::SortIndices(arrow::Datum(table), cp::SortOptions({cp::SortKey("id")}));
  EXPECT_TRUE(order.ok());
  auto taken = cp::Take(table, *order);
  EXPECT_TRUE(taken.ok());
  auto combined = taken->table()->CombineChunks();
  return *combined;
}

TEST(DeltaTableInterop, TablesWeWriteReadIdenticallyEverywhere) {
  TempDir dir("table-interop");
  auto table_dir = dir.path / "sales";
  auto backend = lake::file_backend(table_dir);
  ASSERT_TRUE(backend);
  auto created = Table::create(std::shared_ptr<Backend>(std::move(*backend)), "", schema_of<Sale>(), {},
                               {.checkpoint_interval = 4});
  ASSERT_TRUE(created) << created.error().to_string();
  auto& table = *created;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(table.append(batch_of(sales(i * 40, 40))));
  ASSERT_TRUE(table.delete_where(cp::less(cp::field_ref("amount"), cp::literal(10))));
  ASSERT_TRUE(table.update_where(cp::equal(cp::field_ref("country"), cp::literal("DE")),
                                 {{"note", cp::literal("updated")}}));
  auto upsert = sales(190, 20);
  for (auto& s : upsert) s.amount = 77;
  auto source = arrow::RecordBatchReader::Make({batch_of(upsert)});
  ASSERT_TRUE(table.merge(**source));
  ASSERT_TRUE(table.optimize({.zorder_by = {"amount", "id"}}));
  Field extra;
  extra.column = "rating";
  extra.type = DataType(TypeId::float64);
  extra.nullable = true;
  ASSERT_TRUE(table.add_columns({extra}));
  ASSERT_TRUE(table.append(batch_of(sales(400, 8))));  // rows without the new column read it as NULL
  ASSERT_GE(table.version(), 10);

  auto ours = read_table(table);
  ASSERT_EQ(ours->num_rows(), table.snapshot().num_records());
  write_ipc(ours, dir.path / "expected.arrow");
  EXPECT_EQ(run_peer("table_interop.py", {"check", table_dir.string(), (dir.path / "expected.arrow").string(), "deltalake", "duckdb",
                      "spark"}),
            0);
}

TEST(DeltaTableInterop, TablesDeltaRsWritesReadIdenticallyByUs) {
  TempDir dir("table-interop");
  auto table_dir = dir.path / "sales";
  ASSERT_EQ(run_peer("table_interop.py", {"write-deltalake", table_dir.string(), (dir.path / "expected.arrow").string()}), 0);
  auto backend = lake::file_backend(table_dir);
  ASSERT_TRUE(backend);
  auto table = Table::open(std::shared_ptr<Backend>(std::move(*backend)), "");
  ASSERT_TRUE(table) << table.error().to_string();
  auto ours = read_table(*table);
  auto schema = ours->schema();
  auto expected = comparable(read_ipc(dir.path / "expected.arrow"), *schema);
  auto actual = comparable(ours, *schema);
  ASSERT_TRUE(expected && actual);
  EXPECT_EQ(actual->num_rows(), expected->num_rows());
  EXPECT_TRUE(actual->Equals(*expected)) << "ours:\n"
                                         << actual->Slice(0, 5)->ToString() << "\ndelta-rs:\n"
                                         << expected->Slice(0, 5)->ToString();
  // A filtered read of theirs skips files by the stats delta-rs wrote.
  auto nl = table->files(cp::equal(cp::field_ref("country"), cp::literal("NL")));
  ASSERT_TRUE(nl);
  for (const auto& f : *nl) EXPECT_EQ(f.partition_values.at("country"), "NL");

  // Through SQL on the embedded engine (the format contract's scan plan:
  // files skipped by the format, rows filtered by DuckDB), row for row.
  auto db = lake::local::open(dir.path);
  ASSERT_TRUE(db) << db.error().to_string();
  auto whole = db->query("SELECT * FROM sales");
  ASSERT_TRUE(whole) << whole.error().to_string();
  auto via_sql = comparable((*whole)->ToTable().ValueOrDie(), *schema);
  ASSERT_TRUE(via_sql);
  EXPECT_TRUE(via_sql->Equals(*expected)) << "SQL:\n" << via_sql->Slice(0, 5)->ToString();
  auto mask = cp::CallFunction("equal", {expected->GetColumnByName("country"), arrow::Datum(std::string("NL"))});
  ASSERT_TRUE(mask.ok());
  const auto expected_nl = cp::Filter(expected, *mask).ValueOrDie().table()->num_rows();
  auto filtered = db->query("SELECT * FROM sales WHERE country = ?", std::vector<SqlValue>{SqlValue(std::string("NL"))});
  ASSERT_TRUE(filtered) << filtered.error().to_string();
  EXPECT_EQ((*filtered)->ToTable().ValueOrDie()->num_rows(), expected_nl);
  EXPECT_GT(expected_nl, 0);
}

}  // namespace

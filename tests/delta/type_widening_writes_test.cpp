// Type widening on the write side: a column changed to a wider type
// commits only a schema (the change in delta.typeChanges, the protocol
// upgraded to typeWidening once); rows in the new type are appended, the
// older files read in it, filters on the widened column skip by their
// narrow stats and still find every row, and changes rewrite old files in
// the new type. Changes that are not widenings are refused, typed.
// (Spark reading such a table: spark_features_interop_test.)
#include <arrow/compute/api.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "delta/type_widening.hpp"
#include "table_support.hpp"

namespace {

using namespace lake;
using namespace lake::delta;
using namespace lake::delta::testing;
namespace cp = arrow::compute;

struct Narrow {
  [[=lake::pk]] std::int64_t id = 0;
  std::int32_t count = 0;
  float ratio = 0;
};

struct Wide {
  [[=lake::pk]] std::int64_t id = 0;
  std::int64_t count = 0;
  double ratio = 0;
};

TEST(TypeWideningWrites, AWidenedColumnReadsOldFilesInTheNewType) {
  std::shared_ptr<Backend> backend = memory_backend();
  auto table = Table::create(backend, "t", schema_of<Narrow>());
  ASSERT_TRUE(table) << table.error().to_string();
  std::vector<Narrow> narrow;
  for (std::int64_t id = 0; id < 100; ++id)
    narrow.push_back({.id = id, .count = static_cast<std::int32_t>(id * 10), .ratio = static_cast<float>(id) / 4});
  ASSERT_TRUE(table->append(batch_of(narrow)));
  const auto objects = data_objects(*backend);

  auto widened = table->change_column_type("count", DataType(TypeId::int64));
  ASSERT_TRUE(widened) << widened.error().to_string();
  ASSERT_TRUE(table->change_column_type("ratio", DataType(TypeId::float64)));
  EXPECT_EQ(data_objects(*backend), objects) << "a type change rewrote data";
  const auto& protocol = table->snapshot().protocol();
  EXPECT_TRUE(std::ranges::contains(protocol.reader_features, std::string("typeWidening")));
  EXPECT_TRUE(std::ranges::contains(protocol.writer_features, std::string("typeWidening")));
  EXPECT_EQ(table->snapshot().metadata().configuration.at(std::string(kEnableTypeWidening)), "true");
  auto schema = nlohmann::json::parse(table->snapshot().metadata().schema_string);
  EXPECT_EQ(schema["fields"][1]["type"], "long");
  EXPECT_EQ(schema["fields"][1]["metadata"][std::string(kTypeChanges)],
            nlohmann::json::parse(R"([{"fromType":"integer","toType":"long"}])"));
  EXPECT_EQ(schema["fields"][2]["metadata"][std::string(kTypeChanges)][0]["toType"], "double");

  // Rows beyond the old type, next to the narrow file.
  std::vector<Wide> wide;
  for (std::int64_t id = 100; id < 120; ++id) wide.push_back({.id = id, .count = 5'000'000'000 + id, .ratio = 0.1 * id});
  ASSERT_TRUE(table->append(batch_of(wide)));
  std::vector<Wide> expected;
  for (const auto& n : narrow) expected.push_back({.id = n.id, .count = n.count, .ratio = n.ratio});
  expected.insert(expected.end(), wide.begin(), wide.end());
  auto same = [](const std::vector<Wide>& a, const std::vector<Wide>& b) {
    return std::ranges::equal(a, b, [](const Wide& x, const Wide& y) {
      return x.id == y.id && x.count == y.count && x.ratio == y.ratio;
    });
  };
  EXPECT_TRUE(same(read_all<Wide>(*table), expected));
  // The old file's int32 stats skip it for values beyond int32; both files
  // are read for values both may hold.
  auto big = cp::greater_equal(cp::field_ref("count"), cp::literal(std::int64_t{3'000'000'000}));
  auto files = table->files(big);
  ASSERT_TRUE(files) << files.error().to_string();
  EXPECT_EQ(files->size(), 1u);
  EXPECT_EQ(read_all<Wide>(*table, {.filter = big}).size(), 20u);
  EXPECT_EQ(read_all<Wide>(*table, {.filter = cp::less(cp::field_ref("count"), cp::literal(std::int64_t{50}))}).size(),
            5u);

  // A change rewrites the narrow file in the new type.
  auto updated = table->update_where(cp::less(cp::field_ref("id"), cp::literal(std::int64_t{3})),
                                     {{"count", cp::literal(std::int64_t{6'000'000'000})}});
  ASSERT_TRUE(updated) << updated.error().to_string();
  for (auto& row : expected)
    if (row.id < 3) row.count = 6'000'000'000;
  EXPECT_TRUE(same(read_all<Wide>(*table), expected));

  // Not widenings: refused, nothing committed.
  const auto version = table->version();
  for (const auto& [column, type] : std::vector<std::pair<std::string, DataType>>{
           {"count", DataType(TypeId::int32)}, {"count", DataType(TypeId::string)},
           {"ratio", DataType(TypeId::float32)}, {"nope", DataType(TypeId::int64)}}) {
    auto refused = table->change_column_type(column, type);
    ASSERT_FALSE(refused) << column;
    EXPECT_EQ(refused.error().code(), ErrorCode::schema_mismatch) << refused.error().to_string();
  }
  EXPECT_EQ(table->version(), version);
}

TEST(TypeWideningWrites, OnlyTheProtocolsWideningsAreMade) {
  EXPECT_TRUE(widens(DataType(TypeId::int8), DataType(TypeId::int16)));
  EXPECT_TRUE(widens(DataType(TypeId::int16), DataType(TypeId::int64)));
  EXPECT_FALSE(widens(DataType(TypeId::int64), DataType(TypeId::int32)));
  EXPECT_FALSE(widens(DataType(TypeId::int32), DataType(TypeId::int32)));
  EXPECT_TRUE(widens(DataType(TypeId::float32), DataType(TypeId::float64)));
  EXPECT_FALSE(widens(DataType(TypeId::float64), DataType(TypeId::float32)));
  EXPECT_TRUE(widens(DataType::decimal(9, 2), DataType::decimal(18, 2)));
  EXPECT_TRUE(widens(DataType::decimal(9, 2), DataType::decimal(12, 4)));
  EXPECT_FALSE(widens(DataType::decimal(9, 2), DataType::decimal(10, 4))) << "fewer integer digits";
  EXPECT_FALSE(widens(DataType::decimal(9, 2), DataType::decimal(12, 1))) << "a smaller scale";
  EXPECT_FALSE(widens(DataType(TypeId::string), DataType(TypeId::binary)));
}

}  // namespace

// The key rule every table format shares (src/formats/write_keys): a keyed
// write's keys indexed once, files ruled out by the bounds of their key
// columns, and the keys found in the files that remain, reading only their
// key columns. Over an in-memory DataFileSet, the way a format describes
// its data files.
#include <arrow/api.h>
#include <arrow/json/from_string.h>
#include <gtest/gtest.h>

#include <map>

#include "formats/write_keys.hpp"

namespace {

using lake::ErrorCode;
using lake::formats::ColumnBounds;
using lake::formats::KeyIndex;
using lake::formats::WriteKeys;

std::shared_ptr<arrow::RecordBatch> batch(const std::shared_ptr<arrow::Schema>& schema,
                                          const std::vector<std::string>& columns) {
  std::vector<std::shared_ptr<arrow::Array>> arrays;
  for (int i = 0; i < schema->num_fields(); ++i)
    arrays.push_back(*arrow::json::ArrayFromJSONString(schema->field(i)->type(), columns[static_cast<std::size_t>(i)]));
  return arrow::RecordBatch::Make(schema, arrays.front()->length(), arrays);
}

// Files as rows in memory, with bounds that may be given or left unknown;
// counts the files whose rows were read.
class MemoryFiles final : public lake::formats::DataFileSet {
 public:
  struct File {
    std::shared_ptr<arrow::RecordBatch> rows;
    std::map<std::string, ColumnBounds> bounds;
  };
  std::vector<File> files;
  mutable int reads = 0;

  std::size_t size() const override { return files.size(); }
  std::string name(std::size_t file) const override { return "file-" + std::to_string(file); }
  ColumnBounds bounds(std::size_t file, const std::string& column) const override {
    auto it = files[file].bounds.find(column);
    return it == files[file].bounds.end() ? ColumnBounds{} : it->second;
  }
  lake::Result<std::shared_ptr<arrow::RecordBatchReader>> read(std::size_t file,
                                                               const std::vector<std::string>& columns) const override {
    ++reads;
    std::vector<int> indexes;
    for (const auto& column : columns) indexes.push_back(files[file].rows->schema()->GetFieldIndex(column));
    auto selected = files[file].rows->SelectColumns(indexes);
    return *arrow::RecordBatchReader::Make({*selected});
  }
};

ColumnBounds range(std::shared_ptr<arrow::Scalar> low, std::shared_ptr<arrow::Scalar> high) {
  return {.min = std::move(low), .max = std::move(high), .all_null = false};
}

const auto kSchema = arrow::schema({arrow::field("id", arrow::utf8()), arrow::field("n", arrow::int64()),
                                    arrow::field("amount", arrow::decimal128(10, 2))});

TEST(WriteKeys, FindsOnlyTheKeysAFileReallyHoldsAndReadsOnlyWhatBoundsAllow) {
  auto write = batch(kSchema, {R"(["b-1", "b-2", "b-3", null])", "[1, 2, 3, 4]", R"(["1.00", "2.00", "3.00", "4.00"])"});
  auto keys = WriteKeys::make(*write, {"id"});
  ASSERT_TRUE(keys) << keys.error().to_string();
  MemoryFiles files;
  // Outside the write's keys by its bounds: never read.
  files.files.push_back({batch(kSchema, {R"(["a-1", "a-2"])", "[1, 2]", R"(["1.00", "2.00"])"}),
                         {{"id", range(std::make_shared<arrow::StringScalar>("a-1"),
                                       std::make_shared<arrow::StringScalar>("a-2"))}}});
  // Bounds around the keys but none of them: read, nothing found.
  files.files.push_back({batch(kSchema, {R"(["b-0", "b-25"])", "[1, 2]", R"(["1.00", "2.00"])"}),
                         {{"id", range(std::make_shared<arrow::StringScalar>("b-0"),
                                       std::make_shared<arrow::StringScalar>("b-25"))}}});
  // No bounds at all, one key: read, found.
  files.files.push_back({batch(kSchema, {R"(["b-2", "c-1", null])", "[1, 2, 3]", R"(["1.00", "2.00", "3.00"])"}), {}});
  // Every key NULL (the write's NULL key never matches): never read.
  files.files.push_back({batch(kSchema, {"[null]", "[1]", R"(["1.00"])"}), {{"id", {.all_null = true}}}});

  auto found = keys->find_in(files);
  ASSERT_TRUE(found) << found.error().to_string();
  EXPECT_EQ(found->count, 1);
  EXPECT_EQ(found->sample, std::vector<std::string>{"id=b-2"});
  EXPECT_EQ(found->files, std::vector<std::string>{"file-2"});
  EXPECT_EQ(files.reads, 2);
}

TEST(WriteKeys, BoundsOfEveryKeyColumnTogetherRuleFilesOut) {
  auto write = batch(kSchema, {R"(["x", "y"])", "[10, 20]", R"(["1.50", "9.99"])"});
  auto keys = WriteKeys::make(*write, {"n", "amount"});
  ASSERT_TRUE(keys) << keys.error().to_string();
  auto decimal = [](const char* text) {
    return *arrow::MakeScalar(arrow::decimal128(10, 2), arrow::Decimal128(std::stoll(text)));
  };
  MemoryFiles files;
  // n admits 10 (row 0) and amount admits 9.99 (row 1), but no one row
  // is within both: ruled out.
  files.files.push_back({batch(kSchema, {"[]", "[]", "[]"}),
                         {{"n", range(std::make_shared<arrow::Int64Scalar>(5), std::make_shared<arrow::Int64Scalar>(15))},
                          {"amount", range(decimal("900"), decimal("1000"))}}});
  // Both columns admit row 1.
  files.files.push_back({batch(kSchema, {"[]", "[]", "[]"}),
                         {{"n", range(std::make_shared<arrow::Int64Scalar>(15), std::make_shared<arrow::Int64Scalar>(25))},
                          {"amount", range(decimal("900"), decimal("1000"))}}});
  EXPECT_FALSE(keys->may_hold_any(files, 0));
  EXPECT_TRUE(keys->may_hold_any(files, 1));
  // Bounds of another type than the column's say nothing.
  files.files.push_back({batch(kSchema, {"[]", "[]", "[]"}),
                         {{"n", range(std::make_shared<arrow::Int32Scalar>(100), std::make_shared<arrow::Int32Scalar>(200))}}});
  EXPECT_TRUE(keys->may_hold_any(files, 2));
}

TEST(WriteKeys, TwoRowsWithOneKeyAreRefusedNamingIt) {
  auto write = batch(kSchema, {R"(["a", "b", "a"])", "[1, 2, 3]", R"(["1.00", "2.00", "3.00"])"});
  auto keys = WriteKeys::make(*write, {"id"});
  ASSERT_FALSE(keys);
  EXPECT_EQ(keys.error().code(), ErrorCode::invalid_argument);
  EXPECT_NE(keys.error().message().find("id=a"), std::string::npos) << keys.error().message();
  auto unknown = WriteKeys::make(*write, {"nope"});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code(), ErrorCode::schema_mismatch);
}

TEST(WriteKeys, LookupsNeedTheWritesKeyTypes) {
  auto write = batch(kSchema, {R"(["a"])", "[1]", R"(["1.00"])"});
  auto keys = WriteKeys::make(*write, {"n"});
  ASSERT_TRUE(keys);
  auto same = batch(arrow::schema({arrow::field("n", arrow::int64())}), {"[2, 1, null]"});
  auto rows = keys->find_all(*same);
  ASSERT_TRUE(rows);
  EXPECT_EQ(*rows, (std::vector<std::int64_t>{KeyIndex::kNoRow, 0, KeyIndex::kNoRow}));
  auto narrower = batch(arrow::schema({arrow::field("n", arrow::int32())}), {"[1]"});
  auto refused = keys->find_all(*narrower);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::schema_mismatch);
}

}  // namespace

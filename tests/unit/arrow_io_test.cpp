// Arrow I/O over the storage contract: Parquet written through an
// OutputStream on a backend and read back through ranged reads.
#include <arrow/api.h>
#include <arrow/io/memory.h>
#include <gtest/gtest.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/writer.h>

#include <lake/storage/arrow_io.hpp>

namespace {

std::shared_ptr<arrow::Table> sample_table(int rows) {
  arrow::Int64Builder ids;
  arrow::StringBuilder names;
  for (int i = 0; i < rows; ++i) {
    EXPECT_TRUE(ids.Append(i).ok());
    EXPECT_TRUE(names.Append("name-" + std::to_string(i)).ok());
  }
  auto schema = arrow::schema({arrow::field("id", arrow::int64()), arrow::field("name", arrow::utf8())});
  return arrow::Table::Make(schema, {*ids.Finish(), *names.Finish()});
}

TEST(ArrowIo, ParquetRoundTripsThroughABackend) {
  auto backend = lake::memory_backend();
  auto table = sample_table(10'000);
  {
    auto out = lake::open_arrow_output(*backend, "t/data.parquet", lake::PutMode::create);
    ASSERT_TRUE(out);
    ASSERT_TRUE(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), *out, 1'000).ok());
    // Nothing is visible before Close().
    EXPECT_FALSE(backend->head("t/data.parquet"));
    ASSERT_TRUE((*out)->Close().ok());
  }
  auto in = lake::open_arrow_input(*backend, "t/data.parquet");
  ASSERT_TRUE(in);
  auto reader = parquet::arrow::OpenFile(*in, arrow::default_memory_pool());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->num_row_groups(), 10);
  // One column of one row group: a ranged read, not the whole file.
  auto part = (*reader)->ReadRowGroup(3, {1});
  ASSERT_TRUE(part.ok()) << part.status().ToString();
  ASSERT_EQ((*part)->num_rows(), 1'000);
  auto names = std::static_pointer_cast<arrow::StringArray>((*part)->column(0)->chunk(0));
  EXPECT_EQ(names->GetString(0), "name-3000");
  auto whole = (*reader)->ReadTable();
  ASSERT_TRUE(whole.ok());
  EXPECT_TRUE((*whole)->Equals(*table));
}

TEST(ArrowIo, AbortedOutputLeavesNothing) {
  auto backend = lake::memory_backend();
  auto out = lake::open_arrow_output(*backend, "t/aborted.parquet", lake::PutMode::create);
  ASSERT_TRUE(out);
  ASSERT_TRUE((*out)->Write("partial", 7).ok());
  ASSERT_TRUE((*out)->Abort().ok());
  EXPECT_FALSE(backend->head("t/aborted.parquet"));
}

TEST(ArrowIo, InputOfAMissingObjectIsNotFound) {
  auto backend = lake::memory_backend();
  auto in = lake::open_arrow_input(*backend, "missing.parquet");
  ASSERT_FALSE(in);
  EXPECT_EQ(in.error().code(), lake::ErrorCode::not_found);
}

TEST(ArrowIo, ReadsPastTheEndAreShort) {
  auto backend = lake::memory_backend();
  ASSERT_TRUE(backend->put_text("x", "hello", lake::PutMode::create));
  auto in = lake::open_arrow_input(*backend, "x");
  ASSERT_TRUE(in);
  auto buffer = (*in)->ReadAt(3, 100);
  ASSERT_TRUE(buffer.ok());
  EXPECT_EQ((*buffer)->ToString(), "lo");
  auto beyond = (*in)->ReadAt(10, 5);
  ASSERT_TRUE(beyond.ok());
  EXPECT_EQ((*beyond)->size(), 0);
}

}  // namespace

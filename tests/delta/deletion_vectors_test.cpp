// Deletion vectors as the protocol stores them, built here with CRoaring
// and zlib from the spec's description: the serialized form (magic number,
// portable 64-bit Roaring bitmap), inline ('i', Z85) and in a file ('u',
// framed by size and CRC-32 at an offset). Read back exactly; every damaged
// form is refused by name, never read as fewer deletions; a table whose
// file has a vector reads without those rows, whatever the batch size,
// with the counts the log states. (Spark's own vectors: the interop test.)
#include <gtest/gtest.h>

#include <arrow/table.h>
#include <roaring/roaring64.h>
#include <zlib.h>

#include <array>
#include <format>

#include <lake/delta/snapshot.hpp>

#include "delta/deletion_vectors.hpp"
#include "delta/table_writer.hpp"
#include "delta/z85.hpp"
#include "table_support.hpp"

namespace {

using namespace lake;
using namespace lake::delta;
using namespace lake::delta::testing;

constexpr std::uint32_t kMagic = 1681511377;

// The serialized vector deleting `rows`.
std::string serialized(const std::vector<std::uint64_t>& rows) {
  roaring::api::roaring64_bitmap_t* bitmap = roaring::api::roaring64_bitmap_create();
  for (auto row : rows) roaring::api::roaring64_bitmap_add(bitmap, row);
  roaring::api::roaring64_bitmap_run_optimize(bitmap);
  std::string out(4 + roaring::api::roaring64_bitmap_portable_size_in_bytes(bitmap), '\0');
  for (int i = 0; i < 4; ++i) out[static_cast<std::size_t>(i)] = static_cast<char>((kMagic >> (8 * i)) & 0xFF);
  roaring::api::roaring64_bitmap_portable_serialize(bitmap, out.data() + 4);
  roaring::api::roaring64_bitmap_free(bitmap);
  return out;
}

void put_big_endian(std::string& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((value >> shift) & 0xFF);
}

// A deletion-vector file: the version byte, then each vector framed.
std::string vector_file(const std::vector<std::string>& vectors, std::vector<std::int32_t>& offsets) {
  std::string file(1, '\1');
  for (const auto& data : vectors) {
    offsets.push_back(static_cast<std::int32_t>(file.size()));
    put_big_endian(file, static_cast<std::uint32_t>(data.size()));
    file += data;
    put_big_endian(file, static_cast<std::uint32_t>(
                             crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(data.data()),
                                   static_cast<uInt>(data.size()))));
  }
  return file;
}

std::string z85_padded(std::string bytes) {
  while (bytes.size() % 4 != 0) bytes += '\0';
  std::string text;
  for (std::size_t i = 0; i < bytes.size(); i += 4) {
    std::uint64_t value = 0;
    for (std::size_t j = 0; j < 4; ++j) value = (value << 8) | static_cast<unsigned char>(bytes[i + j]);
    std::array<char, 5> group{};
    for (int j = 4; j >= 0; --j) {
      group[static_cast<std::size_t>(j)] = kZ85[value % 85];
      value /= 85;
    }
    text.append(group.data(), group.size());
  }
  return text;
}

// "<prefix><Z85 of the UUID's 16 bytes>", and the file name it stands for.
constexpr std::string_view kUuidPath = "ab^-aqEH.-t@S}K{vb[*k^";  // prefix "ab"

const std::vector<std::uint64_t> kRows{1, 3, 7, 70'000, std::uint64_t{5} << 32};

TEST(DeletionVectors, ParsedRowsAreTheBitmapsRows) {
  auto rows = DeletedRows::parse(serialized(kRows), "test");
  ASSERT_TRUE(rows) << rows.error().to_string();
  EXPECT_EQ((*rows)->cardinality(), kRows.size());
  for (auto row : kRows) EXPECT_TRUE((*rows)->contains(row)) << row;
  EXPECT_FALSE((*rows)->contains(0));
  EXPECT_FALSE((*rows)->contains(8));
  EXPECT_EQ((*rows)->count_in(0, 8), 3u);
  EXPECT_EQ((*rows)->count_in(4, 7), 0u);
  EXPECT_EQ((*rows)->count_in(0, std::uint64_t{6} << 32), kRows.size());
}

TEST(DeletionVectors, DamagedSerializedFormsAreRefused) {
  const std::string good = serialized(kRows);
  std::string wrong_magic = good;
  wrong_magic[0] = static_cast<char>(wrong_magic[0] - 1);  // 1681511376: the old native form
  std::string truncated = good.substr(0, good.size() - 3);
  for (const auto& [name, bytes] : std::vector<std::pair<std::string, std::string>>{
           {"magic", wrong_magic}, {"truncated", truncated}, {"empty", ""}, {"only magic", good.substr(0, 4)}}) {
    auto rows = DeletedRows::parse(bytes, "the vector");
    ASSERT_FALSE(rows) << name;
    EXPECT_EQ(rows.error().code(), ErrorCode::invalid_argument) << name;
    EXPECT_NE(rows.error().message().find("the vector"), std::string::npos) << rows.error().message();
  }
}

TEST(DeletionVectors, InlineAndFileVectorsLoadAndAreChecked) {
  auto backend = memory_backend();
  const TableLayout layout{.root = "t", .columns = {}, .partition_columns = {}, .arrow_schema = nullptr};
  const std::string data = serialized(kRows);
  const auto cardinality = static_cast<std::int64_t>(kRows.size());

  const DeletionVector inline_vector{'i', z85_padded(data), std::nullopt, static_cast<std::int32_t>(data.size()),
                                     cardinality};
  auto inline_rows = load_deleted_rows(*backend, layout, inline_vector, "part-0.parquet");
  ASSERT_TRUE(inline_rows) << inline_rows.error().to_string();
  EXPECT_TRUE((*inline_rows)->contains(70'000));

  // Two vectors in one file, the second at its offset.
  std::vector<std::int32_t> offsets;
  const std::string other = serialized({2});
  const std::string file = vector_file({other, data}, offsets);
  DeletionVector in_file{'u', std::string(kUuidPath), offsets[1], static_cast<std::int32_t>(data.size()), cardinality};
  auto key = deletion_vector_key(layout, in_file);
  ASSERT_TRUE(key) << key.error().to_string();
  EXPECT_EQ(*key, "t/" + *in_file.file_path());
  ASSERT_TRUE(backend->put(*key, std::as_bytes(std::span(file)), PutMode::overwrite));
  auto file_rows = load_deleted_rows(*backend, layout, in_file, "part-0.parquet");
  ASSERT_TRUE(file_rows) << file_rows.error().to_string();
  EXPECT_EQ((*file_rows)->cardinality(), kRows.size());
  EXPECT_FALSE((*file_rows)->contains(2)) << "the other vector's row";

  auto expect_refused = [&](const DeletionVector& vector, std::string_view why) {
    SCOPED_TRACE(why);
    auto rows = load_deleted_rows(*backend, layout, vector, "part-0.parquet");
    ASSERT_FALSE(rows);
    EXPECT_EQ(rows.error().code(), ErrorCode::invalid_argument) << rows.error().to_string();
    EXPECT_NE(rows.error().message().find("part-0.parquet"), std::string::npos) << rows.error().message();
  };
  DeletionVector wrong_count = in_file;
  wrong_count.cardinality = cardinality - 1;
  expect_refused(wrong_count, "the log's cardinality differs");
  DeletionVector wrong_size = in_file;
  wrong_size.size_in_bytes -= 1;
  expect_refused(wrong_size, "the frame's size differs");
  DeletionVector wrong_offset = in_file;
  wrong_offset.offset = offsets[0];
  expect_refused(wrong_offset, "another vector's frame");
  std::string damaged = file;
  damaged[static_cast<std::size_t>(offsets[1]) + 10] ^= 0x20;
  ASSERT_TRUE(backend->put(*key, std::as_bytes(std::span(damaged)), PutMode::overwrite));
  expect_refused(in_file, "a flipped bit fails the checksum");
  DeletionVector bad_inline = inline_vector;
  bad_inline.path_or_inline_dv[0] = '~';  // not in Z85's alphabet
  expect_refused(bad_inline, "inline text that is not Z85");
}

// A file of Spark's kind: the table's one data file, then the file again
// with a vector (and the file without it removed), as a DELETE commits.
TEST(DeletionVectors, ATableReadsWithoutTheRowsItsVectorsDelete) {
  std::shared_ptr<Backend> backend = memory_backend();
  auto table = Table::create(backend, "t", schema_of<Plain>());
  ASSERT_TRUE(table) << table.error().to_string();
  std::vector<Plain> rows;
  for (std::int64_t id = 0; id < 1000; ++id) rows.push_back({.id = id, .name = std::format("row {}", id), .score = 0.5});
  ASSERT_TRUE(table->append(batch_of(rows)));
  ASSERT_EQ(table->snapshot().files().size(), 1u);
  const Add file = table->snapshot().files().begin()->second;

  // Rows 0-99 and every 7th: whole batches and parts of batches.
  std::vector<std::uint64_t> deleted;
  for (std::uint64_t row = 0; row < 1000; ++row)
    if (row < 100 || row % 7 == 0) deleted.push_back(row);
  std::vector<std::int32_t> offsets;
  const std::string data = serialized(deleted);
  const DeletionVector vector{'u', std::string(kUuidPath), 0, static_cast<std::int32_t>(data.size()),
                              static_cast<std::int64_t>(deleted.size())};
  const std::string bytes = vector_file({data}, offsets);
  Add with_vector = file;
  with_vector.deletion_vector = vector;
  with_vector.deletion_vector->offset = offsets[0];
  const TableLayout layout{.root = "t", .columns = {}, .partition_columns = {}, .arrow_schema = nullptr};
  auto key = deletion_vector_key(layout, *with_vector.deletion_vector);
  ASSERT_TRUE(key) << key.error().to_string();
  ASSERT_TRUE(backend->put(*key, std::as_bytes(std::span(bytes)), PutMode::create));
  const Protocol vectors{3, 7, {"deletionVectors"}, {"deletionVectors"}};
  ASSERT_TRUE(backend->put_text(commit_key("t", 2), to_commit_text({vectors, with_vector, remove_of(file)}), PutMode::create));
  ASSERT_TRUE(table->refresh());

  std::vector<Plain> kept;
  for (const auto& row : rows)
    if (!std::ranges::contains(deleted, static_cast<std::uint64_t>(row.id))) kept.push_back(row);
  EXPECT_EQ(table->snapshot().num_records(), static_cast<std::int64_t>(kept.size()));
  for (std::int64_t batch_rows : {1, 64, 100, 4096}) {
    SCOPED_TRACE(batch_rows);
    auto read = read_all<Plain>(*table, ReadOptions{.columns = {}, .filter = std::nullopt, .batch_rows = batch_rows});
    ASSERT_EQ(read.size(), kept.size());
    EXPECT_TRUE(std::ranges::equal(read, kept, [](const Plain& a, const Plain& b) { return a.id == b.id && a.name == b.name; }));
  }
  // Only the key column (the key index of a keyed write reads so).
  auto ids = table->scan(ReadOptions{.columns = {"id"}, .filter = std::nullopt, .batch_rows = 128});
  ASSERT_TRUE(ids) << ids.error().to_string();
  auto id_rows = (*ids)->ToTable();
  ASSERT_TRUE(id_rows.ok()) << id_rows.status().ToString();
  EXPECT_EQ((*id_rows)->num_rows(), static_cast<std::int64_t>(kept.size()));

  // A vector file gone is an error, not the file's rows.
  ASSERT_TRUE(backend->remove(*key));
  auto reader = table->scan();
  if (reader) {
    auto read = (*reader)->ToTable();
    ASSERT_FALSE(read.ok()) << "read " << (*read)->num_rows() << " rows without the vector";
  } else {
    EXPECT_EQ(reader.error().code(), ErrorCode::not_found) << reader.error().to_string();
  }
}

}  // namespace

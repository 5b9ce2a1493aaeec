// Avro container files (src/iceberg/avro_file): what the writer frames is
// read back record for record with the header's own keys; damage is a
// typed error, never a short read.
#include <gtest/gtest.h>

#include <cstring>

#include "iceberg/avro_file.hpp"

namespace {

using namespace lake::iceberg;
using lake::ErrorCode;
using lake::Status;

constexpr const char* kSchema = R"({
  "type": "record", "name": "entry", "fields": [
    {"name": "id", "type": "long"},
    {"name": "name", "type": "string"},
    {"name": "note", "type": ["null", "string"], "default": null},
    {"name": "sizes", "type": {"type": "array", "items": {"type": "record", "name": "k1_v2",
      "fields": [{"name": "key", "type": "int"}, {"name": "value", "type": "long"}]}}}
  ]})";

std::vector<std::byte> write_entries(int count) {
  auto writer = avro::Writer::make(kSchema, {{"format-version", "2"}, {"content", "data"}});
  EXPECT_TRUE(writer) << writer.error().to_string();
  for (int i = 0; i < count; ++i) {
    avro_value_t& record = (*writer)->record();
    auto id = avro::field(record, "id");
    EXPECT_TRUE(avro::check(avro_value_set_long(&*id, i * 1000003LL), "id"));
    auto name = avro::field(record, "name");
    const std::string text = "entry-" + std::to_string(i);
    EXPECT_TRUE(avro::check(avro_value_set_string_len(&*name, text.c_str(), text.size() + 1), "name"));
    auto note = avro::field(record, "note");
    if (i % 2 == 0) {
      EXPECT_TRUE(avro::set_null(*note));
    } else {
      auto present = avro::set_present(*note);
      EXPECT_TRUE(avro::check(avro_value_set_string(&*present, "odd"), "note"));
    }
    auto sizes = avro::field(record, "sizes");
    for (int k = 0; k < i % 3; ++k) {
      avro_value_t element;
      EXPECT_TRUE(avro::check(avro_value_append(&*sizes, &element, nullptr), "append"));
      auto key = avro::field(element, "key");
      EXPECT_TRUE(avro::check(avro_value_set_int(&*key, k), "key"));
      auto value = avro::field(element, "value");
      EXPECT_TRUE(avro::check(avro_value_set_long(&*value, 10LL * k), "value"));
    }
    EXPECT_TRUE((*writer)->append());
  }
  auto bytes = (*writer)->finish();
  EXPECT_TRUE(bytes) << bytes.error().to_string();
  return *bytes;
}

TEST(AvroFile, RecordsAndHeaderKeysReadBackAsWritten) {
  // Enough records for several blocks.
  constexpr int kCount = 40000;
  const auto bytes = write_entries(kCount);
  int seen = 0;
  auto file = avro::read(bytes, "entries.avro", [&](const avro::Value& r) -> Status {
    auto id = r.field("id").and_then([](const avro::Value& v) { return v.as_long(); });
    EXPECT_EQ(id.value_or(-1), seen * 1000003LL);
    auto name = r.field("name").and_then([](const avro::Value& v) { return v.as_string(); });
    EXPECT_EQ(name.value_or(""), "entry-" + std::to_string(seen));
    auto note = r.optional_field("note");
    EXPECT_EQ(note.has_value(), seen % 2 == 1);
    if (note) {
      EXPECT_EQ(note->as_string().value_or(""), "odd");
    }
    EXPECT_FALSE(r.optional_field("not_in_the_schema"));
    auto sizes = r.field("sizes").and_then([](const avro::Value& v) { return v.elements(); });
    EXPECT_TRUE(sizes);
    EXPECT_EQ(sizes->size(), static_cast<std::size_t>(seen % 3));
    for (std::size_t k = 0; k < sizes->size(); ++k)
      EXPECT_EQ((*sizes)[k].field("value").and_then([](const avro::Value& v) { return v.as_long(); }).value_or(-1),
                10LL * static_cast<std::int64_t>(k));
    ++seen;
    return {};
  });
  ASSERT_TRUE(file) << file.error().to_string();
  EXPECT_EQ(seen, kCount);
  EXPECT_EQ(file->metadata.at("format-version"), "2");
  EXPECT_EQ(file->metadata.at("content"), "data");
  EXPECT_EQ(file->metadata.at("avro.codec"), "deflate");
  // Several blocks, each compressed: far smaller than the records.
  EXPECT_LT(bytes.size(), static_cast<std::size_t>(kCount) * 8);
}

TEST(AvroFile, DamageIsATypedErrorNeverAShortRead) {
  const auto good = write_entries(100);
  auto read_all = [](std::span<const std::byte> bytes) {
    return avro::read(bytes, "damaged.avro", [](const avro::Value&) -> Status { return {}; });
  };
  ASSERT_TRUE(read_all(good));

  auto truncated = std::span(good).first(good.size() - 5);
  auto cut = read_all(truncated);
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error().code(), ErrorCode::invalid_argument);
  EXPECT_NE(cut.error().message().find("damaged.avro"), std::string::npos);

  auto wrong_sync = good;
  wrong_sync.back() ^= std::byte{0xff};
  auto synced = read_all(wrong_sync);
  ASSERT_FALSE(synced);
  EXPECT_NE(synced.error().message().find("sync"), std::string::npos) << synced.error().message();

  std::vector<std::byte> not_avro(good.begin(), good.end());
  not_avro[0] = std::byte{'X'};
  EXPECT_EQ(read_all(not_avro).error().code(), ErrorCode::invalid_argument);

  // A codec this reader does not have: refused by name.
  auto writer = avro::Writer::make(R"({"type": "record", "name": "r", "fields": [{"name": "a", "type": "int"}]})", {});
  ASSERT_TRUE(writer);
  auto bytes = (*writer)->finish();
  ASSERT_TRUE(bytes);
  std::string text(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  const auto at = text.find("deflate");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 7, "lz4xxxx");
  auto refused = read_all(std::as_bytes(std::span(text)));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::unsupported);
  EXPECT_NE(refused.error().message().find("lz4xxxx"), std::string::npos);
}

}  // namespace

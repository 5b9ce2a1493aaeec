// Avro object container files, the form of Iceberg's manifest lists and
// manifests. Records are encoded and decoded by Avro C (Debian's libavro);
// the container around them (header with key-value metadata, blocks, sync
// markers, block codecs) is framed here, because Iceberg puts its own keys
// in the header ("schema", "partition-spec", "format-version", ...) and
// Avro C's file API can neither write nor return them.
//
// Records are avro_value_t of the file's own (writer's) schema; Record
// reads fields by name, so a reader does not depend on field order or on
// optional fields an older writer left out.
#pragma once

#include <avro.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lake/error.hpp"

namespace lake::iceberg::avro {

// A read-only view of one decoded value, with typed accessors that name
// the field in their errors. Unions are looked through: a null branch
// reads as absent, any other as its value.
class Value {
 public:
  Value(avro_value_t value, std::string path) : value_(value), path_(std::move(path)) {}

  [[nodiscard]] bool is_null() const;
  // A record field; ErrorCode::invalid_argument when the record has none.
  [[nodiscard]] Result<Value> field(std::string_view name) const;
  // A record field that may be missing from the writer's schema, or null.
  [[nodiscard]] std::optional<Value> optional_field(std::string_view name) const;

  [[nodiscard]] Result<std::int32_t> as_int() const;
  [[nodiscard]] Result<std::int64_t> as_long() const;  // an int widens
  [[nodiscard]] Result<bool> as_bool() const;
  [[nodiscard]] Result<std::string> as_string() const;
  [[nodiscard]] Result<std::string> as_bytes() const;  // bytes or fixed
  // An array's elements.
  [[nodiscard]] Result<std::vector<Value>> elements() const;
  // A record's fields, in the writer's order (nulls included).
  [[nodiscard]] Result<std::vector<Value>> fields() const;

  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  [[nodiscard]] avro_value_t resolved() const;  // through a union's branch
  [[nodiscard]] Result<std::vector<Value>> children(bool record) const;
  [[nodiscard]] Error wrong(std::string_view expected) const;
  avro_value_t value_;
  std::string path_;
};

struct ContainerFile {
  std::map<std::string, std::string> metadata;  // avro.schema, avro.codec, the writer's own keys
};

// Decodes every record of `bytes`, calling `visit` for each (stopping at
// its first error). `where` names the file in errors. Codecs: null,
// deflate, snappy, zstandard; others are ErrorCode::unsupported.
[[nodiscard]] Result<ContainerFile> read(std::span<const std::byte> bytes, std::string_view where,
                                         const std::function<Status(const Value&)>& visit);

// Writes records of one schema into a container file (deflate blocks).
class Writer {
 public:
  // `schema_json`: the Avro schema; `metadata`: the header's extra keys.
  [[nodiscard]] static Result<std::unique_ptr<Writer>> make(std::string_view schema_json,
                                                            std::map<std::string, std::string> metadata);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // A cleared record to fill (Avro C's setters: avro_value_get_by_name,
  // avro_value_set_*, set_branch, append), then append() encodes it.
  [[nodiscard]] avro_value_t& record();
  [[nodiscard]] Status append();
  [[nodiscard]] std::int64_t records() const noexcept { return records_; }
  // The whole file.
  [[nodiscard]] Result<std::vector<std::byte>> finish();

 private:
  Writer() = default;
  [[nodiscard]] Status flush_block();

  avro_schema_t schema_ = nullptr;
  avro_value_iface_t* iface_ = nullptr;
  avro_value_t record_{};
  std::string schema_json_;
  std::map<std::string, std::string> metadata_;
  std::vector<char> block_;  // encoded records not yet in a block
  std::int64_t block_records_ = 0;
  std::int64_t records_ = 0;
  std::vector<std::byte> blocks_;  // finished blocks
  std::array<std::byte, 16> sync_{};
};

// Avro C's setters, with its error text on failure, naming `what`.
[[nodiscard]] Status check(int avro_status, std::string_view what);
// The named field of a record being filled.
[[nodiscard]] Result<avro_value_t> field(avro_value_t& record, const char* name);
// Fills a ["null", T] union: the null branch, or the T branch via `set`.
[[nodiscard]] Status set_null(avro_value_t& union_value);
[[nodiscard]] Result<avro_value_t> set_present(avro_value_t& union_value);

}  // namespace lake::iceberg::avro

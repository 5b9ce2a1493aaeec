#include "iceberg/avro_file.hpp"

#include <arrow/util/compression.h>
#include <zlib.h>

#include <cstring>
#include <format>
#include <random>

#include "core/propagate.hpp"

namespace lake::iceberg::avro {
namespace {

constexpr char kMagic[4] = {'O', 'b', 'j', '\x01'};
// Blocks of about this many encoded bytes: large enough to compress well,
// small enough that a reader holds little at a time.
constexpr std::size_t kBlockBytes = 1 << 20;

std::string avro_error() { return avro_strerror(); }

// The container's own encoding (Avro's binary encoding of longs and
// bytes), for the header and block framing.
class Cursor {
 public:
  Cursor(std::span<const std::byte> bytes, std::string_view where) : bytes_(bytes), where_(where) {}

  Result<std::int64_t> varlong() {
    std::uint64_t raw = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at_ >= bytes_.size()) return truncated();
      const auto b = std::to_integer<std::uint8_t>(bytes_[at_++]);
      raw |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return static_cast<std::int64_t>((raw >> 1) ^ (~(raw & 1) + 1));
    }
    return fail(ErrorCode::invalid_argument, std::format("Avro file '{}': a number runs past 10 bytes", where_));
  }
  Result<std::span<const std::byte>> take(std::int64_t count) {
    if (count < 0 || static_cast<std::uint64_t>(count) > bytes_.size() - at_) return truncated();
    auto out = bytes_.subspan(at_, static_cast<std::size_t>(count));
    at_ += static_cast<std::size_t>(count);
    return out;
  }
  Result<std::string> string() {
    LAKE_ASSIGN_OR_RETURN(auto length, varlong());
    LAKE_ASSIGN_OR_RETURN(auto data, take(length));
    return std::string(reinterpret_cast<const char*>(data.data()), data.size());
  }
  [[nodiscard]] bool done() const noexcept { return at_ == bytes_.size(); }

 private:
  std::unexpected<Error> truncated() const {
    return fail(ErrorCode::invalid_argument, std::format("Avro file '{}' is truncated", where_));
  }
  std::span<const std::byte> bytes_;
  std::size_t at_ = 0;
  std::string_view where_;
};

void put_varlong(std::vector<std::byte>& out, std::int64_t value) {
  auto raw = (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63);
  while (raw >= 0x80) {
    out.push_back(static_cast<std::byte>((raw & 0x7f) | 0x80));
    raw >>= 7;
  }
  out.push_back(static_cast<std::byte>(raw));
}

void put_bytes(std::vector<std::byte>& out, std::string_view data) {
  put_varlong(out, static_cast<std::int64_t>(data.size()));
  const auto* p = reinterpret_cast<const std::byte*>(data.data());
  out.insert(out.end(), p, p + data.size());
}

Result<std::vector<char>> inflate_raw(std::span<const std::byte> input, std::string_view where) {
  z_stream stream{};
  if (inflateInit2(&stream, -15) != Z_OK) return fail(ErrorCode::internal, "zlib: inflateInit2 failed");
  std::vector<char> out(std::max<std::size_t>(input.size() * 4, 1024));
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(input.data()));
  stream.avail_in = static_cast<uInt>(input.size());
  int status = Z_OK;
  while (status != Z_STREAM_END) {
    if (stream.total_out == out.size()) out.resize(out.size() * 2);
    stream.next_out = reinterpret_cast<Bytef*>(out.data() + stream.total_out);
    stream.avail_out = static_cast<uInt>(out.size() - stream.total_out);
    status = inflate(&stream, Z_NO_FLUSH);
    if (status != Z_OK && status != Z_STREAM_END && !(status == Z_BUF_ERROR && stream.avail_out == 0)) {
      inflateEnd(&stream);
      return fail(ErrorCode::invalid_argument, std::format("Avro file '{}': a deflate block is corrupt", where));
    }
    if (status == Z_BUF_ERROR && stream.avail_in == 0 && stream.avail_out != 0) {
      inflateEnd(&stream);
      return fail(ErrorCode::invalid_argument, std::format("Avro file '{}': a deflate block is truncated", where));
    }
  }
  out.resize(stream.total_out);
  inflateEnd(&stream);
  return out;
}

Result<std::vector<char>> deflate_raw(std::span<const char> input) {
  z_stream stream{};
  if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return fail(ErrorCode::internal, "zlib: deflateInit2 failed");
  std::vector<char> out(deflateBound(&stream, static_cast<uLong>(input.size())));
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  stream.avail_in = static_cast<uInt>(input.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int status = deflate(&stream, Z_FINISH);
  deflateEnd(&stream);
  if (status != Z_STREAM_END) return fail(ErrorCode::internal, "zlib: deflate did not finish");
  out.resize(stream.total_out);
  return out;
}

Result<std::vector<char>> decompress(std::string_view codec, std::span<const std::byte> block, std::string_view where) {
  if (codec == "null") return std::vector<char>(reinterpret_cast<const char*>(block.data()),
                                                reinterpret_cast<const char*>(block.data()) + block.size());
  if (codec == "deflate") return inflate_raw(block, where);
  auto corrupt = [&](std::string_view what) {
    return fail(ErrorCode::invalid_argument, std::format("Avro file '{}': a {} block is corrupt", where, what));
  };
  if (codec == "snappy") {
    // Snappy data, then the CRC-32 of the uncompressed bytes. Snappy's
    // stream opens with the uncompressed length as a varint.
    if (block.size() < 4) return corrupt("snappy");
    const auto data = block.first(block.size() - 4);
    std::uint64_t length = 0;
    std::size_t i = 0;
    for (int shift = 0; i < data.size() && shift < 35; shift += 7) {
      const auto b = std::to_integer<std::uint8_t>(data[i++]);
      length |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    auto codec_made = arrow::util::Codec::Create(arrow::Compression::SNAPPY);
    if (!codec_made.ok()) return fail(ErrorCode::unsupported, "Avro snappy blocks: Arrow was built without snappy");
    std::vector<char> out(length);
    auto done = (*codec_made)->Decompress(static_cast<std::int64_t>(data.size()),
                                          reinterpret_cast<const std::uint8_t*>(data.data()),
                                          static_cast<std::int64_t>(out.size()), reinterpret_cast<std::uint8_t*>(out.data()));
    if (!done.ok() || static_cast<std::uint64_t>(*done) != length) return corrupt("snappy");
    const auto* crc_bytes = reinterpret_cast<const unsigned char*>(block.data() + data.size());
    const std::uint32_t expected = (std::uint32_t{crc_bytes[0]} << 24) | (std::uint32_t{crc_bytes[1]} << 16) |
                                   (std::uint32_t{crc_bytes[2]} << 8) | std::uint32_t{crc_bytes[3]};
    if (crc32(0L, reinterpret_cast<const Bytef*>(out.data()), static_cast<uInt>(out.size())) != expected)
      return corrupt("snappy (checksum)");
    return out;
  }
  if (codec == "zstandard") {
    auto codec_made = arrow::util::Codec::Create(arrow::Compression::ZSTD);
    if (!codec_made.ok()) return fail(ErrorCode::unsupported, "Avro zstandard blocks: Arrow was built without zstd");
    auto decompressor = (*codec_made)->MakeDecompressor();
    if (!decompressor.ok()) return corrupt("zstandard");
    std::vector<char> out(std::max<std::size_t>(block.size() * 4, 1024));
    std::size_t in_at = 0, out_at = 0;
    while (!(*decompressor)->IsFinished()) {
      if (out_at == out.size()) out.resize(out.size() * 2);
      auto step = (*decompressor)->Decompress(
          static_cast<std::int64_t>(block.size() - in_at), reinterpret_cast<const std::uint8_t*>(block.data() + in_at),
          static_cast<std::int64_t>(out.size() - out_at), reinterpret_cast<std::uint8_t*>(out.data() + out_at));
      if (!step.ok()) return corrupt("zstandard");
      in_at += static_cast<std::size_t>(step->bytes_read);
      out_at += static_cast<std::size_t>(step->bytes_written);
      if (step->bytes_read == 0 && step->bytes_written == 0 && !step->need_more_output) {
        if (in_at == block.size()) break;
        return corrupt("zstandard");
      }
    }
    out.resize(out_at);
    return out;
  }
  return fail(ErrorCode::unsupported, std::format("Avro file '{}' uses the codec '{}'", where, codec));
}

// Owners of Avro C's reference-counted handles.
struct SchemaHandle {
  avro_schema_t schema = nullptr;
  ~SchemaHandle() {
    if (schema) avro_schema_decref(schema);
  }
};
struct ClassHandle {
  avro_value_iface_t* iface = nullptr;
  ~ClassHandle() {
    if (iface) avro_value_iface_decref(iface);
  }
};
struct ValueHandle {
  avro_value_t value{};
  bool made = false;
  ~ValueHandle() {
    if (made) avro_value_decref(&value);
  }
};

Result<avro_schema_t> parse_schema(std::string_view json, std::string_view where) {
  avro_schema_t schema = nullptr;
  if (avro_schema_from_json_length(json.data(), json.size(), &schema) != 0)
    return fail(ErrorCode::invalid_argument, std::format("Avro file '{}': its schema does not parse: {}", where, avro_error()));
  return schema;
}

}  // namespace

// ---- Value ----

avro_value_t Value::resolved() const {
  avro_value_t v = value_;
  while (avro_value_get_type(&v) == AVRO_UNION) {
    avro_value_t branch;
    if (avro_value_get_current_branch(&v, &branch) != 0) break;
    v = branch;
  }
  return v;
}

bool Value::is_null() const {
  avro_value_t v = resolved();
  return avro_value_get_type(&v) == AVRO_NULL;
}

Error Value::wrong(std::string_view expected) const {
  return Error(ErrorCode::invalid_argument, std::format("Avro value '{}' is not {}", path_, expected));
}

Result<Value> Value::field(std::string_view name) const {
  if (auto found = optional_field(name)) return *found;
  return fail(ErrorCode::invalid_argument, std::format("Avro record '{}' has no field '{}'", path_, name));
}

std::optional<Value> Value::optional_field(std::string_view name) const {
  avro_value_t v = resolved();
  if (avro_value_get_type(&v) != AVRO_RECORD) return std::nullopt;
  avro_value_t child;
  const std::string key(name);
  if (avro_value_get_by_name(&v, key.c_str(), &child, nullptr) != 0) return std::nullopt;
  Value out(child, path_.empty() ? key : path_ + "." + key);
  if (out.is_null()) return std::nullopt;
  return out;
}

Result<std::int32_t> Value::as_int() const {
  avro_value_t v = resolved();
  std::int32_t out = 0;
  if (avro_value_get_type(&v) != AVRO_INT32 || avro_value_get_int(&v, &out) != 0) return fail(wrong("an int"));
  return out;
}

Result<std::int64_t> Value::as_long() const {
  avro_value_t v = resolved();
  if (avro_value_get_type(&v) == AVRO_INT32) return as_int().transform([](std::int32_t i) { return std::int64_t{i}; });
  std::int64_t out = 0;
  if (avro_value_get_type(&v) != AVRO_INT64 || avro_value_get_long(&v, &out) != 0) return fail(wrong("a long"));
  return out;
}

Result<bool> Value::as_bool() const {
  avro_value_t v = resolved();
  int out = 0;
  if (avro_value_get_type(&v) != AVRO_BOOLEAN || avro_value_get_boolean(&v, &out) != 0) return fail(wrong("a boolean"));
  return out != 0;
}

Result<std::string> Value::as_string() const {
  avro_value_t v = resolved();
  const char* data = nullptr;
  std::size_t size = 0;
  if (avro_value_get_type(&v) != AVRO_STRING || avro_value_get_string(&v, &data, &size) != 0) return fail(wrong("a string"));
  return std::string(data, size > 0 ? size - 1 : 0);  // Avro C counts the terminating NUL
}

Result<std::string> Value::as_bytes() const {
  avro_value_t v = resolved();
  const void* data = nullptr;
  std::size_t size = 0;
  const avro_type_t type = avro_value_get_type(&v);
  const int status = type == AVRO_BYTES   ? avro_value_get_bytes(&v, &data, &size)
                     : type == AVRO_FIXED ? avro_value_get_fixed(&v, &data, &size)
                                          : -1;
  if (status != 0) return fail(wrong("bytes"));
  return std::string(static_cast<const char*>(data), size);
}

Result<std::vector<Value>> Value::children(bool record) const {
  avro_value_t v = resolved();
  std::size_t size = 0;
  const std::string_view what = record ? "a record" : "an array";
  if (avro_value_get_type(&v) != (record ? AVRO_RECORD : AVRO_ARRAY) || avro_value_get_size(&v, &size) != 0)
    return fail(wrong(what));
  std::vector<Value> out;
  out.reserve(size);
  for (std::size_t i = 0; i < size; ++i) {
    avro_value_t child;
    const char* name = nullptr;
    if (avro_value_get_by_index(&v, i, &child, &name) != 0) return fail(wrong(std::format("a readable {}", what)));
    out.emplace_back(child, record ? std::format("{}.{}", path_, name ? name : "?") : std::format("{}[{}]", path_, i));
  }
  return out;
}

Result<std::vector<Value>> Value::elements() const { return children(false); }
Result<std::vector<Value>> Value::fields() const { return children(true); }

// ---- reading ----

Result<ContainerFile> read(std::span<const std::byte> bytes, std::string_view where,
                           const std::function<Status(const Value&)>& visit) {
  Cursor in(bytes, where);
  LAKE_ASSIGN_OR_RETURN(auto magic, in.take(4));
  if (std::memcmp(magic.data(), kMagic, 4) != 0)
    return fail(ErrorCode::invalid_argument, std::format("'{}' is not an Avro file", where));
  ContainerFile file;
  // The header's metadata: an Avro map of bytes, in blocks (a negative
  // count is followed by the block's size in bytes).
  for (;;) {
    LAKE_ASSIGN_OR_RETURN(auto count, in.varlong());
    if (count == 0) break;
    if (count < 0) {
      count = -count;
      LAKE_RETURN_IF_ERROR(in.varlong());
    }
    for (std::int64_t i = 0; i < count; ++i) {
      LAKE_ASSIGN_OR_RETURN(auto key, in.string());
      LAKE_ASSIGN_OR_RETURN(auto value, in.string());
      file.metadata[std::move(key)] = std::move(value);
    }
  }
  LAKE_ASSIGN_OR_RETURN(auto sync, in.take(16));
  auto schema_json = file.metadata.find("avro.schema");
  if (schema_json == file.metadata.end())
    return fail(ErrorCode::invalid_argument, std::format("Avro file '{}' has no schema", where));
  const std::string codec = file.metadata.contains("avro.codec") ? file.metadata["avro.codec"] : "null";
  if (codec != "null" && codec != "deflate" && codec != "snappy" && codec != "zstandard")
    return fail(ErrorCode::unsupported, std::format("Avro file '{}' uses the codec '{}'", where, codec));

  SchemaHandle schema;
  LAKE_ASSIGN_OR_RETURN(schema.schema, parse_schema(schema_json->second, where));
  ClassHandle type{avro_generic_class_from_schema(schema.schema)};
  if (!type.iface) return fail(ErrorCode::internal, std::format("Avro file '{}': {}", where, avro_error()));
  ValueHandle record;
  if (avro_generic_value_new(type.iface, &record.value) != 0)
    return fail(ErrorCode::internal, std::format("Avro file '{}': {}", where, avro_error()));
  record.made = true;

  while (!in.done()) {
    LAKE_ASSIGN_OR_RETURN(auto count, in.varlong());
    LAKE_ASSIGN_OR_RETURN(auto size, in.varlong());
    LAKE_ASSIGN_OR_RETURN(auto data, in.take(size));
    LAKE_ASSIGN_OR_RETURN(auto block_sync, in.take(16));
    if (std::memcmp(block_sync.data(), sync.data(), 16) != 0)
      return fail(ErrorCode::invalid_argument, std::format("Avro file '{}': a block's sync marker is wrong", where));
    LAKE_ASSIGN_OR_RETURN(auto block, decompress(codec, data, where));
    avro_reader_t reader = avro_reader_memory(block.data(), static_cast<std::int64_t>(block.size()));
    for (std::int64_t i = 0; i < count; ++i) {
      avro_value_reset(&record.value);
      if (avro_value_read(reader, &record.value) != 0) {
        avro_reader_free(reader);
        return fail(ErrorCode::invalid_argument, std::format("Avro file '{}': record {} does not decode: {}", where,
                                                             i, avro_error()));
      }
      if (auto visited = visit(Value(record.value, "")); !visited) {
        avro_reader_free(reader);
        return fail(visited.error().with_context(std::format("Avro file '{}'", where)));
      }
    }
    avro_reader_free(reader);
  }
  return file;
}

// ---- writing ----

Status check(int avro_status, std::string_view what) {
  if (avro_status == 0) return {};
  return fail(ErrorCode::internal, std::format("Avro: {}: {}", what, avro_error()));
}

Result<avro_value_t> field(avro_value_t& record, const char* name) {
  avro_value_t child;
  LAKE_RETURN_IF_ERROR(check(avro_value_get_by_name(&record, name, &child, nullptr), name));
  return child;
}

namespace {
Result<int> null_branch(avro_value_t& union_value, bool want_null) {
  avro_schema_t schema = avro_value_get_schema(&union_value);
  if (!is_avro_union(schema)) return fail(ErrorCode::internal, "Avro: a value set as optional is not a union");
  const auto branches = avro_schema_union_size(schema);
  for (std::size_t i = 0; i < branches; ++i) {
    const bool is_null = is_avro_null(avro_schema_union_branch(schema, static_cast<int>(i)));
    if (is_null == want_null) return static_cast<int>(i);
  }
  return fail(ErrorCode::internal, "Avro: an optional union lacks the branch asked for");
}
}  // namespace

Status set_null(avro_value_t& union_value) {
  LAKE_ASSIGN_OR_RETURN(int index, null_branch(union_value, true));
  avro_value_t branch;
  LAKE_RETURN_IF_ERROR(check(avro_value_set_branch(&union_value, index, &branch), "union branch"));
  return check(avro_value_set_null(&branch), "null");
}

Result<avro_value_t> set_present(avro_value_t& union_value) {
  LAKE_ASSIGN_OR_RETURN(int index, null_branch(union_value, false));
  avro_value_t branch;
  LAKE_RETURN_IF_ERROR(check(avro_value_set_branch(&union_value, index, &branch), "union branch"));
  return branch;
}

Result<std::unique_ptr<Writer>> Writer::make(std::string_view schema_json, std::map<std::string, std::string> metadata) {
  std::unique_ptr<Writer> writer(new Writer());
  LAKE_ASSIGN_OR_RETURN(writer->schema_, parse_schema(schema_json, "(being written)"));
  writer->iface_ = avro_generic_class_from_schema(writer->schema_);
  if (!writer->iface_) return fail(ErrorCode::internal, std::format("Avro: {}", avro_error()));
  if (avro_generic_value_new(writer->iface_, &writer->record_) != 0) {
    avro_value_iface_decref(writer->iface_);
    writer->iface_ = nullptr;
    return fail(ErrorCode::internal, std::format("Avro: {}", avro_error()));
  }
  writer->schema_json_ = std::string(schema_json);
  writer->metadata_ = std::move(metadata);
  std::random_device random;
  for (auto& b : writer->sync_) b = static_cast<std::byte>(random() & 0xff);
  return writer;
}

Writer::~Writer() {
  if (iface_) {
    avro_value_decref(&record_);
    avro_value_iface_decref(iface_);
  }
  if (schema_) avro_schema_decref(schema_);
}

avro_value_t& Writer::record() {
  avro_value_reset(&record_);
  return record_;
}

Status Writer::append() {
  std::size_t size = 0;
  LAKE_RETURN_IF_ERROR(check(avro_value_sizeof(&record_, &size), "sizing a record"));
  const std::size_t at = block_.size();
  block_.resize(at + size);
  avro_writer_t out = avro_writer_memory(block_.data() + at, static_cast<std::int64_t>(size));
  const int status = avro_value_write(out, &record_);
  avro_writer_free(out);
  LAKE_RETURN_IF_ERROR(check(status, "encoding a record"));
  ++block_records_;
  ++records_;
  if (block_.size() >= kBlockBytes) LAKE_RETURN_IF_ERROR(flush_block());
  return {};
}

Status Writer::flush_block() {
  if (block_records_ == 0) return {};
  LAKE_ASSIGN_OR_RETURN(auto compressed, deflate_raw(block_));
  put_varlong(blocks_, block_records_);
  put_bytes(blocks_, std::string_view(compressed.data(), compressed.size()));
  blocks_.insert(blocks_.end(), sync_.begin(), sync_.end());
  block_.clear();
  block_records_ = 0;
  return {};
}

Result<std::vector<std::byte>> Writer::finish() {
  LAKE_RETURN_IF_ERROR(flush_block());
  std::vector<std::byte> out;
  for (char c : kMagic) out.push_back(static_cast<std::byte>(c));
  auto metadata = metadata_;
  metadata["avro.schema"] = schema_json_;
  metadata["avro.codec"] = "deflate";
  put_varlong(out, static_cast<std::int64_t>(metadata.size()));
  for (const auto& [key, value] : metadata) {
    put_bytes(out, key);
    put_bytes(out, value);
  }
  put_varlong(out, 0);
  out.insert(out.end(), sync_.begin(), sync_.end());
  out.insert(out.end(), blocks_.begin(), blocks_.end());
  return out;
}

}  // namespace lake::iceberg::avro

#include "delta/deletion_vectors.hpp"

#include <roaring/roaring64.h>
#include <zlib.h>

#include <format>
#include <limits>
#include <span>

#include "core/propagate.hpp"
#include "delta/percent_encoding.hpp"
#include "delta/z85.hpp"
#include "lake/ingest_id.hpp"

namespace lake::delta {

struct DeletedRows::Bitmap {
  roaring::api::roaring64_bitmap_t* roaring;
  explicit Bitmap(roaring::api::roaring64_bitmap_t* r) : roaring(r) {}
  Bitmap(const Bitmap&) = delete;
  Bitmap& operator=(const Bitmap&) = delete;
  ~Bitmap() { roaring::api::roaring64_bitmap_free(roaring); }
};

namespace {

// "Deletion Vector Format": the magic number of the portable 64-bit
// Roaring form, little-endian. (1681511376 was an earlier native form no
// writer produces.)
constexpr std::uint32_t kPortableMagic = 1681511377;

std::uint32_t little_endian_u32(std::string_view bytes) {
  std::uint32_t value = 0;
  for (int i = 3; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]);
  return value;
}

std::uint32_t big_endian_u32(std::span<const std::byte> bytes) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) value = (value << 8) | std::to_integer<std::uint32_t>(bytes[i]);
  return value;
}

void append_big_endian_u32(std::string& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((value >> shift) & 0xFF);
}

// "Deletion Vector File Storage Format": the version of the file format.
constexpr char kFileFormatVersion = 1;

}  // namespace

DeletedRows::DeletedRows(std::unique_ptr<Bitmap> bitmap) : bitmap_(std::move(bitmap)) {}
DeletedRows::DeletedRows(DeletedRows&&) noexcept = default;
DeletedRows& DeletedRows::operator=(DeletedRows&&) noexcept = default;
DeletedRows::~DeletedRows() = default;

Result<std::unique_ptr<DeletedRows>> DeletedRows::parse(std::string_view bytes, std::string_view where) {
  auto bad = [&](std::string_view why) {
    return fail(ErrorCode::invalid_argument, std::format("{}: not a deletion vector ({})", where, why));
  };
  if (bytes.size() < 4) return bad("shorter than its magic number");
  if (const std::uint32_t magic = little_endian_u32(bytes); magic != kPortableMagic)
    return bad(std::format("magic number {}, not {}", magic, kPortableMagic));
  const std::string_view serialized = bytes.substr(4);
  // The size the portable form claims, checked against the bytes first:
  // the safe deserializer reads no further than it is told.
  const std::size_t size = roaring::api::roaring64_bitmap_portable_deserialize_size(serialized.data(), serialized.size());
  if (size == 0 || size > serialized.size()) return bad("its Roaring bitmap is truncated or malformed");
  roaring::api::roaring64_bitmap_t* roaring =
      roaring::api::roaring64_bitmap_portable_deserialize_safe(serialized.data(), serialized.size());
  if (roaring == nullptr) return bad("its Roaring bitmap is malformed");
  auto bitmap = std::make_unique<Bitmap>(roaring);
  const char* reason = nullptr;
  if (!roaring::api::roaring64_bitmap_internal_validate(roaring, &reason))
    return bad(std::format("its Roaring bitmap is inconsistent: {}", reason ? reason : "?"));
  return std::make_unique<DeletedRows>(std::move(bitmap));
}

std::unique_ptr<DeletedRows> DeletedRows::none() {
  return std::make_unique<DeletedRows>(std::make_unique<Bitmap>(roaring::api::roaring64_bitmap_create()));
}

std::unique_ptr<DeletedRows> DeletedRows::copy() const {
  return std::make_unique<DeletedRows>(std::make_unique<Bitmap>(roaring::api::roaring64_bitmap_copy(bitmap_->roaring)));
}

std::uint64_t DeletedRows::delete_remaining(const arrow::BooleanArray& gone) {
  using namespace roaring::api;
  // Walk the file's positions beside the rows already deleted (in order,
  // from an iterator over the vector as it was), collecting the new ones
  // apart so the walk does not see them.
  roaring64_iterator_t* deleted = roaring64_iterator_create(bitmap_->roaring);
  std::vector<std::uint64_t> added;
  std::uint64_t position = 0;
  for (std::int64_t row = 0; row < gone.length(); ++row, ++position) {
    while (roaring64_iterator_has_value(deleted) && roaring64_iterator_value(deleted) == position) {
      ++position;
      roaring64_iterator_advance(deleted);
    }
    if (gone.IsValid(row) && gone.Value(row)) added.push_back(position);
  }
  roaring64_iterator_free(deleted);
  roaring64_bitmap_add_many(bitmap_->roaring, added.size(), added.data());
  return added.size();
}

std::string DeletedRows::serialize() {
  using namespace roaring::api;
  roaring64_bitmap_run_optimize(bitmap_->roaring);
  const std::size_t size = roaring64_bitmap_portable_size_in_bytes(bitmap_->roaring);
  std::string bytes(4 + size, '\0');
  for (int i = 0; i < 4; ++i) bytes[static_cast<std::size_t>(i)] = static_cast<char>((kPortableMagic >> (8 * i)) & 0xFF);
  roaring64_bitmap_portable_serialize(bitmap_->roaring, bytes.data() + 4);
  return bytes;
}

bool DeletedRows::contains(std::uint64_t row) const {
  return roaring::api::roaring64_bitmap_contains(bitmap_->roaring, row);
}

std::uint64_t DeletedRows::count_in(std::uint64_t begin, std::uint64_t end) const {
  return begin >= end ? 0 : roaring::api::roaring64_bitmap_range_cardinality(bitmap_->roaring, begin, end);
}

std::uint64_t DeletedRows::cardinality() const { return roaring::api::roaring64_bitmap_get_cardinality(bitmap_->roaring); }

Result<WrittenVectors> write_deletion_vectors(Backend& backend, const TableLayout& layout,
                                              const std::vector<DeletedRows*>& vectors) {
  WrittenVectors written;
  if (vectors.empty()) return written;
  // A fresh UUID names the file; the descriptor carries its 16 bytes in
  // Z85 (no random prefix: the file sits at the table root, as Spark's do
  // unless delta.randomizeFilePrefixes is set).
  const auto uuid = IngestId::generate().bytes();
  const std::string encoded = z85_encode(std::string_view(reinterpret_cast<const char*>(uuid.data()), uuid.size()));
  DeletionVector named{.storage_type = 'u', .path_or_inline_dv = encoded};
  LAKE_ASSIGN_OR_RETURN(auto path, named.file_path());
  LAKE_ASSIGN_OR_RETURN(written.key, layout.key_of(path));

  std::string file(1, kFileFormatVersion);
  for (DeletedRows* rows : vectors) {
    const std::string serialized = rows->serialize();
    if (serialized.size() > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()) ||
        file.size() > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
      return fail(ErrorCode::invalid_argument, "deletion vectors beyond 2 GiB in one file");
    DeletionVector descriptor = named;
    descriptor.offset = static_cast<std::int32_t>(file.size());
    descriptor.size_in_bytes = static_cast<std::int32_t>(serialized.size());
    descriptor.cardinality = static_cast<std::int64_t>(rows->cardinality());
    append_big_endian_u32(file, static_cast<std::uint32_t>(serialized.size()));
    file += serialized;
    const auto* data = reinterpret_cast<const Bytef*>(serialized.data());
    append_big_endian_u32(
        file, static_cast<std::uint32_t>(crc32(crc32(0L, Z_NULL, 0), data, static_cast<uInt>(serialized.size()))));
    written.descriptors.push_back(std::move(descriptor));
  }
  if (auto put = backend.put(written.key, std::as_bytes(std::span(file)), PutMode::create); !put)
    return std::unexpected(put.error().with_context("writing deletion vectors"));
  return written;
}

Result<std::string> deletion_vector_key(const TableLayout& layout, const DeletionVector& vector) {
  LAKE_ASSIGN_OR_RETURN(auto path, vector.file_path());
  // A 'u' path is relative to the table root and, like an add's path,
  // percent-encoded in the form key_of takes.
  return vector.storage_type == 'u' ? layout.key_of(encode_path(path)) : layout.key_of(path);
}

Result<std::unique_ptr<DeletedRows>> load_deleted_rows(Backend& backend, const TableLayout& layout,
                                                       const DeletionVector& vector, std::string_view data_file) {
  const std::string where = std::format("the deletion vector of data file '{}'", data_file);
  auto bad = [&](std::string_view why) { return fail(ErrorCode::invalid_argument, std::format("{}: {}", where, why)); };
  if (vector.size_in_bytes < 4 || vector.cardinality < 0)
    return bad(std::format("size {} and cardinality {} describe no vector", vector.size_in_bytes, vector.cardinality));
  const auto size = static_cast<std::size_t>(vector.size_in_bytes);

  std::string serialized;
  if (vector.storage_type == 'i') {
    auto decoded = z85_decode(vector.path_or_inline_dv);
    if (!decoded || decoded->size() < size) return bad("the inline vector is not Z85 of its stated size");
    serialized = decoded->substr(0, size);
  } else if (vector.storage_type == 'u' || vector.storage_type == 'p') {
    LAKE_ASSIGN_OR_RETURN(auto key, deletion_vector_key(layout, vector));
    // The frame at the offset: size, the vector, its CRC-32.
    const std::int64_t offset = vector.offset.value_or(0);
    auto frame = backend.get_range(key, offset, static_cast<std::int64_t>(size) + 8);
    if (!frame) return std::unexpected(frame.error().with_context(where));
    if (frame->size() != size + 8) return bad(std::format("its file '{}' ends inside the vector at offset {}", key, offset));
    if (const std::uint32_t framed = big_endian_u32(*frame); framed != size)
      return bad(std::format("its file '{}' frames {} bytes at offset {}, the log says {}", key, framed, offset, size));
    const auto* data = reinterpret_cast<const Bytef*>(frame->data() + 4);
    const auto checksum = static_cast<std::uint32_t>(crc32(crc32(0L, Z_NULL, 0), data, static_cast<uInt>(size)));
    if (checksum != big_endian_u32(std::span(*frame).subspan(4 + size)))
      return bad(std::format("its bytes in '{}' at offset {} fail their CRC-32 check", key, offset));
    serialized.assign(reinterpret_cast<const char*>(frame->data() + 4), size);
  } else {
    return bad(std::format("storage type '{}' is not one of the protocol's (u, i, p)", vector.storage_type));
  }

  LAKE_ASSIGN_OR_RETURN(auto rows, DeletedRows::parse(serialized, where));
  if (rows->cardinality() != static_cast<std::uint64_t>(vector.cardinality))
    return bad(std::format("it holds {} rows, the log says {}", rows->cardinality(), vector.cardinality));
  return rows;
}

}  // namespace lake::delta

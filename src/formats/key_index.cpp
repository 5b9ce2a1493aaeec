// KeyIndex and the key encoding it falls back to for composite keys.
#include "formats/key_index.hpp"

#include <arrow/array.h>
#include <arrow/scalar.h>
#include <arrow/type_traits.h>

#include <cstring>

#include "core/propagate.hpp"
#include "lake/arrow/convert.hpp"

namespace lake::formats {
namespace {

// The key as an unsigned number: the value's bytes, zero-extended (one to
// one for each width, so equal numbers mean equal values).
std::uint64_t fixed_value(const arrow::ArrayData& data, std::int64_t row, int byte_width) {
  std::uint64_t value = 0;
  std::memcpy(&value, data.GetValues<std::uint8_t>(1, 0) + (data.offset + row) * byte_width,
              static_cast<std::size_t>(byte_width));
  return value;
}

std::string_view binary_value(const arrow::Array& array, std::int64_t row) {
  switch (array.type_id()) {
    case arrow::Type::STRING: return static_cast<const arrow::StringArray&>(array).GetView(row);
    case arrow::Type::LARGE_STRING: return static_cast<const arrow::LargeStringArray&>(array).GetView(row);
    case arrow::Type::BINARY: return static_cast<const arrow::BinaryArray&>(array).GetView(row);
    default: return static_cast<const arrow::LargeBinaryArray&>(array).GetView(row);
  }
}

void append_fixed(std::string& key, const arrow::Array& array, std::int64_t row, int byte_width) {
  const auto* values = array.data()->GetValues<char>(1, 0);
  key.append(values + (array.offset() + row) * byte_width, static_cast<std::size_t>(byte_width));
}

// Length-prefixed, so ("ab", "c") and ("a", "bc") stay distinct.
void append_bytes(std::string& key, std::string_view bytes) {
  const auto size = static_cast<std::uint64_t>(bytes.size());
  key.append(reinterpret_cast<const char*>(&size), sizeof size);
  key.append(bytes);
}

bool indexed_as_bytes(arrow::Type::type id) {
  return id == arrow::Type::STRING || id == arrow::Type::LARGE_STRING || id == arrow::Type::BINARY ||
         id == arrow::Type::LARGE_BINARY;
}

}  // namespace

Result<std::vector<std::optional<std::string>>> encode_keys(const arrow::RecordBatch& rows,
                                                           const std::vector<int>& columns) {
  const auto n = rows.num_rows();
  std::vector<std::optional<std::string>> keys(static_cast<std::size_t>(n), std::string());
  for (int c : columns) {
    const arrow::Array& array = *rows.column(c);
    const auto& type = *array.type();
    for (std::int64_t row = 0; row < n; ++row) {
      auto& key = keys[static_cast<std::size_t>(row)];
      if (!key) continue;
      if (array.IsNull(row)) {
        key.reset();
        continue;
      }
      if (type.id() == arrow::Type::BOOL) {
        key->push_back(static_cast<const arrow::BooleanArray&>(array).Value(row) ? '\1' : '\0');
      } else if (indexed_as_bytes(type.id())) {
        append_bytes(*key, binary_value(array, row));
      } else if (arrow::is_fixed_width(type.id()) && type.bit_width() % 8 == 0 && type.bit_width() > 0) {
        append_fixed(*key, array, row, type.bit_width() / 8);
      } else {
        auto scalar = array.GetScalar(row);
        if (!scalar.ok()) return fail(lake::detail::from_arrow_status(scalar.status(), "encoding key values"));
        append_bytes(*key, (*scalar)->ToString());
      }
    }
  }
  return keys;
}

Result<KeyIndex> KeyIndex::build(const arrow::RecordBatch& rows, std::vector<int> columns,
                                 std::int64_t& duplicate_row) {
  KeyIndex index;
  duplicate_row = kNoRow;
  index.columns_ = std::move(columns);
  if (index.columns_.size() == 1) {
    const auto& type = *rows.schema()->field(index.columns_[0])->type();
    const int bits = arrow::is_fixed_width(type.id()) ? type.bit_width() : 0;
    if (type.id() != arrow::Type::BOOL && bits > 0 && bits <= 64 && bits % 8 == 0) {
      index.shape_ = Shape::fixed_width;
      index.byte_width_ = bits / 8;
    } else if (indexed_as_bytes(type.id())) {
      index.shape_ = Shape::binary;
    }
  }
  const auto n = rows.num_rows();
  auto record = [&](auto& map, auto key, std::int64_t row) {
    if (!map.emplace(std::move(key), row).second) {
      duplicate_row = row;
      return false;
    }
    return true;
  };
  switch (index.shape_) {
    case Shape::fixed_width: {
      const auto& array = *rows.column(index.columns_[0]);
      index.by_number_.reserve(static_cast<std::size_t>(n));
      for (std::int64_t row = 0; row < n; ++row)
        if (!array.IsNull(row) && !record(index.by_number_, fixed_value(*array.data(), row, index.byte_width_), row))
          return index;
      break;
    }
    case Shape::binary: {
      const auto& array = *rows.column(index.columns_[0]);
      index.by_bytes_.reserve(static_cast<std::size_t>(n));
      for (std::int64_t row = 0; row < n; ++row)
        if (!array.IsNull(row) && !record(index.by_bytes_, std::string(binary_value(array, row)), row)) return index;
      break;
    }
    case Shape::composite: {
      auto keys = encode_keys(rows, index.columns_);
      LAKE_RETURN_IF_ERROR(keys);
      index.by_bytes_.reserve(static_cast<std::size_t>(n));
      for (std::int64_t row = 0; row < n; ++row) {
        auto& key = (*keys)[static_cast<std::size_t>(row)];
        if (key && !record(index.by_bytes_, std::move(*key), row)) return index;
      }
      break;
    }
  }
  index.size_ = index.shape_ == Shape::fixed_width ? index.by_number_.size() : index.by_bytes_.size();
  return index;
}

Result<std::vector<std::int64_t>> KeyIndex::find_all(const arrow::RecordBatch& rows) const {
  const auto n = rows.num_rows();
  std::vector<std::int64_t> found(static_cast<std::size_t>(n), kNoRow);
  if (size_ == 0) return found;
  auto look_up = [](const auto& map, const auto& key) {
    auto it = map.find(key);
    return it == map.end() ? kNoRow : it->second;
  };
  switch (shape_) {
    case Shape::fixed_width: {
      const auto& array = *rows.column(columns_[0]);
      for (std::int64_t row = 0; row < n; ++row)
        if (!array.IsNull(row))
          found[static_cast<std::size_t>(row)] = look_up(by_number_, fixed_value(*array.data(), row, byte_width_));
      break;
    }
    case Shape::binary: {
      const auto& array = *rows.column(columns_[0]);
      for (std::int64_t row = 0; row < n; ++row)
        if (!array.IsNull(row)) found[static_cast<std::size_t>(row)] = look_up(by_bytes_, binary_value(array, row));
      break;
    }
    case Shape::composite: {
      auto keys = encode_keys(rows, columns_);
      LAKE_RETURN_IF_ERROR(keys);
      for (std::int64_t row = 0; row < n; ++row)
        if (const auto& key = (*keys)[static_cast<std::size_t>(row)])
          found[static_cast<std::size_t>(row)] = look_up(by_bytes_, *key);
      break;
    }
  }
  return found;
}

}  // namespace lake::formats

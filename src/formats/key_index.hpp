// Finding rows by key for merge: the source is indexed once, then every
// target file's rows are looked up in it. Format-neutral (Arrow only):
// Delta's merge uses it today, and the key-collision check of keyed writes
// (write_keys.hpp) for every format.
//
// A merge of 100k source rows into a 10M-row table does 10M lookups, so the
// common key shapes avoid building a string per row: one fixed-width
// column up to 8 bytes (integers, dates, timestamps) is looked up as a
// 64-bit number, one string or binary column by a view of its bytes. Other
// keys (several columns, wider types) use encode_keys. Equality is the same
// in every shape: equal bytes of equal-typed values, NULL never matches.
#pragma once

#include <arrow/record_batch.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lake/error.hpp"

namespace lake::formats {

// A byte string per row identifying its values in `columns` (equal values
// give equal strings), or nullopt when one of them is NULL.
[[nodiscard]] Result<std::vector<std::optional<std::string>>> encode_keys(const arrow::RecordBatch& rows,
                                                                         const std::vector<int>& columns);

class KeyIndex {
 public:
  static constexpr std::int64_t kNoRow = -1;

  // Indexes `rows` by the values in `columns` (rows with a NULL key are
  // left out). When two rows share a key, returns the second one's index
  // in `duplicate_row` and leaves the index incomplete: the caller reports
  // it.
  [[nodiscard]] static Result<KeyIndex> build(const arrow::RecordBatch& rows, std::vector<int> columns,
                                              std::int64_t& duplicate_row);

  // Per row of `rows` (the same schema as the indexed batch): the indexed
  // row with the same key, or kNoRow.
  [[nodiscard]] Result<std::vector<std::int64_t>> find_all(const arrow::RecordBatch& rows) const;

  [[nodiscard]] bool empty() const { return size_ == 0; }

 private:
  enum class Shape { fixed_width, binary, composite };

  // Transparent hashing: lookups by string_view build no string.
  struct BytesHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view bytes) const { return std::hash<std::string_view>{}(bytes); }
  };

  Shape shape_ = Shape::composite;
  int byte_width_ = 0;
  std::vector<int> columns_;
  std::size_t size_ = 0;
  std::unordered_map<std::uint64_t, std::int64_t> by_number_;
  std::unordered_map<std::string, std::int64_t, BytesHash, std::equal_to<>> by_bytes_;
};

}  // namespace lake::formats

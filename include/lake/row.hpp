// One row of an untyped result: what DataFrame::collect / stream and
// QueryBuilder::collect return when no struct describes the result (the
// seed's [][]any). A Row is a position in an Arrow batch it shares, so
// rows are cheap to copy and keep.
//
//   for (const lake::Row& row : *rows) {
//     auto name = row.get<std::string>("name");               // Result<std::string>
//     auto age  = row.get<std::optional<std::int64_t>>("age"); // NULL -> nullopt
//   }
//
// get<T> reads a column into any type a record member may have (integers
// of any width with a range check, strings, lake::timestamp, decimals,
// std::optional, vectors, nested structs...), by the same rules as typed
// reads; a NULL read into a non-optional type, or a column of a type T
// cannot hold, is ErrorCode::schema_mismatch naming the column.
#pragma once

#include <arrow/record_batch.h>
#include <arrow/scalar.h>

#include <cstddef>
#include <cstdint>
#include <format>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lake/arrow/detail/decoders.hpp"
#include "lake/error.hpp"

namespace lake {

class Row {
 public:
  Row(std::shared_ptr<arrow::RecordBatch> batch, std::int64_t index) : batch_(std::move(batch)), index_(index) {}

  [[nodiscard]] std::size_t size() const noexcept { return static_cast<std::size_t>(batch_->num_columns()); }
  [[nodiscard]] const std::shared_ptr<arrow::Schema>& schema() const noexcept { return batch_->schema(); }
  [[nodiscard]] std::vector<std::string> column_names() const { return batch_->schema()->field_names(); }
  // The position of a column: not_found (listing the columns) when the
  // result has none of that name, invalid_argument when it has several.
  [[nodiscard]] Result<std::size_t> index_of(std::string_view column) const;

  [[nodiscard]] Result<bool> is_null(std::size_t column) const;
  [[nodiscard]] Result<bool> is_null(std::string_view column) const;
  // The value as an Arrow scalar, of the column's own type.
  [[nodiscard]] Result<std::shared_ptr<arrow::Scalar>> value(std::size_t column) const;
  [[nodiscard]] Result<std::shared_ptr<arrow::Scalar>> value(std::string_view column) const;

  template <class T>
  [[nodiscard]] Result<T> get(std::size_t column) const {
    auto checked = check_column(column);
    if (!checked) return std::unexpected(checked.error());
    auto decoder = detail::Decoder<T>::bind(batch_->column(static_cast<int>(column)),
                                            batch_->schema()->field(static_cast<int>(column))->name());
    if (!decoder) return std::unexpected(decoder.error());
    T out{};
    if (auto read = decoder->read(index_, out); !read) return std::unexpected(read.error());
    return out;
  }
  template <class T>
  [[nodiscard]] Result<T> get(std::string_view column) const {
    auto index = index_of(column);
    if (!index) return std::unexpected(index.error());
    return get<T>(*index);
  }

  // "id=1, name=ann, age=null": for logs and the command line.
  [[nodiscard]] std::string to_string() const;

  // The batch the row lives in, and its position there.
  [[nodiscard]] const std::shared_ptr<arrow::RecordBatch>& batch() const noexcept { return batch_; }
  [[nodiscard]] std::int64_t index() const noexcept { return index_; }

 private:
  [[nodiscard]] Status check_column(std::size_t column) const;

  std::shared_ptr<arrow::RecordBatch> batch_;
  std::int64_t index_;
};

}  // namespace lake

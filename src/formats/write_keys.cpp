#include "formats/write_keys.hpp"

#include <arrow/array.h>
#include <arrow/scalar.h>
#include <arrow/util/decimal.h>

#include <algorithm>
#include <format>
#include <numeric>

#include "core/propagate.hpp"
#include "lake/arrow/convert.hpp"
#include "lake/duplicate_keys.hpp"

namespace lake::formats {
namespace {

// Narrows `possible` (one flag per write row) to the rows whose key value
// `in_range` accepts; a NULL key never matches.
template <class InRange>
void narrow_rows(const arrow::Array& column, std::vector<char>& possible, InRange in_range) {
  for (std::int64_t row = 0; row < column.length(); ++row) {
    auto& flag = possible[static_cast<std::size_t>(row)];
    if (flag && (column.IsNull(row) || !in_range(row))) flag = 0;
  }
}

// The same for [low, high] of one key column, its values compared as the
// column's own C++ type.
template <class ArrayType, class Value>
void within(const arrow::Array& column, const Value& low, const Value& high, std::vector<char>& possible) {
  const auto& array = static_cast<const ArrayType&>(column);
  narrow_rows(column, possible, [&](std::int64_t row) {
    const auto value = array.GetView(row);
    return !(value < low || high < value);
  });
}

template <class ScalarType>
auto value_of(const arrow::Scalar& scalar) {
  return static_cast<const ScalarType&>(scalar).value;
}

std::string_view view_of(const arrow::Scalar& scalar) {
  const auto& buffer = static_cast<const arrow::BaseBinaryScalar&>(scalar).value;
  return buffer ? std::string_view(reinterpret_cast<const char*>(buffer->data()), static_cast<std::size_t>(buffer->size()))
                : std::string_view();
}

// Applies one column's bounds; false when the column's type is not one
// whose bounds are compared here (the column then narrows nothing).
// Floating-point keys are left out on purpose: writers disagree on where
// NaN goes in bounds.
bool narrow(const arrow::Array& column, const arrow::Scalar& min, const arrow::Scalar& max,
            std::vector<char>& possible) {
  const arrow::DataType& type = *column.type();
  if (!min.is_valid || !max.is_valid || !min.type->Equals(type) || !max.type->Equals(type)) return false;
  switch (type.id()) {
    case arrow::Type::INT8: within<arrow::Int8Array>(column, value_of<arrow::Int8Scalar>(min), value_of<arrow::Int8Scalar>(max), possible); return true;
    case arrow::Type::INT16: within<arrow::Int16Array>(column, value_of<arrow::Int16Scalar>(min), value_of<arrow::Int16Scalar>(max), possible); return true;
    case arrow::Type::INT32: within<arrow::Int32Array>(column, value_of<arrow::Int32Scalar>(min), value_of<arrow::Int32Scalar>(max), possible); return true;
    case arrow::Type::INT64: within<arrow::Int64Array>(column, value_of<arrow::Int64Scalar>(min), value_of<arrow::Int64Scalar>(max), possible); return true;
    case arrow::Type::DATE32: within<arrow::Date32Array>(column, value_of<arrow::Date32Scalar>(min), value_of<arrow::Date32Scalar>(max), possible); return true;
    case arrow::Type::TIMESTAMP: within<arrow::TimestampArray>(column, value_of<arrow::TimestampScalar>(min), value_of<arrow::TimestampScalar>(max), possible); return true;
    case arrow::Type::STRING: within<arrow::StringArray>(column, view_of(min), view_of(max), possible); return true;
    case arrow::Type::LARGE_STRING: within<arrow::LargeStringArray>(column, view_of(min), view_of(max), possible); return true;
    case arrow::Type::BINARY: within<arrow::BinaryArray>(column, view_of(min), view_of(max), possible); return true;
    case arrow::Type::DECIMAL128: {
      const auto& array = static_cast<const arrow::Decimal128Array&>(column);
      const auto low = value_of<arrow::Decimal128Scalar>(min);
      const auto high = value_of<arrow::Decimal128Scalar>(max);
      narrow_rows(column, possible, [&](std::int64_t row) {
        const arrow::Decimal128 value(array.GetValue(row));
        return !(value < low || high < value);
      });
      return true;
    }
    default: return false;
  }
}

}  // namespace

Result<WriteKeys> WriteKeys::make(const arrow::RecordBatch& rows, std::vector<std::string> columns) {
  if (columns.empty()) return fail(ErrorCode::invalid_argument, "a keyed write needs at least one key column");
  std::vector<int> indexes;
  for (const auto& column : columns) {
    const int index = rows.schema()->GetFieldIndex(column);
    if (index < 0)
      return fail(ErrorCode::schema_mismatch,
                  std::format("key column '{}' is not among the write's columns ({})", column,
                              lake::detail::column_list(*rows.schema())));
    indexes.push_back(index);
  }
  auto selected = rows.SelectColumns(indexes);
  if (!selected.ok()) return fail(lake::detail::from_arrow_status(selected.status(), "selecting key columns"));
  std::vector<int> positions(columns.size());
  std::iota(positions.begin(), positions.end(), 0);
  std::int64_t duplicate = KeyIndex::kNoRow;
  auto index = KeyIndex::build(**selected, positions, duplicate);
  LAKE_RETURN_IF_ERROR(index);
  WriteKeys keys(std::move(columns), std::move(*selected), std::move(*index));
  if (duplicate != KeyIndex::kNoRow)
    return fail(ErrorCode::invalid_argument,
                std::format("the write has more than one row with key ({}); which one the table keeps would depend "
                            "on their order",
                            keys.describe(duplicate)));
  return keys;
}

Result<std::vector<std::int64_t>> WriteKeys::find_all(const arrow::RecordBatch& keys) const {
  if (keys.num_columns() != static_cast<int>(columns_.size()))
    return fail(ErrorCode::internal, std::format("key lookup with {} columns for a {}-column key", keys.num_columns(),
                                                 columns_.size()));
  for (int i = 0; i < keys.num_columns(); ++i)
    if (!keys.column(i)->type()->Equals(*keys_->column(i)->type()))
      return fail(ErrorCode::schema_mismatch,
                  std::format("key column '{}' is {} in the table and {} in the write", columns_[static_cast<std::size_t>(i)],
                              keys.column(i)->type()->ToString(), keys_->column(i)->type()->ToString()));
  return index_.find_all(keys);
}

std::string WriteKeys::describe(std::int64_t row) const {
  std::string text;
  for (int k = 0; k < keys_->num_columns(); ++k) {
    if (!text.empty()) text += ", ";
    auto scalar = keys_->column(k)->GetScalar(row);
    text += std::format("{}={}", columns_[static_cast<std::size_t>(k)], scalar.ok() ? (*scalar)->ToString() : "?");
  }
  return text;
}

bool WriteKeys::may_hold_any(const DataFileSet& files, std::size_t file) const {
  if (index_.empty()) return false;
  std::vector<char> possible(static_cast<std::size_t>(keys_->num_rows()), 1);
  for (std::size_t k = 0; k < columns_.size(); ++k) {
    const ColumnBounds bounds = files.bounds(file, columns_[k]);
    // A NULL never equals a key.
    if (bounds.all_null) return false;
    if (bounds.min && bounds.max) narrow(*keys_->column(static_cast<int>(k)), *bounds.min, *bounds.max, possible);
  }
  return std::ranges::find(possible, 1) != possible.end();
}

Result<std::vector<std::int64_t>> WriteKeys::find_in_file(const DataFileSet& files, std::size_t file) const {
  const auto context = [&] { return std::format("reading the keys of '{}'", files.name(file)); };
  auto reader = files.read(file, columns_);
  if (!reader) return std::unexpected(reader.error().with_context(context()));
  std::vector<std::int64_t> found;
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    if (auto st = (*reader)->ReadNext(&batch); !st.ok()) return fail(lake::detail::from_arrow_status(st, context()));
    if (!batch) break;
    auto rows = find_all(*batch);
    LAKE_RETURN_IF_ERROR(rows);
    found.insert(found.end(), rows->begin(), rows->end());
  }
  return found;
}

Result<KeyCollisions> WriteKeys::find_in(const DataFileSet& files) const {
  KeyCollisions found;
  for (std::size_t file = 0; file < files.size(); ++file) {
    if (!may_hold_any(files, file)) continue;
    auto rows = find_in_file(files, file);
    LAKE_RETURN_IF_ERROR(rows);
    bool holds = false;
    for (std::int64_t row : *rows) {
      if (row == KeyIndex::kNoRow) continue;
      holds = true;
      if (found.sample.size() < DuplicateKeys::kSampleSize) found.sample.push_back(describe(row));
      ++found.count;
    }
    if (holds) found.files.push_back(files.name(file));
  }
  return found;
}

}  // namespace lake::formats

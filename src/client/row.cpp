// lake::Row (see lake/row.hpp).
#include "lake/row.hpp"

#include <format>

#include "core/propagate.hpp"
#include "lake/arrow/convert.hpp"
#include "lake/arrow/detail/status.hpp"

namespace lake {

Status Row::check_column(std::size_t column) const {
  if (column >= size())
    return fail(ErrorCode::invalid_argument,
                std::format("column {} does not exist: the row has {} column(s)", column, size()));
  return {};
}

Result<std::size_t> Row::index_of(std::string_view column) const {
  const auto indexes = batch_->schema()->GetAllFieldIndices(std::string(column));
  if (indexes.size() == 1) return static_cast<std::size_t>(indexes[0]);
  if (indexes.empty())
    return fail(ErrorCode::not_found, std::format("the result has no column '{}'; it has columns: {}", column,
                                                  detail::column_list(*batch_->schema())));
  return fail(ErrorCode::invalid_argument,
              std::format("the result has {} columns named '{}': read them by position", indexes.size(), column));
}

Result<bool> Row::is_null(std::size_t column) const {
  LAKE_RETURN_IF_ERROR(check_column(column));
  return batch_->column(static_cast<int>(column))->IsNull(index_);
}

Result<bool> Row::is_null(std::string_view column) const {
  auto index = index_of(column);
  if (!index) return std::unexpected(index.error());
  return is_null(*index);
}

Result<std::shared_ptr<arrow::Scalar>> Row::value(std::size_t column) const {
  LAKE_RETURN_IF_ERROR(check_column(column));
  auto scalar = batch_->column(static_cast<int>(column))->GetScalar(index_);
  if (!scalar.ok()) return fail(detail::from_arrow_status(scalar.status(), "reading a value"));
  return std::move(*scalar);
}

Result<std::shared_ptr<arrow::Scalar>> Row::value(std::string_view column) const {
  auto index = index_of(column);
  if (!index) return std::unexpected(index.error());
  return value(*index);
}

std::string Row::to_string() const {
  std::string out;
  for (int i = 0; i < batch_->num_columns(); ++i) {
    if (i > 0) out += ", ";
    out += batch_->schema()->field(i)->name() + "=";
    const auto& column = batch_->column(i);
    if (column->IsNull(index_)) {
      out += "null";
      continue;
    }
    auto scalar = column->GetScalar(index_);
    out += scalar.ok() ? (*scalar)->ToString() : std::string("?");
  }
  return out;
}

}  // namespace lake

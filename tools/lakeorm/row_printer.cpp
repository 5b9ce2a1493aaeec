#include "row_printer.hpp"

#include <arrow/array.h>
#include <arrow/scalar.h>
#include <arrow/type_traits.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <format>
#include <string>
#include <vector>

namespace lakeorm {
namespace {

lake::Error arrow_failure(const arrow::Status& status) {
  return lake::Error(lake::ErrorCode::io, std::format("reading the result: {}", status.ToString()));
}

// One cell as JSON: numbers and booleans as themselves, NaN and infinities
// as null (JSON has no such numbers), everything else as Arrow renders it.
nlohmann::json json_cell(const arrow::Array& column, std::int64_t row) {
  if (column.IsNull(row)) return nullptr;
  switch (column.type_id()) {
    case arrow::Type::BOOL: return static_cast<const arrow::BooleanArray&>(column).Value(row);
    case arrow::Type::INT8: return static_cast<const arrow::Int8Array&>(column).Value(row);
    case arrow::Type::INT16: return static_cast<const arrow::Int16Array&>(column).Value(row);
    case arrow::Type::INT32: return static_cast<const arrow::Int32Array&>(column).Value(row);
    case arrow::Type::INT64: return static_cast<const arrow::Int64Array&>(column).Value(row);
    case arrow::Type::UINT8: return static_cast<const arrow::UInt8Array&>(column).Value(row);
    case arrow::Type::UINT16: return static_cast<const arrow::UInt16Array&>(column).Value(row);
    case arrow::Type::UINT32: return static_cast<const arrow::UInt32Array&>(column).Value(row);
    case arrow::Type::UINT64: return static_cast<const arrow::UInt64Array&>(column).Value(row);
    case arrow::Type::FLOAT:
    case arrow::Type::DOUBLE: {
      const double value = column.type_id() == arrow::Type::FLOAT
                               ? static_cast<const arrow::FloatArray&>(column).Value(row)
                               : static_cast<const arrow::DoubleArray&>(column).Value(row);
      if (!std::isfinite(value)) return nullptr;
      return value;
    }
    case arrow::Type::STRING: return std::string(static_cast<const arrow::StringArray&>(column).GetView(row));
    case arrow::Type::LARGE_STRING:
      return std::string(static_cast<const arrow::LargeStringArray&>(column).GetView(row));
    case arrow::Type::STRING_VIEW:
      return std::string(static_cast<const arrow::StringViewArray&>(column).GetView(row));
    default: break;
  }
  auto scalar = column.GetScalar(row);
  return scalar.ok() ? (*scalar)->ToString() : std::string("?");
}

std::string text_cell(const arrow::Array& column, std::int64_t row) {
  if (column.IsNull(row)) return "NULL";
  auto json = json_cell(column, row);
  if (json.is_string()) return json.get<std::string>();
  return json.dump();
}

// Rows as JSON objects, one per line, or (as_array) the elements of one
// JSON array; streamed either way.
lake::Result<std::int64_t> print_json_rows(arrow::RecordBatchReader& rows, std::ostream& out, bool as_array) {
  const auto schema = rows.schema();
  std::int64_t printed = 0;
  if (as_array) out << '[';
  for (;;) {
    std::shared_ptr<arrow::RecordBatch> batch;
    if (auto status = rows.ReadNext(&batch); !status.ok()) return std::unexpected(arrow_failure(status));
    if (!batch) break;
    for (std::int64_t row = 0; row < batch->num_rows(); ++row) {
      nlohmann::ordered_json line = nlohmann::ordered_json::object();
      for (int c = 0; c < batch->num_columns(); ++c) line[schema->field(c)->name()] = json_cell(*batch->column(c), row);
      if (as_array) out << (printed == 0 ? "\n  " : ",\n  ");
      out << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      if (!as_array) out << '\n';
      ++printed;
    }
  }
  if (as_array) out << (printed == 0 ? "]\n" : "\n]\n");
  out.flush();
  return printed;
}

lake::Result<std::int64_t> print_table(arrow::RecordBatchReader& rows, std::ostream& out, std::int64_t limit) {
  const auto schema = rows.schema();
  const auto columns = static_cast<std::size_t>(schema->num_fields());
  std::vector<std::vector<std::string>> cells;
  std::int64_t total = 0;
  for (;;) {
    std::shared_ptr<arrow::RecordBatch> batch;
    if (auto status = rows.ReadNext(&batch); !status.ok()) return std::unexpected(arrow_failure(status));
    if (!batch) break;
    for (std::int64_t row = 0; row < batch->num_rows(); ++row, ++total) {
      if (limit > 0 && total >= limit) continue;  // counted, not kept
      auto& line = cells.emplace_back();
      for (std::size_t c = 0; c < columns; ++c) line.push_back(text_cell(*batch->column(static_cast<int>(c)), row));
    }
  }
  std::vector<std::size_t> width(columns);
  for (std::size_t c = 0; c < columns; ++c) {
    width[c] = schema->field(static_cast<int>(c))->name().size();
    for (const auto& line : cells) width[c] = std::max(width[c], line[c].size());
  }
  auto print_line = [&](auto cell_of) {
    for (std::size_t c = 0; c < columns; ++c) out << (c == 0 ? "" : " | ") << std::format("{:<{}}", cell_of(c), width[c]);
    out << '\n';
  };
  print_line([&](std::size_t c) { return schema->field(static_cast<int>(c))->name(); });
  print_line([&](std::size_t c) { return std::string(width[c], '-'); });
  for (const auto& line : cells) print_line([&](std::size_t c) { return line[c]; });
  const auto shown = static_cast<std::int64_t>(cells.size());
  if (shown < total) {
    out << std::format("({} rows, first {} shown; --limit 0 shows all, --format jsonl streams them)\n", total, shown);
  } else {
    out << std::format("({} row{})\n", total, total == 1 ? "" : "s");
  }
  out.flush();
  return total;
}

}  // namespace

lake::Result<std::int64_t> print_rows(arrow::RecordBatchReader& rows, std::ostream& out, const PrintOptions& options) {
  switch (options.format) {
    case RowFormat::json_lines: return print_json_rows(rows, out, /*as_array=*/false);
    case RowFormat::json: return print_json_rows(rows, out, /*as_array=*/true);
    case RowFormat::table: break;
  }
  return print_table(rows, out, options.limit);
}

}  // namespace lakeorm

#include "delta/add_file_set.hpp"

#include <algorithm>
#include <format>

#include "core/propagate.hpp"
#include "delta/data_file_reader.hpp"
#include "delta/partition_values.hpp"
#include "delta/stats_reader.hpp"
#include "lake/arrow/convert.hpp"

namespace lake::delta {
namespace {

// One file's rows as a stream (DataFileReader reads a row group at a time).
class FileRows final : public arrow::RecordBatchReader {
 public:
  explicit FileRows(std::unique_ptr<DataFileReader> reader) : reader_(std::move(reader)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return reader_->schema(); }
  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override {
    auto next = reader_->next();
    if (!next) return lake::detail::to_arrow_status(next.error());
    *batch = std::move(*next);
    return arrow::Status::OK();
  }

 private:
  std::unique_ptr<DataFileReader> reader_;
};

constexpr std::int64_t kKeyBatchRows = 64 * 1024;

}  // namespace

formats::ColumnBounds AddFileSet::bounds(std::size_t file, const std::string& column) const {
  const Add& add = files_[file];
  const int index = layout_.arrow_schema->GetFieldIndex(column);
  if (index < 0) return {};
  const auto& type = layout_.arrow_schema->field(index)->type();
  if (std::ranges::contains(layout_.partition_columns, column)) {
    auto value = add.partition_values.find(std::string(layout_.physical_name(column)));
    if (value == add.partition_values.end()) return {};
    auto scalar = parse_partition_value(value->second, type, column);
    if (!scalar) return {};
    if (!(*scalar)->is_valid) return {.min = nullptr, .max = nullptr, .all_null = true};
    return {.min = *scalar, .max = *scalar, .all_null = false};
  }
  auto stats = StatsReader::parse(add.stats);
  if (!stats) return {};
  const std::vector<std::string> path{std::string(layout_.physical_name(column))};
  ColumnStats column_stats = stats->column(path, type);
  const auto records = stats->num_records();
  // An empty file, or one whose every value of the column is NULL, holds
  // no key.
  const bool all_null =
      records && (*records == 0 || (column_stats.null_count && *column_stats.null_count == *records));
  return {.min = std::move(column_stats.min), .max = std::move(column_stats.max), .all_null = all_null};
}

Result<std::shared_ptr<arrow::RecordBatchReader>> AddFileSet::read(std::size_t file,
                                                                    const std::vector<std::string>& columns) const {
  auto reader = DataFileReader::open(backend_, layout_, files_[file], columns, kKeyBatchRows);
  LAKE_RETURN_IF_ERROR(reader);
  return std::make_shared<FileRows>(std::move(*reader));
}

}  // namespace lake::delta

#include "formats/scan_projection.hpp"

#include <arrow/compute/api_vector.h>
#include <arrow/compute/exec.h>

#include <algorithm>
#include <format>

#include "core/propagate.hpp"
#include "formats/compute.hpp"
#include "formats/filter.hpp"
#include "lake/arrow/convert.hpp"

namespace lake::formats {
namespace {

namespace cp = arrow::compute;

class FilteredReader final : public arrow::RecordBatchReader {
 public:
  FilteredReader(std::shared_ptr<arrow::RecordBatchReader> input, ScanColumns columns)
      : input_(std::move(input)), columns_(std::move(columns)) {}

  std::shared_ptr<arrow::Schema> schema() const override { return columns_.output; }

  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    for (;;) {
      std::shared_ptr<arrow::RecordBatch> batch;
      ARROW_RETURN_NOT_OK(input_->ReadNext(&batch));
      if (!batch) {
        *out = nullptr;
        return arrow::Status::OK();
      }
      auto kept = filter_and_project(batch, columns_);
      if (!kept) return lake::detail::to_arrow_status(kept.error());
      if ((*kept)->num_rows() == 0) continue;
      *out = std::move(*kept);
      return arrow::Status::OK();
    }
  }

 private:
  std::shared_ptr<arrow::RecordBatchReader> input_;
  ScanColumns columns_;
};

}  // namespace

Result<ScanColumns> scan_columns(const arrow::Schema& table, const std::vector<std::string>& requested,
                                 const std::optional<cp::Expression>& filter) {
  LAKE_RETURN_IF_ERROR(ensure_compute_initialized());
  std::vector<std::string> asked = requested;
  if (asked.empty())
    for (const auto& field : table.fields()) asked.push_back(field->name());
  arrow::FieldVector output;
  for (const auto& name : asked) {
    auto field = table.GetFieldByName(name);
    if (!field)
      return fail(ErrorCode::schema_mismatch,
                  std::format("the scan asks for column '{}', which the table does not have; it has columns: {}", name,
                              lake::detail::column_list(table)));
    output.push_back(std::move(field));
  }
  std::vector<std::string> filtered_on;
  if (filter) {
    LAKE_ASSIGN_OR_RETURN(auto bound, bind_filter(*filter, table));
    filtered_on = columns_read_by(bound, table);
  }
  ScanColumns columns{.output = arrow::schema(std::move(output)), .read = {}, .filter = std::nullopt};
  arrow::FieldVector read_fields;
  for (const auto& field : table.fields())
    if (std::ranges::contains(asked, field->name()) || std::ranges::contains(filtered_on, field->name())) {
      columns.read.push_back(field->name());
      read_fields.push_back(field);
    }
  if (filter) {
    LAKE_ASSIGN_OR_RETURN(columns.filter, bind_filter(*filter, arrow::Schema(std::move(read_fields))));
  }
  return columns;
}

Result<std::shared_ptr<arrow::RecordBatch>> filter_and_project(const std::shared_ptr<arrow::RecordBatch>& batch,
                                                               const ScanColumns& columns) {
  std::shared_ptr<arrow::RecordBatch> kept = batch;
  if (columns.filter) {
    auto mask = cp::ExecuteScalarExpression(*columns.filter, cp::ExecBatch(*batch));
    if (!mask.ok()) return fail(lake::detail::from_arrow_status(mask.status(), "evaluating the scan filter"));
    if (mask->is_scalar()) {
      // The filter folded to a constant for this batch.
      const auto& keep = mask->scalar_as<arrow::BooleanScalar>();
      if (!keep.is_valid || !keep.value) kept = batch->Slice(0, 0);
    } else if (mask->array_as<arrow::BooleanArray>()->true_count() != batch->num_rows()) {
      // Filter's default drops rows where the mask is NULL, as SQL's WHERE does.
      auto filtered = cp::Filter(batch, *mask);
      if (!filtered.ok()) return fail(lake::detail::from_arrow_status(filtered.status(), "filtering scanned rows"));
      kept = filtered->record_batch();
    }
  }
  arrow::ArrayVector projected;
  for (const auto& field : columns.output->fields()) projected.push_back(kept->GetColumnByName(field->name()));
  return arrow::RecordBatch::Make(columns.output, kept->num_rows(), std::move(projected));
}

std::shared_ptr<arrow::RecordBatchReader> filtered_reader(std::shared_ptr<arrow::RecordBatchReader> input,
                                                          ScanColumns columns) {
  return std::make_shared<FilteredReader>(std::move(input), std::move(columns));
}

}  // namespace lake::formats

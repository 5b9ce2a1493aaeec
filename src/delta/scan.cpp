// The lazy scan: files are pruned up front, then read one at a time, one
// row group at a time, with the filter applied to every batch.
#include "delta/scan.hpp"

#include <arrow/compute/api_vector.h>
#include <arrow/compute/exec.h>

#include <algorithm>
#include <format>

#include "core/propagate.hpp"
#include "formats/compute.hpp"
#include "delta/data_file_reader.hpp"
#include "formats/filter.hpp"
#include "lake/arrow/convert.hpp"

namespace lake::delta {
namespace {

namespace cp = arrow::compute;

class ScanReader final : public arrow::RecordBatchReader {
 public:
  ScanReader(std::shared_ptr<Backend> backend, TableLayout layout, std::vector<Add> files,
             std::vector<std::string> read_columns, std::shared_ptr<arrow::Schema> output,
             std::optional<cp::Expression> filter, std::int64_t batch_rows)
      : backend_(std::move(backend)),
        layout_(std::move(layout)),
        files_(std::move(files)),
        read_columns_(std::move(read_columns)),
        output_(std::move(output)),
        filter_(std::move(filter)),
        batch_rows_(batch_rows) {}

  std::shared_ptr<arrow::Schema> schema() const override { return output_; }

  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    auto next = next_batch();
    if (!next) return lake::detail::to_arrow_status(next.error());
    *out = std::move(*next);
    return arrow::Status::OK();
  }

 private:
  Result<std::shared_ptr<arrow::RecordBatch>> next_batch() {
    while (true) {
      if (!current_) {
        if (next_file_ == files_.size()) return nullptr;
        auto reader = DataFileReader::open(*backend_, layout_, files_[next_file_++], read_columns_, batch_rows_);
        LAKE_RETURN_IF_ERROR(reader);
        current_ = std::move(*reader);
      }
      auto batch = current_->next();
      LAKE_RETURN_IF_ERROR(batch);
      if (!*batch) {
        current_.reset();
        continue;
      }
      auto kept = apply_filter(std::move(*batch));
      LAKE_RETURN_IF_ERROR(kept);
      if ((*kept)->num_rows() == 0) continue;
      return project(**kept);
    }
  }

  Result<std::shared_ptr<arrow::RecordBatch>> apply_filter(std::shared_ptr<arrow::RecordBatch> batch) {
    if (!filter_) return batch;
    auto mask = cp::ExecuteScalarExpression(*filter_, cp::ExecBatch(*batch));
    if (!mask.ok()) return fail(lake::detail::from_arrow_status(mask.status(), "evaluating the scan filter"));
    if (mask->is_scalar()) {
      // The filter folded to a constant for this batch.
      const auto& keep = mask->scalar_as<arrow::BooleanScalar>();
      return keep.is_valid && keep.value ? batch : batch->Slice(0, 0);
    }
    // Filter's default drops rows where the mask is NULL, as SQL's WHERE does.
    auto kept = cp::Filter(batch, *mask);
    if (!kept.ok()) return fail(lake::detail::from_arrow_status(kept.status(), "filtering scanned rows"));
    return kept->record_batch();
  }

  Result<std::shared_ptr<arrow::RecordBatch>> project(const arrow::RecordBatch& batch) const {
    std::vector<std::shared_ptr<arrow::Array>> columns;
    for (const auto& field : output_->fields()) columns.push_back(batch.GetColumnByName(field->name()));
    return arrow::RecordBatch::Make(output_, batch.num_rows(), std::move(columns));
  }

  std::shared_ptr<Backend> backend_;
  TableLayout layout_;
  std::vector<Add> files_;
  std::vector<std::string> read_columns_;  // requested plus filtered-on, in table order
  std::shared_ptr<arrow::Schema> output_;
  std::optional<cp::Expression> filter_;  // bound to the read columns
  std::int64_t batch_rows_;
  std::size_t next_file_ = 0;
  std::unique_ptr<DataFileReader> current_;
};

}  // namespace

Result<std::shared_ptr<arrow::RecordBatchReader>> scan_files(std::shared_ptr<Backend> backend,
                                                             const TableLayout& layout, std::vector<Add> files,
                                                             const ScanOptions& options) {
  LAKE_RETURN_IF_ERROR(formats::ensure_compute_initialized());
  const arrow::Schema& table = *layout.arrow_schema;

  std::vector<std::string> requested = options.columns;
  if (requested.empty())
    for (const auto& field : table.fields()) requested.push_back(field->name());
  arrow::FieldVector output_fields;
  for (const auto& name : requested) {
    auto field = table.GetFieldByName(name);
    if (!field)
      return fail(ErrorCode::schema_mismatch,
                  std::format("the scan asks for column '{}', which the table does not have; it has columns: {}",
                              name, lake::detail::column_list(table)));
    output_fields.push_back(field);
  }

  std::vector<std::string> filtered_on;
  if (options.filter) {
    auto bound = formats::bind_filter(*options.filter, table);
    LAKE_RETURN_IF_ERROR(bound);
    filtered_on = formats::columns_read_by(*bound, table);
  }
  std::vector<std::string> read_columns;
  for (const auto& field : table.fields())
    if (std::ranges::contains(requested, field->name()) || std::ranges::contains(filtered_on, field->name()))
      read_columns.push_back(field->name());

  std::optional<cp::Expression> filter;
  if (options.filter) {
    arrow::FieldVector read_fields;
    for (const auto& name : read_columns) read_fields.push_back(table.GetFieldByName(name));
    auto bound = formats::bind_filter(*options.filter, arrow::Schema(std::move(read_fields)));
    LAKE_RETURN_IF_ERROR(bound);
    filter = std::move(*bound);
  }

  auto kept = prune_files(layout, files, options.filter);
  LAKE_RETURN_IF_ERROR(kept);
  return std::make_shared<ScanReader>(std::move(backend), layout, std::move(*kept), std::move(read_columns),
                                      arrow::schema(std::move(output_fields)), std::move(filter),
                                      std::max<std::int64_t>(1, options.batch_rows));
}

}  // namespace lake::delta

// The lazy scan: files are pruned up front, then read one row group at a
// time, with the filter applied to every batch; one file after the other,
// or several at once through formats/read_ahead.
#include "delta/scan.hpp"

#include <algorithm>

#include "core/propagate.hpp"
#include "delta/data_file_reader.hpp"
#include "formats/read_ahead.hpp"
#include "formats/scan_projection.hpp"
#include "lake/arrow/convert.hpp"

namespace lake::delta {
namespace {

class ScanReader final : public arrow::RecordBatchReader {
 public:
  ScanReader(std::shared_ptr<Backend> backend, TableLayout layout, std::vector<Add> files,
             formats::ScanColumns columns, std::int64_t batch_rows)
      : backend_(std::move(backend)),
        layout_(std::move(layout)),
        files_(std::move(files)),
        columns_(std::move(columns)),
        batch_rows_(batch_rows) {}

  std::shared_ptr<arrow::Schema> schema() const override { return columns_.output; }

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
        auto reader = DataFileReader::open(*backend_, layout_, files_[next_file_++], columns_.read, batch_rows_);
        LAKE_RETURN_IF_ERROR(reader);
        current_ = std::move(*reader);
      }
      auto batch = current_->next();
      LAKE_RETURN_IF_ERROR(batch);
      if (!*batch) {
        current_.reset();
        continue;
      }
      LAKE_ASSIGN_OR_RETURN(auto kept, formats::filter_and_project(*batch, columns_));
      if (kept->num_rows() == 0) continue;
      return kept;
    }
  }

  std::shared_ptr<Backend> backend_;
  TableLayout layout_;
  std::vector<Add> files_;
  formats::ScanColumns columns_;
  std::int64_t batch_rows_;
  std::size_t next_file_ = 0;
  std::unique_ptr<DataFileReader> current_;
};

}  // namespace

Result<std::shared_ptr<arrow::RecordBatchReader>> scan_files(std::shared_ptr<Backend> backend,
                                                             const TableLayout& layout, std::vector<Add> files,
                                                             const ScanOptions& options) {
  LAKE_ASSIGN_OR_RETURN(auto columns, formats::scan_columns(*layout.arrow_schema, options.columns, options.filter));
  auto kept = prune_files(layout, files, options.filter);
  LAKE_RETURN_IF_ERROR(kept);
  const auto batch_rows = std::max<std::int64_t>(1, options.batch_rows);
  if (options.threads < 2 || kept->size() < 2)
    return std::make_shared<ScanReader>(std::move(backend), layout, std::move(*kept), std::move(columns), batch_rows);
  auto output = columns.output;
  auto files_to_read = std::make_shared<const std::vector<Add>>(std::move(*kept));
  auto open = [backend = std::move(backend), layout, files_to_read, columns = std::move(columns),
               batch_rows](std::size_t file) -> Result<std::shared_ptr<arrow::RecordBatchReader>> {
    return std::make_shared<ScanReader>(backend, layout, std::vector<Add>{(*files_to_read)[file]}, columns, batch_rows);
  };
  return formats::read_ahead(std::move(output), files_to_read->size(), options.threads, std::move(open));
}

}  // namespace lake::delta

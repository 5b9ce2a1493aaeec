// Delta data files as the format-neutral key-collision check sees them
// (formats/write_keys.hpp): bounds of a column from an add's partition
// values or stats JSON, and a file's rows of chosen columns read through
// DataFileReader (only those column chunks are fetched). Internal to the
// Delta implementation.
#pragma once

#include <memory>
#include <vector>

#include "delta/table_layout.hpp"
#include "formats/write_keys.hpp"
#include "lake/delta/actions.hpp"
#include "lake/storage/backend.hpp"

namespace lake::delta {

class AddFileSet final : public formats::DataFileSet {
 public:
  // `backend` must outlive the set and every reader it returns.
  AddFileSet(Backend& backend, TableLayout layout, std::vector<Add> files)
      : backend_(backend), layout_(std::move(layout)), files_(std::move(files)) {}

  [[nodiscard]] std::size_t size() const override { return files_.size(); }
  [[nodiscard]] std::string name(std::size_t file) const override { return files_[file].path; }
  [[nodiscard]] formats::ColumnBounds bounds(std::size_t file, const std::string& column) const override;
  [[nodiscard]] Result<std::shared_ptr<arrow::RecordBatchReader>> read(
      std::size_t file, const std::vector<std::string>& columns) const override;

 private:
  Backend& backend_;
  TableLayout layout_;
  std::vector<Add> files_;
};

}  // namespace lake::delta

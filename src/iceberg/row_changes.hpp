// Row changes planned on one Iceberg snapshot, copy-on-write: appends,
// deletes and updates by predicate, and keyed merges (formats/
// merge_planner.hpp decides per row; here files are read, rewritten and
// listed as the snapshot's FileChanges). Planning writes the new data
// files and nothing else; snapshot_commit.hpp commits them, and discard()
// removes them when the change does not land.
#pragma once

#include <arrow/compute/expression.h>
#include <arrow/record_batch.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "formats/merge_planner.hpp"
#include "formats/write_keys.hpp"
#include "iceberg/data_files.hpp"
#include "iceberg/scan.hpp"
#include "iceberg/snapshot_commit.hpp"

namespace lake::iceberg {

// Where a change is planned: the table at one snapshot, its storage, how
// data files are cut.
struct ChangeBase {
  std::shared_ptr<Backend> backend;
  const TableMetadata* table = nullptr;  // at its current snapshot
  DataFileOptions files{};
};

struct PlannedChange {
  FileChanges changes;
  std::int64_t rows_inserted = 0;
  std::int64_t rows_updated = 0;
  std::int64_t rows_deleted = 0;

  // Nothing to commit: no file added or removed.
  [[nodiscard]] bool empty() const noexcept { return changes.added.empty() && changes.removed.empty(); }
};

// Removes the data files a planned change wrote.
void discard(Backend& backend, const FileChanges& changes);

[[nodiscard]] Result<PlannedChange> plan_append(const ChangeBase& base, arrow::RecordBatchReader& rows);

// Rows for which `predicate` is true (NULL counts as false) go: files whose
// rows all match are removed, files with some are rewritten without them.
[[nodiscard]] Result<PlannedChange> plan_delete(const ChangeBase& base, const arrow::compute::Expression& predicate);

// Overwrite by filter: the rows for which `predicate` is true go (as in
// plan_delete) and `rows` (in the table's Arrow schema, each satisfying
// it: formats::rows_within) are added, in one "overwrite" snapshot.
[[nodiscard]] Result<PlannedChange> plan_replace(const ChangeBase& base, const arrow::compute::Expression& predicate,
                                                 arrow::RecordBatchReader& rows);

// Rows for which `predicate` is true get `assignments` (column name to a
// value expression over the row); their files are rewritten.
[[nodiscard]] Result<PlannedChange> plan_update(const ChangeBase& base, const arrow::compute::Expression& predicate,
                                                const std::map<std::string, arrow::compute::Expression>& assignments);

// A keyed merge of `source` (in the table's Arrow schema). Files whose
// matched rows the merge's rules read but leave are in depends_on.
[[nodiscard]] Result<PlannedChange> plan_merge(const ChangeBase& base, const formats::MergeSource& source,
                                               const formats::MergeRules& rules);

// Data files as the format-neutral key and merge logic sees them: bounds
// from manifest metrics and identity partitions, rows read by field id.
class ContentFileSet final : public formats::DataFileSet {
 public:
  // `table` must outlive the set.
  ContentFileSet(std::shared_ptr<Backend> backend, const TableMetadata& table, std::vector<PlannedFile> files);

  [[nodiscard]] std::size_t size() const override { return files_.size(); }
  [[nodiscard]] std::string name(std::size_t file) const override { return files_[file].file.path; }
  [[nodiscard]] formats::ColumnBounds bounds(std::size_t file, const std::string& column) const override;
  [[nodiscard]] Result<std::shared_ptr<arrow::RecordBatchReader>> read(
      std::size_t file, const std::vector<std::string>& columns) const override;

  [[nodiscard]] const PlannedFile& file(std::size_t file) const { return files_[file]; }
  // A file's rows, whole, in the table's schema.
  [[nodiscard]] Result<std::shared_ptr<arrow::RecordBatch>> read_whole(std::size_t file) const;

 private:
  std::shared_ptr<Backend> backend_;
  const TableMetadata& table_;
  std::shared_ptr<arrow::Schema> schema_;
  std::vector<PlannedFile> files_;
};

}  // namespace lake::iceberg

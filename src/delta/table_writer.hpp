// The parts of a write every Table operation shares: the table's layout
// and file options, the commit step that either lands the pending commit
// (moving the handle, writing a due checkpoint) or removes the data files
// the write produced, and the helpers of the row changes (delete, update,
// merge). Internal to the Delta implementation.
#pragma once

#include <vector>

#include "delta/data_files.hpp"
#include "delta/table_layout.hpp"
#include "delta/transaction.hpp"
#include "lake/delta/table.hpp"

namespace lake::delta {

class TableWriter {
 public:
  explicit TableWriter(Table& table) : table_(table) {}

  [[nodiscard]] Result<TableLayout> layout() const { return layout_of(table_.root_, table_.snapshot_); }
  [[nodiscard]] DataFileOptions file_options(std::optional<std::int64_t> target_file_bytes = std::nullopt) const;
  [[nodiscard]] int checkpoint_interval() const;
  [[nodiscard]] const Snapshot& snapshot() const { return table_.snapshot_; }
  [[nodiscard]] Backend& backend() const { return *table_.backend_; }

  [[nodiscard]] CommitPolicy commit_policy() const;
  // Commits `pending`. `written` are the data files this write produced,
  // `written_vectors` the keys of its deletion-vector files: on failure
  // (or when an idempotent write turns out to be a duplicate) they are
  // removed, so nothing of the write remains. `attempts`, when given,
  // counts attempts across the redos of one write.
  [[nodiscard]] Result<CommitResult> commit(PendingCommit pending, const std::vector<Add>& written,
                                            CommitResult result, CommitAttempts* attempts = nullptr,
                                            const std::vector<std::string>& written_vectors = {});
  // Best-effort removal of files that were never committed.
  void discard(const std::vector<Add>& written, const std::vector<std::string>& written_vectors = {}) const;
  // Whether delete, update and merge record removed rows in deletion
  // vectors (merge-on-read) rather than rewriting files: when the table
  // has the deletionVectors feature and enables it
  // (delta.enableDeletionVectors), unless the handle asks for
  // copy-on-write.
  [[nodiscard]] bool deletes_by_vector() const;

 private:
  Table& table_;
};

// The txn action recording a write's idempotency key, if it has one.
[[nodiscard]] std::optional<Txn> txn_of(const WriteOptions& options);

// The remove of a live logical file (its deletion vector included, so the
// right logical file goes), stamped now. data_change is false for a
// rewrite that keeps every row (optimize).
[[nodiscard]] Remove remove_of(const Add& file, bool data_change = true);

// Total numRecords of files (0 for files without stats).
[[nodiscard]] std::int64_t rows_in(const std::vector<Add>& files);

// A data file's rows, whole, in the table's schema (or only `columns`).
[[nodiscard]] Result<std::shared_ptr<arrow::RecordBatch>> read_whole(Backend& backend, const TableLayout& layout,
                                                                     const Add& file,
                                                                     std::vector<std::string> columns = {});
// Writes rows (already in the table's schema) as new data files.
[[nodiscard]] Result<std::vector<Add>> write_rows(Backend& backend, const TableLayout& layout,
                                                  const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches,
                                                  const DataFileOptions& options);
// The live files a row change must look at (those that may match `filter`).
[[nodiscard]] Result<std::vector<Add>> candidates(const Snapshot& snapshot, const TableLayout& layout,
                                                  const std::optional<Predicate>& filter);
// Column indexes of named columns; ErrorCode::schema_mismatch names an
// unknown one as a `what` column.
[[nodiscard]] Result<std::vector<int>> column_indexes(const arrow::Schema& schema,
                                                      const std::vector<std::string>& names, std::string_view what);

}  // namespace lake::delta

// The parts of a write every Table operation shares: the table's layout
// and file options, and the commit step that either lands the pending
// commit (moving the handle, writing a due checkpoint) or removes the data
// files the write produced. Internal to the Delta implementation.
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

  // Commits `pending`. `written` are the data files this write produced:
  // on failure (or when an idempotent write turns out to be a duplicate)
  // they are removed, so nothing of the write remains.
  [[nodiscard]] Result<CommitResult> commit(PendingCommit pending, const std::vector<Add>& written,
                                            CommitResult result);
  // Best-effort removal of files that were never committed.
  void discard(const std::vector<Add>& written) const;

 private:
  Table& table_;
};

// The txn action recording a write's idempotency key, if it has one.
[[nodiscard]] std::optional<Txn> txn_of(const WriteOptions& options);

// Total numRecords of files (0 for files without stats).
[[nodiscard]] std::int64_t rows_in(const std::vector<Add>& files);

}  // namespace lake::delta

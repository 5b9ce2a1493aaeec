// Merge-on-read row changes (PROTOCOL.md "Deletion Vectors"): the rows a
// delete, update or merge takes out of existing data files, recorded as
// deletion vectors instead of rewritten files. A file keeps its Parquet
// bytes; its logical file (path, vector) is replaced by (path, a vector
// that also deletes the new rows). Updated rows' new values are new data
// files, as with copy-on-write. Internal to the Delta implementation.
//
// Concurrency needs nothing of its own: the commit removes the old
// logical file, so a concurrent writer that also changed rows of the file
// removes the same logical file, and the loser of the race conflicts
// (concurrent_delete_delete) and runs again on top of the winner's vector.
#pragma once

#include <arrow/array/array_primitive.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "delta/deletion_vectors.hpp"
#include "delta/table_layout.hpp"
#include "delta/transaction.hpp"
#include "lake/delta/actions.hpp"
#include "lake/storage/backend.hpp"

namespace lake::delta {

class RowDeletions {
 public:
  // `backend` and `layout` must outlive the object.
  RowDeletions(Backend& backend, const TableLayout& layout) : backend_(backend), layout_(layout) {}

  // The rows of `file` that `gone` selects are deleted. `gone` has one
  // entry per row of the logical file as a reader sees it (without the
  // rows its vector already deletes), in file order. A file is marked once.
  [[nodiscard]] Status mark(const Add& file, const arrow::BooleanArray& gone);

  [[nodiscard]] bool empty() const noexcept { return marked_.empty(); }
  [[nodiscard]] std::int64_t files() const noexcept { return static_cast<std::int64_t>(marked_.size()); }

  // What add_to put in the commit.
  struct Added {
    std::string vector_file;  // the new vectors' file key ("" when none was needed)
    std::int64_t vectors = 0;        // files that keep rows, under a new vector
    std::int64_t files_removed = 0;  // files with every row deleted, only removed
  };
  // Writes the new vectors (one file for all of them) and adds to
  // `pending`, for each marked file, the remove of its logical file and
  // the add of the data file with its new vector (only the remove when no
  // row is left). The caller removes the vector file again if the commit
  // does not land.
  [[nodiscard]] Result<Added> add_to(PendingCommit& pending);

 private:
  struct Marked {
    Add file;
    std::unique_ptr<DeletedRows> deleted;  // the old vector and the new rows
    std::uint64_t file_rows = 0;           // rows in the data file, deleted ones included
  };

  Backend& backend_;
  const TableLayout& layout_;
  std::vector<Marked> marked_;
};

// An add's stats for the same data file under a new deletion vector:
// numRecords stays the file's row count (the protocol requires it with a
// vector) and the bounds become wide (tightBounds false: they may be of
// deleted rows). Stats another writer kept are carried over as they are.
[[nodiscard]] std::string stats_under_vector(const std::optional<std::string>& stats, std::uint64_t file_rows);

}  // namespace lake::delta

// The keys of one keyed write, and the question a table format asks when
// that write loses a commit race: did the winners write rows with any of
// these keys?
//
// Optimistic concurrency (Delta's log, Iceberg's snapshots) makes a write
// that lost the race either start over or commit on top of the winners.
// Judged by files or predicates, two merges into one keyed table always
// overlap (each read the whole key range), so concurrent writers of a
// keyed table would fail on keys nobody else had. Judged by key values
// they overlap only when they really do: a winner's data files are first
// ruled out by their statistics (bounds of the key columns, which rule out
// most of a writer's files when keys are clustered), and only the key
// columns of the files that remain are read. No collision: the write
// commits on top of the winners unchanged. A collision: the write runs
// again against the newer version, so its rules (fail, skip, update) see
// the winners' rows, as if the two had run one after the other.
//
// Format-neutral: a format describes its data files through DataFileSet.
#pragma once

#include <arrow/record_batch.h>
#include <arrow/scalar.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "formats/key_index.hpp"
#include "lake/error.hpp"

namespace lake::formats {

// What a data file's statistics say about one column. Bounds hold for
// every non-NULL value; a null pointer is an unknown bound.
struct ColumnBounds {
  std::shared_ptr<arrow::Scalar> min{};
  std::shared_ptr<arrow::Scalar> max{};
  bool all_null = false;
};

// A set of data files as a table format describes them: statistics per
// column (the format's own: Delta's stats JSON and partition values,
// Iceberg's manifest bounds), and the rows of chosen columns.
class DataFileSet {
 public:
  virtual ~DataFileSet() = default;
  [[nodiscard]] virtual std::size_t size() const = 0;
  // The file's name in messages (its path).
  [[nodiscard]] virtual std::string name(std::size_t file) const = 0;
  [[nodiscard]] virtual ColumnBounds bounds(std::size_t file, const std::string& column) const = 0;
  // The file's rows, only `columns` (in that order, with the table's types).
  [[nodiscard]] virtual Result<std::shared_ptr<arrow::RecordBatchReader>> read(
      std::size_t file, const std::vector<std::string>& columns) const = 0;
};

// The keys of a write found in a set of files.
struct KeyCollisions {
  std::int64_t count = 0;            // rows of the files holding one of the keys
  std::vector<std::string> sample;   // the first few keys, "col=value, ..."
  std::vector<std::string> files;    // the files holding them
  [[nodiscard]] bool empty() const noexcept { return count == 0; }
};

class WriteKeys {
 public:
  // Indexes the key columns of a write's rows (a NULL in a key column
  // never matches anything). Two rows with one key are ErrorCode::
  // invalid_argument naming it: the outcome would depend on their order.
  // A key column the rows lack is ErrorCode::schema_mismatch.
  [[nodiscard]] static Result<WriteKeys> make(const arrow::RecordBatch& rows, std::vector<std::string> columns);

  [[nodiscard]] const std::vector<std::string>& columns() const noexcept { return columns_; }
  [[nodiscard]] std::int64_t size() const noexcept { return keys_->num_rows(); }
  [[nodiscard]] bool empty() const noexcept { return index_.empty(); }

  // Per row of `keys` (exactly the key columns, in columns() order, with
  // the write's types): the write's row with the same key, or
  // KeyIndex::kNoRow.
  [[nodiscard]] Result<std::vector<std::int64_t>> find_all(const arrow::RecordBatch& keys) const;
  // The key of the write's row `row`, as "col=value, col=value".
  [[nodiscard]] std::string describe(std::int64_t row) const;

  // Per row of one file, in file order: the write's row with the same key,
  // or KeyIndex::kNoRow. Only the key columns are read.
  [[nodiscard]] Result<std::vector<std::int64_t>> find_in_file(const DataFileSet& files, std::size_t file) const;

  // False only when the file's statistics prove it holds none of the keys.
  [[nodiscard]] bool may_hold_any(const DataFileSet& files, std::size_t file) const;
  // The keys of this write that `files` hold: statistics first, then the
  // key columns of the files they cannot rule out (only those columns are
  // read, one batch at a time).
  [[nodiscard]] Result<KeyCollisions> find_in(const DataFileSet& files) const;

 private:
  WriteKeys(std::vector<std::string> columns, std::shared_ptr<arrow::RecordBatch> keys, KeyIndex index)
      : columns_(std::move(columns)), keys_(std::move(keys)), index_(std::move(index)) {}

  std::vector<std::string> columns_;
  std::shared_ptr<arrow::RecordBatch> keys_;  // the write's key columns only
  KeyIndex index_;
};

}  // namespace lake::formats

// Merge, the keyed row change behind upsert, update and remove by key and
// key-checked inserts, for every format: source rows are matched to table
// rows on key columns, and what a match or a miss does is decided here;
// writing files and recording the change is the format's (MergeTarget).
//
// Only the files a format hands over (those its skipping by the source's
// key range cannot rule out) are looked at; of those, files whose
// statistics rule out every source key are passed over, the others are
// read through their key columns only (and the columns of the target
// filter, if any); the format reads a file whole only when it rewrites it
// (copy-on-write).
//
// In three steps, so that files are read and rewritten on several threads
// (MergeRules::threads) while the outcome stays that of one thread: every
// candidate's matching rows are found in parallel; the matches are
// recorded file by file in order (a key matched twice, the keys a
// key-checked insert finds: the same error and the same sample on every
// run); then the files that lose rows are rewritten in parallel.
#pragma once

#include <arrow/compute/expression.h>
#include <arrow/record_batch.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "formats/write_keys.hpp"
#include "lake/driver.hpp"
#include "lake/error.hpp"

namespace lake::formats {

// The merge source in the table's schema, its keys indexed.
struct MergeSource {
  std::shared_ptr<arrow::RecordBatch> rows;
  std::shared_ptr<const WriteKeys> keys;
  std::vector<int> key_indexes;  // the key columns in `rows` (and in the table's schema)

  // `rows` already conformed to the table's schema. A key column the
  // table lacks is ErrorCode::schema_mismatch; two source rows with one
  // key, ErrorCode::invalid_argument naming it.
  [[nodiscard]] static Result<MergeSource> make(std::shared_ptr<arrow::RecordBatch> rows,
                                                const std::vector<std::string>& key_names);

  // The source's key range as a predicate for file skipping: a file whose
  // statistics put a key column outside it holds no source key. nullopt
  // when no key column has an order to bound it by.
  [[nodiscard]] std::optional<arrow::compute::Expression> key_range() const;
};

struct MergeRules {
  OnMatch on_match = OnMatch::update;
  OnNoMatch on_no_match = OnNoMatch::insert;
  // Restricts the table rows considered: its columns are read with the
  // keys. Bound to the source's (the table's) schema here.
  std::optional<arrow::compute::Expression> target_filter{};
  // Files read and rewritten at once (the writer threads, resolved: at
  // least 1).
  int threads = 1;
};

// The table side of a merge, as a format presents it.
class MergeTarget {
 public:
  virtual ~MergeTarget() = default;
  // The candidate files, with their statistics. Read from several
  // threads at once.
  [[nodiscard]] virtual const DataFileSet& files() const = 0;
  // The merge takes the rows `gone` selects out of the file (one entry per
  // row, in the order the files' reads give them); the new values of
  // updated rows come through insert(). The format rewrites the file
  // without them (copy-on-write: it reads the file whole) or records them
  // deleted (merge-on-read). Returns how many unchanged rows it rewrote.
  // Called from several threads at once, each for a different file: what
  // it records it keeps by file, so that the change lists its files in
  // file order however the calls were scheduled.
  [[nodiscard]] virtual Result<std::int64_t> remove_rows(std::size_t file,
                                                         std::shared_ptr<const arrow::BooleanArray> gone) = 0;
  // The merge's outcome depends on the file's rows though it does not
  // rewrite it (a key it skipped or refused is there): a concurrent commit
  // that removes the file must make the merge run again. On the calling
  // thread, in file order.
  virtual void depends_on(std::size_t file) = 0;
  // Source rows that go into the table: new values of matched rows
  // (update) and unmatched ones (insert), in source order. On the calling
  // thread, after every remove_rows.
  [[nodiscard]] virtual Status insert(std::shared_ptr<arrow::RecordBatch> rows) = 0;
};

struct MergeCounts {
  std::int64_t files_rewritten = 0;  // files that lost rows (rewritten, or given a deletion vector)
  std::int64_t rows_inserted = 0;
  std::int64_t rows_updated = 0;
  std::int64_t rows_deleted = 0;
  std::int64_t rows_copied = 0;  // unchanged rows of rewritten files
};

// Runs the merge against `target`. OnMatch::fail refuses the whole merge
// with ErrorCode::already_exists and a lake::DuplicateKeys detail (the
// keys found: the first few and a count); a source row matching two table
// rows is ErrorCode::invalid_argument naming the key. On error the target
// may hold partial work: the caller discards it.
[[nodiscard]] Result<MergeCounts> merge_into(const MergeSource& source, const MergeRules& rules, MergeTarget& target);

}  // namespace lake::formats

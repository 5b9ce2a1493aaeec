// Reading one data file's rows in the table's Arrow schema, a batch at a
// time and one row group at a time, fetching only the column chunks of the
// columns asked for (ranged reads through the storage contract). Columns
// come out as the table declares them: partition columns filled from the
// add's partition values, columns the file lacks (added to the table
// after it was written) as NULLs, the rest cast from however the writer
// stored them. A file with a deletion vector comes out without the rows
// the vector deletes. Internal to the Delta implementation.
#pragma once

#include <arrow/record_batch.h>
#include <arrow/scalar.h>
#include <parquet/arrow/reader.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "delta/deletion_vectors.hpp"
#include "delta/table_layout.hpp"
#include "lake/delta/actions.hpp"
#include "lake/storage/backend.hpp"

namespace lake::delta {

class DataFileReader {
 public:
  // Opens `file` to read the table columns `columns` (in that order).
  // `backend` must outlive the reader.
  [[nodiscard]] static Result<std::unique_ptr<DataFileReader>> open(Backend& backend, const TableLayout& layout,
                                                                    const Add& file,
                                                                    const std::vector<std::string>& columns,
                                                                    std::int64_t batch_rows);

  // The columns asked for, with the table's types.
  [[nodiscard]] const std::shared_ptr<arrow::Schema>& schema() const noexcept { return schema_; }

  // The next batch (never empty), or nullptr after the last one.
  [[nodiscard]] Result<std::shared_ptr<arrow::RecordBatch>> next();

 private:
  // Where one output column comes from.
  struct Source {
    std::string file_column;                  // a top-level field of the file, or
    std::shared_ptr<arrow::Scalar> constant;  // a partition value or NULL
    std::optional<PhysicalField> physical;    // with column mapping: its nested fields' names in the file
    bool by_id = false;                       // id mode: nested fields found by Parquet field id
  };

  DataFileReader() = default;
  [[nodiscard]] Status start_row_group();
  // The file's next rows, deleted ones included; advances next_row_.
  [[nodiscard]] Result<std::shared_ptr<arrow::RecordBatch>> next_in_file();
  // `batch` (the file's rows from `first` on) without the deleted rows.
  [[nodiscard]] Result<std::shared_ptr<arrow::RecordBatch>> without_deleted(std::shared_ptr<arrow::RecordBatch> batch,
                                                                          std::int64_t first) const;
  [[nodiscard]] Result<std::shared_ptr<arrow::RecordBatch>> assemble(const arrow::RecordBatch* from_file,
                                                                    std::int64_t rows);

  std::string path_;  // the add's path, for errors
  std::unique_ptr<parquet::arrow::FileReader> reader_;
  std::shared_ptr<arrow::Schema> schema_;
  std::vector<Source> sources_;
  std::vector<int> leaf_columns_;  // the Parquet leaf columns to fetch
  std::int64_t batch_rows_ = 0;
  int next_row_group_ = 0;
  std::unique_ptr<arrow::RecordBatchReader> row_group_;
  std::int64_t rows_left_without_columns_ = 0;  // when no column comes from the file
  std::unique_ptr<DeletedRows> deleted_;        // the add's deletion vector, if it has one
  std::int64_t next_row_ = 0;                   // the file position of the next row read
};

}  // namespace lake::delta

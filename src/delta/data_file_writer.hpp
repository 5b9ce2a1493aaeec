// One Parquet data file being written: rows are buffered into row groups
// the caller sizes, the file's stats are gathered as rows arrive, and the
// object appears in the backend whole on close() (PutMode::create, so a
// data file is never overwritten) or not at all. Internal to the Delta
// implementation.
#pragma once

#include <arrow/record_batch.h>
#include <parquet/arrow/writer.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "delta/data_files.hpp"
#include "delta/file_stats.hpp"

namespace lake::delta {

class DataFileWriter {
 public:
  // Starts the file at `relative_path` (under the table root) for rows of
  // `data_schema` (the table's non-partition columns).
  [[nodiscard]] static Result<std::unique_ptr<DataFileWriter>> open(Backend& backend, const TableLayout& layout,
                                                                    std::shared_ptr<arrow::Schema> data_schema,
                                                                    std::string relative_path,
                                                                    PartitionValues partition_values,
                                                                    const DataFileOptions& options);
  DataFileWriter(const DataFileWriter&) = delete;
  DataFileWriter& operator=(const DataFileWriter&) = delete;
  // Discards the file unless close() succeeded.
  ~DataFileWriter();

  // Adds rows to the current row group; `arrow_bytes` is their in-memory
  // size, which the caller's size model is kept in.
  [[nodiscard]] Status append(std::shared_ptr<arrow::RecordBatch> rows, std::int64_t arrow_bytes);
  // Writes the buffered rows as one row group; returns the bytes it took.
  [[nodiscard]] Result<std::int64_t> flush_row_group();
  // Writes the footer and publishes the object; returns its add action.
  [[nodiscard]] Result<Add> close();

  [[nodiscard]] std::int64_t pending_rows() const noexcept { return pending_rows_; }
  [[nodiscard]] std::int64_t pending_arrow_bytes() const noexcept { return pending_arrow_bytes_; }
  // Bytes in the file so far (row groups flushed, not the buffered one).
  [[nodiscard]] std::int64_t bytes_written() const;
  [[nodiscard]] const std::string& key() const noexcept { return key_; }

 private:
  DataFileWriter(const TableLayout& layout, std::string key, std::string relative_path,
                 PartitionValues partition_values);

  std::string key_;
  std::string relative_path_;
  PartitionValues partition_values_;
  std::shared_ptr<arrow::io::OutputStream> sink_;
  std::unique_ptr<parquet::arrow::FileWriter> writer_;
  FileStatsCollector stats_;
  std::vector<std::shared_ptr<arrow::RecordBatch>> pending_;
  std::int64_t pending_rows_ = 0;
  std::int64_t pending_arrow_bytes_ = 0;
  bool closed_ = false;
};

}  // namespace lake::delta

// One Parquet data file being written: rows are buffered into row groups
// the caller sizes, the file's stats are gathered as rows arrive, and the
// object appears in the backend whole on close() (PutMode::create, so a
// data file is never overwritten) or not at all. Internal to the Delta
// implementation.
//
// Row groups are Arrow's buffered ones, so their columns are encoded and
// compressed in parallel (DataFileOptions::writer_threads): a flushed row
// group is held encoded in memory and reaches the sink when the next one
// starts or the file closes. Its compressed size is known then, one row
// group late; until it is, the caller estimates it from its Arrow bytes.
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
  // What reached the sink: a row group's compressed bytes and the Arrow
  // bytes it was encoded from (both 0 when nothing did).
  struct Sunk {
    std::int64_t compressed_bytes = 0;
    std::int64_t arrow_bytes = 0;
  };
  // Encodes the appended rows as one row group (held in memory, see above)
  // and writes the row group encoded before it to the sink.
  [[nodiscard]] Result<Sunk> flush_row_group();
  // Writes the footer and publishes the object; returns its add action.
  [[nodiscard]] Result<Add> close();

  [[nodiscard]] std::int64_t pending_rows() const noexcept { return pending_rows_; }
  [[nodiscard]] std::int64_t pending_arrow_bytes() const noexcept { return pending_arrow_bytes_; }
  // The Arrow bytes of the row group encoded but not yet in the sink.
  [[nodiscard]] std::int64_t encoded_arrow_bytes() const noexcept { return encoded_arrow_bytes_; }
  // Bytes in the sink so far (neither the appended rows nor the row group
  // held encoded).
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
  std::int64_t encoded_arrow_bytes_ = 0;
  bool closed_ = false;
};

}  // namespace lake::delta

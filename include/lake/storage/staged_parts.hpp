// Staged Parquet parts: how a write's rows travel through object storage.
// A client streams rows into parts under _staging/<ingest id>/ (a part is
// closed and the next begun at a size bound, so memory stays bounded);
// an engine then reads the parts back as one stream and lands them in the
// table with one commit; the staging is removed either way.
#pragma once

#include <arrow/record_batch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lake/error.hpp"
#include "lake/storage/backend.hpp"

namespace lake {

// Codec of staged parts (seed: WithCompression). Table data files are
// always ZSTD.
enum class Compression { zstd, snappy, gzip, uncompressed };

struct StagedPartOptions {
  std::int64_t part_bytes = std::int64_t{128} << 20;  // close a part once it is this big
  Compression compression = Compression::zstd;
};

class StagedPartWriter {
 public:
  // Parts are written as <prefix>part-00000.parquet, part-00001.parquet...
  [[nodiscard]] static Result<std::unique_ptr<StagedPartWriter>> open(Backend& backend, std::string prefix,
                                                                     std::shared_ptr<arrow::Schema> schema,
                                                                     StagedPartOptions options);
  virtual ~StagedPartWriter() = default;
  // Writes the rows as one row group (of the current part).
  [[nodiscard]] virtual Status write(const std::shared_ptr<arrow::RecordBatch>& rows) = 0;
  // Closes the current part; the keys of every part written.
  [[nodiscard]] virtual Result<std::vector<std::string>> close() = 0;
  [[nodiscard]] virtual std::int64_t bytes_written() const noexcept = 0;
};

// The rows of `parts`, in order, one row group at a time. The parts must
// share one schema (the first part's), else ErrorCode::schema_mismatch
// naming the part.
[[nodiscard]] Result<std::shared_ptr<arrow::RecordBatchReader>> read_staged_parts(std::shared_ptr<Backend> backend,
                                                                                 std::vector<std::string> parts);

}  // namespace lake

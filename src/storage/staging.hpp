// Staging: how a write's rows travel through object storage, in one place.
// A client streams rows into Parquet parts under _staging/<ingest id>/ (a
// part is closed and the next begun at a size bound, so memory stays
// bounded); an engine then reads the parts back as one stream (or in
// place) and lands them in the table with one commit; the staging is
// removed either way, and cleanup finds what a crashed writer left.
// Internal: the Client, the engines and their tests use it.
#pragma once

#include <arrow/record_batch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <optional>
#include <string_view>

#include "lake/error.hpp"
#include "lake/ingest_id.hpp"
#include "lake/storage/backend.hpp"
#include "lake/storage/compression.hpp"

namespace lake {

namespace staging {

// Where every write's staging lives (the seed's layout).
inline constexpr std::string_view kRoot = "_staging/";

// "_staging/<ingest id>/".
[[nodiscard]] std::string prefix_of(const IngestId& ingest_id);

// One staging prefix on a backend, and the ingest id it is named after
// (which carries the time the write began); none when the name is not an
// ingest id (then it is not a write's staging, and cleanup leaves it).
struct Prefix {
  std::string prefix;  // "_staging/<name>/"
  std::optional<IngestId> ingest_id;
};
// Every staging prefix, in name order (objects directly under the root
// are not prefixes).
[[nodiscard]] Result<std::vector<Prefix>> list_prefixes(Backend& backend);

}  // namespace staging

struct StagedPartOptions {
  std::int64_t part_bytes = std::int64_t{128} << 20;  // close a part once it is this big
  Compression compression = Compression::zstd;
  // Threads a row group's columns are encoded and compressed on (1: the
  // writing thread); see core/encoder_threads.hpp.
  int writer_threads = 1;
};

class StagedPartWriter {
 public:
  // Parts are written as <prefix>part-00000.parquet, part-00001.parquet...
  [[nodiscard]] static Result<std::unique_ptr<StagedPartWriter>> open(Backend& backend, std::string prefix,
                                                                     std::shared_ptr<arrow::Schema> schema,
                                                                     StagedPartOptions options);
  virtual ~StagedPartWriter() = default;
  // Writes the rows as one row group (of the current part). It is held
  // encoded in memory until the next one or close() writes it out.
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

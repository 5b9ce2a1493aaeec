// Merge-on-read deletes that other engines write (the spec's "Delete
// Formats" and "Scan Planning"): Spark's position deletes (file_path, pos)
// and the equality deletes of Flink and others (rows whose values in the
// file's equality columns equal a delete row's; NULL equals NULL there).
//
// Which delete files apply to a data file is decided by sequence numbers
// and partitions: a position delete applies to data files of its
// partition (of the same spec) with a data sequence number up to its own,
// an equality delete to those with a lower one; a delete file of an
// unpartitioned spec applies to every partition. Position deletes whose
// file_path bounds exclude the data file are passed over.
#pragma once

#include <arrow/array.h>
#include <arrow/record_batch.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "iceberg/manifest.hpp"
#include "iceberg/table_metadata.hpp"
#include "lake/storage/backend.hpp"

namespace lake::iceberg {

// The reserved field ids of position delete files.
inline constexpr std::int32_t kDeleteFilePathId = 2147483546;
inline constexpr std::int32_t kDeletePosId = 2147483545;

struct DeleteFile {
  ContentFile file;
  std::int64_t sequence_number = 0;  // its data sequence number
  std::int32_t spec_id = 0;
};

// Whether `deletes` applies to a data file of `spec_id` with `partition`
// and data sequence number `sequence_number`.
[[nodiscard]] bool applies(const DeleteFile& deletes, const TableMetadata& table, const ContentFile& data,
                           std::int32_t spec_id, std::int64_t sequence_number);

// The deletes of one data file, loaded.
class RowDeletes {
 public:
  // Reads the delete files applying to the data file at `data_path`;
  // equality columns typed as `schema` (the table's) has them.
  [[nodiscard]] static Result<RowDeletes> load(Backend& backend, const Schema& schema, const std::string& data_path,
                                               const std::vector<DeleteFile>& deletes);

  [[nodiscard]] bool empty() const noexcept { return positions_.empty() && equality_.empty(); }
  // The field ids whose values equality deletes compare: a batch given to
  // keep() must carry them (as PARQUET:field_id metadata).
  [[nodiscard]] std::set<std::int32_t> equality_ids() const;
  // Per row of `batch` (the data file's rows from `first_position` on):
  // true where the row is not deleted.
  [[nodiscard]] Result<std::shared_ptr<arrow::BooleanArray>> keep(const arrow::RecordBatch& batch,
                                                                  std::int64_t first_position) const;

 private:
  struct EqualityKeys {
    std::vector<std::int32_t> ids;
    std::unordered_set<std::string> keys;
  };
  std::set<std::int64_t> positions_;
  std::vector<EqualityKeys> equality_;
};

}  // namespace lake::iceberg

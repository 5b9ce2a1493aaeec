// The non-template half of a Client write: the typed methods turn records
// into Arrow batches and hand them to an IngestSession, which keeps them
// in memory (direct path) or streams them into ZSTD Parquet parts under
// _staging/<ingest id>/ (object-storage path), switching from the first
// to the second when an automatic write outgrows the fast-path threshold,
// and finally plans, executes and commits the write. Internal to the
// Client; declared here only because templates call it.
#pragma once

#include <arrow/record_batch.h>

#include <cstdint>
#include <memory>

#include "lake/driver.hpp"
#include "lake/error.hpp"

namespace lake {
class Client;
}

namespace lake::detail {

class IngestSession {
 public:
  IngestSession(IngestSession&&) noexcept;
  IngestSession& operator=(IngestSession&&) noexcept;
  // Abandons an unfinished write: staging is removed, nothing commits.
  ~IngestSession();

  // Adds rows (the table's columns, _ingest_id included).
  [[nodiscard]] Status add(std::shared_ptr<arrow::RecordBatch> rows);
  // How many bytes of records the caller should batch before add().
  [[nodiscard]] std::int64_t batch_bytes() const noexcept;
  // Plans, executes and commits the write (aborting it on failure).
  [[nodiscard]] Result<WriteResult> finish();
  // For insert_raw: closes the staged parts (forcing staging) and hands
  // the staging over; the session then owns nothing.
  [[nodiscard]] Result<StagingRef> finish_staging();

 private:
  friend class lake::Client;
  struct Impl;
  explicit IngestSession(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lake::detail

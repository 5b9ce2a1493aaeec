// Client::Ingest's state. Internal to the Client.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "client/client_core.hpp"
#include "lake/client.hpp"
#include "storage/staging.hpp"

namespace lake {

using detail::ClientCore;

struct Client::Ingest::Impl {
  Impl(std::shared_ptr<ClientCore> core, const Schema& schema, TableRef table, IngestId ingest_id,
       InsertOptions options, ClientCore::Slot slot);

  [[nodiscard]] Status add(std::shared_ptr<arrow::RecordBatch> rows);
  [[nodiscard]] Result<WriteResult> finish();
  [[nodiscard]] Result<StagingRef> finish_staging();
  // Drops everything the write produced so far (staging included).
  void abandon();

  std::shared_ptr<ClientCore> core;
  const Schema& schema;
  TableRef table;
  IngestId ingest_id;
  InsertOptions options;
  ClientCore::Slot slot;
  std::shared_ptr<arrow::Schema> arrow_schema;
  std::chrono::steady_clock::time_point started;

  bool finished = false;
  std::int64_t bytes = 0;  // Arrow bytes buffered (direct)
  std::vector<std::shared_ptr<arrow::RecordBatch>> buffered;
  std::optional<StagingRef> staging;  // set once staging started, until handed over
  std::unique_ptr<StagedPartWriter> writer_;
  std::int64_t bytes_staged = 0;

 private:
  [[nodiscard]] Status start_staging();
  [[nodiscard]] Status write_staged(const std::shared_ptr<arrow::RecordBatch>& rows);
  [[nodiscard]] Result<StagingRef> close_staging();
};

}  // namespace lake

// Client::Ingest's state. Internal to the Client.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "client/client_core.hpp"
#include "client/streamed_write.hpp"
#include "lake/client.hpp"
#include "storage/staging.hpp"

namespace lake {

using detail::ClientCore;

struct Client::Ingest::Impl {
  // `streamable`: the write ends in finish() (not finish_staging()), so
  // where the engine writes the table's files itself its rows may go
  // straight to it instead of to staged parts.
  Impl(std::shared_ptr<ClientCore> core, const Schema& schema, TableRef table, IngestId ingest_id,
       InsertOptions options, ClientCore::Slot slot, bool streamable);

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
  const bool streamable;
  // Set once the rows go to the engine as they come (instead of staging).
  std::unique_ptr<detail::StreamedWrite> streamed;

 private:
  // The plan finish() commits (and a streamed write starts with).
  [[nodiscard]] WritePlan write_plan() const;
  // Above the fast-path threshold (or when asked): streams the rows to an
  // engine that writes the table's files itself, else stages them.
  [[nodiscard]] Status leave_fast_path();
  [[nodiscard]] Status start_staging();
  [[nodiscard]] Status write_staged(const std::shared_ptr<arrow::RecordBatch>& rows);
  [[nodiscard]] Result<StagingRef> close_staging();
};

}  // namespace lake

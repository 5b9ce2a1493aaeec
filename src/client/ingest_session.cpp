// A write's rows on their way to one commit: in memory (direct) or, once
// an automatic write outgrows the fast-path threshold (or when asked),
// the object-storage path: streamed into staged Parquet parts, or, where
// the engine writes the table's files itself (Driver::streams_rows),
// streamed straight into them, so they are encoded once.
#include "client/ingest_session_impl.hpp"

#include <arrow/util/byte_size.h>

#include <format>

#include "core/encoder_threads.hpp"
#include "core/propagate.hpp"
#include "lake/arrow/convert.hpp"

namespace lake {

Client::Ingest::Ingest(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::Ingest::Ingest(Ingest&&) noexcept = default;
Client::Ingest& Client::Ingest::operator=(Ingest&&) noexcept = default;
Client::Ingest::~Ingest() {
  if (impl_) impl_->abandon();
}

std::int64_t Client::Ingest::batch_bytes() const noexcept { return impl_->core->options.staging_batch_bytes; }

Status Client::Ingest::add(std::shared_ptr<arrow::RecordBatch> rows) { return impl_->add(std::move(rows)); }

Result<WriteResult> Client::Ingest::finish() { return impl_->finish(); }

Result<StagingRef> Client::Ingest::finish_staging() { return impl_->finish_staging(); }

// ---- Impl ---------------------------------------------------------------------

Client::Ingest::Impl::Impl(std::shared_ptr<ClientCore> core_in, const Schema& schema_in, TableRef table_in,
                          IngestId ingest_id_in, InsertOptions options_in, ClientCore::Slot slot_in,
                          bool streamable_in)
    : core(std::move(core_in)),
      schema(schema_in),
      table(std::move(table_in)),
      ingest_id(ingest_id_in),
      options(std::move(options_in)),
      slot(std::move(slot_in)),
      arrow_schema(to_arrow_schema(schema_in, true)),
      started(std::chrono::steady_clock::now()),
      streamable(streamable_in) {}

Status Client::Ingest::Impl::add(std::shared_ptr<arrow::RecordBatch> rows) {
  if (finished) return fail(ErrorCode::invalid_argument, "the write was already finished");
  if (!rows || rows->num_rows() == 0) return {};
  if (streamed) return streamed->add(std::move(rows));
  if (staging) return write_staged(rows);
  bytes += arrow::util::TotalBufferSize(*rows);
  buffered.push_back(std::move(rows));
  if (core->dialect->route(options.path, bytes, core->options.fast_path_threshold) == WritePath::object_storage)
    return leave_fast_path();
  return {};
}

WritePlan Client::Ingest::Impl::write_plan() const {
  WritePlan plan = core->plan(PlanKind::append, schema.table_name, ingest_id, options.idempotency_key);
  if (!schema.primary_keys.empty()) {
    plan.kind = PlanKind::merge;
    for (auto i : schema.primary_keys) plan.keys.push_back(schema.fields[i].column);
    plan.on_match = options.on_conflict == ConflictStrategy::error    ? OnMatch::fail
                    : options.on_conflict == ConflictStrategy::skip ? OnMatch::skip
                                                                      : OnMatch::update;
    plan.on_no_match = OnNoMatch::insert;
  }
  return plan;
}

Status Client::Ingest::Impl::leave_fast_path() {
  // A keyed write's merge reads all of its rows before it writes anything,
  // so only appends gain from streaming.
  if (!streamable || !core->driver->streams_rows() || !schema.primary_keys.empty()) return start_staging();
  streamed = detail::StreamedWrite::start(*core->driver, write_plan(), arrow_schema);
  core->log(LogLevel::debug, "streaming write", {{"ingest_id", ingest_id.to_string()}, {"table", table.name}});
  auto pending = std::move(buffered);
  buffered.clear();
  for (auto& rows : pending)
    LAKE_RETURN_IF_ERROR(streamed->add(std::move(rows)));
  return {};
}

Status Client::Ingest::Impl::start_staging() {
  StagingRef ref;
  ref.prefix = staging::prefix_of(ingest_id);
  ref.location = core->backend->uri_of(ref.prefix);
  auto writer = StagedPartWriter::open(*core->backend, ref.prefix, arrow_schema,
                                       {.part_bytes = core->options.staging_part_bytes,
                                        .compression = core->options.compression,
                                        .writer_threads = detail::writer_thread_count(core->options.writer_threads)});
  LAKE_RETURN_IF_ERROR(writer);
  staging = std::move(ref);
  writer_ = std::move(*writer);
  core->log(LogLevel::debug, "staging write", {{"ingest_id", ingest_id.to_string()}, {"table", table.name},
                                               {"prefix", staging->location}});
  auto pending = std::move(buffered);
  buffered.clear();
  for (auto& rows : pending)
    LAKE_RETURN_IF_ERROR(write_staged(rows));
  return {};
}

Status Client::Ingest::Impl::write_staged(const std::shared_ptr<arrow::RecordBatch>& rows) {
  if (auto written = writer_->write(rows); !written)
    return fail(ErrorCode::client_staging,
                std::format("writing staged rows of {} to '{}' ({} backend): {}", table.name, staging->location,
                            core->backend->name(), written.error().message()),
                written.error().detail_ptr());
  return {};
}

Result<StagingRef> Client::Ingest::Impl::close_staging() {
  auto parts = writer_->close();
  if (!parts)
    return fail(ErrorCode::client_staging,
                std::format("closing staged parts under '{}' ({} backend): {}", staging->location, core->backend->name(),
                            parts.error().message()));
  staging->parts = std::move(*parts);
  bytes_staged = writer_->bytes_written();
  writer_.reset();
  return *staging;
}

Result<WriteResult> Client::Ingest::Impl::finish() {
  if (finished) return fail(ErrorCode::invalid_argument, "the write was already finished");
  finished = true;
  if (options.path == WritePath::object_storage && !staging && !streamed && !buffered.empty())
    if (auto left = leave_fast_path(); !left) return abandon(), std::unexpected(left.error());
  if (streamed) {
    auto execution = streamed->finish();
    streamed.reset();
    return core->complete_write(std::move(execution), table.name, ingest_id, WritePath::object_storage, 0, "insert",
                                started);
  }
  WritePlan plan = write_plan();
  WritePath path = WritePath::direct;
  if (staging) {
    auto ref = close_staging();
    if (!ref) return abandon(), std::unexpected(ref.error());
    plan.staging = std::move(*ref);
    path = WritePath::object_storage;
    if (plan.staging->parts.empty()) {
      (void)core->backend->remove_prefix(plan.staging->prefix);
      staging.reset();
      return WriteResult{.ingest_id = ingest_id, .path = path};
    }
  } else {
    if (buffered.empty()) return WriteResult{.ingest_id = ingest_id, .path = path};
    auto reader = arrow::RecordBatchReader::Make(std::move(buffered), arrow_schema);
    buffered.clear();
    if (!reader.ok()) return fail(detail::from_arrow_status(reader.status(), "preparing the write"));
    plan.rows = std::move(*reader);
  }
  // From here the finalizer owns the staging.
  staging.reset();
  return core->run_write(std::move(plan), path, bytes_staged, "insert", started);
}

Result<StagingRef> Client::Ingest::Impl::finish_staging() {
  if (finished) return fail(ErrorCode::invalid_argument, "the write was already finished");
  if (streamable)
    return fail(ErrorCode::invalid_argument, "this write's rows may go straight to the engine; it has no staging to hand over");
  finished = true;
  if (!staging)
    if (auto started_staging = start_staging(); !started_staging) return abandon(), std::unexpected(started_staging.error());
  auto ref = close_staging();
  if (!ref) return abandon(), std::unexpected(ref.error());
  staging.reset();  // the caller owns it now
  return ref;
}

void Client::Ingest::Impl::abandon() {
  finished = true;
  buffered.clear();
  // The engine's half-done write fails and removes the files it wrote.
  streamed.reset();
  writer_.reset();  // an unclosed part is discarded by its writer
  if (staging) {
    (void)core->backend->remove_prefix(staging->prefix);
    core->log(LogLevel::info, "write abandoned; staging removed",
              {{"ingest_id", ingest_id.to_string()}, {"table", table.name}});
    staging.reset();
  }
}

}  // namespace lake

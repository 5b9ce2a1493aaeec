#include "drivers/spark/arrow_batches.hpp"

#include <arrow/buffer.h>
#include <arrow/io/memory.h>
#include <arrow/ipc/reader.h>
#include <arrow/ipc/writer.h>

namespace lake::spark {
namespace {

Error arrow_error(const arrow::Status& status) {
  return Error(ErrorCode::internal, "spark: cannot read the Arrow result: " + status.ToString());
}

}  // namespace

Result<DecodedBatches> decode_arrow_ipc_stream(std::string ipc_stream) {
  // The buffer owns the string; zero-copy batches point into it.
  std::shared_ptr<arrow::Buffer> buffer = arrow::Buffer::FromString(std::move(ipc_stream));
  auto input = std::make_shared<arrow::io::BufferReader>(buffer);
  auto reader = arrow::ipc::RecordBatchStreamReader::Open(input);
  if (!reader.ok()) return fail(arrow_error(reader.status()));
  DecodedBatches decoded;
  decoded.schema = (*reader)->schema();
  for (;;) {
    std::shared_ptr<arrow::RecordBatch> batch;
    if (auto status = (*reader)->ReadNext(&batch); !status.ok()) return fail(arrow_error(status));
    if (!batch) break;
    decoded.batches.push_back(std::move(batch));
  }
  return decoded;
}

Result<std::string> encode_arrow_ipc_stream(arrow::RecordBatchReader& rows) {
  auto failed = [](const arrow::Status& status) {
    return fail(ErrorCode::internal, "spark: cannot encode rows as Arrow IPC: " + status.ToString());
  };
  auto sink = arrow::io::BufferOutputStream::Create();
  if (!sink.ok()) return failed(sink.status());
  auto writer = arrow::ipc::MakeStreamWriter(*sink, rows.schema());
  if (!writer.ok()) return failed(writer.status());
  for (;;) {
    std::shared_ptr<arrow::RecordBatch> batch;
    if (auto status = rows.ReadNext(&batch); !status.ok())
      return fail(ErrorCode::invalid_argument, "reading the rows to send: " + status.ToString());
    if (!batch) break;
    if (auto status = (*writer)->WriteRecordBatch(*batch); !status.ok()) return failed(status);
  }
  if (auto status = (*writer)->Close(); !status.ok()) return failed(status);
  auto buffer = (*sink)->Finish();
  if (!buffer.ok()) return failed(buffer.status());
  return (*buffer)->ToString();
}

}  // namespace lake::spark

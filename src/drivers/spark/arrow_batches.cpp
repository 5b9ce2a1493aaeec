#include "drivers/spark/arrow_batches.hpp"

#include <arrow/buffer.h>
#include <arrow/io/memory.h>
#include <arrow/ipc/reader.h>

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

}  // namespace lake::spark

// Spark Connect result data as Arrow: every ArrowBatch response (and the
// `data` of a LocalRelation) is a complete Arrow IPC stream (schema, then
// record batches), read here with Arrow's IPC reader. The batches keep the
// response's bytes alive without copying them.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <arrow/record_batch.h>

#include "lake/error.hpp"

namespace lake::spark {

struct DecodedBatches {
  std::shared_ptr<arrow::Schema> schema;
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
};

// Decodes one IPC stream, taking ownership of its bytes.
[[nodiscard]] Result<DecodedBatches> decode_arrow_ipc_stream(std::string ipc_stream);

// Encodes every batch `rows` yields as one IPC stream (a LocalRelation's
// `data`). Consumes the reader.
[[nodiscard]] Result<std::string> encode_arrow_ipc_stream(arrow::RecordBatchReader& rows);

}  // namespace lake::spark

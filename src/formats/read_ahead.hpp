// A scan that decodes several files at once and hands their rows on in
// file order.
//
// A SQL engine pulls one stream (DuckDB's Arrow scan reads its stream
// under a lock), so the decoding behind that stream, Parquet pages to
// Arrow, runs on whichever one thread asks. Here worker threads each open
// and read one file of the scan at a time, up to `threads` files ahead of
// the consumer, and park each file's batches until the consumer reaches
// that file: the rows come out exactly as a file-after-file read gives
// them, with several cores decoding. Memory stays bounded: at most
// `threads` files are open, each with at most a few batches waiting.
#pragma once

#include <arrow/record_batch.h>

#include <cstddef>
#include <functional>
#include <memory>

#include "lake/error.hpp"

namespace lake::formats {

// Opens the reader of one file of a scan (by its index in the scan).
using OpenFile = std::function<Result<std::shared_ptr<arrow::RecordBatchReader>>(std::size_t file)>;

// The batches of files 0 .. files - 1, in order, each file's as `open`'s
// reader gives them (every one in `schema`). Fewer than 2 threads: the
// files are read one after the other on the consumer's thread. The first
// error (in file order) ends the stream; destroying the reader early
// stops the workers.
[[nodiscard]] std::shared_ptr<arrow::RecordBatchReader> read_ahead(std::shared_ptr<arrow::Schema> schema,
                                                                   std::size_t files, int threads, OpenFile open);

}  // namespace lake::formats

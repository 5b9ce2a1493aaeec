// Arrow I/O over the storage contract, so Parquet (and Arrow IPC) can be
// read and written on any backend: reads are ranged (a Parquet reader
// fetches the footer and the column chunks it needs, never the whole
// file), writes stream into an ObjectWriter and publish on Close().
#pragma once

#include <arrow/io/interfaces.h>

#include <memory>
#include <string_view>

#include "lake/error.hpp"
#include "lake/storage/backend.hpp"

namespace lake {

// A random-access view of one object. The backend must outlive it.
[[nodiscard]] Result<std::shared_ptr<arrow::io::RandomAccessFile>> open_arrow_input(Backend& backend,
                                                                                    std::string_view key);

// A streaming output into one object; nothing is visible until Close()
// succeeds, and dropping the stream without Close() discards it.
[[nodiscard]] Result<std::shared_ptr<arrow::io::OutputStream>> open_arrow_output(Backend& backend,
                                                                                 std::string_view key, PutMode mode);

}  // namespace lake

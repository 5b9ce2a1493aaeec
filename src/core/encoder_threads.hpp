// The threads Parquet writers encode and compress column chunks on.
//
// A row group's columns are independent until they reach the file, so
// Arrow's Parquet writer can encode and compress them in parallel when the
// row group is buffered (ArrowWriterProperties::set_use_threads with an
// executor); the bytes are the same as on one thread, and the writer puts
// the chunks in the file in column order. Every writer of data files and
// staged parts (Delta, Iceberg, staging) takes its executor from here, so
// a process has one bounded pool per thread count asked for, shared by
// every client and table that asks for that count, instead of a pool per
// file. Internal to lake-orm.
#pragma once

#include <arrow/util/thread_pool.h>

namespace lake::detail {

// ClientOptions::writer_threads as a thread count: 0 is one per core
// (std::thread::hardware_concurrency, at least 1); any other value as is.
[[nodiscard]] int writer_thread_count(int writer_threads) noexcept;

// The executor a Parquet writer with `threads` threads (at least 2)
// encodes on: a pool of that many threads, created on first use and alive
// until the process ends. nullptr for fewer than 2: encode on the calling
// thread. Callers block in the writer until their columns are encoded and
// never submit work of their own to it, so writers sharing a pool cannot
// deadlock on it (Arrow's warning about parallel files in one executor is
// about writes that themselves run as its tasks).
[[nodiscard]] arrow::internal::Executor* encoder_executor(int threads);

}  // namespace lake::detail

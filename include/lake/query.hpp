// Typed reads: SQL in, records out. The record type T is the projection —
// a table's struct, or a struct declared for one query's result (joins,
// aggregates: the read side of CQRS). Columns bind to T's members by name
// (extra result columns are ignored); a member the result lacks, or a
// column of a type the member cannot hold, is ErrorCode::schema_mismatch
// before any row is read.
//
//   auto uk = lake::query<User>(db, "SELECT * FROM users WHERE country = ?", "UK");
//   for (auto&& row : lake::query_stream<User>(db, "SELECT * FROM users")) { ... }
//   auto one = lake::query_first<User>(db, "SELECT * FROM users WHERE id = ?", id);
//
// `db` is anything that runs SQL into an Arrow stream: the embedded engine
// or a Client. The *_as forms read a RecordBatchReader the caller already
// has (the DataFrame escape hatch).
#pragma once

#include <arrow/record_batch.h>

#include <generator>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lake/arrow/convert.hpp"
#include "lake/error.hpp"
#include "lake/sql.hpp"

namespace lake {

template <class S>
concept SqlSource = requires(S& source, std::string_view sql, std::span<const SqlValue> params) {
  { source.query(sql, params) } -> std::same_as<Result<std::shared_ptr<arrow::RecordBatchReader>>>;
};

namespace detail {

// Checks that T's members bind to the stream's columns, before any row.
template <class T>
[[nodiscard]] Status check_binds(const arrow::RecordBatchReader& reader) {
  auto empty = arrow::RecordBatch::MakeEmpty(reader.schema());
  if (!empty.ok()) return fail(from_arrow_status(empty.status(), "reading the result schema"));
  auto bound = lake::RecordBatchReader<T>::bind(*empty);
  if (!bound) return std::unexpected(bound.error());
  return {};
}

template <class S, class... Args>
[[nodiscard]] Result<std::shared_ptr<arrow::RecordBatchReader>> run(S& source, std::string_view sql,
                                                                   const Args&... args) {
  auto params = sql_params(args...);
  if (!params) return std::unexpected(params.error());
  return source.query(sql, *params);
}

}  // namespace detail

// Every row of the stream as T. The batches are read first and the rows
// built into a vector of the final size, each batch released once
// converted: growing the vector batch by batch would move every record
// built so far at each doubling and fault in fresh pages for each new
// buffer (a profile of a 1M-row scan put a quarter of its time there).
template <class T>
[[nodiscard]] Result<std::vector<T>> collect_as(arrow::RecordBatchReader& reader) {
  if (auto ok = detail::check_binds<T>(reader); !ok) return std::unexpected(ok.error());
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  std::size_t total = 0;
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    if (auto status = reader.ReadNext(&batch); !status.ok())
      return fail(detail::from_arrow_status(status, "reading query results"));
    if (!batch) break;
    total += static_cast<std::size_t>(batch->num_rows());
    batches.push_back(std::move(batch));
  }
  std::vector<T> rows;
  rows.reserve(total);
  for (auto& batch : batches)
    if (auto appended = append_from_record_batch<T>(std::move(batch), rows); !appended)
      return std::unexpected(appended.error());
  return rows;
}

// The first row as T, ErrorCode::no_rows when there is none. Reads no
// further than the first batch that has a row.
template <class T>
[[nodiscard]] Result<T> first_as(arrow::RecordBatchReader& reader) {
  if (auto ok = detail::check_binds<T>(reader); !ok) return std::unexpected(ok.error());
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    if (auto status = reader.ReadNext(&batch); !status.ok())
      return fail(detail::from_arrow_status(status, "reading query results"));
    if (!batch) return fail(ErrorCode::no_rows, "the query returned no rows");
    if (batch->num_rows() == 0) continue;
    auto bound = lake::RecordBatchReader<T>::bind(std::move(batch));
    if (!bound) return std::unexpected(bound.error());
    T row{};
    if (auto read = bound->read(0, std::span<T>(&row, 1)); !read) return std::unexpected(read.error());
    return row;
  }
}

// GCC 16's <generator> pairs its frame allocation with a sized delete that
// -Wmismatched-new-delete misreads once inlined (a false positive in the
// library's own code); the generators below are the only ones.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

// Rows one at a time, one Arrow batch in memory at a time. An error is
// yielded once, as the last element. Leaving the loop early (break,
// return) destroys the stream and with it the query.
template <class T>
[[nodiscard]] std::generator<Result<T>> stream_as(std::shared_ptr<arrow::RecordBatchReader> reader) {
  if (auto ok = detail::check_binds<T>(*reader); !ok) {
    co_yield Result<T>(std::unexpected(ok.error()));
    co_return;
  }
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    if (auto status = reader->ReadNext(&batch); !status.ok()) {
      co_yield Result<T>(fail(detail::from_arrow_status(status, "reading query results")));
      co_return;
    }
    if (!batch) co_return;
    const std::int64_t rows = batch->num_rows();
    auto bound = lake::RecordBatchReader<T>::bind(std::move(batch));
    if (!bound) {
      co_yield Result<T>(std::unexpected(bound.error()));
      co_return;
    }
    for (std::int64_t i = 0; i < rows; ++i) {
      T row{};
      if (auto read = bound->read(i, std::span<T>(&row, 1)); !read) {
        co_yield Result<T>(std::unexpected(read.error()));
        co_return;
      }
      co_yield Result<T>(std::move(row));
    }
  }
}

template <class T, SqlSource S, class... Args>
[[nodiscard]] Result<std::vector<T>> query(S& source, std::string_view sql, const Args&... args) {
  auto reader = detail::run(source, sql, args...);
  if (!reader) return std::unexpected(reader.error());
  return collect_as<T>(**reader);
}

// The query starts when the loop does (the generator is lazy) and runs
// while it lasts.
template <class T, SqlSource S, class... Args>
[[nodiscard]] std::generator<Result<T>> query_stream(S& source, std::string sql, Args... args) {
  auto reader = detail::run(source, sql, args...);
  if (!reader) {
    co_yield Result<T>(std::unexpected(reader.error()));
    co_return;
  }
  for (auto&& row : stream_as<T>(std::move(*reader))) co_yield std::move(row);
}

#pragma GCC diagnostic pop

template <class T, SqlSource S, class... Args>
[[nodiscard]] Result<T> query_first(S& source, std::string_view sql, const Args&... args) {
  auto reader = detail::run(source, sql, args...);
  if (!reader) return std::unexpected(reader.error());
  return first_as<T>(**reader);
}

}  // namespace lake

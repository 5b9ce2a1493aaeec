// A DataFrame: a query's result held as a handle, for when the result's
// type is not known at compile time (the seed's DataFrame). Untyped at the
// core; typing happens at the edge, with the *_as helpers below.
//
//   auto df = db.data_frame("SELECT country, count(*) AS n FROM users GROUP BY country");
//   auto n = df->count();                       // SELECT count(*) over it: no rows come back
//   auto columns = df->schema();                // known without running it
//   for (auto&& row : df->stream()) { ... }     // one batch in memory at a time
//   auto typed = lake::collect_as<CountryCount>(*df);
//
// A DataFrame is its SQL and bound values, analysed when it is made (a bad
// statement fails there, with the engine's error); every operation runs
// it again, on the client's pooled sessions or on the Session that made
// it, so it sees the tables as they are then. Values are bound, never
// spliced into the SQL. Copies are cheap and share the session.
#pragma once

#include <arrow/record_batch.h>
#include <arrow/table.h>
#include <arrow/type.h>

#include <cstdint>
#include <generator>
#include <memory>
#include <string>
#include <vector>

#include "lake/error.hpp"
#include "lake/query.hpp"
#include "lake/row.hpp"
#include "lake/sql.hpp"

namespace lake {

namespace detail {
struct StatementRunner;
}

class DataFrame {
 public:
  [[nodiscard]] const std::string& sql() const noexcept { return sql_; }
  [[nodiscard]] const SqlParams& params() const noexcept { return params_; }

  // The result's columns (from the analysis; nothing runs).
  [[nodiscard]] const std::shared_ptr<arrow::Schema>& schema() const noexcept { return schema_; }
  // How many rows the result has: the engine counts them, and only the
  // count comes back.
  [[nodiscard]] Result<std::int64_t> count() const;
  // Every row, untyped (the seed's Collect).
  [[nodiscard]] Result<std::vector<Row>> collect() const;
  // Every row as one Arrow table.
  [[nodiscard]] Result<std::shared_ptr<arrow::Table>> to_arrow() const;
  // The rows as a stream of Arrow batches, in constant memory; the query
  // runs while the reader lives.
  [[nodiscard]] Result<std::shared_ptr<arrow::RecordBatchReader>> reader() const;
  // Rows one at a time, one batch in memory at a time. An error is yielded
  // once, as the last element; leaving the loop early stops the query.
  [[nodiscard]] std::generator<Result<Row>> stream() const;
  // The engine's own handle to this query, for APIs this library does not
  // model (the seed's DriverType): on Spark, a serialized
  // spark.connect.Relation holding the SQL and its bound values, to build
  // on with Spark Connect's protocol and run with lake::spark::from_relation;
  // the embedded engine has none (ErrorCode::unsupported).
  [[nodiscard]] Result<std::string> native_plan() const;

 private:
  friend class Client;
  friend class Session;
  friend class QueryBuilder;
  // Analyses the statement and makes the handle.
  [[nodiscard]] static Result<DataFrame> make(std::shared_ptr<const detail::StatementRunner> runner, std::string sql,
                                              SqlParams params);
  DataFrame(std::shared_ptr<const detail::StatementRunner> runner, std::string sql, SqlParams params,
            std::shared_ptr<arrow::Schema> schema)
      : runner_(std::move(runner)), sql_(std::move(sql)), params_(std::move(params)), schema_(std::move(schema)) {}

  std::shared_ptr<const detail::StatementRunner> runner_;
  std::string sql_;
  SqlParams params_;
  std::shared_ptr<arrow::Schema> schema_;
};

// The seed's CollectAs / StreamAs / FirstAs: a DataFrame's rows as T, by
// the rules of lake/query.hpp (members bind to columns by name, checked
// before any row).
template <class T>
[[nodiscard]] Result<std::vector<T>> collect_as(const DataFrame& frame) {
  auto reader = frame.reader();
  if (!reader) return std::unexpected(reader.error());
  return collect_as<T>(**reader);
}

template <class T>
[[nodiscard]] Result<T> first_as(const DataFrame& frame) {
  auto reader = frame.reader();
  if (!reader) return std::unexpected(reader.error());
  return first_as<T>(**reader);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
// Takes the frame by value: the stream owns what it reads.
template <class T>
[[nodiscard]] std::generator<Result<T>> stream_as(DataFrame frame) {
  auto reader = frame.reader();
  if (!reader) {
    co_yield Result<T>(std::unexpected(reader.error()));
    co_return;
  }
  for (auto&& row : stream_as<T>(std::move(*reader))) co_yield std::move(row);
}
#pragma GCC diagnostic pop

}  // namespace lake

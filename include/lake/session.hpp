// A session held for its lifetime (the seed's PooledSession): one of the
// engine's pooled sessions, so statements made through it share the
// session's state: temporary views, SET values, and on the embedded engine
// DuckDB's own temporary tables.
//
//   auto session = db.session().value();
//   session.exec("CREATE TEMP VIEW adults AS SELECT * FROM users WHERE age >= 18");
//   auto frame = session.table("adults");             // Result<DataFrame>
//   auto typed = lake::query<User>(session, "SELECT * FROM adults WHERE country = ?", "UK");
//
// It counts against ClientOptions::session_pool_size until it and every
// DataFrame and result made through it are gone; hold one only as long as
// its state is needed. One caller at a time, like a database connection.
// On the embedded engine a session runs one result at a time: a statement
// while an earlier result is still being read is ErrorCode::invalid_argument
// (read the result to the end, or drop it, first). After the client is
// closed every call is ErrorCode::closed.
#pragma once

#include <arrow/record_batch.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "lake/data_frame.hpp"
#include "lake/error.hpp"
#include "lake/query_builder.hpp"
#include "lake/sql.hpp"

namespace lake {

class Session {
 public:
  // A SqlSource: lake::query<T>(session, sql, args...) runs in the session.
  [[nodiscard]] Result<std::shared_ptr<arrow::RecordBatchReader>> query(std::string_view sql,
                                                                        std::span<const SqlValue> params = {}) const;
  // A statement that returns no rows of interest; rows changed, else 0.
  [[nodiscard]] Result<std::int64_t> exec(std::string_view sql, std::span<const SqlValue> params = {}) const;
  // The seed's Sql and Table: a DataFrame run in this session.
  [[nodiscard]] Result<DataFrame> sql(std::string sql, SqlParams params = {}) const;
  // "name", "database.name" or "catalog.database.name"; any characters.
  [[nodiscard]] Result<DataFrame> table(std::string_view name) const;
  [[nodiscard]] QueryBuilder query_builder() const;

 private:
  friend class Client;
  explicit Session(std::shared_ptr<const detail::StatementRunner> runner) : runner_(std::move(runner)) {}
  std::shared_ptr<const detail::StatementRunner> runner_;
};

}  // namespace lake

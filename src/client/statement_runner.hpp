// What DataFrames, QueryBuilders and Sessions run their statements
// through: the client's core (its engine, metrics, closed state) and, for
// a Session, the engine session it holds. Internal to the Client.
#pragma once

#include <arrow/record_batch.h>
#include <arrow/type.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "client/client_core.hpp"
#include "lake/driver.hpp"
#include "lake/error.hpp"
#include "lake/sql.hpp"

namespace lake::detail {

struct StatementRunner {
  std::shared_ptr<ClientCore> core;
  // A Session's; null: each statement borrows one of the engine's pooled
  // sessions for as long as it runs.
  std::shared_ptr<DriverSession> held;

  // Each counts in lake_queries_total; ErrorCode::closed once the client is.
  [[nodiscard]] Result<std::shared_ptr<arrow::RecordBatchReader>> query(std::string_view sql,
                                                                        std::span<const SqlValue> params) const;
  [[nodiscard]] Result<std::int64_t> exec(std::string_view sql, std::span<const SqlValue> params) const;
  [[nodiscard]] Result<std::shared_ptr<arrow::Schema>> result_schema(std::string_view sql,
                                                                     std::span<const SqlValue> params) const;
  [[nodiscard]] Result<std::string> native_plan(std::string_view sql, std::span<const SqlValue> params) const;

  // "name", "database.name" or "catalog.database.name" with each part
  // quoted as the engine quotes identifiers; invalid_argument for an
  // empty part or more than three.
  [[nodiscard]] Result<std::string> quote_table(std::string_view name) const;
  [[nodiscard]] std::string quote(std::string_view identifier) const;

 private:
  [[nodiscard]] Status check_open() const;
  template <class T>
  Result<T> counted(Result<T> result) const;
};

}  // namespace lake::detail

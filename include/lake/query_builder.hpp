// The dynamic query entry point (the seed's QueryBuilder), for when the
// table or the columns are chosen at run time and the result's type is not
// known at compile time. Prefer lake::query<T> when it is.
//
//   auto rows = db.query_builder()
//                   .from("users")
//                   .select({"id", "email"})
//                   .where("country = ? AND age >= ?", country, 18)
//                   .order_by("email")
//                   .limit(50)
//                   .collect();                  // Result<std::vector<lake::Row>>
//
// Table and column names are quoted as identifiers in the engine's SQL,
// so any characters are safe in them (a name that does not exist is the
// engine's error, nothing else). A where() condition is SQL written by the
// program, never by its users: values go in `?` and are bound by the
// engine, never spliced in. Several where() calls are ANDed. Mistakes
// (no table, a count of values that differs from the condition's `?`, a
// negative limit) are ErrorCode::invalid_argument naming them, when the
// query runs.
#pragma once

#include <arrow/table.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lake/data_frame.hpp"
#include "lake/error.hpp"
#include "lake/row.hpp"
#include "lake/sql.hpp"

namespace lake {

enum class Order { ascending, descending };

// The statement a builder makes, as the engine receives it.
struct BuiltQuery {
  std::string sql;
  SqlParams params;
};

class QueryBuilder {
 public:
  // "name", "database.name" or "catalog.database.name".
  QueryBuilder& from(std::string table);
  // The columns to return, in order (default: all).
  QueryBuilder& select(std::vector<std::string> columns);
  template <class... Args>
  QueryBuilder& where(std::string condition, const Args&... args) {
    auto params = sql_params(args...);
    if (!params) {
      if (!error_) error_ = params.error().with_context(std::format("where(\"{}\")", condition));
      return *this;
    }
    return where_values(std::move(condition), std::move(*params));
  }
  QueryBuilder& order_by(std::string column, Order order = Order::ascending);
  QueryBuilder& limit(std::int64_t rows);
  QueryBuilder& offset(std::int64_t rows);

  // The SQL and its values.
  [[nodiscard]] Result<BuiltQuery> build() const;
  [[nodiscard]] Result<DataFrame> data_frame() const;
  [[nodiscard]] Result<std::vector<Row>> collect() const;
  [[nodiscard]] Result<std::shared_ptr<arrow::Table>> to_arrow() const;

 private:
  friend class Client;
  friend class Session;
  explicit QueryBuilder(std::shared_ptr<const detail::StatementRunner> runner) : runner_(std::move(runner)) {}
  QueryBuilder& where_values(std::string condition, SqlParams values);

  struct Condition {
    std::string sql;
    SqlParams values;
  };
  struct Ordering {
    std::string column;
    Order order;
  };
  std::shared_ptr<const detail::StatementRunner> runner_;
  std::string table_;
  std::vector<std::string> columns_;
  std::vector<Condition> conditions_;
  std::vector<Ordering> orderings_;
  std::optional<std::int64_t> limit_;
  std::optional<std::int64_t> offset_;
  std::optional<Error> error_;  // the first argument that could not be bound
};

}  // namespace lake

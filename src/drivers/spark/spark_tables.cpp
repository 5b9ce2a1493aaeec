// The Spark driver's tables: creating (or registering) a table and checking
// the live one is the schema's, and their maintenance, each as the table
// format's SqlFormat says.
#include <algorithm>
#include <format>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "core/propagate.hpp"
#include "drivers/spark/format_session.hpp"
#include "drivers/spark/spark_driver_impl.hpp"
#include "lake/dialect.hpp"
#include "migrate/ddl_statement.hpp"
#include "sql/spark_sql.hpp"

namespace lake::spark {

Status SparkDriver::create_table(const TableRef& table, const Schema& schema,
                                 const std::map<std::string, std::string>& properties) {
  return with_format([&](const formats::SqlFormat& format, formats::SqlSession& session) -> Status {
    const formats::SqlTable where = sql_table(table);
    // A table already there is kept (or registered, when the engine's
    // catalog does not know it yet); its columns are checked below.
    auto before = format.describe(session, where);
    LAKE_RETURN_IF_ERROR(before);
    auto statement = format.create_statement(where, schema, properties, *before);
    LAKE_RETURN_IF_ERROR(statement);
    if (*statement) {
      if (auto created = session.run(**statement); !created)
        return std::unexpected(created.error().with_context(std::format("creating table '{}' on Spark", table.name)));
    }
    // CREATE TABLE IF NOT EXISTS keeps a table of that name whatever its
    // columns and location: check the live one is this schema's, here.
    auto live = format.created(session, where);
    LAKE_RETURN_IF_ERROR(live);
    if (!*live)
      return fail(ErrorCode::already_exists,
                  std::format("there is no {} table at '{}' after CREATE TABLE IF NOT EXISTS '{}': Spark's "
                              "catalog already has a table of that name somewhere else",
                              context_.dialect->name(), context_.backend->uri_of(table.location), table.name));
    std::vector<std::string> expected;
    for (const Field& field : schema.fields) expected.push_back(field.column);
    expected.push_back(std::string(kIngestIdColumn));
    std::vector<std::string> actual;
    for (const Field& column : (*live)->columns) actual.push_back(column.column);
    // By name, not position: a column added since (ALTER TABLE ... ADD
    // COLUMNS, as migrations do) goes after the system column.
    std::ranges::sort(expected);
    std::ranges::sort(actual);
    if (actual != expected)
      return fail(ErrorCode::already_exists,
                  std::format("table '{}' already exists with other columns (run assert_schema for the differences)",
                              table.name));
    return {};
  });
}

// Spark runs DDL one statement at a time: each in a call of its own, so a
// retry after a lost session repeats only the statement the server never
// ran. A statement that fails leaves the ones before it applied (the
// caller checked every statement before the first ran).
// A REPLACE TABLE ... AS SELECT * FROM itself is the format's repartition
// (formats::SqlFormat::repartition), which keeps what Spark's own would not.
Status SparkDriver::alter_table(const TableRef& table, std::span<const std::string> statements) {
  for (std::size_t i = 0; i < statements.size(); ++i) {
    auto parsed = migrate::parse_ddl(statements[i]);
    const auto* rewrite = parsed ? std::get_if<migrate::ReplaceTableStatement>(&*parsed) : nullptr;
    auto ran = with_format([&](const formats::SqlFormat& format, formats::SqlSession& session) -> Status {
      if (rewrite) {
        std::vector<std::string> columns;
        for (const auto& partition : rewrite->partitions) {
          if (partition.kind != PartitionKind::raw)
            return fail(ErrorCode::unsupported,
                        std::format("REPLACE TABLE {}: partitioning by a transform of '{}'", table.name,
                                    partition.column));
          columns.push_back(partition.column);
        }
        return format.repartition(session, sql_table(table), columns, rewrite->properties);
      }
      auto output = session.run({.sql = statements[i], .params = {}});
      LAKE_RETURN_IF_ERROR(output);
      return {};
    });
    if (!ran)
      return std::unexpected(ran.error().with_context(
          std::format("altering table '{}' on Spark, statement {} of {}{}", table.name, i + 1, statements.size(),
                      i == 0 ? "" : " (the statements before it are applied)")));
  }
  return {};
}

// The catalog entry, then the files: the client's tables live at its own
// locations, which Spark leaves in place when it drops an external table.
Status SparkDriver::drop_table(const TableRef& table) {
  auto dropped = with_format([&](const formats::SqlFormat&, formats::SqlSession& session) -> Status {
    auto output = session.run({.sql = std::format("DROP TABLE IF EXISTS {}", spark_sql::quote_identifier(table.name)),
                               .params = {}});
    LAKE_RETURN_IF_ERROR(output);
    return {};
  });
  if (!dropped) return std::unexpected(dropped.error().with_context(std::format("dropping table '{}'", table.name)));
  auto removed = context_.backend->remove_prefix(table.location + "/");
  LAKE_RETURN_IF_ERROR(removed);
  return {};
}

Result<OptimizeReport> SparkDriver::optimize(const TableRef& table, const OptimizeOptions& options) {
  return with_format([&](const formats::SqlFormat& format, formats::SqlSession& session) {
    return format.optimize(session, sql_table(table), options);
  });
}

Result<VacuumReport> SparkDriver::vacuum(const TableRef& table, const VacuumOptions& options) {
  return with_format([&](const formats::SqlFormat& format, formats::SqlSession& session) {
    return format.vacuum(session, sql_table(table), options);
  });
}

}  // namespace lake::spark

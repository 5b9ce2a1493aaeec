// The Spark driver's tables: creating (or registering) a table and checking
// the live one is the schema's, and their maintenance, each as the table
// format's SqlFormat says.
#include <format>
#include <map>
#include <string>
#include <vector>

#include "core/propagate.hpp"
#include "drivers/spark/format_session.hpp"
#include "drivers/spark/spark_driver_impl.hpp"
#include "lake/dialect.hpp"

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
    if (actual != expected)
      return fail(ErrorCode::already_exists,
                  std::format("table '{}' already exists with other columns (run assert_schema for the differences)",
                              table.name));
    return {};
  });
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

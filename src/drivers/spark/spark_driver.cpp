// The Spark driver: lake::Client's Driver contract over Spark Connect.
// Writes become Spark SQL on the table (write_statements), run in the
// write's commit phase on one pooled session. Everything that depends on
// the table format (its DDL, where its metadata comes from, how a write is
// tagged and made idempotent, what it landed, maintenance) is the
// dialect's formats::SqlFormat, run on a pooled session (FormatSession):
// the driver never asks which format it serves.
//
// This file: attaching to a client, SQL (query, exec), the session pool's
// plumbing, table metadata (describe, stats, history), ping and close. The
// write path is in spark_writes.cpp, creating and maintaining tables in
// spark_tables.cpp, the class in spark_driver_impl.hpp.
#include <arrow/scalar.h>
#include <arrow/table.h>

#include <algorithm>
#include <format>
#include <type_traits>

#include "core/propagate.hpp"
#include "drivers/spark/connection_settings.hpp"
#include "drivers/spark/format_session.hpp"
#include "drivers/spark/held_session.hpp"
#include "drivers/spark/pooled_result_reader.hpp"
#include "drivers/spark/session.hpp"
#include "drivers/spark/session_pool.hpp"
#include "drivers/spark/spark_driver.hpp"
#include "drivers/spark/spark_driver_impl.hpp"
#include "drivers/spark/spark_errors.hpp"
#include "drivers/spark/sql_parameters.hpp"
#include "lake/dialect.hpp"
#include "lake/drivers/spark.hpp"
#include "sql/command_output.hpp"
#include "sql/spark_sql.hpp"

namespace lake::spark {
namespace {

using spark_sql::output_count;
using spark_sql::quote_identifier;

}  // namespace

Status SparkDriver::attach(DriverContext context) {
  if (pool_) return fail(ErrorCode::invalid_argument, "the Spark driver is already attached to a client");
  if (!context.backend || !context.dialect || !context.location_of)
    return fail(ErrorCode::invalid_argument, "the Spark driver needs a backend, a dialect and table locations");
  auto format = context.dialect->sql_format();
  if (!format)
    return fail(ErrorCode::unsupported,
                std::format("the '{}' dialect does not say how Spark drives its tables", context.dialect->name()));
  LAKE_RETURN_IF_ERROR(format->check(context.default_catalog, context.default_database));
  format_ = std::move(format);
  context_ = std::move(context);
  if (!context_.default_database.empty()) {
    namespace_ = quote_identifier(context_.default_database);
    if (!context_.default_catalog.empty())
      namespace_ = quote_identifier(context_.default_catalog) + "." + namespace_;
  }
  SessionOptions session_options;
  session_options.call_timeout = options_.call_timeout;
  session_options.retry.max_attempts = std::max(1, options_.max_attempts);
  // A session id in the connection string names one server session,
  // which can serve one caller at a time.
  const int size = settings_.session_id.empty() ? context_.session_pool_size : 1;
  pool_ = std::make_unique<SessionPool>(settings_, session_options, size,
                                        [this](Session& session) { return prepare(session); });
  return {};
}

// A new session: its current database is the client's default one.
Status SparkDriver::prepare(Session& session) {
  // The format's settings, before anything touches the catalog. A server
  // that refuses them (locked-down settings) keeps its own behaviour.
  if (const auto settings = format_->session_settings(context_.default_catalog); !settings.empty())
    (void)session.set_config(settings);
  if (namespace_.empty()) return {};
  {
    std::scoped_lock lock(namespace_mutex_);
    if (!namespace_ready_) {
      LAKE_RETURN_IF_ERROR(session.execute(std::format("CREATE NAMESPACE IF NOT EXISTS {}", namespace_)));
      namespace_ready_ = true;
    }
  }
  LAKE_RETURN_IF_ERROR(session.execute(std::format("USE {}", namespace_)));
  return {};
}

Status SparkDriver::check_open() const {
  if (!pool_) return fail(ErrorCode::invalid_argument, "the Spark driver is not attached to a client");
  if (closed_) return fail(ErrorCode::closed, "the Spark driver is closed");
  return {};
}

Result<SessionPool::Lease> SparkDriver::acquire() {
  LAKE_RETURN_IF_ERROR(check_open());
  return pool_->acquire();
}

Result<std::shared_ptr<arrow::RecordBatchReader>> SparkDriver::query(std::string_view sql,
                                                                     std::span<const SqlValue> params) {
  return on_session([&](SessionPool::Lease lease) -> Result<std::shared_ptr<arrow::RecordBatchReader>> {
    auto reader = lease->query(sql, {.positional = params, .named = {}});
    LAKE_RETURN_IF_ERROR(reader);
    return PooledResultReader::open(std::make_shared<SessionPool::Lease>(std::move(lease)), std::move(*reader));
  });
}

Result<std::shared_ptr<arrow::RecordBatchReader>> SparkDriver::query_relation(
    const ::spark::connect::Relation& relation) {
  return on_session([&](SessionPool::Lease lease) -> Result<std::shared_ptr<arrow::RecordBatchReader>> {
    auto reader = lease->query_relation(relation);
    LAKE_RETURN_IF_ERROR(reader);
    return PooledResultReader::open(std::make_shared<SessionPool::Lease>(std::move(lease)), std::move(*reader));
  });
}

Result<std::int64_t> SparkDriver::exec(std::string_view sql, std::span<const SqlValue> params) {
  return on_session([&](SessionPool::Lease lease) -> Result<std::int64_t> {
    auto output = lease->execute(sql, {.positional = params, .named = {}});
    LAKE_RETURN_IF_ERROR(output);
    return output_count(*output, "num_affected_rows");
  });
}

// A session held by the caller. The first statement may find that the
// server dropped an idle pooled session; the pool then drops it and the
// caller's next session is a fresh one.
Result<std::shared_ptr<DriverSession>> SparkDriver::open_session() {
  auto lease = acquire();
  LAKE_RETURN_IF_ERROR(lease);
  return std::shared_ptr<DriverSession>(std::make_shared<HeldSession>(std::move(*lease)));
}

Result<std::string> SparkDriver::native_plan(std::string_view sql, std::span<const SqlValue> params) {
  LAKE_RETURN_IF_ERROR(check_open());
  auto relation = sql_relation(sql, params, {});
  LAKE_RETURN_IF_ERROR(relation);
  return relation->SerializeAsString();
}

std::string SparkDriver::quote_identifier(std::string_view name) const { return spark_sql::quote_identifier(name); }

formats::SqlTable SparkDriver::sql_table(const TableRef& table) const {
  return {.ref = table,
          .uri = spark_sql::engine_uri(context_.backend->uri_of(table.location)),
          .catalog = context_.default_catalog,
          .database = context_.default_database,
          .backend = context_.backend};
}

Result<std::optional<TableInfo>> SparkDriver::describe(const TableRef& table) {
  return with_format([&](const formats::SqlFormat& format, formats::SqlSession& session) {
    return format.describe(session, sql_table(table));
  });
}

Result<TableStats> SparkDriver::stats(const TableRef& table) {
  return with_format([&](const formats::SqlFormat& format, formats::SqlSession& session) {
    return format.stats(session, sql_table(table));
  });
}

Result<std::vector<HistoryEntry>> SparkDriver::history(const TableRef& table, std::optional<std::size_t> limit) {
  return with_format([&](const formats::SqlFormat& format, formats::SqlSession& session) {
    return format.history(session, sql_table(table), limit);
  });
}

Status SparkDriver::ping() {
  auto lease = acquire();
  LAKE_RETURN_IF_ERROR(lease);
  auto version = (*lease)->spark_version();
  LAKE_RETURN_IF_ERROR(version);
  return {};
}

Status SparkDriver::close() {
  closed_ = true;
  if (pool_) pool_->close();
  return {};
}

std::shared_ptr<Driver> make_driver(ConnectionSettings settings, DriverOptions options) {
  return std::make_shared<SparkDriver>(std::move(settings), options);
}

Result<std::shared_ptr<Driver>> driver(std::string_view connection, DriverOptions options) {
  auto settings = parse_connection_string(connection);
  LAKE_RETURN_IF_ERROR(settings);
  return make_driver(std::move(*settings), options);
}

}  // namespace lake::spark

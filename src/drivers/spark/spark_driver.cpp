// The Spark driver: lake::Client's Driver contract over Spark Connect.
// Writes become Spark SQL on the table (write_statements), run in the
// write's commit phase on one pooled session. Delta tables: metadata comes
// from the Delta log through the backend, a write is tagged through
// commitInfo.userMetadata and made idempotent with Delta's txn actions.
// Iceberg tables: metadata comes from Iceberg's metadata tables through
// Spark (iceberg_tables), a write is tagged in its snapshot summary, and
// maintenance runs Iceberg's procedures.
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

#include "dialects/spark_sql.hpp"
#include "drivers/delta_metadata.hpp"
#include "drivers/spark/connection_settings.hpp"
#include "drivers/spark/iceberg_tables.hpp"
#include "drivers/spark/pooled_result_reader.hpp"
#include "drivers/spark/session.hpp"
#include "drivers/spark/session_pool.hpp"
#include "drivers/spark/spark_driver.hpp"
#include "drivers/spark/spark_driver_impl.hpp"
#include "drivers/spark/spark_errors.hpp"
#include "lake/delta/table.hpp"
#include "lake/dialect.hpp"
#include "lake/drivers/spark.hpp"

namespace lake::spark {
namespace {

using spark_sql::quote_identifier;

}  // namespace

std::string engine_uri(std::string uri) {
  if (uri.starts_with("s3://")) uri.replace(0, 5, "s3a://");
  return uri;
}

std::int64_t output_count(const std::shared_ptr<arrow::Table>& output, std::string_view column) {
  if (!output || output->num_rows() == 0) return 0;
  auto chunks = output->GetColumnByName(std::string(column));
  if (!chunks || chunks->num_chunks() == 0) return 0;
  auto scalar = chunks->GetScalar(0);
  if (!scalar.ok() || !(*scalar)->is_valid) return 0;
  auto as_int = (*scalar)->CastTo(arrow::int64());
  if (!as_int.ok()) return 0;
  return std::static_pointer_cast<arrow::Int64Scalar>(*as_int)->value;
}

Status SparkDriver::attach(DriverContext context) {
  if (pool_) return fail(ErrorCode::invalid_argument, "the Spark driver is already attached to a client");
  if (!context.backend || !context.dialect || !context.location_of)
    return fail(ErrorCode::invalid_argument, "the Spark driver needs a backend, a dialect and table locations");
  if (context.dialect->name() == "iceberg") {
    // Iceberg tables live in an Iceberg catalog, named explicitly: its
    // metadata tables and procedures are addressed through it.
    if (context.default_catalog.empty() || context.default_database.empty())
      return fail(ErrorCode::invalid_argument,
                  "the Iceberg dialect on Spark needs ClientOptions::default_catalog (an Iceberg catalog, e.g. "
                  "'ice') and ClientOptions::default_database");
    iceberg_ = true;
  } else if (context.dialect->name() != "delta") {
    return fail(ErrorCode::unsupported, std::format("the Spark driver writes Delta and Iceberg tables, not '{}'",
                                                    context.dialect->name()));
  }
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
  if (iceberg_) {
    // Iceberg's SparkCatalog caches the tables it loads, per Spark
    // session, until an entry has been idle for a while (30 s by
    // default). Pooled sessions would then read, and check idempotency
    // keys against, a snapshot older than one another pooled session
    // just committed. A session builds its catalog from its own settings
    // on first use, so turning the cache off here, before anything
    // touches the catalog, keeps every session on the latest snapshot.
    // A server that refuses the setting (a catalog that is not Iceberg's,
    // locked-down settings) keeps its own behaviour.
    const std::pair<std::string, std::string> uncached[] = {
        {std::format("spark.sql.catalog.{}.cache-enabled", context_.default_catalog), "false"}};
    (void)session.set_config(uncached);
  }
  if (namespace_.empty()) return {};
  {
    std::scoped_lock lock(namespace_mutex_);
    if (!namespace_ready_) {
      if (auto created = session.execute(std::format("CREATE NAMESPACE IF NOT EXISTS {}", namespace_)); !created)
        return std::unexpected(created.error());
      namespace_ready_ = true;
    }
  }
  if (auto used = session.execute(std::format("USE {}", namespace_)); !used) return std::unexpected(used.error());
  return {};
}

Status SparkDriver::check_open() const {
  if (!pool_) return fail(ErrorCode::invalid_argument, "the Spark driver is not attached to a client");
  if (closed_) return fail(ErrorCode::closed, "the Spark driver is closed");
  return {};
}

Result<SessionPool::Lease> SparkDriver::acquire() {
  if (auto open = check_open(); !open) return std::unexpected(open.error());
  return pool_->acquire();
}

// Runs `work` on a pooled session, and once more on another when the
// server no longer had the first (it restarted, or the session expired
// while idle in the pool): the server refused the statement without
// running it, and the pool has dropped that session.
template <class Work>
auto SparkDriver::on_session(Work&& work) -> std::invoke_result_t<Work&, SessionPool::Lease> {
  for (int attempt = 1;; ++attempt) {
    auto lease = acquire();
    if (!lease) return std::unexpected(lease.error());
    auto result = work(std::move(*lease));
    if (result || attempt == 2 || !session_lost(result.error())) return result;
  }
}

Result<std::shared_ptr<arrow::RecordBatchReader>> SparkDriver::query(std::string_view sql,
                                                                     std::span<const SqlValue> params) {
  return on_session([&](SessionPool::Lease lease) -> Result<std::shared_ptr<arrow::RecordBatchReader>> {
    auto reader = lease->query(sql, {.positional = params, .named = {}});
    if (!reader) return std::unexpected(reader.error());
    return PooledResultReader::open(std::move(lease), std::move(*reader));
  });
}

Result<std::shared_ptr<arrow::RecordBatchReader>> SparkDriver::query_relation(
    const ::spark::connect::Relation& relation) {
  return on_session([&](SessionPool::Lease lease) -> Result<std::shared_ptr<arrow::RecordBatchReader>> {
    auto reader = lease->query_relation(relation);
    if (!reader) return std::unexpected(reader.error());
    return PooledResultReader::open(std::move(lease), std::move(*reader));
  });
}

Result<std::int64_t> SparkDriver::exec(std::string_view sql, std::span<const SqlValue> params) {
  return on_session([&](SessionPool::Lease lease) -> Result<std::int64_t> {
    auto output = lease->execute(sql, {.positional = params, .named = {}});
    if (!output) return std::unexpected(output.error());
    return output_count(*output, "num_affected_rows");
  });
}

Result<delta::Table> SparkDriver::existing(const TableRef& table) {
  if (auto open = check_open(); !open) return std::unexpected(open.error());
  auto opened = delta::Table::open(context_.backend, table.location);
  if (!opened && opened.error().code() == ErrorCode::not_found) return missing(table);
  return opened;
}

Error SparkDriver::missing_error(const TableRef& table) const {
  return Error(ErrorCode::not_found, std::format("table '{}' does not exist at '{}' (migrate it first)", table.name,
                                                 context_.backend->uri_of(table.location)));
}

iceberg::TableName SparkDriver::iceberg_name(const TableRef& table) const {
  const std::string in_catalog = quote_identifier(context_.default_database) + "." + quote_identifier(table.name);
  return {.catalog = quote_identifier(context_.default_catalog),
          .sql = namespace_ + "." + quote_identifier(table.name),
          .procedure_argument = spark_sql::quote_string(in_catalog)};
}

Result<std::optional<TableInfo>> SparkDriver::describe(const TableRef& table) {
  if (iceberg_) {
    auto lease = acquire();
    if (!lease) return std::unexpected(lease.error());
    auto described = iceberg::describe(**lease, table, iceberg_name(table));
    if (!described) return std::unexpected(described.error());
    if (!*described) return std::optional<TableInfo>{};
    return std::optional<TableInfo>(std::move((*described)->info));
  }
  if (auto open = check_open(); !open) return std::unexpected(open.error());
  auto opened = delta::Table::open(context_.backend, table.location);
  if (!opened) {
    if (opened.error().code() == ErrorCode::not_found) return std::optional<TableInfo>{};
    return std::unexpected(opened.error());
  }
  return std::optional<TableInfo>(lake::detail::delta_table_info(table, opened->snapshot()));
}

Result<TableStats> SparkDriver::stats(const TableRef& table) {
  if (iceberg_) {
    auto lease = acquire();
    if (!lease) return std::unexpected(lease.error());
    auto described = iceberg::describe(**lease, table, iceberg_name(table));
    if (!described) return std::unexpected(described.error());
    if (!*described) return missing(table);
    auto stats = iceberg::stats(**lease, iceberg_name(table));
    if (!stats) return std::unexpected(stats.error());
    stats->partition_columns = (*described)->info.partition_columns;
    return stats;
  }
  auto found = existing(table);
  if (!found) return std::unexpected(found.error());
  auto stats = found->stats();
  if (!stats) return std::unexpected(stats.error());
  return lake::detail::delta_table_stats(*stats);
}

Result<std::vector<HistoryEntry>> SparkDriver::history(const TableRef& table, std::optional<std::size_t> limit) {
  if (iceberg_) {
    auto lease = acquire();
    if (!lease) return std::unexpected(lease.error());
    auto described = iceberg::describe(**lease, table, iceberg_name(table));
    if (!described) return std::unexpected(described.error());
    if (!*described) return missing(table);
    auto snapshots = iceberg::snapshots(**lease, iceberg_name(table), limit);
    if (!snapshots) return std::unexpected(snapshots.error());
    return iceberg::history(*snapshots);
  }
  auto found = existing(table);
  if (!found) return std::unexpected(found.error());
  auto commits = found->history(limit);
  if (!commits) return std::unexpected(commits.error());
  return lake::detail::delta_history(*commits);
}

Status SparkDriver::ping() {
  auto lease = acquire();
  if (!lease) return std::unexpected(lease.error());
  auto version = (*lease)->spark_version();
  if (!version) return std::unexpected(version.error());
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
  if (!settings) return std::unexpected(settings.error());
  return make_driver(std::move(*settings), options);
}

}  // namespace lake::spark

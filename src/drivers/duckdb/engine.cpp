// The embedded engine: one DuckDB database per Engine, a small pool of
// connections (a DuckDB connection runs one statement at a time), and a
// replacement scan that resolves table names to table snapshots at bind time.
#include "drivers/duckdb/engine.hpp"

#include <condition_variable>
#include <format>
#include <mutex>
#include <utility>
#include <vector>

#include <duckdb/common/exception.hpp>
#include <duckdb/function/replacement_scan.hpp>
#include <duckdb/main/config.hpp>
#include <duckdb/main/connection.hpp>
#include <duckdb/main/database.hpp>
#include <duckdb/main/prepared_statement.hpp>

#include "core/encoder_threads.hpp"
#include "core/propagate.hpp"
#include "drivers/duckdb/table_scan.hpp"
#include "drivers/duckdb/errors.hpp"
#include "drivers/duckdb/parameters.hpp"
#include "drivers/duckdb/result_reader.hpp"
#include "lake/arrow/detail/status.hpp"
#include "sql/sql_text.hpp"

namespace lake::duckdb {
namespace {

namespace ddb = ::duckdb;

struct Resolution final : ddb::ReplacementScanData {
  TableResolver resolver;
  std::int64_t batch_rows = 0;
  int scan_threads = 1;  // files a table scan decodes at once: DuckDB's threads
  std::shared_ptr<AtomicScanCounters> counters;
};

// Unqualified names only: a schema- or catalog-qualified name is DuckDB's.
ddb::unique_ptr<ddb::TableRef> resolve_table(ddb::ClientContext&, ddb::ReplacementScanInput& input,
                                             ddb::optional_ptr<ddb::ReplacementScanData> data) {
  if (!data || !input.schema_name.empty() || !input.catalog_name.empty()) return nullptr;
  auto& resolution = data->Cast<Resolution>();
  auto table = resolution.resolver(input.table_name);
  if (!table) throw_in_duckdb(table.error().with_context(std::format("opening table '{}'", input.table_name)));
  if (!*table) return nullptr;
  return table_scan_ref(input.table_name, std::shared_ptr<const formats::FormatTable>(std::move(*table)),
                        resolution.batch_rows, resolution.scan_threads, resolution.counters);
}

}  // namespace

struct Engine::State {
  std::unique_ptr<ddb::DuckDB> database;
  std::shared_ptr<AtomicScanCounters> counters = std::make_shared<AtomicScanCounters>();
  int max_connections = 8;
  std::mutex mutex;
  std::condition_variable released;
  int in_use = 0;                                       // guarded by mutex
  std::vector<std::unique_ptr<ddb::Connection>> idle;  // guarded by mutex

  // Waits while max_connections are in use.
  std::unique_ptr<ddb::Connection> acquire() {
    {
      std::unique_lock lock(mutex);
      released.wait(lock, [&] { return in_use < max_connections; });
      ++in_use;
      if (!idle.empty()) {
        auto connection = std::move(idle.back());
        idle.pop_back();
        return connection;
      }
    }
    return std::make_unique<ddb::Connection>(*database);
  }
  void give_back(std::unique_ptr<ddb::Connection> connection) {
    {
      std::scoped_lock lock(mutex);
      --in_use;
      idle.push_back(std::move(connection));
    }
    released.notify_one();
  }
};

Engine::Engine(std::shared_ptr<State> state) : state_(std::move(state)) {}
Engine::~Engine() = default;

Result<std::unique_ptr<Engine>> Engine::open(TableResolver resolver, EngineOptions options) {
  if (!resolver) return fail(ErrorCode::invalid_argument, "the embedded engine needs a table resolver");
  if (options.max_connections < 1)
    return fail(ErrorCode::invalid_argument,
                std::format("max_connections must be at least 1 (it is {})", options.max_connections));
  auto state = std::make_shared<State>();
  state->max_connections = options.max_connections;
  try {
    ddb::DBConfig config;
    if (options.threads > 0) config.SetOptionByName("threads", ddb::Value::BIGINT(options.threads));
    if (!options.memory_limit.empty()) config.SetOptionByName("memory_limit", ddb::Value(options.memory_limit));
    // The engine reads tables through the library only; nothing an
    // untrusted query string names outside them (files, extensions).
    config.SetOptionByName("autoinstall_known_extensions", ddb::Value::BOOLEAN(false));
    config.SetOptionByName("autoload_known_extensions", ddb::Value::BOOLEAN(false));
    auto resolution = ddb::make_uniq<Resolution>();
    resolution->resolver = std::move(resolver);
    resolution->batch_rows = options.scan_batch_rows;
    resolution->scan_threads = lake::detail::writer_thread_count(options.threads);
    resolution->counters = state->counters;
    config.replacement_scans.emplace_back(resolve_table, std::move(resolution));
    state->database = std::make_unique<ddb::DuckDB>(nullptr, &config);
    register_table_scan(*state->database->instance);
  } catch (const std::exception& e) {
    return fail(from_duckdb_error(ddb::ErrorData(e), "starting the embedded DuckDB engine"));
  }
  return std::unique_ptr<Engine>(new Engine(std::move(state)));
}

namespace {

// Runs `sql` on `connection`, which the reader (or, on failure, this
// function) hands to `give_back` when done with it.
Result<std::shared_ptr<arrow::RecordBatchReader>> run(std::unique_ptr<ddb::Connection> connection,
                                                      ConnectionReturn give_back, std::string_view sql,
                                                      std::span<const SqlValue> params) {
  try {
    auto statement = connection->Prepare(std::string(sql));
    if (statement->HasError()) {
      auto error = from_duckdb_error(statement->GetErrorObject(), "preparing the query");
      statement.reset();
      give_back(std::move(connection));
      return std::unexpected(error);
    }
    if (statement->GetParameterCount() != params.size()) {
      auto expected = statement->GetParameterCount();
      statement.reset();
      give_back(std::move(connection));
      return fail(ErrorCode::invalid_argument,
                  std::format("the query has {} parameter(s), {} value(s) were given", expected, params.size()));
    }
    auto values = to_duckdb_values(params);
    const auto written_type = statement->GetStatementType();
    auto result = statement->Submit(values);
    statement.reset();
    return stream_result(std::move(connection), give_back, std::move(result), written_type);
  } catch (const std::exception& e) {
    give_back(std::move(connection));
    return fail(from_duckdb_error(ddb::ErrorData(e), "running the query"));
  }
}

// Reads a statement's result to the end: the rows it changed, which
// DuckDB reports as a one-row "Count" result, else 0.
Result<std::int64_t> changed_rows(arrow::RecordBatchReader& reader) {
  std::int64_t changed = 0;
  std::shared_ptr<arrow::RecordBatch> batch;
  while (true) {
    auto status = reader.ReadNext(&batch);
    if (!status.ok()) return fail(lake::detail::from_arrow_status(status, "running the statement"));
    if (!batch) break;
    if (batch->num_columns() == 1 && batch->schema()->field(0)->name() == "Count" && batch->num_rows() == 1) {
      auto scalar = batch->column(0)->GetScalar(0);
      if (scalar.ok() && (*scalar)->is_valid) {
        auto as_int = (*scalar)->CastTo(arrow::int64());
        if (as_int.ok()) changed = std::static_pointer_cast<arrow::Int64Scalar>(*as_int)->value;
      }
    }
  }
  return changed;
}

}  // namespace

Result<std::shared_ptr<arrow::RecordBatchReader>> Engine::query(std::string_view sql, std::span<const SqlValue> params) {
  // A reader may outlive the Engine handle; it keeps the database alive.
  auto give_back = [state = state_](std::unique_ptr<ddb::Connection> c) { state->give_back(std::move(c)); };
  return run(state_->acquire(), std::move(give_back), sql, params);
}

Result<std::int64_t> Engine::exec(std::string_view sql, std::span<const SqlValue> params) {
  auto reader = query(sql, params);
  LAKE_RETURN_IF_ERROR(reader);
  return changed_rows(**reader);
}

// The connection of a session: at home (null while a reader has it) until
// the session and its readers are gone, then back to the pool.
struct EngineSession::Slot {
  ConnectionReturn to_pool;
  std::mutex mutex;
  std::unique_ptr<ddb::Connection> connection;  // guarded by mutex
  ~Slot() {
    if (connection) to_pool(std::move(connection));
  }
  Result<std::unique_ptr<ddb::Connection>> take() {
    std::scoped_lock lock(mutex);
    if (!connection)
      return fail(ErrorCode::invalid_argument,
                  "the session's previous result is still open: read it to the end or destroy it before the "
                  "session's next statement (the embedded engine runs one result per session)");
    return std::move(connection);
  }
  void put(std::unique_ptr<ddb::Connection> c) {
    std::scoped_lock lock(mutex);
    connection = std::move(c);
  }
};

Result<std::shared_ptr<EngineSession>> Engine::session() {
  auto slot = std::make_shared<EngineSession::Slot>();
  slot->to_pool = [state = state_](std::unique_ptr<ddb::Connection> c) { state->give_back(std::move(c)); };
  slot->connection = state_->acquire();
  return std::make_shared<EngineSession>(std::move(slot));
}

Result<std::shared_ptr<arrow::RecordBatchReader>> EngineSession::query(std::string_view sql,
                                                                       std::span<const SqlValue> params) {
  auto connection = slot_->take();
  LAKE_RETURN_IF_ERROR(connection);
  // The reader holds the slot, so the connection comes home even when the
  // session is gone first.
  auto give_back = [slot = slot_](std::unique_ptr<ddb::Connection> c) { slot->put(std::move(c)); };
  return run(std::move(*connection), std::move(give_back), sql, params);
}

Result<std::int64_t> EngineSession::exec(std::string_view sql, std::span<const SqlValue> params) {
  auto reader = query(sql, params);
  LAKE_RETURN_IF_ERROR(reader);
  return changed_rows(**reader);
}

Result<std::shared_ptr<arrow::Schema>> EngineSession::result_schema(std::string_view sql,
                                                                    std::span<const SqlValue> params) {
  auto connection = slot_->take();
  LAKE_RETURN_IF_ERROR(connection);
  auto& c = **connection;
  Result<std::shared_ptr<arrow::Schema>> schema = fail(ErrorCode::internal, "no schema");
  bool unresolved = false;
  try {
    // Preparing binds the statement: its result columns are known
    // without running it, unless one depends on a parameter's type.
    auto statement = c.Prepare(std::string(sql));
    if (statement->HasError()) {
      schema = fail(from_duckdb_error(statement->GetErrorObject(), "preparing the query"));
    } else if (statement->GetParameterCount() != params.size()) {
      schema = fail(ErrorCode::invalid_argument, std::format("the query has {} parameter(s), {} value(s) were given",
                                                             statement->GetParameterCount(), params.size()));
    } else {
      ddb::vector<std::string> names;
      for (const auto& name : statement->GetNames()) names.push_back(name.GetIdentifierName());
      for (const auto& type : statement->GetTypes())
        unresolved = unresolved || type.id() == ddb::LogicalTypeId::UNKNOWN;
      if (!unresolved) schema = arrow_schema_of(statement->GetTypes(), names, c.context->GetClientProperties());
    }
  } catch (const std::exception& e) {
    schema = fail(from_duckdb_error(ddb::ErrorData(e), "preparing the query"));
  }
  slot_->put(std::move(*connection));
  if (!unresolved) return schema;
  // A column typed by a parameter: bound with the values, and run with
  // no rows asked for (as a subquery, without what follows its last clause).
  auto reader =
      query(std::format("SELECT * FROM (\n{}\n) AS lake_schema LIMIT 0", sql::statement_body(sql)), params);
  LAKE_RETURN_IF_ERROR(reader);
  return (*reader)->schema();
}

Status Engine::ping() {
  auto changed = exec("SELECT 1");
  LAKE_RETURN_IF_ERROR(changed);
  return {};
}

ScanCounters Engine::counters() const {
  return {state_->counters->scans.load(), state_->counters->files_scanned.load(), state_->counters->files_skipped.load()};
}

}  // namespace lake::duckdb

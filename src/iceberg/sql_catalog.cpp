#include "iceberg/sql_catalog.hpp"

#include <sqlite3.h>

#include <charconv>
#include <format>
#include <utility>

#include "core/propagate.hpp"
#include "iceberg/scan.hpp"
#include "lake/ingest_id.hpp"

namespace lake::iceberg {
namespace {

// What pyiceberg's SqlCatalog creates (SQLAlchemy's DDL for its models,
// the "v1" schema with iceberg_type), and Java's JdbcCatalog reads.
constexpr const char* kCreateTables = R"(
CREATE TABLE IF NOT EXISTS iceberg_tables (
  catalog_name VARCHAR(255) NOT NULL,
  table_namespace VARCHAR(255) NOT NULL,
  table_name VARCHAR(255) NOT NULL,
  metadata_location VARCHAR(1000),
  previous_metadata_location VARCHAR(1000),
  iceberg_type VARCHAR(5),
  PRIMARY KEY (catalog_name, table_namespace, table_name)
);
CREATE TABLE IF NOT EXISTS iceberg_namespace_properties (
  catalog_name VARCHAR(255) NOT NULL,
  namespace VARCHAR(255) NOT NULL,
  property_key VARCHAR(255) NOT NULL,
  property_value VARCHAR(1000) NOT NULL,
  PRIMARY KEY (catalog_name, namespace, property_key)
);
)";

// How long a statement waits for another process's write transaction on
// the catalog file before giving up with ErrorCode::io.
constexpr int kBusyTimeoutMs = 30'000;

Error sqlite_error(sqlite3* db, int rc, std::string_view doing) {
  const ErrorCode code = (rc == SQLITE_CONSTRAINT || (rc & 0xff) == SQLITE_CONSTRAINT) ? ErrorCode::already_exists
                         : (rc & 0xff) == SQLITE_CANTOPEN                                ? ErrorCode::not_found
                         : (rc & 0xff) == SQLITE_PERM || (rc & 0xff) == SQLITE_READONLY ? ErrorCode::permission_denied
                                                                                         : ErrorCode::io;
  return Error(code, std::format("SQL catalog: {}: {}", doing, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
}

// One prepared statement, finalized when it goes.
class Statement {
 public:
  static Result<Statement> prepare(sqlite3* db, std::string_view sql) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
    if (rc != SQLITE_OK) return std::unexpected(sqlite_error(db, rc, "preparing a statement"));
    return Statement(db, stmt);
  }
  Statement(Statement&& other) noexcept : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}
  Statement& operator=(Statement&&) = delete;
  ~Statement() { sqlite3_finalize(stmt_); }

  // Binds `values` to ?1, ?2, ... (an empty optional is NULL).
  Statement& bind(std::initializer_list<std::optional<std::string_view>> values) {
    int i = 1;
    for (const auto& value : values) {
      if (value)
        sqlite3_bind_text(stmt_, i++, value->data(), static_cast<int>(value->size()), SQLITE_TRANSIENT);
      else
        sqlite3_bind_null(stmt_, i++);
    }
    return *this;
  }
  // Steps once: true with a row, false when done.
  Result<bool> step(std::string_view doing) {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return std::unexpected(sqlite_error(db_, rc, doing));
  }
  std::optional<std::string> text(int column) const {
    const auto* value = sqlite3_column_text(stmt_, column);
    if (value == nullptr) return std::nullopt;
    return std::string(reinterpret_cast<const char*>(value), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
  }

 private:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

Status exec(sqlite3* db, const char* sql, std::string_view doing) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return {};
  std::string text = message ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  return fail(ErrorCode::io, std::format("SQL catalog: {}: {}", doing, text));
}

// The file a SQLAlchemy SQLite URL (or a plain path) names.
std::string sqlite_path(std::string_view uri) {
  constexpr std::string_view kScheme = "sqlite:///";
  if (uri.starts_with(kScheme)) uri.remove_prefix(kScheme.size());
  return std::string(uri);
}

// N of ".../<N>-<id>.metadata.json" (JdbcCatalog's and pyiceberg's names)
// or ".../v<N>.metadata.json" (a file-system table's); nullopt otherwise.
std::optional<std::int64_t> version_of(std::string_view location) {
  if (const auto slash = location.rfind('/'); slash != std::string_view::npos) location.remove_prefix(slash + 1);
  if (location.starts_with('v')) location.remove_prefix(1);
  std::int64_t version = 0;
  auto [end, error] = std::from_chars(location.data(), location.data() + location.size(), version);
  if (error != std::errc{} || version < 0 || end == location.data()) return std::nullopt;
  return version;
}

}  // namespace

SqlCatalog::SqlCatalog(std::shared_ptr<Backend> backend, IcebergCatalog settings)
    : backend_(std::move(backend)), settings_(std::move(settings)), path_(sqlite_path(settings_.uri)) {}

SqlCatalog::~SqlCatalog() { sqlite3_close_v2(db_); }

Result<sqlite3*> SqlCatalog::connection() {
  if (db_) return db_;
  if (path_.empty()) return fail(ErrorCode::invalid_argument, "SQL catalog: no database file (uri) given");
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    Error error = sqlite_error(db, rc, std::format("opening '{}'", path_));
    sqlite3_close_v2(db);
    return std::unexpected(std::move(error));
  }
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  if (auto created = exec(db, kCreateTables, std::format("creating the catalog tables in '{}'", path_)); !created) {
    sqlite3_close_v2(db);
    return std::unexpected(created.error());
  }
  // A catalog pyiceberg created before its "v1" schema (or Java with
  // jdbc.schema-version V0) has no iceberg_type column: then every row is
  // a table, and rows are written without it.
  sqlite3_stmt* probe = nullptr;
  typed_rows_ = sqlite3_prepare_v2(db, "SELECT iceberg_type FROM iceberg_tables LIMIT 0", -1, &probe, nullptr) == SQLITE_OK;
  sqlite3_finalize(probe);
  db_ = db;
  return db_;
}

std::string SqlCatalog::default_location(const std::string& table) const { return folder_location(*backend_, table); }

Result<std::optional<CurrentMetadata>> SqlCatalog::load(const std::string& table) {
  const auto [ns, name] = identify(table);
  std::optional<std::string> location;
  {
    std::lock_guard lock(mutex_);
    LAKE_ASSIGN_OR_RETURN(sqlite3 * db, connection());
    const std::string sql = std::format(
        "SELECT metadata_location FROM iceberg_tables WHERE catalog_name = ?1 AND table_namespace = ?2 "
        "AND table_name = ?3{}",
        typed_rows_ ? " AND (iceberg_type = 'TABLE' OR iceberg_type IS NULL)" : "");
    LAKE_ASSIGN_OR_RETURN(auto select, Statement::prepare(db, sql));
    select.bind({settings_.name, ns, name});
    LAKE_ASSIGN_OR_RETURN(bool found, select.step("loading a table"));
    if (!found) return std::optional<CurrentMetadata>{};
    location = select.text(0);
  }
  if (!location || location->empty()) return std::optional<CurrentMetadata>{};
  auto key = key_of(*backend_, *location);
  if (!key)
    return std::unexpected(key.error().with_context(
        std::format("Iceberg table '{}.{}' of SQL catalog '{}'", ns, name, settings_.name)));
  LAKE_ASSIGN_OR_RETURN(auto text, backend_->get_text(*key));
  CurrentMetadata current{.location = *location, .metadata = {}};
  LAKE_ASSIGN_OR_RETURN(current.metadata, parse_table_metadata(text, current.location));
  return std::optional(std::move(current));
}

Status SqlCatalog::drop(const std::string& table) {
  const auto [ns, name] = identify(table);
  std::lock_guard lock(mutex_);
  LAKE_ASSIGN_OR_RETURN(sqlite3 * db, connection());
  LAKE_ASSIGN_OR_RETURN(auto remove, Statement::prepare(db,
                                                        "DELETE FROM iceberg_tables WHERE catalog_name = ?1 AND "
                                                        "table_namespace = ?2 AND table_name = ?3"));
  remove.bind({settings_.name, ns, name});
  auto removed = remove.step("dropping a table");
  LAKE_RETURN_IF_ERROR(removed);
  return {};
}

Result<CurrentMetadata> SqlCatalog::commit(const std::string& table, const CurrentMetadata* base,
                                       const TableMetadata& next) {
  const auto [ns, name] = identify(table);
  const std::int64_t version = base ? version_of(base->location).value_or(-1) + 1 : 0;
  LAKE_ASSIGN_OR_RETURN(auto table_key, key_of(*backend_, next.location));
  const std::string file = std::format("metadata/{:05}-{}.metadata.json", version, IngestId::generate().to_string());
  const std::string key = table_key + "/" + file;
  const std::string location = next.location + "/" + file;
  LAKE_RETURN_IF_ERROR(backend_->put_text(key, to_json_text(next), PutMode::create));

  // The row moves (or is created) in one transaction; when it does not,
  // the metadata file is nobody's and goes.
  auto swapped = [&]() -> Status {
    std::lock_guard lock(mutex_);
    LAKE_ASSIGN_OR_RETURN(sqlite3 * db, connection());
    if (base) {
      LAKE_ASSIGN_OR_RETURN(auto update,
                            Statement::prepare(db,
                                               "UPDATE iceberg_tables SET metadata_location = ?1, "
                                               "previous_metadata_location = ?2 WHERE catalog_name = ?3 AND "
                                               "table_namespace = ?4 AND table_name = ?5 AND metadata_location = ?2"));
      update.bind({location, base->location, settings_.name, ns, name});
      LAKE_RETURN_IF_ERROR(update.step("committing"));
      if (sqlite3_changes(db) != 1)
        return fail(ErrorCode::conflict,
                    std::format("Iceberg table '{}.{}': another commit replaced '{}' first", ns, name, base->location));
      return {};
    }
    LAKE_RETURN_IF_ERROR(exec(db, "BEGIN IMMEDIATE", "creating a table"));
    auto created = [&]() -> Status {
      LAKE_ASSIGN_OR_RETURN(auto namespace_row,
                            Statement::prepare(db,
                                               "INSERT OR IGNORE INTO iceberg_namespace_properties (catalog_name, "
                                               "namespace, property_key, property_value) VALUES (?1, ?2, 'exists', 'true')"));
      namespace_row.bind({settings_.name, ns});
      LAKE_RETURN_IF_ERROR(namespace_row.step("creating the table's namespace"));
      LAKE_ASSIGN_OR_RETURN(
          auto insert,
          Statement::prepare(db, typed_rows_ ? "INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, "
                                               "metadata_location, previous_metadata_location, iceberg_type) "
                                               "VALUES (?1, ?2, ?3, ?4, NULL, 'TABLE')"
                                             : "INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, "
                                               "metadata_location, previous_metadata_location) "
                                               "VALUES (?1, ?2, ?3, ?4, NULL)"));
      insert.bind({settings_.name, ns, name, location});
      if (auto inserted = insert.step("creating a table"); !inserted) {
        if (inserted.error().code() == ErrorCode::already_exists)
          return fail(ErrorCode::already_exists,
                      std::format("Iceberg table '{}.{}' already exists in SQL catalog '{}'", ns, name, settings_.name));
        return std::unexpected(inserted.error());
      }
      return exec(db, "COMMIT", "creating a table");
    }();
    if (!created) (void)exec(db, "ROLLBACK", "creating a table");
    return created;
  }();
  if (!swapped) {
    (void)backend_->remove(key);
    return std::unexpected(swapped.error());
  }
  return CurrentMetadata{location, next};
}

}  // namespace lake::iceberg

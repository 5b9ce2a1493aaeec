// An Iceberg catalog in a SQLite database, with the tables and the commit
// protocol of pyiceberg's SqlCatalog and Java's JdbcCatalog, so either can
// share the catalog file with us:
//
//   iceberg_tables (catalog_name, table_namespace, table_name,
//                   metadata_location, previous_metadata_location
//                   [, iceberg_type])
//   iceberg_namespace_properties (catalog_name, namespace, property_key,
//                                 property_value)
//
// A commit writes <table>/metadata/<NNNNN>-<id>.metadata.json (the name
// both write: a five-digit version, a unique id), then moves the table's
// row to it with one UPDATE ... WHERE metadata_location = <its base>; no
// row changed means another commit moved it first (ErrorCode::conflict),
// and the file just written is removed. Creating a table inserts its row
// (and its namespace's "exists" property, as create_namespace does); the
// primary key makes a second create ErrorCode::already_exists.
//
// Tables are named by their folder under the storage root: "sales/events"
// is table "events" in namespace "sales", "events" is in the configured
// default namespace; their files are under that folder, as on the
// file-system catalog. A row whose metadata is elsewhere (a table another
// engine created outside this client's storage) is refused when loaded,
// not misread.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "iceberg/catalog.hpp"
#include "lake/iceberg_catalog.hpp"

struct sqlite3;

namespace lake::iceberg {

class SqlCatalog final : public Catalog {
 public:
  // `settings.uri` names the SQLite file; it and the catalog's tables are
  // created on first use when missing.
  SqlCatalog(std::shared_ptr<Backend> backend, IcebergCatalog settings);
  ~SqlCatalog() override;
  SqlCatalog(const SqlCatalog&) = delete;
  SqlCatalog& operator=(const SqlCatalog&) = delete;

  [[nodiscard]] Result<std::optional<CurrentMetadata>> load(const std::string& table) override;
  [[nodiscard]] Result<CurrentMetadata> commit(const std::string& table, const CurrentMetadata* base,
                                               const TableMetadata& next) override;
  [[nodiscard]] Status drop(const std::string& table) override;
  [[nodiscard]] std::string default_location(const std::string& table) const override;

  // (namespace, name) of the table in folder `table`.
  [[nodiscard]] TableIdentifier identify(const std::string& table) const {
    return identify_folder(table, settings_.default_namespace);
  }

 private:
  // The open connection (opened and the tables created on first use);
  // callers hold mutex_.
  [[nodiscard]] Result<sqlite3*> connection();

  std::shared_ptr<Backend> backend_;
  IcebergCatalog settings_;
  std::string path_;  // the SQLite file
  std::mutex mutex_;
  sqlite3* db_ = nullptr;
  bool typed_rows_ = false;  // iceberg_tables has iceberg_type (pyiceberg's "v1" schema)
};

}  // namespace lake::iceberg

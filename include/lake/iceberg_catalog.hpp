// Where an embedded client's Iceberg tables are registered: the catalog
// its Iceberg dialect commits through (lake::iceberg_dialect(catalog),
// lakeorm.toml's [catalog] section).
//
//   file_system (the default): no catalog service. A table is a folder
//     under the client's storage with metadata/v<N>.metadata.json and
//     version-hint.text (Iceberg's HadoopTables layout, read by path by
//     Spark, pyiceberg and DuckDB's iceberg_scan).
//   sql: a SQLite database with the tables pyiceberg's SqlCatalog and
//     Java's JdbcCatalog keep (iceberg_tables, iceberg_namespace_properties),
//     so they and this client share one catalog file. A commit is the
//     catalog's check-and-put: the row's metadata_location moves only if
//     it still names the metadata the commit started from.
//
// Either way a table's files live under the client's storage: table
// "events" in folder "sales/events" (a client's default_database
// "sales") is table "events" of namespace "sales" in a SQL catalog; a
// table at the storage root is in `default_namespace`.
#pragma once

#include <string>

namespace lake {

enum class IcebergCatalogKind { file_system, sql };

struct IcebergCatalog {
  IcebergCatalogKind kind = IcebergCatalogKind::file_system;
  // sql: the SQLite database file, a path or a SQLAlchemy URL as pyiceberg
  // takes it ("sqlite:////abs/catalog.db", "sqlite:///relative.db").
  // Created, with the catalog's tables, when missing.
  std::string uri{};
  // sql: the catalog_name its rows carry (pyiceberg's catalog name).
  std::string name = "default";
  // The namespace of tables at the storage root ("a.b" is nested).
  std::string default_namespace = "default";
};

}  // namespace lake

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
//   rest: a catalog service speaking the Iceberg REST protocol (Polaris,
//     Lakekeeper, Gravitino, Nessie, Unity, Iceberg's own
//     RESTCatalogServer). A commit sends the service the change (the
//     snapshots, schemas and refs it adds) with the requirements it rests
//     on (the branch still at the snapshot the change started from); the
//     service checks them and writes the next metadata file itself.
//     Credentials: a bearer token, or OAuth2 client credentials exchanged
//     for tokens that are refreshed before they expire.
//
// Either way a table's files live under the client's storage: table
// "events" in folder "sales/events" (a client's default_database
// "sales") is table "events" of namespace "sales" in a SQL catalog; a
// table at the storage root is in `default_namespace`.
#pragma once

#include <string>

#include "lake/storage/connection.hpp"

namespace lake {

enum class IcebergCatalogKind { file_system, sql, rest };

struct IcebergCatalog {
  IcebergCatalogKind kind = IcebergCatalogKind::file_system;
  // sql: the SQLite database file, a path or a SQLAlchemy URL as pyiceberg
  // takes it ("sqlite:////abs/catalog.db", "sqlite:///relative.db").
  // Created, with the catalog's tables, when missing.
  std::string uri{};
  // rest: the service's base URL ("https://catalog.example.com/api/catalog"),
  // to which the protocol's paths ("/v1/config", ...) are appended.
  // sql: the catalog_name its rows carry (pyiceberg's catalog name).
  std::string name = "default";
  // The namespace of tables at the storage root ("a.b" is nested).
  std::string default_namespace = "default";

  // rest: the warehouse the service should serve (sent with the config
  // request; the service answers with its prefix and defaults).
  std::string warehouse{};
  // rest: OAuth2 client credentials "client_id:client_secret" (or just the
  // secret), exchanged at `oauth2_server_uri` (default: the service's
  // /v1/oauth/tokens) for bearer tokens of `scope`. Secret: never logged
  // or put in errors.
  std::string credential{};
  std::string oauth2_server_uri{};
  std::string scope = "catalog";
  // rest: a bearer token to send as is (when there is no credential).
  // Secret, as the credential is.
  std::string token{};
  // rest: TLS, timeouts and retries of the requests to the service.
  ConnectionOptions connection{};
};

}  // namespace lake

// Opening a Client from a TOML file (seed: OpenFromConfig, lakeorm.toml),
// so operators change storage, engine and limits without a rebuild.
//
//   auto db = lake::open_from_config("lakeorm.toml").value();
//
// Every section and key is optional; what is missing takes the same
// default as ClientOptions / the embedded engine. An unknown key, a value
// of the wrong type or out of range is ErrorCode::invalid_argument naming
// the key and the line, so a typo never silently falls back to a default.
//
//   [storage]
//   kind = "file"                  # file (default) | memory | s3 | gcs
//   root = "lake-data"             # file: relative paths are from the file's directory
//   uri = "s3://bucket/prefix"     # s3 and gcs (gs://...); kind may then be left out
//   endpoint = "http://127.0.0.1:9000"  # s3 and gcs: a compatible server or emulator
//   region = "us-east-1"           # s3
//   path_style = true              # s3
//   profile = "prod"               # s3: the shared-files profile
//   single_writer = false          # s3: see S3Options
//   part_bytes = "8MiB"            # s3
//   parts_in_flight = 4            # s3
//   service_account_key_file = "key.json"  # gcs
//   anonymous = false              # gcs: an emulator without credentials
//   chunk_bytes = "8MiB"           # gcs
//   verify_tls = true              # s3 and gcs
//   ca_file = "ca.pem"             # s3 and gcs
//   max_attempts = 6               # s3 and gcs
//
// Secrets are never read from this file (config files get copied and
// committed): S3 credentials come from the environment or the shared
// credentials files (profile), GCS ones from a service-account key file
// or GOOGLE_APPLICATION_CREDENTIALS, a Spark Connect token from
// $SPARK_CONNECT_AUTHENTICATE_TOKEN (or $SPARK_REMOTE's own), Databricks
// credentials from $DATABRICKS_TOKEN or $DATABRICKS_CLIENT_ID /
// $DATABRICKS_CLIENT_SECRET (lake/drivers/spark.hpp). A `remote` with a
// token in it is an error. HMAC keys for GCS are set in
// GcsOptions by the program. A key of one store under the other's kind is
// an error, as is a uri whose scheme does not match the kind.
//
//   [engine]
//   kind = "duckdb"                # duckdb (embedded, the default) | spark | databricks
//   threads = 0                    # duckdb: 0 is one per core
//   memory_limit = "2GB"           # duckdb: empty is DuckDB's default
//   scan_batch_rows = 122880       # duckdb
//   remote = "sc://spark.internal:15002/;use_ssl=true"  # spark: the Spark Connect
//                                  # server; else $SPARK_REMOTE (as pyspark reads it)
//   host = "https://adb-1.2.azuredatabricks.net"  # databricks; else $DATABRICKS_HOST
//   cluster_id = "0123-456789-abcdef01"           # databricks; else $DATABRICKS_CLUSTER_ID
//
//   [table]
//   format = "delta"               # delta | iceberg
//   catalog = ""                   # unqualified names live under catalog/database/
//   database = ""
//
//   [catalog]                      # the embedded engine's Iceberg catalog (lake/iceberg_catalog.hpp)
//   kind = "filesystem"            # filesystem (default) | sql | rest
//   uri = "catalog.db"             # sql: the SQLite file (or "sqlite:///catalog.db"), shared
//                                  # with pyiceberg's SqlCatalog / Java's JdbcCatalog;
//                                  # rest: the service's URL ("https://host/api/catalog")
//   name = "default"               # sql: the catalog_name of its rows
//   namespace = "default"          # the namespace of tables at the storage root
//   warehouse = ""                 # rest: the warehouse to ask the service for
//   scope = "catalog"              # rest: the OAuth2 scope of its tokens
//   oauth2_server_uri = ""         # rest: the token endpoint (default: uri + /v1/oauth/tokens)
//                                  # rest credentials come from the environment:
//                                  # LAKE_ICEBERG_REST_CREDENTIAL ("client_id:client_secret",
//                                  # OAuth2) or LAKE_ICEBERG_REST_TOKEN (a bearer token)
//
//   [client]
//   compression = "zstd"           # zstd | snappy | gzip | uncompressed
//   fast_path_threshold = "128MiB" # bytes as an integer, or with B/KiB/MiB/GiB/KB/MB/GB
//   staging_batch_bytes = "8MiB"
//   staging_part_bytes = "128MiB"
//   max_inflight_ingests = 4
//   writer_threads = 0             # Parquet encoding threads; 0: one per core
//   session_pool_size = 8
//   default_idempotency_ttl = "24h"  # seconds as an integer, or with s/m/h/d
//
//   [log]
//   level = "info"                 # debug | info | warn | error | off
//   output = "stderr"              # stderr | stdout
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "lake/client.hpp"
#include "lake/drivers/duckdb.hpp"
#include "lake/error.hpp"
#include "lake/iceberg_catalog.hpp"
#include "lake/storage/gcs.hpp"
#include "lake/storage/s3.hpp"
#include "lake/table_format.hpp"

namespace lake {

enum class StorageKind { file, memory, s3, gcs };
enum class EngineKind { duckdb, spark, databricks };
enum class LogOutput { off, stderr_lines, stdout_lines };

// A parsed configuration: what open_from_config() builds a Client from.
struct Config {
  StorageKind storage = StorageKind::file;
  std::filesystem::path root{};  // file storage; empty: lake::local::default_data_dir()
  std::string uri{};             // s3 ("s3://...") and gcs ("gs://...") storage
  S3Options s3{};
  GcsOptions gcs{};
  EngineKind engine_kind = EngineKind::duckdb;
  duckdb::EngineOptions engine{};  // duckdb
  std::string spark_remote{};      // spark; empty: $SPARK_REMOTE when opened
  std::string databricks_host{};   // databricks; empty: $DATABRICKS_HOST when opened
  std::string databricks_cluster_id{};
  TableFormat format = TableFormat::delta;
  IcebergCatalog iceberg_catalog{};  // duckdb with Iceberg tables
  ClientOptions client{};
  LogOutput log_output = LogOutput::off;
  LogLevel log_level = LogLevel::info;
};

// Parses TOML text. `base_dir` anchors relative paths; `source` names the
// text in errors (a file name).
[[nodiscard]] Result<Config> parse_config(std::string_view toml, const std::filesystem::path& base_dir,
                                          std::string_view source = "config");

// Reads and parses a file; relative paths in it are relative to the file.
[[nodiscard]] Result<Config> load_config(const std::filesystem::path& file);

// Composes a Client from a parsed configuration.
[[nodiscard]] Result<Client> open(const Config& config);

// The value forms the file accepts, for other front ends (the CLI): a
// non-negative integer with an optional unit, "128MiB" / "2GB" / "4096", and
// "24h" / "30m" / "7d" / "90" (seconds).
[[nodiscard]] Result<std::int64_t> parse_byte_size(std::string_view text);
[[nodiscard]] Result<std::chrono::seconds> parse_duration(std::string_view text);

// load_config + open.
[[nodiscard]] Result<Client> open_from_config(const std::filesystem::path& file);

}  // namespace lake

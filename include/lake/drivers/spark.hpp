// The Spark Connect driver: the same Client code, run by a Spark cluster.
//
//   auto driver = lake::spark::driver("sc://spark.internal:15002/;token=...").value();
//   auto db = lake::Client::open(driver, lake::delta_dialect(),
//                                lake::s3_backend("s3://lake/prod").value()).value();
//
// SQL (queries, exec) runs on Spark with parameters bound by Spark, and
// results stream back as Arrow. Writes run as Spark SQL on the Delta
// tables at the backend's locations:
//   - direct: the rows go to Spark as an Arrow LocalRelation (a temporary
//     view), then one INSERT or MERGE commits them;
//   - object storage: the client stages ZSTD Parquet parts on the backend
//     and Spark reads them in place (INSERT ... SELECT ... FROM
//     parquet.`<staging>`); the bytes never pass through the client twice;
//   - upserts and merges are one MERGE bounded by the write's _ingest_id;
//   - delete_where is a DELETE with its predicate's values bound;
//   - optimize / vacuum are Delta's OPTIMIZE [ZORDER BY] and VACUUM.
// Each write tags its commit with its ingest id (commitInfo.userMetadata)
// and, with an idempotency key, uses Delta's txnAppId / txnVersion so a
// retried write applies once. Table metadata (describe, stats, history)
// is read from the Delta log through the backend, without a Spark job.
//
// With lake::iceberg_dialect() (and ClientOptions::default_catalog naming
// an Iceberg catalog that accepts a LOCATION, e.g. a JDBC, REST or Hive
// one) the tables are Iceberg's: the same statements, each snapshot's
// summary tagged with the ingest id (and the idempotency key, checked
// against its TTL before writing), metadata from Iceberg's metadata
// tables, and optimize / vacuum as its rewrite_data_files and
// expire_snapshots procedures.
//
// On Spark the fast path is the quicker one from small writes on: Spark
// turns a local relation into rows on its driver, on one thread, and reads
// staged Parquet in parallel tasks (bench/spark_benchmark.cpp: 4.8x at 1M
// rows, still ahead at 100k). Set ClientOptions::fast_path_threshold to a
// few MiB, or ask for WritePath::object_storage; a direct write of ~10M
// rows exhausts a 12 GB driver heap.
//
// The Spark server must reach the backend's storage under the same URIs
// (file:// paths on a shared disk, s3a:// for s3:// buckets, gs://).
// Unqualified table names resolve in the client's default database
// (created when missing), which every session of the pool uses.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <arrow/record_batch.h>

#include "lake/driver.hpp"
#include "lake/error.hpp"
#include "lake/sql.hpp"

namespace lake::spark {

struct DriverOptions {
  // Deadline of each unary call (config, schema, artifact upload); result
  // streams have none.
  std::chrono::milliseconds call_timeout{std::chrono::minutes(5)};
  // Attempts of a call that failed because the cluster is starting or the
  // transport failed transiently (1: no retry).
  int max_attempts = 5;
};

// A driver for the Spark Connect server `connection` names
// (sc://host[:port]/;token=...;use_ssl=...;x-databricks-cluster-id=...).
// invalid_argument names what is wrong with the string (never the token).
// Nothing is contacted until the client first needs a session.
[[nodiscard]] Result<std::shared_ptr<Driver>> driver(std::string_view connection, DriverOptions options = {});

// Databricks Connect: a workspace's cluster, the same protocol over TLS,
// each call carrying the cluster id (x-databricks-cluster-id). Credentials:
// a personal access token, or OAuth machine-to-machine for a service
// principal (client id and secret; tokens from the workspace's
// /oidc/v1/token, fetched on first use and again before they expire).
// The token and the secret are never in errors or logs.
struct DatabricksSettings {
  std::string host{};        // the workspace, "adb-123.4.azuredatabricks.net" (https:// may precede it)
  std::string cluster_id{};
  std::string token{};       // personal access token
  std::string client_id{};   // OAuth M2M, with client_secret
  std::string client_secret{};
  std::string token_endpoint{};  // default https://<host>/oidc/v1/token
  std::uint16_t port = 443;
  bool use_tls = true;  // off only for a local stand-in (tests)
};

// From the variables Databricks' own tools read: DATABRICKS_HOST,
// DATABRICKS_CLUSTER_ID, DATABRICKS_TOKEN, DATABRICKS_CLIENT_ID,
// DATABRICKS_CLIENT_SECRET (and DATABRICKS_OAUTH_TOKEN_URL for another
// token endpoint). DATABRICKS_HOST is a host or a URL,
// https://host[:port]; http:// (TLS off) is accepted for a loopback host
// only, a local stand-in. invalid_argument names a missing or bad one.
// A non-empty `host` or `cluster_id` is taken instead of its variable
// (a configuration file names them; credentials stay in the environment).
[[nodiscard]] Result<DatabricksSettings> databricks_settings_from_environment(std::string_view host = {},
                                                                              std::string_view cluster_id = {});

// invalid_argument when the host or cluster id is missing, or when not
// exactly one of a token and a client id + secret is given.
[[nodiscard]] Result<std::shared_ptr<Driver>> databricks_driver(const DatabricksSettings& settings,
                                                                DriverOptions options = {});

// Read-side sources (the seed's FromSQL / FromTable / FromDataFrame): the
// rows of something Spark produces, as an Arrow stream for
// lake::collect_as<T> / stream_as<T> / first_as<T> (lake/query.hpp). Each
// stream holds one of the driver's pooled sessions until it is destroyed,
// and streams in constant memory. `driver` is a Client's (db.driver()); a
// driver of another engine is invalid_argument.
//
//   auto top = lake::collect_as<UserSpend>(**lake::spark::from_table(db.driver(), "user_spend"));
//
// from_sql: a statement with `?` values bound by Spark.
[[nodiscard]] Result<std::shared_ptr<arrow::RecordBatchReader>> from_sql(Driver& driver, std::string_view sql,
                                                                          std::span<const SqlValue> params = {});
// from_table: every row of a table, "name", "database.name" or
// "catalog.database.name" (an unqualified name resolves in the client's
// default database); each part is quoted, so any characters are safe.
[[nodiscard]] Result<std::shared_ptr<arrow::RecordBatchReader>> from_table(Driver& driver, std::string_view table);
// from_relation: a plan built with Spark Connect's own protocol, a
// serialized `spark.connect.Relation` message (protobuf), for the DataFrame
// operations this library does not model. Bytes that are not one are
// invalid_argument.
[[nodiscard]] Result<std::shared_ptr<arrow::RecordBatchReader>> from_relation(Driver& driver,
                                                                               std::string_view serialized_relation);

}  // namespace lake::spark

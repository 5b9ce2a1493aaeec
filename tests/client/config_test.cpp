// Opening a Client from lakeorm.toml: every key reaches the option it
// names, and every mistake (unknown key, wrong type, bad unit, bad TOML,
// missing file) is a typed error naming the key and line.
#include <gtest/gtest.h>

#include <fstream>

#include <lake/config.hpp>
#include <lake/local.hpp>
#include <lake/query.hpp>

#include "support/temp_dir.hpp"

namespace {

using lake::testing::TempDir;

struct Note {
  [[=lake::pk]] std::string id;
  std::string text;
};

struct CountRow {
  std::int64_t n = 0;
};

std::string error_of(const lake::Result<lake::Config>& config) {
  EXPECT_FALSE(config) << "the config was accepted";
  return config ? std::string() : config.error().to_string();
}

TEST(ConfigTest, EveryKeyReachesItsOption) {
  auto config = lake::parse_config(R"(
[storage]
kind = "file"
root = "tables"

[engine]
kind = "duckdb"
threads = 2
memory_limit = "1GB"
scan_batch_rows = 4096

[table]
format = "delta"
catalog = "main"
database = "sales"

[client]
compression = "snappy"
fast_path_threshold = "64MiB"
staging_batch_bytes = 1048576
staging_part_bytes = "2GB"
max_inflight_ingests = 3
writer_threads = 3
session_pool_size = 5
default_idempotency_ttl = "2h"
write_attempts = 12
write_backoff = "20ms"
write_backoff_max = "3s"
row_changes = "merge_on_read"

[log]
level = "warn"
output = "stdout"
)",
                                   "/srv/lake", "lakeorm.toml");
  ASSERT_TRUE(config) << config.error().to_string();
  EXPECT_EQ(config->storage, lake::StorageKind::file);
  EXPECT_EQ(config->root, std::filesystem::path("/srv/lake/tables"));
  EXPECT_EQ(config->engine.threads, 2);
  EXPECT_EQ(config->engine.memory_limit, "1GB");
  EXPECT_EQ(config->engine.scan_batch_rows, 4096);
  EXPECT_EQ(config->engine.max_connections, 5);
  EXPECT_EQ(config->client.writer_threads, 3);
  EXPECT_EQ(config->client.default_catalog, "main");
  EXPECT_EQ(config->client.default_database, "sales");
  EXPECT_EQ(config->client.compression, lake::Compression::snappy);
  EXPECT_EQ(config->client.fast_path_threshold, std::int64_t{64} << 20);
  EXPECT_EQ(config->client.staging_batch_bytes, 1048576);
  EXPECT_EQ(config->client.staging_part_bytes, 2'000'000'000);
  EXPECT_EQ(config->client.max_inflight_ingests, 3);
  EXPECT_EQ(config->client.session_pool_size, 5);
  EXPECT_EQ(config->client.default_idempotency_ttl, std::chrono::hours(2));
  EXPECT_EQ(config->client.write_retry.max_attempts, 12);
  EXPECT_EQ(config->client.write_retry.initial_backoff, std::chrono::milliseconds(20));
  EXPECT_EQ(config->client.write_retry.max_backoff, std::chrono::seconds(3));
  EXPECT_EQ(config->client.row_changes, lake::RowChanges::merge_on_read);
  EXPECT_EQ(config->log_level, lake::LogLevel::warn);
  EXPECT_EQ(config->log_output, lake::LogOutput::stdout_lines);
}

TEST(ConfigTest, AnEmptyFileKeepsTheDefaults) {
  auto config = lake::parse_config("", ".");
  ASSERT_TRUE(config) << config.error().to_string();
  const lake::ClientOptions defaults;
  EXPECT_EQ(config->client.fast_path_threshold, defaults.fast_path_threshold);
  EXPECT_EQ(config->client.max_inflight_ingests, defaults.max_inflight_ingests);
  EXPECT_EQ(config->client.default_idempotency_ttl, defaults.default_idempotency_ttl);
  EXPECT_TRUE(config->root.empty());
  EXPECT_EQ(config->log_output, lake::LogOutput::off);
}

TEST(ConfigTest, LevelOffSilencesWhereverOutputIsSet) {
  auto config = lake::parse_config("[log]\noutput = \"stdout\"\nlevel = \"off\"\n", ".");
  ASSERT_TRUE(config) << config.error().to_string();
  EXPECT_EQ(config->log_output, lake::LogOutput::off);
  auto level_only = lake::parse_config("[log]\nlevel = \"debug\"\n", ".");
  ASSERT_TRUE(level_only);
  EXPECT_EQ(level_only->log_output, lake::LogOutput::stderr_lines);
  EXPECT_EQ(level_only->log_level, lake::LogLevel::debug);
}

TEST(ConfigTest, ObjectStoreKeysReachTheirOptions) {
  auto s3 = lake::parse_config(R"(
[storage]
uri = "s3://lake/prod"
endpoint = "http://127.0.0.1:9000"
region = "eu-west-1"
path_style = true
profile = "prod"
single_writer = true
part_bytes = "16MiB"
parts_in_flight = 2
verify_tls = false
ca_file = "certs/ca.pem"
max_attempts = 3
)",
                               "/etc/lake");
  ASSERT_TRUE(s3) << s3.error().to_string();
  EXPECT_EQ(s3->storage, lake::StorageKind::s3);  // from the uri's scheme
  EXPECT_EQ(s3->uri, "s3://lake/prod");
  EXPECT_EQ(s3->s3.endpoint, "http://127.0.0.1:9000");
  EXPECT_EQ(s3->s3.region, "eu-west-1");
  EXPECT_TRUE(s3->s3.path_style);
  EXPECT_EQ(s3->s3.profile, "prod");
  EXPECT_TRUE(s3->s3.single_writer);
  EXPECT_EQ(s3->s3.part_bytes, 16 << 20);
  EXPECT_EQ(s3->s3.parts_in_flight, 2);
  EXPECT_FALSE(s3->s3.connection.verify_tls);
  EXPECT_EQ(s3->s3.connection.ca_file, "/etc/lake/certs/ca.pem");
  EXPECT_EQ(s3->s3.connection.max_attempts, 3);
  EXPECT_TRUE(s3->s3.access_key_id.empty());  // credentials never come from the file

  auto gcs = lake::parse_config(R"(
[storage]
kind = "gcs"
uri = "gs://lake"
endpoint = "http://127.0.0.1:4443"
anonymous = true
chunk_bytes = "2MiB"
service_account_key_file = "/secrets/key.json"
)",
                                "/etc/lake");
  ASSERT_TRUE(gcs) << gcs.error().to_string();
  EXPECT_EQ(gcs->storage, lake::StorageKind::gcs);
  EXPECT_EQ(gcs->uri, "gs://lake");
  EXPECT_EQ(gcs->gcs.endpoint, "http://127.0.0.1:4443");
  EXPECT_TRUE(gcs->gcs.anonymous);
  EXPECT_EQ(gcs->gcs.chunk_bytes, 2 << 20);
  EXPECT_EQ(gcs->gcs.service_account_key_file, "/secrets/key.json");
}

TEST(ConfigTest, MistakesNameTheKeyAndLine) {
  struct Case {
    const char* toml;
    const char* expected;
  };
  const Case cases[] = {
      {"[client]\nfast_path_treshold = 1\n", "lakeorm.toml:2: [client] fast_path_treshold: unknown key"},
      {"[client]\nmax_inflight_ingests = \"4\"\n", "[client] max_inflight_ingests: expected an integer"},
      {"[client]\nmax_inflight_ingests = 0\n", "[client] max_inflight_ingests: must be positive, got 0"},
      {"[client]\nfast_path_threshold = \"12 parsecs\"\n", "unknown unit 'parsecs'"},
      {"[client]\nfast_path_threshold = \"-5MiB\"\n", "'-5MiB' is not a byte size"},
      {"[client]\nfast_path_threshold = \"9999999999999GiB\"\n", "is too large"},
      {"[client]\ndefault_idempotency_ttl = \"3 weeks\"\n", "unknown unit 'weeks'"},
      {"[client]\ndefault_idempotency_ttl = \"0h\"\n", "default_idempotency_ttl: must be positive, got '0h'"},
      {"[client]\nwrite_backoff = \"5 fortnights\"\n", "[client] write_backoff: unknown unit 'fortnights'"},
      {"[client]\nwrite_attempts = 0\n", "[client] write_attempts: must be positive, got 0"},
      {"[client]\ncompression = \"lz4\"\n", "unknown value 'lz4' (expected one of: zstd, snappy, gzip, uncompressed)"},
      {"[storage]\nkind = \"hdfs\"\n", "[storage] kind: unknown value 'hdfs' (expected one of: file, memory, s3, gcs)"},
      {"[storage]\nroot = \"\"\n", "[storage] root: must not be empty"},
      {"[storage]\nkind = \"s3\"\n", "[storage] uri: required for kind = \"s3\" (\"s3://bucket/prefix\")"},
      {"[storage]\nkind = \"gcs\"\n", "[storage] uri: required for kind = \"gcs\" (\"gs://bucket/prefix\")"},
      {"[storage]\nuri = \"https://bucket/x\"\n", "lakeorm.toml:2: [storage] uri: 'https://bucket/x' must start with s3:// or gs://"},
      {"[storage]\nkind = \"s3\"\nuri = \"gs://b/x\"\n", "lakeorm.toml:3: [storage] uri: 'gs://b/x' does not match the storage kind"},
      {"[storage]\nkind = \"memory\"\nuri = \"s3://b/x\"\n", "[storage] uri: 's3://b/x' does not match the storage kind"},
      {"[storage]\nuri = \"gs://b/x\"\npart_bytes = \"8MiB\"\n", "lakeorm.toml:3: [storage] part_bytes: applies to kind = \"s3\" only"},
      {"[storage]\nuri = \"s3://b/x\"\nchunk_bytes = \"8MiB\"\n", "[storage] chunk_bytes: applies to kind = \"gcs\" only"},
      {"[storage]\nuri = \"s3://b/x\"\nroot = \"data\"\n", "[storage] root: applies to kind = \"file\" only"},
      {"[storage]\nendpoint = \"http://127.0.0.1:9000\"\n", "[storage] endpoint: applies to kind = \"s3\" or \"gcs\" only"},
      {"[storage]\nuri = \"s3://b/x\"\npath_style = \"yes\"\n", "[storage] path_style: expected true or false"},
      {"[storage]\nuri = \"s3://b/x\"\nparts_in_flight = 0\n", "[storage] parts_in_flight: must be positive, got 0"},
      {"[storage]\nuri = \"s3://b/x\"\nsecret_access_key = \"x\"\n", "[storage] secret_access_key: unknown key"},
      {"[engine]\nkind = \"flink\"\n", "[engine] kind: unknown value 'flink' (expected one of: duckdb, spark, databricks)"},
      {"[engine]\nkind = \"spark\"\nthreads = 2\n", "lakeorm.toml:3: [engine] threads: applies to kind = \"duckdb\" only"},
      {"[engine]\nremote = \"sc://h:1\"\n", "[engine] remote: applies to kind = \"spark\" only"},
      {"[engine]\nkind = \"spark\"\nremote = \"http://h:1\"\n", "[engine] remote: 'http://h:1' must start with sc://"},
      {"[engine]\nkind = \"spark\"\nremote = \"sc://h:1/;Token=abc123\"\n", "[engine] remote: holds a token"},
      {"[engine]\nkind = \"spark\"\ncluster_id = \"c\"\n", "[engine] cluster_id: applies to kind = \"databricks\" only"},
      {"[engine]\nkind = \"spark\"\n[table]\nformat = \"iceberg\"\n", "[table] format: \"iceberg\" needs [table] catalog"},
      {"[engine]\nkind = \"databricks\"\n[storage]\nkind = \"memory\"\n", "a Spark engine cannot reach this process's memory"},
      {"[engine]\nthreads = -1\n", "must be between 0 and 4096"},
      {"[client]\nwriter_threads = -2\n", "[client] writer_threads: must be between 0 and 4096"},
      {"[table]\nformat = \"hudi\"\n", "[table] format: unknown value 'hudi'"},
      {"[catalog]\nkind = \"sql\"\nuri = \"c.db\"\n", "[catalog] kind: [catalog] is for Iceberg tables"},
      {"[table]\nformat = \"iceberg\"\n[catalog]\nkind = \"sql\"\n", "[catalog] kind: kind = \"sql\" needs uri"},
      {"[table]\nformat = \"iceberg\"\n[catalog]\nuri = \"c.db\"\n", "[catalog] uri: only a \"sql\" or \"rest\" catalog has a uri"},
      {"[table]\nformat = \"iceberg\"\n[catalog]\nkind = \"rest\"\n", "[catalog] kind: kind = \"rest\" needs uri"},
      {"[table]\nformat = \"iceberg\"\n[catalog]\nkind = \"rest\"\nuri = \"catalog.internal:8181\"\n",
       "[catalog] uri: 'catalog.internal:8181' must start with http:// or https://"},
      {"[table]\nformat = \"iceberg\"\n[catalog]\nkind = \"sql\"\nuri = \"c.db\"\nwarehouse = \"w\"\n",
       "lakeorm.toml:6: [catalog] warehouse: applies to kind = \"rest\" only"},
      {"[table]\nformat = \"iceberg\"\n[catalog]\nkind = \"sql\"\nuri = \"postgresql://h/db\"\n",
       "[catalog] uri: must be a SQLite file"},
      {"[table]\nformat = \"iceberg\"\n[catalog]\nkind = \"hive\"\n",
       "[catalog] kind: unknown value 'hive' (expected one of: filesystem, sql, rest)"},
      {"[table]\nformat = \"iceberg\"\n[catalog]\nkind = \"sql\"\nuri = \"c.db\"\nnamespace = \"\"\n",
       "name and namespace must not be empty"},
      {"[engine]\nkind = \"spark\"\n[table]\nformat = \"iceberg\"\ncatalog = \"ice\"\n[catalog]\nkind = \"sql\"\nuri = \"c.db\"\n",
       "on Spark the server's catalog serves the tables"},
      {"[clients]\nx = 1\n", "lakeorm.toml:1: unknown section [clients]"},
      {"client = 3\n", "'client' must be a [client] section"},
      {"[client\nx = 1\n", "lakeorm.toml:1:"},
  };
  for (const auto& c : cases) {
    auto config = lake::parse_config(c.toml, ".", "lakeorm.toml");
    const auto message = error_of(config);
    EXPECT_EQ(message.find("abc123"), std::string::npos) << "a secret in the message: " << message;
    EXPECT_NE(message.find(c.expected), std::string::npos) << c.toml << "\n  got: " << message;
    if (!config) {
      EXPECT_EQ(config.error().code(), lake::ErrorCode::invalid_argument) << c.toml;
    }
  }
}

TEST(ConfigTest, SparkEnginesTakeTheirKeys) {
  auto spark = lake::parse_config(R"(
[engine]
kind = "spark"
remote = "sc://spark.internal:15002/;use_ssl=true"
[table]
format = "iceberg"
catalog = "ice"
database = "sales"
)",
                                  ".", "lakeorm.toml");
  ASSERT_TRUE(spark) << spark.error().to_string();
  EXPECT_EQ(spark->engine_kind, lake::EngineKind::spark);
  EXPECT_EQ(spark->spark_remote, "sc://spark.internal:15002/;use_ssl=true");
  EXPECT_EQ(spark->format, lake::TableFormat::iceberg);
  EXPECT_EQ(spark->client.default_catalog, "ice");

  auto databricks = lake::parse_config(R"(
[engine]
kind = "databricks"
host = "https://adb-1.2.azuredatabricks.net"
cluster_id = "0123-456789-abcdef01"
)",
                                       ".", "lakeorm.toml");
  ASSERT_TRUE(databricks) << databricks.error().to_string();
  EXPECT_EQ(databricks->engine_kind, lake::EngineKind::databricks);
  EXPECT_EQ(databricks->databricks_host, "https://adb-1.2.azuredatabricks.net");
  EXPECT_EQ(databricks->databricks_cluster_id, "0123-456789-abcdef01");
  EXPECT_EQ(databricks->format, lake::TableFormat::delta);

  // What only the environment can give is asked for when opening, by name.
  ::unsetenv("SPARK_REMOTE");
  auto no_remote = lake::parse_config("[engine]\nkind = \"spark\"\n", ".", "lakeorm.toml");
  ASSERT_TRUE(no_remote);
  auto refused = lake::open(*no_remote);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), lake::ErrorCode::invalid_argument);
  EXPECT_NE(refused.error().message().find("SPARK_REMOTE"), std::string::npos) << refused.error().message();
  for (const char* name : {"DATABRICKS_TOKEN", "DATABRICKS_CLIENT_ID", "DATABRICKS_CLIENT_SECRET"}) ::unsetenv(name);
  auto no_credentials = lake::open(*databricks);
  ASSERT_FALSE(no_credentials);
  EXPECT_NE(no_credentials.error().message().find("DATABRICKS_TOKEN"), std::string::npos)
      << no_credentials.error().message();
}

TEST(ConfigTest, SizesAndDurationsParseOnTheirOwn) {
  EXPECT_EQ(lake::parse_byte_size("4096").value(), 4096);
  EXPECT_EQ(lake::parse_byte_size("3 KiB").value(), 3072);
  EXPECT_EQ(lake::parse_byte_size("2GB").value(), 2'000'000'000);
  EXPECT_EQ(lake::parse_duration("90").value(), std::chrono::seconds(90));
  EXPECT_EQ(lake::parse_duration("30m").value(), std::chrono::minutes(30));
  EXPECT_EQ(lake::parse_duration("7d").value(), std::chrono::days(7));
  EXPECT_EQ(lake::parse_duration("0h").value(), std::chrono::seconds(0));  // vacuum --retain 0h --force
  for (const char* bad : {"", "-1h", "1.5h", "h", "5 fortnights"}) {
    auto parsed = lake::parse_duration(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.error().code(), lake::ErrorCode::invalid_argument);
    EXPECT_NE(parsed.error().message().find(bad), std::string::npos) << parsed.error().message();
  }
}

TEST(ConfigTest, AMissingFileIsNotFound) {
  TempDir dir("config");
  auto config = lake::load_config(dir.path / "absent.toml");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code(), lake::ErrorCode::not_found);
  EXPECT_NE(config.error().message().find("absent.toml"), std::string::npos);
  auto client = lake::open_from_config(dir.path / "absent.toml");
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().code(), lake::ErrorCode::not_found);
}

TEST(ConfigTest, OpenFromConfigWritesUnderTheConfiguredRoot) {
  TempDir dir("config");
  std::filesystem::create_directories(dir.path / "etc");
  {
    std::ofstream file(dir.path / "etc" / "lakeorm.toml");
    file << "[storage]\nroot = \"../data\"\n[table]\ndatabase = \"crm\"\n[client]\nmax_inflight_ingests = 1\n";
  }
  auto db = lake::open_from_config(dir.path / "etc" / "lakeorm.toml");
  ASSERT_TRUE(db) << db.error().to_string();
  ASSERT_TRUE(db->migrate<Note>()) << "migrate";
  std::vector<Note> notes{{.id = "n1", .text = "hello"}, {.id = "n2", .text = "world"}};
  auto written = db->insert(notes);
  ASSERT_TRUE(written) << written.error().to_string();
  // The table is a Delta table under <root>/<database>/<table>.
  EXPECT_TRUE(std::filesystem::exists(dir.path / "data" / "crm" / "notes" / "_delta_log" / "00000000000000000001.json"));
  auto n = lake::query_first<CountRow>(*db, "SELECT count(*) AS n FROM notes");
  ASSERT_TRUE(n) << n.error().to_string();
  EXPECT_EQ(n->n, 2);
}

TEST(ConfigTest, AnIcebergFormatOnTheEmbeddedEngineWritesIcebergTables) {
  TempDir dir("config");
  {
    std::ofstream file(dir.path / "lakeorm.toml");
    file << "[storage]\nroot = \"data\"\n[table]\nformat = \"iceberg\"\n";
  }
  auto db = lake::open_from_config(dir.path / "lakeorm.toml");
  ASSERT_TRUE(db) << db.error().to_string();
  ASSERT_TRUE(db->migrate<Note>()) << "migrate";
  std::vector<Note> notes{{.id = "n1", .text = "hello"}, {.id = "n2", .text = "world"}};
  auto written = db->insert(notes);
  ASSERT_TRUE(written) << written.error().to_string();
  // An Iceberg table by path: the creation, then the append's metadata.
  EXPECT_TRUE(std::filesystem::exists(dir.path / "data" / "notes" / "metadata" / "v2.metadata.json"));
  EXPECT_FALSE(std::filesystem::exists(dir.path / "data" / "notes" / "_delta_log"));
  auto n = lake::query_first<CountRow>(*db, "SELECT count(*) AS n FROM notes");
  ASSERT_TRUE(n) << n.error().to_string();
  EXPECT_EQ(n->n, 2);
}

TEST(ConfigTest, ARestCatalogSectionTakesTheServiceAndItsOAuthSettings) {
  auto config = lake::parse_config(
      "[table]\nformat = \"iceberg\"\n[catalog]\nkind = \"rest\"\nuri = \"https://catalog.internal/api/catalog\"\n"
      "warehouse = \"analytics\"\nscope = \"PRINCIPAL_ROLE:ALL\"\noauth2_server_uri = \"https://idp.internal/token\"\n"
      "namespace = \"crm\"\n",
      ".", "lakeorm.toml");
  ASSERT_TRUE(config) << config.error().to_string();
  EXPECT_EQ(config->iceberg_catalog.kind, lake::IcebergCatalogKind::rest);
  EXPECT_EQ(config->iceberg_catalog.uri, "https://catalog.internal/api/catalog") << "a URL, not a path";
  EXPECT_EQ(config->iceberg_catalog.warehouse, "analytics");
  EXPECT_EQ(config->iceberg_catalog.scope, "PRINCIPAL_ROLE:ALL");
  EXPECT_EQ(config->iceberg_catalog.oauth2_server_uri, "https://idp.internal/token");
  EXPECT_EQ(config->iceberg_catalog.default_namespace, "crm");
  EXPECT_TRUE(config->iceberg_catalog.credential.empty()) << "credentials come from the environment, not the file";
}

TEST(ConfigTest, ACatalogSectionKeepsIcebergTablesInASqliteCatalog) {
  TempDir dir("config");
  {
    std::ofstream file(dir.path / "lakeorm.toml");
    file << "[storage]\nroot = \"data\"\n[table]\nformat = \"iceberg\"\n"
            "[catalog]\nkind = \"sql\"\nuri = \"sqlite:///catalogs/lake.db\"\nname = \"prod\"\nnamespace = \"crm\"\n";
  }
  std::filesystem::create_directories(dir.path / "catalogs");
  auto config = lake::load_config(dir.path / "lakeorm.toml");
  ASSERT_TRUE(config) << config.error().to_string();
  EXPECT_EQ(config->iceberg_catalog.kind, lake::IcebergCatalogKind::sql);
  EXPECT_EQ(config->iceberg_catalog.uri, (dir.path / "catalogs" / "lake.db").string()) << "relative to the file";
  EXPECT_EQ(config->iceberg_catalog.name, "prod");
  EXPECT_EQ(config->iceberg_catalog.default_namespace, "crm");
  auto db = lake::open(*config);
  ASSERT_TRUE(db) << db.error().to_string();
  ASSERT_TRUE(db->migrate<Note>());
  std::vector<Note> notes{{.id = "n1", .text = "hello"}};
  ASSERT_TRUE(db->insert(notes));
  // The catalog's row names the table's metadata file (not v<N>.metadata.json).
  EXPECT_TRUE(std::filesystem::exists(dir.path / "catalogs" / "lake.db"));
  EXPECT_FALSE(std::filesystem::exists(dir.path / "data" / "notes" / "metadata" / "v1.metadata.json"));
  auto n = lake::query_first<CountRow>(*db, "SELECT count(*) AS n FROM notes");
  ASSERT_TRUE(n) << n.error().to_string();
  EXPECT_EQ(n->n, 1);
  // Another client of the same file sees the table; one of another
  // catalog name in it does not.
  auto same = lake::local::open(dir.path / "data", {},
                                lake::IcebergCatalog{.kind = lake::IcebergCatalogKind::sql,
                                                     .uri = (dir.path / "catalogs" / "lake.db").string(),
                                                     .name = "prod",
                                                     .default_namespace = "crm"});
  ASSERT_TRUE(same) << same.error().to_string();
  auto seen = lake::query_first<CountRow>(*same, "SELECT count(*) AS n FROM notes");
  ASSERT_TRUE(seen) << seen.error().to_string();
  EXPECT_EQ(seen->n, 1);
  auto other = lake::local::open(dir.path / "data", {},
                                 lake::IcebergCatalog{.kind = lake::IcebergCatalogKind::sql,
                                                      .uri = (dir.path / "catalogs" / "lake.db").string(),
                                                      .name = "staging"});
  ASSERT_TRUE(other) << other.error().to_string();
  auto unseen = lake::query_first<CountRow>(*other, "SELECT count(*) AS n FROM notes");
  ASSERT_FALSE(unseen);
}

TEST(ConfigTest, MemoryStorageKeepsNothingOnDisk) {
  TempDir dir("config");
  auto config = lake::parse_config("[storage]\nkind = \"memory\"\n", dir.path);
  ASSERT_TRUE(config) << config.error().to_string();
  auto db = lake::open(*config);
  ASSERT_TRUE(db) << db.error().to_string();
  ASSERT_TRUE(db->migrate<Note>());
  std::vector<Note> notes{{.id = "n1", .text = "in memory"}};
  ASSERT_TRUE(db->insert(notes));
  auto n = lake::query_first<CountRow>(*db, "SELECT count(*) AS n FROM notes");
  ASSERT_TRUE(n) << n.error().to_string();
  EXPECT_EQ(n->n, 1);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path));
}

}  // namespace

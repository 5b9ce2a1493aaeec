// Opening a Client from lakeorm.toml: every key reaches the option it
// names, and every mistake (unknown key, wrong type, bad unit, bad TOML,
// missing file) is a typed error naming the key and line.
#include <gtest/gtest.h>

#include <fstream>

#include <lake/config.hpp>
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
session_pool_size = 5
default_idempotency_ttl = "2h"

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
  EXPECT_EQ(config->client.default_catalog, "main");
  EXPECT_EQ(config->client.default_database, "sales");
  EXPECT_EQ(config->client.compression, lake::Compression::snappy);
  EXPECT_EQ(config->client.fast_path_threshold, std::int64_t{64} << 20);
  EXPECT_EQ(config->client.staging_batch_bytes, 1048576);
  EXPECT_EQ(config->client.staging_part_bytes, 2'000'000'000);
  EXPECT_EQ(config->client.max_inflight_ingests, 3);
  EXPECT_EQ(config->client.session_pool_size, 5);
  EXPECT_EQ(config->client.default_idempotency_ttl, std::chrono::hours(2));
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
      {"[client]\ncompression = \"lz4\"\n", "unknown value 'lz4' (expected one of: zstd, snappy, gzip, uncompressed)"},
      {"[storage]\nkind = \"s3\"\n", "[storage] kind: unknown value 's3'"},
      {"[storage]\nroot = \"\"\n", "[storage] root: must not be empty"},
      {"[engine]\nkind = \"spark\"\n", "[engine] kind: unknown value 'spark'"},
      {"[engine]\nthreads = -1\n", "must be between 0 and 4096"},
      {"[table]\nformat = \"hudi\"\n", "[table] format: unknown value 'hudi'"},
      {"[clients]\nx = 1\n", "lakeorm.toml:1: unknown section [clients]"},
      {"client = 3\n", "'client' must be a [client] section"},
      {"[client\nx = 1\n", "lakeorm.toml:1:"},
  };
  for (const auto& c : cases) {
    auto config = lake::parse_config(c.toml, ".", "lakeorm.toml");
    const auto message = error_of(config);
    EXPECT_NE(message.find(c.expected), std::string::npos) << c.toml << "\n  got: " << message;
    if (!config) {
      EXPECT_EQ(config.error().code(), lake::ErrorCode::invalid_argument) << c.toml;
    }
  }
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

// The SQLite catalog (src/iceberg/sql_catalog): pyiceberg's and Java's
// tables and rows, checked with SQLite itself; the check-and-put commit
// (a stale base is a conflict that leaves no metadata file), creating
// twice, older catalogs without iceberg_type, rows that are not this
// catalog's tables, and appenders on two connections that all land.
#include <arrow/api.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <thread>

#include <nlohmann/json.hpp>

#include "iceberg/commits.hpp"
#include "iceberg/id_table.hpp"
#include "iceberg/sql_catalog.hpp"
#include "lake/storage/backend.hpp"
#include "support/temp_dir.hpp"

namespace {

using namespace lake::iceberg;
using lake::ErrorCode;

std::shared_ptr<arrow::RecordBatchReader> rows(std::int64_t first, std::int64_t count) {
  return lake::iceberg::testing::id_rows(first, count);
}

NewTable events() { return lake::iceberg::testing::id_table(); }

struct SqlCatalogTest : ::testing::Test {
  lake::testing::TempDir dir{"iceberg-sql-catalog"};
  std::shared_ptr<lake::Backend> backend = *lake::file_backend(dir.path);
  std::string file = (dir.path / "catalog.db").string();
  lake::IcebergCatalog settings{.kind = lake::IcebergCatalogKind::sql, .uri = file};

  // The rows of a query against the catalog file, read with SQLite itself,
  // each row's columns joined with '|' (NULL as "NULL").
  std::vector<std::string> query(const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
    std::vector<std::string> out;
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    while (stmt && sqlite3_step(stmt) == SQLITE_ROW) {
      std::string row;
      for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
        const auto* text = sqlite3_column_text(stmt, c);
        row += (c ? "|" : "") + (text ? std::string(reinterpret_cast<const char*>(text)) : std::string("NULL"));
      }
      out.push_back(row);
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return out;
  }
  void execute(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
    sqlite3_free(error);
    sqlite3_close(db);
  }
  std::size_t metadata_files(const std::string& table) {
    auto listed = backend->list(table + "/metadata/");
    EXPECT_TRUE(listed);
    std::size_t n = 0;
    for (const auto& object : *listed) n += object.key.ends_with(".metadata.json");
    return n;
  }
};

TEST_F(SqlCatalogTest, TablesAreRowsPyIcebergAndJavaRead) {
  SqlCatalog catalog(backend, settings);
  auto created = create_table(catalog, "events", events());
  ASSERT_TRUE(created) << created.error().to_string();
  EXPECT_TRUE(created->location.ends_with(".metadata.json"));
  EXPECT_NE(created->location.find("/events/metadata/00000-"), std::string::npos) << created->location;
  EXPECT_EQ(query("SELECT catalog_name, table_namespace, table_name, metadata_location, previous_metadata_location, "
                  "iceberg_type FROM iceberg_tables"),
            std::vector<std::string>{"default|default|events|" + created->location + "|NULL|TABLE"});
  EXPECT_EQ(query("SELECT catalog_name, namespace, property_key, property_value FROM iceberg_namespace_properties"),
            std::vector<std::string>{"default|default|exists|true"});

  auto input = rows(0, 10);
  auto appended = append(catalog, backend, "events", *input);
  ASSERT_TRUE(appended) << appended.error().to_string();
  EXPECT_NE(appended->location.find("/events/metadata/00001-"), std::string::npos) << appended->location;
  EXPECT_EQ(query("SELECT metadata_location, previous_metadata_location FROM iceberg_tables"),
            std::vector<std::string>{appended->location + "|" + created->location});
  auto loaded = catalog.load("events");
  ASSERT_TRUE(loaded && *loaded) << (loaded ? "no table" : loaded.error().to_string());
  EXPECT_EQ((*loaded)->location, appended->location);
  ASSERT_NE((*loaded)->metadata.current_snapshot(), nullptr);
  EXPECT_EQ((*loaded)->metadata.current_snapshot()->summary.at("added-records"), "10");

  // A table in a folder is in the folder's namespace.
  ASSERT_TRUE(create_table(catalog, "sales/eu/orders", events()));
  EXPECT_EQ(query("SELECT table_namespace FROM iceberg_tables WHERE table_name = 'orders'"),
            std::vector<std::string>{"sales.eu"});
  auto missing = catalog.load("sales/missing");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
}

TEST_F(SqlCatalogTest, DropForgetsTheTableAndOnlyIt) {
  SqlCatalog catalog(backend, settings);
  ASSERT_TRUE(create_table(catalog, "events", events()));
  ASSERT_TRUE(create_table(catalog, "orders", events()));
  ASSERT_TRUE(catalog.drop("events"));
  auto gone = catalog.load("events");
  ASSERT_TRUE(gone);
  EXPECT_FALSE(*gone);
  EXPECT_EQ(query("SELECT table_name FROM iceberg_tables"), std::vector<std::string>{"orders"});
  EXPECT_TRUE(catalog.drop("events")) << "a table that is not there is nothing to do";
  ASSERT_TRUE(create_table(catalog, "events", events())) << "the name is free again";
}

TEST_F(SqlCatalogTest, AStaleBaseIsAConflictAndLeavesNoMetadataFile) {
  SqlCatalog catalog(backend, settings);
  auto base = create_table(catalog, "events", events());
  ASSERT_TRUE(base) << base.error().to_string();
  auto input = rows(0, 1);
  ASSERT_TRUE(append(catalog, backend, "events", *input));
  const std::size_t files = metadata_files("events");
  auto stale = catalog.commit("events", &*base, base->metadata);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code(), ErrorCode::conflict) << stale.error().to_string();
  EXPECT_EQ(metadata_files("events"), files);

  auto again = create_table(catalog, "events", events());
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), ErrorCode::already_exists) << again.error().to_string();
  EXPECT_EQ(metadata_files("events"), files);
}

TEST_F(SqlCatalogTest, ACatalogWithoutIcebergTypeAndRowsThatAreNotItsTables) {
  // The tables as pyiceberg created them before its "v1" schema.
  execute(R"(CREATE TABLE iceberg_tables (catalog_name VARCHAR(255) NOT NULL, table_namespace VARCHAR(255) NOT NULL,
               table_name VARCHAR(255) NOT NULL, metadata_location VARCHAR(1000), previous_metadata_location VARCHAR(1000),
               PRIMARY KEY (catalog_name, table_namespace, table_name));
             CREATE TABLE iceberg_namespace_properties (catalog_name VARCHAR(255) NOT NULL, namespace VARCHAR(255) NOT NULL,
               property_key VARCHAR(255) NOT NULL, property_value VARCHAR(1000) NOT NULL,
               PRIMARY KEY (catalog_name, namespace, property_key));
             INSERT INTO iceberg_tables VALUES ('other', 'default', 'events', 'file:///elsewhere/x.metadata.json', NULL);)");
  {
    SqlCatalog catalog(backend, settings);
    auto loaded = catalog.load("events");
    ASSERT_TRUE(loaded) << loaded.error().to_string();
    EXPECT_FALSE(*loaded) << "another catalog's table of that name";
    auto created = create_table(catalog, "events", events());
    ASSERT_TRUE(created) << created.error().to_string();
    auto input = rows(0, 3);
    ASSERT_TRUE(append(catalog, backend, "events", *input));
  }
  EXPECT_EQ(query("SELECT count(*) FROM iceberg_tables WHERE catalog_name = 'default'"), std::vector<std::string>{"1"});

  // With the column, a view's row is not a table; a row whose metadata is
  // outside the client's storage is refused, naming the table.
  execute(R"(ALTER TABLE iceberg_tables ADD COLUMN iceberg_type VARCHAR(5);
             INSERT INTO iceberg_tables VALUES ('default', 'default', 'recent', 'file:///elsewhere/v.metadata.json', NULL, 'VIEW');
             INSERT INTO iceberg_tables VALUES ('default', 'default', 'far', 'file:///elsewhere/f.metadata.json', NULL, 'TABLE');)");
  SqlCatalog catalog(backend, settings);
  auto view = catalog.load("recent");
  ASSERT_TRUE(view) << view.error().to_string();
  EXPECT_FALSE(*view);
  auto far = catalog.load("far");
  ASSERT_FALSE(far);
  EXPECT_EQ(far.error().code(), ErrorCode::invalid_argument) << far.error().to_string();
  EXPECT_NE(far.error().to_string().find("default.far"), std::string::npos) << far.error().to_string();
  auto events_now = catalog.load("events");
  ASSERT_TRUE(events_now && *events_now);
  EXPECT_EQ((*events_now)->metadata.current_snapshot()->summary.at("total-records"), "3");
}

TEST_F(SqlCatalogTest, AppendersOnTwoConnectionsAllLand) {
  {
    SqlCatalog catalog(backend, settings);
    ASSERT_TRUE(create_table(catalog, "events", events()));
  }
  constexpr int kEach = 10;
  auto appender = [&](std::int64_t first) {
    SqlCatalog catalog(backend, settings);
    for (int i = 0; i < kEach; ++i) {
      auto input = rows(first + i, 1);
      auto appended = append(catalog, backend, "events", *input, {.retry = {.max_attempts = 100}});
      EXPECT_TRUE(appended) << appended.error().to_string();
    }
  };
  std::thread a(appender, 0), b(appender, 1000);
  a.join();
  b.join();
  SqlCatalog catalog(backend, settings);
  auto loaded = catalog.load("events");
  ASSERT_TRUE(loaded && *loaded);
  EXPECT_EQ((*loaded)->metadata.current_snapshot()->summary.at("total-records"), std::to_string(2 * kEach));
  EXPECT_EQ((*loaded)->metadata.snapshots.size(), static_cast<std::size_t>(2 * kEach));
  EXPECT_EQ(metadata_files("events"), static_cast<std::size_t>(2 * kEach + 1)) << "a lost race leaves no metadata file";
}

}  // namespace

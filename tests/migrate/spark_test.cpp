// The files generate writes are Spark SQL that Spark runs (label spark, on
// the run's Spark Connect server): a history of every kind of change on
// Delta and on Iceberg, each file's statements executed in order, with rows
// written between them; the rows come back under the new schema (a
// renamed column keeps its values, a widened one reads in its new type, a
// new one is NULL), and a reversible file's Down section undoes its Up.
#include <gtest/gtest.h>

#include <arrow/api.h>

#include <format>
#include <unistd.h>

#include <lake/client.hpp>
#include <lake/dialect.hpp>
#include <lake/drivers/spark.hpp>
#include <lake/lake.hpp>
#include <lake/migrate.hpp>
#include <lake/storage/backend.hpp>

#include "evolving_structs.hpp"
#include "migrate/goose_file.hpp"
#include "support/spark_connect.hpp"
#include "support/temp_dir.hpp"

namespace {

using namespace lake::testing::migrations;

class MigrationsOnSpark : public ::testing::TestWithParam<std::string> {
 protected:
  bool iceberg() const { return GetParam() == "iceberg"; }
  std::shared_ptr<const lake::Dialect> dialect() const {
    return iceberg() ? lake::iceberg_dialect() : lake::delta_dialect();
  }

  lake::Client open() {
    auto driver = lake::spark::driver(lake::testing::spark_connect_server().url);
    EXPECT_TRUE(driver) << driver.error().to_string();
    auto db = lake::Client::open(*driver, dialect(), std::move(*lake::file_backend(data.path)),
                                 {.default_catalog = iceberg() ? "ice" : "", .default_database = database});
    EXPECT_TRUE(db) << db.error().to_string();
    return std::move(*db);
  }

  // Generates the next file and runs its Up statements on Spark.
  template <class... T>
  void migrate_to(lake::Client& db) {
    const lake::Schema* schemas[] = {&lake::schema_of<T>()...};
    auto written = lake::migrate::generate(files.path, schemas, *dialect(), db.table_defaults(),
                                           {.naming = lake::migrate::Naming::sequential});
    ASSERT_TRUE(written && written->has_value()) << (written ? "nothing written" : written.error().to_string());
    auto file = lake::migrate::parse_migration((*written)->path.filename().string(), read_file((*written)->path));
    ASSERT_TRUE(file) << file.error().to_string();
    for (const auto& statement : file->up) {
      auto ran = db.exec(statement);
      ASSERT_TRUE(ran) << statement << "\n" << ran.error().to_string();
    }
    last = std::move(*file);
  }

  // The rows of a query, each as its values' text.
  std::vector<std::string> rows(lake::Client& db, std::string_view sql) {
    std::vector<std::string> out;
    auto reader = db.query(sql);
    EXPECT_TRUE(reader) << reader.error().to_string();
    if (!reader) return out;
    auto table = (*reader)->ToTable();
    EXPECT_TRUE(table.ok()) << table.status().ToString();
    if (!table.ok()) return out;
    auto combined = (*table)->CombineChunksToBatch();
    EXPECT_TRUE(combined.ok());
    for (std::int64_t row = 0; row < (*combined)->num_rows(); ++row) {
      std::string line;
      for (const auto& column : (*combined)->columns()) {
        auto scalar = column->GetScalar(row);
        line += (line.empty() ? "" : "|") + (scalar.ok() ? (*scalar)->ToString() : std::string("?"));
      }
      out.push_back(std::move(line));
    }
    return out;
  }

  lake::testing::TempDir data{"migrate-spark-data"};
  lake::testing::TempDir files{"migrate-spark-files"};
  lake::migrate::MigrationFile last;
  const std::string database = std::format("lake_migrate_{}_{}", GetParam(), getpid());
};

TEST_P(MigrationsOnSpark, EveryGeneratedFileRunsAndKeepsTheRows) {
  auto db = open();
  ASSERT_NO_FATAL_FAILURE(migrate_to<UsersV1>(db));
  ASSERT_TRUE(db.exec("INSERT INTO users VALUES ('u1', 'a@example.com', 3, 'UK', 'old', NULL), "
                      "('u2', 'b@example.com', 5, 'FR', NULL, NULL)"));
  ASSERT_NO_FATAL_FAILURE((migrate_to<UsersV1, Orders>(db)));
  ASSERT_TRUE(db.exec("INSERT INTO orders VALUES ('o1', 'u1', 12.50, TIMESTAMP_NTZ '2026-12-07 09:30:00', 'eu', NULL)"));
  // email renamed to mail, visits widened, legacy dropped, age added.
  ASSERT_NO_FATAL_FAILURE((migrate_to<UsersV2, Orders>(db)));
  EXPECT_EQ(rows(db, "SELECT id, mail, visits, country, age FROM users ORDER BY id"),
            (std::vector<std::string>{"u1|a@example.com|3|UK|null", "u2|b@example.com|5|FR|null"}));
  ASSERT_TRUE(db.exec("INSERT INTO users (id, mail, visits, country, age, _ingest_id) "
                      "VALUES ('u3', 'c@example.com', 5000000000, 'UK', 41, NULL)"));
  EXPECT_EQ(rows(db, "SELECT id, visits, age FROM users WHERE id = 'u3'"),
            (std::vector<std::string>{"u3|5000000000|41"}));
  // A wider decimal and a new partition (Iceberg: a truncate field; Delta:
  // lake.clusterBy).
  ASSERT_NO_FATAL_FAILURE((migrate_to<UsersV2, OrdersV2>(db)));
  ASSERT_TRUE(db.exec("INSERT INTO orders (id, user_id, total, placed, region, channel, _ingest_id) "
                      "VALUES ('o2', 'u3', 12345678901234.50, NULL, 'us', 'web-shop', NULL)"));
  EXPECT_EQ(rows(db, "SELECT id, CAST(total AS STRING), channel FROM orders ORDER BY id"),
            (std::vector<std::string>{"o1|12.50|null", "o2|12345678901234.50|web-shop"}));
  ASSERT_TRUE(db.close());
}

struct [[=lake::table("events")]] Events {
  [[=lake::pk]] std::string id;
  std::string kind;
};
struct [[=lake::table("events")]] EventsByKind {
  [[=lake::pk]] std::string id;
  [[=lake::merge_key]] std::string kind;
};

TEST_P(MigrationsOnSpark, ADownSectionUndoesItsUp) {
  auto db = open();
  ASSERT_NO_FATAL_FAILURE(migrate_to<Events>(db));
  // A new merge key is a table property: reversible on both formats.
  ASSERT_NO_FATAL_FAILURE(migrate_to<EventsByKind>(db));
  ASSERT_TRUE(last.has_down);
  auto merge_keys = [&] {
    std::vector<std::string> found;
    for (const auto& row : rows(db, "SHOW TBLPROPERTIES events"))
      if (row.starts_with("lake.mergeKeys|")) found.push_back(row);
    return found;
  };
  EXPECT_EQ(merge_keys(), std::vector<std::string>{"lake.mergeKeys|kind"});
  for (const auto& statement : last.down) {
    auto ran = db.exec(statement);
    ASSERT_TRUE(ran) << statement << "\n" << ran.error().to_string();
  }
  EXPECT_TRUE(merge_keys().empty());
  // The first file's Down drops the table.
  auto first = lake::migrate::parse_migration("00001_create_events.sql",
                                              read_file(files.path / "00001_create_events.sql"));
  ASSERT_TRUE(first && first->has_down);
  for (const auto& statement : first->down) ASSERT_TRUE(db.exec(statement)) << statement;
  EXPECT_FALSE(db.query("SELECT * FROM events")) << "the table is gone";
  ASSERT_TRUE(db.close());
}


TEST_P(MigrationsOnSpark, RepartitioningKeepsTheRows) {
  auto db = open();
  ASSERT_NO_FATAL_FAILURE(migrate_to<VisitsByDay>(db));
  ASSERT_TRUE(db.exec("INSERT INTO visits VALUES ('v1', 'mon', '/a', NULL), ('v2', 'tue', '/b', NULL)"));
  // Delta rewrites the table (REPLACE TABLE ... AS SELECT); Iceberg drops
  // the day field and adds the page one.
  ASSERT_NO_FATAL_FAILURE(migrate_to<VisitsByPage>(db));
  EXPECT_EQ(rows(db, "SELECT id, day, page FROM visits ORDER BY id"),
            (std::vector<std::string>{"v1|mon|/a", "v2|tue|/b"}));
  ASSERT_TRUE(db.exec("INSERT INTO visits VALUES ('v3', 'wed', '/c', NULL)"));
  EXPECT_EQ(rows(db, "SELECT count(*) FROM visits"), std::vector<std::string>{"3"});
  ASSERT_TRUE(db.close());
}

INSTANTIATE_TEST_SUITE_P(Formats, MigrationsOnSpark, ::testing::Values("delta", "iceberg"),
                         [](const auto& test) { return test.param; });

}  // namespace

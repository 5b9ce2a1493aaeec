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
#include <lake/local.hpp>
#include <lake/migrate.hpp>
#include <lake/query.hpp>
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

// Client::migrate_apply on Spark: the client creates each table at its
// own location (as migrate<T>() does) and runs the ALTER and REPLACE
// statements; the applied versions land in the lake's lake_migrations.
TEST_P(MigrationsOnSpark, ApplyAndDownRunThroughTheClient) {
  auto db = open();
  ASSERT_TRUE((db.migrate_generate<UsersV1, VisitsByDay, Events>(files.path, {.naming = lake::migrate::Naming::sequential})));
  auto first = db.migrate_apply(files.path);
  ASSERT_TRUE(first) << first.error().to_string();
  EXPECT_EQ(first->version, 1);
  std::vector<UsersV1> users{{.id = "u1", .email = "a@example.com", .visits = 3, .country = "UK", .legacy = "old"}};
  ASSERT_TRUE(db.insert(users));
  std::vector<VisitsByDay> visits{{.id = "v1", .day = "mon", .page = "/a"}, {.id = "v2", .day = "tue", .page = "/b"}};
  ASSERT_TRUE(db.insert(visits));

  ASSERT_TRUE((db.migrate_generate<UsersV2, VisitsByPage, Events>(files.path, {.naming = lake::migrate::Naming::sequential})));
  auto second = db.migrate_apply(files.path);
  ASSERT_TRUE(second) << second.error().to_string();
  EXPECT_EQ(second->version, 2);
  auto matches = db.assert_schema<UsersV2, VisitsByPage>();
  ASSERT_TRUE(matches) << matches.error().to_string();
  auto back = lake::query<UsersV2>(db, "SELECT * FROM users ORDER BY id");
  ASSERT_TRUE(back) << back.error().to_string();
  ASSERT_EQ(back->size(), 1u);
  EXPECT_EQ((*back)[0].mail, "a@example.com");
  EXPECT_EQ(rows(db, "SELECT id, day, page FROM visits ORDER BY id"),
            (std::vector<std::string>{"v1|mon|/a", "v2|tue|/b"}));
  auto status = db.migrate_status(files.path);
  ASSERT_TRUE(status) << status.error().to_string();
  EXPECT_TRUE(status->ok()) << status->to_text();
  EXPECT_EQ(status->current_version(), 2);
  EXPECT_EQ(rows(db, "SELECT count(*) FROM lake_migrations"), std::vector<std::string>{"2"});

  if (!iceberg()) {
    // The tables Spark changed are the client's Delta tables at its own
    // location: the native implementation reads them, renamed column and all.
    auto local = lake::local::open(data.path / database);
    ASSERT_TRUE(local) << local.error().to_string();
    auto native = lake::query<UsersV2>(*local, "SELECT * FROM users");
    ASSERT_TRUE(native) << native.error().to_string();
    ASSERT_EQ(native->size(), 1u);
    EXPECT_EQ((*native)[0].mail, "a@example.com");
    ASSERT_TRUE(local->close());
  }

  // A reversible file undone on Spark, then the version recorded gone.
  ASSERT_TRUE((db.migrate_generate<UsersV2, VisitsByPage, EventsByKind>(files.path,
                                                                        {.naming = lake::migrate::Naming::sequential})));
  ASSERT_TRUE(db.migrate_apply(files.path));
  auto undone = db.migrate_down(files.path);
  ASSERT_TRUE(undone) << undone.error().to_string();
  EXPECT_EQ(undone->version, 2);
  for (const auto& row : rows(db, "SHOW TBLPROPERTIES events")) EXPECT_FALSE(row.starts_with("lake.mergeKeys|")) << row;
  ASSERT_TRUE(db.close());
}

// The other way round: a Delta table migrations changed on the embedded
// engine (column mapping, a rename, type widening, a rewrite into new
// partitions) read by Spark, registered at its location.
TEST(MigrationsAppliedEmbedded, SparkReadsTheChangedDeltaTables) {
  lake::testing::TempDir data("migrate-embedded"), files("migrate-embedded-files");
  // The Spark client's tables are at <root>/<database>/<table>: the
  // embedded client writes them there.
  const std::string database = std::format("lake_migrate_embedded_{}", getpid());
  {
    auto local = lake::local::open(data.path / database);
    ASSERT_TRUE(local) << local.error().to_string();
    ASSERT_TRUE((local->migrate_generate<UsersV1, VisitsByDay>(files.path, {.naming = lake::migrate::Naming::sequential})));
    ASSERT_TRUE(local->migrate_apply(files.path));
    std::vector<UsersV1> users{{.id = "u1", .email = "a@example.com", .visits = 3, .country = "UK", .legacy = "old"}};
    ASSERT_TRUE(local->insert(users));
    std::vector<VisitsByDay> visits{{.id = "v1", .day = "mon", .page = "/a"}, {.id = "v2", .day = "tue", .page = "/b"}};
    ASSERT_TRUE(local->insert(visits));
    ASSERT_TRUE((local->migrate_generate<UsersV2, VisitsByPage>(files.path, {.naming = lake::migrate::Naming::sequential})));
    auto applied = local->migrate_apply(files.path);
    ASSERT_TRUE(applied) << applied.error().to_string();
    std::vector<UsersV2> more{{.id = "u2", .mail = "b@example.com", .visits = 5'000'000'000, .country = "FR", .age = 41}};
    ASSERT_TRUE(local->insert(more));
    ASSERT_TRUE(local->close());
  }
  auto driver = lake::spark::driver(lake::testing::spark_connect_server().url);
  ASSERT_TRUE(driver) << driver.error().to_string();
  auto backend = lake::file_backend(data.path);
  ASSERT_TRUE(backend);
  auto db = lake::Client::open(*driver, lake::delta_dialect(), std::move(*backend), {.default_database = database});
  ASSERT_TRUE(db) << db.error().to_string();
  auto registered = db->migrate<UsersV2, VisitsByPage>();  // registered as they are
  ASSERT_TRUE(registered) << registered.error().to_string();
  auto matches = db->assert_schema<UsersV2, VisitsByPage>();
  ASSERT_TRUE(matches) << matches.error().to_string();
  auto back = lake::query<UsersV2>(*db, "SELECT * FROM users ORDER BY id");
  ASSERT_TRUE(back) << back.error().to_string();
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[0].mail, "a@example.com");
  EXPECT_EQ((*back)[0].visits, 3);
  EXPECT_FALSE((*back)[0].age.has_value());
  EXPECT_EQ((*back)[1].visits, 5'000'000'000);
  auto pages = lake::query<VisitsByPage>(*db, "SELECT * FROM visits ORDER BY id");
  ASSERT_TRUE(pages) << pages.error().to_string();
  ASSERT_EQ(pages->size(), 2u);
  EXPECT_EQ((*pages)[1].page, "/b");
  ASSERT_TRUE(db->close());
}

INSTANTIATE_TEST_SUITE_P(Formats, MigrationsOnSpark, ::testing::Values("delta", "iceberg"),
                         [](const auto& test) { return test.param; });

}  // namespace

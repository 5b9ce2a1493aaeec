// Applying migration files on the embedded engine (Client::migrate_status,
// migrate_apply, migrate_down), for Delta and Iceberg tables: generate →
// apply → write → evolve → generate → apply keeps every row under the new
// schema (a renamed column keeps its values, a repartitioned table its
// rows); the applied versions live in the lake's lake_migrations table;
// a file edited or deleted after it was applied stops apply by name; a
// failing file commits nothing of its table and a run stopped inside a
// file resumes after its committed steps; down runs Down sections and
// stops at an irreversible file. Label unit: local files only
// (tests/migrate/peers_test.cpp reads the applied tables with delta-rs,
// pyiceberg and DuckDB; spark_test.cpp applies on Spark).
#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <string>
#include <thread>

#include <lake/dialect.hpp>
#include <lake/lake.hpp>
#include <lake/local.hpp>
#include <lake/migrate.hpp>
#include <lake/query.hpp>

#include "evolving_structs.hpp"
#include "migrate/goose_file.hpp"
#include "support/temp_dir.hpp"

namespace {

using lake::migrate::Naming;
using namespace lake::testing::migrations;


struct Count {
  std::int64_t n = 0;
};

class MigrateApply : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto db = lake::local::open(data.path, {}, GetParam() == "iceberg" ? lake::TableFormat::iceberg
                                                                        : lake::TableFormat::delta);
    ASSERT_TRUE(db) << db.error().to_string();
    client.emplace(std::move(*db));
  }
  void TearDown() override {
    if (client) {
      EXPECT_TRUE(client->close());
    }
  }

  template <class... T>
  std::filesystem::path generate() {
    auto written = client->migrate_generate<T...>(files.path, {.naming = Naming::sequential});
    EXPECT_TRUE(written && written->has_value()) << (written ? "no changes" : written.error().to_string());
    return written && *written ? (*written)->path : std::filesystem::path();
  }

  lake::migrate::ApplyReport apply(std::optional<std::int64_t> to = {}) {
    auto report = client->migrate_apply(files.path, to);
    EXPECT_TRUE(report) << report.error().to_string();
    return report ? *report : lake::migrate::ApplyReport{};
  }

  lake::migrate::StatusReport status() {
    auto report = client->migrate_status(files.path);
    EXPECT_TRUE(report) << report.error().to_string();
    return report ? *report : lake::migrate::StatusReport{};
  }

  std::int64_t count(std::string_view table) {
    auto row = lake::query_first<Count>(*client, std::format("SELECT count(*) AS n FROM {}", table));
    EXPECT_TRUE(row) << row.error().to_string();
    return row ? row->n : -1;
  }

  std::map<std::string, std::string> properties(const std::string& table) {
    auto info = client->driver().describe({table, table});
    EXPECT_TRUE(info && info->has_value());
    return info && *info ? (*info)->properties : std::map<std::string, std::string>{};
  }

  // Writes `text` as migration `name` and accepts it into atlas.sum (a
  // hand-written file, as `migrate hash` accepts it).
  void write_file(const std::string& name, const std::string& text) {
    std::ofstream(files.path / name, std::ios::binary) << text;
    ASSERT_TRUE(lake::migrate::rehash(files.path));
  }

  lake::testing::TempDir data{"migrate-apply"};
  lake::testing::TempDir files{"migrate-files"};
  std::optional<lake::Client> client;
};

TEST_P(MigrateApply, GenerateApplyEvolveApplyKeepsEveryRow) {
  const auto created = generate<UsersV1, Orders, VisitsByDay>();
  auto before = status();
  ASSERT_EQ(before.migrations.size(), 1u);
  EXPECT_EQ(before.pending(), 1u);
  EXPECT_EQ(before.current_version(), 0);

  auto first = apply();
  ASSERT_EQ(first.files, std::vector<std::string>{created.filename().string()});
  EXPECT_EQ(first.version, 1);
  ASSERT_TRUE((client->assert_schema<UsersV1, Orders, VisitsByDay>()));

  std::vector<UsersV1> users{{.id = "u1", .email = "a@example.com", .visits = 3, .country = "UK", .legacy = "old"}};
  ASSERT_TRUE(client->insert(users));
  std::vector<VisitsByDay> visits{{.id = "v1", .day = "mon", .page = "/a"}, {.id = "v2", .day = "tue", .page = "/b"}};
  ASSERT_TRUE(client->insert(visits));

  generate<UsersV2, OrdersV2, VisitsByPage>();
  EXPECT_EQ(status().pending(), 1u);
  auto second = apply();
  ASSERT_EQ(second.files.size(), 1u);
  EXPECT_EQ(second.version, 2);
  ASSERT_TRUE((client->assert_schema<UsersV2, OrdersV2, VisitsByPage>()));

  // The renamed column kept its values, the widened one reads wide, the
  // new one is NULL; rows written now sit beside them.
  std::vector<UsersV2> more{{.id = "u2", .mail = "b@example.com", .visits = 5'000'000'000, .country = "FR", .age = 41}};
  ASSERT_TRUE(client->insert(more));
  auto back = lake::query<UsersV2>(*client, "SELECT * FROM users ORDER BY id");
  ASSERT_TRUE(back) << back.error().to_string();
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[0].mail, "a@example.com");
  EXPECT_EQ((*back)[0].visits, 3);
  EXPECT_FALSE((*back)[0].age.has_value());
  EXPECT_EQ((*back)[1].visits, 5'000'000'000);
  // Repartitioned (Delta rewrites the table, Iceberg evolves its spec):
  // the rows are all there, and new ones go into the new partitions.
  EXPECT_EQ(count("visits"), 2);
  std::vector<VisitsByPage> later{{.id = "v3", .day = "wed", .page = "/c"}};
  ASSERT_TRUE(client->insert(later));
  auto pages = lake::query<VisitsByPage>(*client, "SELECT * FROM visits ORDER BY id");
  ASSERT_TRUE(pages) << pages.error().to_string();
  ASSERT_EQ(pages->size(), 3u);
  EXPECT_EQ((*pages)[1].page, "/b");

  // The lake records both versions; nothing is left to do.
  auto after = status();
  EXPECT_TRUE(after.ok()) << after.to_text();
  EXPECT_EQ(after.current_version(), 2);
  EXPECT_EQ(after.pending(), 0u);
  ASSERT_TRUE(after.migrations[0].applied_at.has_value());
  EXPECT_EQ(count(lake::migrate::kMigrationsTable), 2);
  auto again = apply();
  EXPECT_TRUE(again.files.empty());
  EXPECT_EQ(again.version, 2);
  EXPECT_NE(after.to_json().find(R"("current_version":2)"), std::string::npos) << after.to_json();
}

TEST_P(MigrateApply, AMissingDirectoryIsNotFoundAndWritesNothing) {
  const auto absent = files.path / "migratoins";
  auto expect_not_found = [&](const auto& result, std::string_view what) {
    ASSERT_FALSE(result) << what;
    EXPECT_EQ(result.error().code(), lake::ErrorCode::not_found) << what;
    EXPECT_NE(result.error().message().find(absent.string()), std::string::npos) << result.error().message();
  };
  expect_not_found(client->migrate_status(absent), "status");
  expect_not_found(client->migrate_apply(absent), "apply");
  expect_not_found(client->migrate_down(absent), "down");
  expect_not_found(lake::migrate::squash(absent, client->dialect()), "squash");
  expect_not_found(lake::migrate::rehash(absent), "hash");
  expect_not_found(lake::migrate::check(absent, {}, client->dialect(), lake::TableDefaults{}), "check, no structs");
  // Against structs, the directory is where the first migration is missing.
  auto report = client->migrate_check<Events>(absent);
  ASSERT_TRUE(report) << report.error().to_string();
  ASSERT_EQ(report->problems.size(), 1u) << report->to_text();
  EXPECT_EQ(report->problems[0].kind, "missing");
  EXPECT_FALSE(std::filesystem::exists(absent));
  auto tables = client->driver().describe({std::string(lake::migrate::kMigrationsTable),
                                           std::string(lake::migrate::kMigrationsTable)});
  ASSERT_TRUE(tables) << tables.error().to_string();
  EXPECT_FALSE(tables->has_value()) << "apply or down wrote lake_migrations";
}

TEST_P(MigrateApply, ApplyStopsAtTheVersionAsked) {
  generate<Events>();
  generate<EventsByKind>();
  EXPECT_EQ(apply(1).version, 1);
  EXPECT_EQ(status().pending(), 1u);
  EXPECT_TRUE(!properties("events").contains("lake.mergeKeys"));
  EXPECT_EQ(apply().version, 2);
  EXPECT_EQ(properties("events").at("lake.mergeKeys"), "kind");
}

TEST_P(MigrateApply, DownRunsDownSectionsAndStopsAtAnIrreversibleFile) {
  generate<Events>();
  const auto keyed = generate<EventsByKind>();
  apply();
  std::vector<EventsByKind> rows{{.id = "e1", .kind = "click"}};
  ASSERT_TRUE(client->insert(rows));

  auto undone = client->migrate_down(files.path);
  ASSERT_TRUE(undone) << undone.error().to_string();
  EXPECT_EQ(undone->files, std::vector<std::string>{keyed.filename().string()});
  EXPECT_EQ(undone->version, 1);
  EXPECT_TRUE(!properties("events").contains("lake.mergeKeys"));
  EXPECT_EQ(count("events"), 1) << "undoing a property change keeps the rows";
  EXPECT_EQ(status().pending(), 1u);

  // Down to 0: the first file's Down drops the table, files and all.
  auto all = client->migrate_down(files.path, 0);
  ASSERT_TRUE(all) << all.error().to_string();
  EXPECT_EQ(all->version, 0);
  auto gone = client->driver().describe({"events", "events"});
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->has_value());
  EXPECT_FALSE(std::filesystem::exists(data.path / "events"));
  // And everything applies again from nothing.
  EXPECT_EQ(apply().version, 2);
  EXPECT_EQ(count("events"), 0);

  // A widening has no Down section: down refuses it by name, undoing nothing.
  generate<Events, UsersV1>();
  const auto widened = generate<Events, UsersV2>();
  apply();
  auto refused = client->migrate_down(files.path, 0);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), lake::ErrorCode::unsupported);
  EXPECT_NE(refused.error().message().find(widened.filename().string()), std::string::npos)
      << refused.error().message();
  EXPECT_EQ(status().current_version(), 4);
}

TEST_P(MigrateApply, AnAppliedFileEditedOrDeletedStopsApplyByName) {
  const auto first = generate<UsersV1>();
  apply();
  generate<UsersV2>();
  // Edited after it was applied (and the sum made to agree, as a careless
  // `migrate hash` would): status and apply both name it.
  std::ofstream(first, std::ios::app) << "-- a later edit\n";
  ASSERT_TRUE(lake::migrate::rehash(files.path));
  auto edited = status();
  EXPECT_FALSE(edited.ok());
  EXPECT_EQ(edited.migrations[0].problem, "edited");
  auto refused = client->migrate_apply(files.path);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), lake::ErrorCode::invalid_argument);
  const auto* detail = refused.error().detail<lake::migrate::MigrationMismatch>();
  ASSERT_NE(detail, nullptr) << refused.error().to_string();
  EXPECT_EQ(detail->file, first.filename().string());
  EXPECT_EQ(detail->problem, "edited");
  EXPECT_FALSE(client->assert_schema<UsersV2>()) << "nothing of the pending file ran";

  // Deleted after it was applied.
  std::filesystem::remove(first);
  ASSERT_TRUE(lake::migrate::rehash(files.path));
  auto missing = status();
  ASSERT_FALSE(missing.migrations.empty());
  EXPECT_EQ(missing.migrations[0].problem, "missing");
  auto refused_again = client->migrate_apply(files.path);
  ASSERT_FALSE(refused_again);
  EXPECT_NE(refused_again.error().message().find(first.filename().string()), std::string::npos);
}

TEST_P(MigrateApply, AnUnappliedFileThatDisagreesWithTheSumStopsApply) {
  const auto first = generate<UsersV1>();
  std::ofstream(first, std::ios::app) << "-- edited after generation\n";
  auto refused = client->migrate_apply(files.path);
  ASSERT_FALSE(refused);
  const auto* detail = refused.error().detail<lake::migrate::MigrationMismatch>();
  ASSERT_NE(detail, nullptr) << refused.error().to_string();
  EXPECT_EQ(detail->problem, "sum");
  EXPECT_FALSE(client->driver().describe({"users", "users"}).value().has_value());
}

TEST_P(MigrateApply, AFailingFileCommitsNothingOfItsTable) {
  generate<UsersV1>();
  apply();
  // Two changes to one table, the second impossible: the first must not land.
  write_file("00002_broken.sql",
             "-- +goose Up\n"
             "ALTER TABLE `users` ADD COLUMNS (`age` BIGINT);\n"
             "ALTER TABLE `users` ALTER COLUMN `nope` TYPE BIGINT;\n");
  auto failed = client->migrate_apply(files.path);
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().message().find("00002_broken.sql"), std::string::npos) << failed.error().message();
  EXPECT_NE(failed.error().message().find("nope"), std::string::npos) << failed.error().message();
  auto users = client->driver().describe({"users", "users"});
  ASSERT_TRUE(users && users->has_value());
  for (const auto& column : (*users)->columns) EXPECT_NE(column.column, "age");
  EXPECT_EQ(status().pending(), 1u);
  EXPECT_EQ(status().current_version(), 1);

  // A statement outside the subset refuses the file before anything runs.
  write_file("00002_broken.sql",
             "-- +goose Up\n"
             "ALTER TABLE `users` ADD COLUMNS (`age` BIGINT);\n"
             "UPDATE users SET visits = 0;\n");
  auto outside = client->migrate_apply(files.path);
  ASSERT_FALSE(outside);
  EXPECT_EQ(outside.error().code(), lake::ErrorCode::unsupported);
  users = client->driver().describe({"users", "users"});
  for (const auto& column : (*users)->columns) EXPECT_NE(column.column, "age");
}

TEST_P(MigrateApply, ARunStoppedInsideAFileResumesAfterItsCommittedSteps) {
  generate<UsersV1, Events>();
  apply();
  // Step 1 (events) commits; step 2 (users) fails.
  write_file("00002_two_tables.sql",
             "-- +goose Up\n"
             "ALTER TABLE `events` ADD COLUMNS (`note` STRING);\n"
             "ALTER TABLE `users` ALTER COLUMN `nope` TYPE BIGINT;\n");
  auto failed = client->migrate_apply(files.path);
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().message().find("step 2 of 2"), std::string::npos) << failed.error().message();
  auto partial = status();
  ASSERT_EQ(partial.migrations.size(), 2u);
  EXPECT_EQ(partial.migrations[1].problem, "partial");
  EXPECT_FALSE(partial.migrations[1].applied);
  // The file is fixed where it failed; apply resumes at step 2 (step 1
  // again would fail: the column is there).
  write_file("00002_two_tables.sql",
             "-- +goose Up\n"
             "ALTER TABLE `events` ADD COLUMNS (`note` STRING);\n"
             "ALTER TABLE `users` ALTER COLUMN `visits` TYPE BIGINT;\n");
  auto resumed = apply();
  EXPECT_EQ(resumed.files, std::vector<std::string>{"00002_two_tables.sql"});
  auto done = status();
  EXPECT_TRUE(done.ok()) << done.to_text();
  EXPECT_EQ(done.current_version(), 2);
}

TEST_P(MigrateApply, RunsAtOnceTakeTurnsAndApplyEachFileOnce) {
  generate<UsersV1, Events>();
  generate<UsersV2, EventsByKind>();
  // Two clients of the one lake (two replicas starting), applying at once.
  auto other = lake::local::open(data.path, {}, GetParam() == "iceberg" ? lake::TableFormat::iceberg
                                                                         : lake::TableFormat::delta);
  ASSERT_TRUE(other) << other.error().to_string();
  lake::Result<lake::migrate::ApplyReport> first = lake::migrate::ApplyReport{}, second = lake::migrate::ApplyReport{};
  std::thread racer([&] { second = other->migrate_apply(files.path); });
  first = client->migrate_apply(files.path);
  racer.join();
  ASSERT_TRUE(first) << first.error().to_string();
  ASSERT_TRUE(second) << second.error().to_string();
  std::vector<std::string> applied = first->files;
  applied.insert(applied.end(), second->files.begin(), second->files.end());
  EXPECT_EQ(applied.size(), 2u) << "each file once, by one of them";
  EXPECT_EQ(first->version, 2);
  EXPECT_EQ(second->version, 2);
  auto after = status();
  EXPECT_TRUE(after.ok()) << after.to_text();
  EXPECT_EQ(count(lake::migrate::kMigrationsTable), 2) << "no lock row left behind";
  ASSERT_TRUE(other->close());
}

// The lock row as a run that crashed left it.
struct [[=lake::table("lake_migrations")]] LockRow {
  [[=lake::pk]] std::int64_t version = 0;
  std::string file;
  std::string checksum;
  lake::timestamp applied_at{};
  std::int64_t steps_done = 0;
  bool complete = false;
};

TEST_P(MigrateApply, ALockLeftByACrashedRunIsTakenOverAfterItsLease) {
  generate<Events>();
  ASSERT_TRUE(client->migrate<LockRow>());
  std::vector<LockRow> stale{{.version = 0, .file = "(lock)", .checksum = "crashed-run",
                              .applied_at = lake::now() - std::chrono::hours(1), .steps_done = 0, .complete = false}};
  ASSERT_TRUE(client->insert(stale));
  auto applied = client->migrate_apply(files.path);
  ASSERT_TRUE(applied) << applied.error().to_string();
  EXPECT_EQ(applied->version, 1);
  EXPECT_EQ(count(lake::migrate::kMigrationsTable), 1);
}

// users after V2: mail renamed again (on Delta, a rename a squashed
// history must still allow: column mapping comes with the squash's CREATE).
struct [[=lake::table("users")]] UsersV3 {
  [[=lake::pk]] std::string id;
  [[=lake::renamed_from("mail")]] std::string contact;
  std::int64_t visits = 0;
  [[=lake::partition]] std::string country;
  std::optional<std::int64_t> age;
};

TEST_P(MigrateApply, ASquashStandsForTheHistoryItReplaces) {
  generate<UsersV1, Events>();
  apply();
  // A second lake stops at the first version.
  lake::testing::TempDir behind_dir{"migrate-behind"};
  auto behind = lake::local::open(behind_dir.path, {}, GetParam() == "iceberg" ? lake::TableFormat::iceberg
                                                                                : lake::TableFormat::delta);
  ASSERT_TRUE(behind) << behind.error().to_string();
  ASSERT_TRUE(behind->migrate_apply(files.path));
  std::vector<UsersV1> users{{.id = "u1", .email = "a@example.com", .visits = 3, .country = "UK", .legacy = {}}};
  ASSERT_TRUE(client->insert(users));
  const auto last = generate<UsersV2, Events>();
  apply();
  auto last_file = lake::migrate::parse_migration(last.filename().string(), read_file(last));
  ASSERT_TRUE(last_file && last_file->state);

  auto squashed = lake::migrate::squash(files.path, client->dialect());
  ASSERT_TRUE(squashed) << squashed.error().to_string();
  EXPECT_EQ(squashed->path.filename(), "00002_squashed.sql");
  auto squash_file = lake::migrate::parse_migration("00002_squashed.sql", read_file(squashed->path));
  ASSERT_TRUE(squash_file) << squash_file.error().to_string();
  EXPECT_EQ(squash_file->state, last_file->state) << "the squash's State-JSON is the last file's";
  EXPECT_EQ(squash_file->squashes, (std::vector<std::string>{"00001_create_events_users.sql", last.filename().string()}));
  std::size_t sql_files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(files.path)) sql_files += entry.path().extension() == ".sql";
  EXPECT_EQ(sql_files, 1u);
  auto checked = client->migrate_check<UsersV2, Events>(files.path);
  ASSERT_TRUE(checked);
  EXPECT_TRUE(checked->ok()) << checked->to_text();

  // This lake applied everything the squash replaces: it is applied.
  auto here = status();
  EXPECT_TRUE(here.ok()) << here.to_text();
  EXPECT_EQ(here.current_version(), 2);
  EXPECT_TRUE(apply().files.empty());
  // A lake that applied part of it is told to apply the originals first.
  auto partly = behind->migrate_apply(files.path);
  ASSERT_FALSE(partly);
  const auto* detail = partly.error().detail<lake::migrate::MigrationMismatch>();
  ASSERT_NE(detail, nullptr) << partly.error().to_string();
  EXPECT_EQ(detail->problem, "squashed-partly");
  ASSERT_TRUE(behind->close());
  // A new lake gets the newest state in one file.
  lake::testing::TempDir fresh_dir{"migrate-fresh"};
  auto fresh = lake::local::open(fresh_dir.path, {}, GetParam() == "iceberg" ? lake::TableFormat::iceberg
                                                                              : lake::TableFormat::delta);
  ASSERT_TRUE(fresh);
  auto created = fresh->migrate_apply(files.path);
  ASSERT_TRUE(created) << created.error().to_string();
  EXPECT_EQ(created->version, 2);
  ASSERT_TRUE((fresh->assert_schema<UsersV2, Events>()));

  // History goes on from the squash on both lakes.
  generate<UsersV3, Events>();
  EXPECT_EQ(apply().version, 3);
  auto moved = fresh->migrate_apply(files.path);
  ASSERT_TRUE(moved) << moved.error().to_string();
  ASSERT_TRUE((fresh->assert_schema<UsersV3, Events>()));
  ASSERT_TRUE((client->assert_schema<UsersV3, Events>()));
  auto kept = lake::query<UsersV3>(*client, "SELECT * FROM users");
  ASSERT_TRUE(kept) << kept.error().to_string();
  ASSERT_EQ(kept->size(), 1u);
  EXPECT_EQ((*kept)[0].contact, "a@example.com");
  ASSERT_TRUE(fresh->close());
}

INSTANTIATE_TEST_SUITE_P(Formats, MigrateApply, ::testing::Values("delta", "iceberg"),
                         [](const auto& test) { return test.param; });

}  // namespace

// Migrations as files (lake/migrate.hpp): what generate writes for each
// kind of change on each table format, what each format refuses, the
// determinism of the files, and what check reports (label unit: files in
// a temporary directory only; tests/migrate/peers_test.cpp holds them
// against goose's parser and Atlas's sum).
#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <string>

#include <lake/dialect.hpp>
#include <lake/lake.hpp>
#include <lake/local.hpp>
#include <lake/migrate.hpp>

#include "migrate/atlas_sum.hpp"
#include "migrate/goose_file.hpp"
#include "evolving_structs.hpp"
#include "support/temp_dir.hpp"

namespace {

using lake::migrate::GenerateOptions;
using lake::migrate::Naming;

using namespace lake::testing::migrations;

std::string read(const std::filesystem::path& file) { return read_file(file); }

template <class... T>
lake::Result<std::optional<lake::migrate::GeneratedFile>> generate(const std::filesystem::path& dir,
                                                                   const lake::Dialect& dialect,
                                                                   GenerateOptions options = {.naming = Naming::sequential}) {
  const lake::Schema* schemas[] = {&lake::schema_of<T>()...};
  return lake::migrate::generate(dir, schemas, dialect, lake::TableDefaults{}, options);
}

template <class... T>
lake::migrate::CheckReport check(const std::filesystem::path& dir, const lake::Dialect& dialect) {
  const lake::Schema* schemas[] = {&lake::schema_of<T>()...};
  auto report = lake::migrate::check(dir, schemas, dialect, lake::TableDefaults{});
  EXPECT_TRUE(report) << report.error().to_string();
  return report ? *report : lake::migrate::CheckReport{};
}

lake::migrate::MigrationFile parsed(const lake::migrate::GeneratedFile& file) {
  auto parsed = lake::migrate::parse_migration(file.path.filename().string(), read(file.path));
  EXPECT_TRUE(parsed) << parsed.error().to_string();
  return parsed ? *parsed : lake::migrate::MigrationFile{};
}

bool has(const std::vector<std::string>& statements, std::string_view text) {
  return std::ranges::any_of(statements, [&](const std::string& s) { return s.find(text) != std::string::npos; });
}

TEST(MigrateGenerate, ANewTableIsOneCreateWithItsStateAndSum) {
  lake::testing::TempDir dir("migrate");
  auto written = generate<UsersV1, Orders>(dir.path, *lake::delta_dialect());
  ASSERT_TRUE(written) << written.error().to_string();
  ASSERT_TRUE(written->has_value());
  EXPECT_EQ((*written)->path.filename(), "00001_create_orders_users.sql");
  EXPECT_TRUE((*written)->destructive.empty());
  auto file = parsed(**written);
  ASSERT_EQ(file.up.size(), 2u);
  // Orders before users: tables go in name order, whatever the call's order.
  EXPECT_TRUE(file.up[0].starts_with("CREATE TABLE `orders` (`id` STRING NOT NULL, `user_id` STRING NOT NULL, "
                                     "`total` DECIMAL(12,2) NOT NULL, `placed` TIMESTAMP_NTZ, `region` STRING NOT NULL, `_ingest_id` STRING) "
                                     "USING DELTA TBLPROPERTIES ("))
      << file.up[0];
  EXPECT_TRUE(has(file.up, "'lake.clusterBy' = 'region'")) << "Delta clusters on bucket columns it cannot partition by";
  EXPECT_TRUE(has(file.up, "'lake.mergeKeys' = 'user_id'"));
  EXPECT_TRUE(file.up[1].starts_with("CREATE TABLE `users` (`id` STRING NOT NULL, `email` STRING NOT NULL, "
                                     "`visits` INT NOT NULL, `country` STRING NOT NULL, `legacy` STRING, "
                                     "`_ingest_id` STRING) USING DELTA PARTITIONED BY (`country`) TBLPROPERTIES ("))
      << file.up[1];
  EXPECT_EQ(file.down, (std::vector<std::string>{"DROP TABLE `users`", "DROP TABLE `orders`"}));
  ASSERT_TRUE(file.state.has_value());
  EXPECT_EQ(file.state->format, "delta");
  ASSERT_TRUE(file.state->tables.contains("users"));
  const auto& users = file.state->tables.at("users");
  ASSERT_EQ(users.columns.size(), 5u);
  EXPECT_EQ(users.columns[2].type, lake::DataType(lake::TypeId::int32));
  EXPECT_EQ(users.primary_keys, std::vector<std::string>{"id"});
  ASSERT_EQ(users.partitions.size(), 1u);
  EXPECT_EQ(users.partitions[0].column, "country");

  auto sum = lake::migrate::compute_sum(dir.path);
  ASSERT_TRUE(sum);
  EXPECT_EQ(read(dir.path / "atlas.sum"), *sum);
  EXPECT_TRUE((check<UsersV1, Orders>(dir.path, *lake::delta_dialect()).ok()));
}

TEST(MigrateGenerate, NothingChangedWritesNothing) {
  lake::testing::TempDir dir("migrate");
  ASSERT_TRUE(generate<UsersV1>(dir.path, *lake::delta_dialect()));
  auto again = generate<UsersV1>(dir.path, *lake::delta_dialect());
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_FALSE(again->has_value());
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path)) files += entry.path().extension() == ".sql";
  EXPECT_EQ(files, 1u);
}

TEST(MigrateGenerate, TheSameStructsGiveTheSameBytes) {
  for (auto dialect : {lake::delta_dialect(), lake::iceberg_dialect()}) {
    lake::testing::TempDir a("migrate"), b("migrate");
    for (const auto* dir : {&a, &b}) {
      ASSERT_TRUE((generate<UsersV1, Orders>(dir->path, *dialect)));
      ASSERT_TRUE((generate<UsersV2, Orders>(dir->path, *dialect)));
    }
    for (const auto* name : {"00001_create_orders_users.sql", "00002_alter_users.sql", "atlas.sum"})
      EXPECT_EQ(read(a.path / name), read(b.path / name)) << dialect->name() << " " << name;
    EXPECT_FALSE(read(a.path / "00002_alter_users.sql").empty());
  }
}

TEST(MigrateGenerate, TimestampVersionsFollowTheClockAndOnlyGrow) {
  lake::testing::TempDir dir("migrate");
  const auto when = std::chrono::sys_days{std::chrono::year{2026} / 12 / 7} + std::chrono::hours(9) +
                    std::chrono::minutes(30) + std::chrono::seconds(5);
  auto first = generate<UsersV1>(dir.path, *lake::delta_dialect(),
                                 {.naming = Naming::timestamp, .name = "", .now = lake::timestamp(when)});
  ASSERT_TRUE(first && first->has_value());
  EXPECT_EQ((*first)->path.filename(), "20261207093005_create_users.sql");
  // A clock that went back (or a second generation in the same second)
  // still gives a later version.
  auto second = generate<UsersV2>(dir.path, *lake::delta_dialect(),
                                  {.naming = Naming::timestamp, .name = "Rename Email!", .now = lake::timestamp(when)});
  ASSERT_TRUE(second && second->has_value()) << (second ? "" : second.error().to_string());
  EXPECT_EQ((*second)->path.filename(), "20261207093006_rename_email.sql");
}

TEST(MigrateGenerate, DeltaRenamesAndDropsThroughColumnMappingAndWidensTypes) {
  lake::testing::TempDir dir("migrate");
  ASSERT_TRUE(generate<UsersV1>(dir.path, *lake::delta_dialect()));
  auto written = generate<UsersV2>(dir.path, *lake::delta_dialect());
  ASSERT_TRUE(written && written->has_value()) << (written ? "" : written.error().to_string());
  auto file = parsed(**written);
  EXPECT_EQ(file.up, (std::vector<std::string>{
                         "ALTER TABLE `users` SET TBLPROPERTIES ('delta.columnMapping.mode' = 'name')",
                         "ALTER TABLE `users` RENAME COLUMN `email` TO `mail`",
                         "ALTER TABLE `users` ADD COLUMNS (`age` BIGINT)",
                         "ALTER TABLE `users` SET TBLPROPERTIES ('delta.enableTypeWidening' = 'true')",
                         "ALTER TABLE `users` ALTER COLUMN `visits` TYPE BIGINT",
                         "ALTER TABLE `users` DROP COLUMN `legacy`",
                     }));
  // Turning column mapping and type widening on, the rename and the drop
  // are destructive; the drop and the features cannot be undone.
  EXPECT_EQ((*written)->destructive.size(), 4u);
  const std::string text = read((*written)->path);
  EXPECT_NE(text.find("-- DESTRUCTIVE: turns on column mapping"), std::string::npos) << text;
  EXPECT_NE(text.find("-- DESTRUCTIVE: drops column legacy and its values"), std::string::npos) << text;
  EXPECT_NE(text.find("-- DESTRUCTIVE: queries and readers that name column email break"), std::string::npos) << text;
  EXPECT_FALSE(file.has_down);
  EXPECT_NE(text.find("-- No Down section"), std::string::npos);
  const auto& users = file.state->tables.at("users");
  EXPECT_EQ(users.features, (std::vector<std::string>{"columnMapping", "typeWidening"}));
  EXPECT_EQ(users.columns[1].name, "mail");
  EXPECT_EQ(users.columns[2].type, lake::DataType(lake::TypeId::int64));
  EXPECT_TRUE(check<UsersV2>(dir.path, *lake::delta_dialect()).ok());
  EXPECT_TRUE(check<UsersV2Tagged>(dir.path, *lake::delta_dialect()).ok()) << "the tag grammar's renamedFrom is the same";
}

TEST(MigrateGenerate, IcebergRenamesByFieldIdAndPromotes) {
  lake::testing::TempDir dir("migrate");
  ASSERT_TRUE(generate<UsersV1>(dir.path, *lake::iceberg_dialect()));
  auto written = generate<UsersV2Tagged>(dir.path, *lake::iceberg_dialect());
  ASSERT_TRUE(written && written->has_value()) << (written ? "" : written.error().to_string());
  auto file = parsed(**written);
  EXPECT_EQ(file.up, (std::vector<std::string>{
                         "ALTER TABLE `users` RENAME COLUMN `email` TO `mail`",
                         "ALTER TABLE `users` ADD COLUMNS (`age` BIGINT)",
                         "ALTER TABLE `users` ALTER COLUMN `visits` TYPE BIGINT",
                         "ALTER TABLE `users` DROP COLUMN `legacy`",
                     }));
  EXPECT_EQ((*written)->destructive.size(), 2u);  // the rename and the drop
  EXPECT_TRUE(file.state->tables.at("users").features.empty());
}

struct [[=lake::table("events")]] EventsV1 {
  [[=lake::pk]] std::string id;
  std::int64_t count = 0;
  std::optional<std::string> note;
  float score = 0;
  lake::decimal<9, 2> amount;
};
struct [[=lake::table("events")]] EventsNarrowed {
  [[=lake::pk]] std::string id;
  std::int32_t count = 0;
  std::optional<std::string> note;
  float score = 0;
  lake::decimal<9, 2> amount;
};
struct [[=lake::table("events")]] EventsRequired {
  [[=lake::pk]] std::string id;
  std::int64_t count = 0;
  std::string note;
  float score = 0;
  lake::decimal<9, 2> amount;
};
struct [[=lake::table("events")]] EventsWithRequiredColumn {
  [[=lake::pk]] std::string id;
  std::int64_t count = 0;
  std::optional<std::string> note;
  float score = 0;
  lake::decimal<9, 2> amount;
  std::string source;
};
struct [[=lake::table("events")]] EventsWidened {
  [[=lake::pk]] std::string id;
  std::int64_t count = 0;
  std::optional<std::string> note;
  double score = 0;
  lake::decimal<18, 2> amount;
};

template <class Before, class After>
lake::Error refusal(const lake::Dialect& dialect) {
  lake::testing::TempDir dir("migrate");
  EXPECT_TRUE(generate<Before>(dir.path, dialect));
  const std::string sum_before = read(dir.path / "atlas.sum");
  auto written = generate<After>(dir.path, dialect);
  EXPECT_FALSE(written) << "the change should be refused";
  // Nothing written: no file, the sum as it was.
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path)) files += entry.path().extension() == ".sql";
  EXPECT_EQ(files, 1u);
  EXPECT_EQ(read(dir.path / "atlas.sum"), sum_before);
  // check reports the same refusal.
  auto report = check<After>(dir.path, dialect);
  EXPECT_EQ(report.problems.size(), 1u);
  if (!report.problems.empty()) {
    EXPECT_EQ(report.problems[0].kind, "refused");
  }
  return written ? lake::Error(lake::ErrorCode::internal, "not refused") : written.error();
}

void expect_refused(const lake::Error& error, std::string_view table, std::string_view column, std::string_view rule) {
  EXPECT_EQ(error.code(), lake::ErrorCode::unsupported) << error.to_string();
  const auto* detail = error.detail<lake::migrate::RefusedChange>();
  ASSERT_NE(detail, nullptr) << error.to_string();
  EXPECT_EQ(detail->table, table);
  EXPECT_EQ(detail->column, column);
  EXPECT_EQ(detail->rule, rule);
  EXPECT_NE(error.message().find(std::string(rule)), std::string::npos) << error.message();
}

TEST(MigrateRules, EachFormatRefusesWhatItsEvolutionRulesForbid) {
  for (auto dialect : {lake::delta_dialect(), lake::iceberg_dialect()}) {
    SCOPED_TRACE(dialect->name());
    const std::string widening = dialect->name() == "delta" ? "delta.type-widening" : "iceberg.type-promotion";
    expect_refused(refusal<EventsV1, EventsNarrowed>(*dialect), "events", "count", widening);
    expect_refused(refusal<EventsV1, EventsWithRequiredColumn>(*dialect), "events", "source",
                   "required-column-without-default");
  }
  expect_refused(refusal<EventsV1, EventsRequired>(*lake::iceberg_dialect()), "events", "note",
                 "iceberg.optional-to-required");
  expect_refused(refusal<EventsV1, EventsRequired>(*lake::delta_dialect()), "events", "note",
                 "delta.nullable-to-not-null");
}

TEST(MigrateRules, SafeChangesPerFormat) {
  // float → double and a decimal's precision widened: both formats.
  for (auto dialect : {lake::delta_dialect(), lake::iceberg_dialect()}) {
    lake::testing::TempDir dir("migrate");
    ASSERT_TRUE(generate<EventsV1>(dir.path, *dialect));
    auto written = generate<EventsWidened>(dir.path, *dialect);
    ASSERT_TRUE(written && written->has_value()) << (written ? "" : written.error().to_string());
    auto file = parsed(**written);
    EXPECT_TRUE(has(file.up, "ALTER TABLE `events` ALTER COLUMN `score` TYPE DOUBLE")) << dialect->name();
    EXPECT_TRUE(has(file.up, "ALTER TABLE `events` ALTER COLUMN `amount` TYPE DECIMAL(18,2)")) << dialect->name();
    EXPECT_EQ(has(file.up, "delta.enableTypeWidening"), dialect->name() == "delta");
  }
  // NOT NULL to nullable: safe on both, and neither can undo it.
  for (auto dialect : {lake::delta_dialect(), lake::iceberg_dialect()}) {
    lake::testing::TempDir dir("migrate");
    ASSERT_TRUE(generate<EventsRequired>(dir.path, *dialect));
    auto relaxed = generate<EventsV1>(dir.path, *dialect);
    ASSERT_TRUE(relaxed && relaxed->has_value());
    auto file = parsed(**relaxed);
    EXPECT_EQ(file.up, std::vector<std::string>{"ALTER TABLE `events` ALTER COLUMN `note` DROP NOT NULL"});
    EXPECT_FALSE(file.has_down) << dialect->name();
    EXPECT_TRUE((*relaxed)->destructive.empty());
  }
}

struct [[=lake::table("visits")]] VisitsByDayAndBucket {
  [[=lake::pk]] std::string id;
  [[=lake::partition]] std::string day;
  [[=lake::partition_bucket(16), =lake::sortable]] std::string page;
};

TEST(MigrateRules, PartitionChanges) {
  {
    // Delta cannot repartition in place: the table is rewritten.
    lake::testing::TempDir dir("migrate");
    ASSERT_TRUE(generate<VisitsByDay>(dir.path, *lake::delta_dialect()));
    auto written = generate<VisitsByPage>(dir.path, *lake::delta_dialect());
    ASSERT_TRUE(written && written->has_value());
    auto file = parsed(**written);
    ASSERT_EQ(file.up.size(), 1u);
    EXPECT_TRUE(file.up[0].starts_with("REPLACE TABLE `visits` USING DELTA PARTITIONED BY (`page`) TBLPROPERTIES ("));
    EXPECT_TRUE(file.up[0].ends_with(" AS SELECT * FROM `visits`"));
    ASSERT_EQ(file.down.size(), 1u);
    EXPECT_TRUE(file.down[0].starts_with("REPLACE TABLE `visits` USING DELTA PARTITIONED BY (`day`)"));
    ASSERT_EQ((*written)->destructive.size(), 1u);
    EXPECT_NE((*written)->destructive[0].find("rewrites every data file"), std::string::npos);
  }
  {
    // Iceberg evolves the spec in place; a bucket field is appended.
    lake::testing::TempDir dir("migrate");
    ASSERT_TRUE(generate<VisitsByDay>(dir.path, *lake::iceberg_dialect()));
    auto written = generate<VisitsByDayAndBucket>(dir.path, *lake::iceberg_dialect());
    ASSERT_TRUE(written && written->has_value());
    auto file = parsed(**written);
    EXPECT_EQ(file.up, std::vector<std::string>{"ALTER TABLE `visits` ADD PARTITION FIELD bucket(16, `page`)"});
    EXPECT_EQ(file.down, std::vector<std::string>{"ALTER TABLE `visits` DROP PARTITION FIELD bucket(16, `page`)"});
    EXPECT_TRUE((*written)->destructive.empty());
    EXPECT_NE(read((*written)->path).find("page is now not indexed, sortable"), std::string::npos)
        << "a declaration hint is part of the state, with no statement";
  }
  {
    // On Delta a bucket is clustering: a property change.
    lake::testing::TempDir dir("migrate");
    ASSERT_TRUE(generate<VisitsByDay>(dir.path, *lake::delta_dialect()));
    auto written = generate<VisitsByDayAndBucket>(dir.path, *lake::delta_dialect());
    ASSERT_TRUE(written && written->has_value());
    auto file = parsed(**written);
    EXPECT_EQ(file.up, std::vector<std::string>{"ALTER TABLE `visits` SET TBLPROPERTIES ('lake.clusterBy' = 'page')"});
    EXPECT_EQ(file.down, std::vector<std::string>{"ALTER TABLE `visits` UNSET TBLPROPERTIES ('lake.clusterBy')"});
  }
}

struct [[=lake::table("users")]] UsersRenamedTwice {
  [[=lake::pk]] std::string id;
  [[=lake::renamed_from("email")]] std::string mail;
  [[=lake::renamed_from("email")]] std::string contact;
  std::int32_t visits = 0;
  [[=lake::partition]] std::string country;
  std::optional<std::string> legacy;
};
struct [[=lake::table("users")]] UsersRenameKeepsOld {
  [[=lake::pk]] std::string id;
  std::string email;
  [[=lake::renamed_from("email")]] std::string mail;
  std::int32_t visits = 0;
  [[=lake::partition]] std::string country;
  std::optional<std::string> legacy;
};

TEST(MigrateRules, RenamesAreDeclaredUnambiguously) {
  expect_refused(refusal<UsersV1, UsersRenamedTwice>(*lake::iceberg_dialect()), "users", "contact", "renamed-from-twice");
  expect_refused(refusal<UsersV1, UsersRenameKeepsOld>(*lake::iceberg_dialect()), "users", "mail",
                 "renamed-from-still-declared");
}

TEST(MigrateRules, KeyChangesAreTablePropertyChanges) {
  struct [[=lake::table("orders")]] OrdersNewKey {
    [[=lake::pk]] std::string id;
    [[=lake::pk]] std::string user_id;
    lake::decimal<12, 2> total;
    std::optional<lake::local_timestamp> placed;
    [[=lake::partition_bucket(8)]] std::string region;
  };
  lake::testing::TempDir dir("migrate");
  ASSERT_TRUE(generate<Orders>(dir.path, *lake::iceberg_dialect()));
  auto written = generate<OrdersNewKey>(dir.path, *lake::iceberg_dialect());
  ASSERT_TRUE(written && written->has_value());
  auto file = parsed(**written);
  EXPECT_EQ(file.up, (std::vector<std::string>{
                         "ALTER TABLE `orders` SET TBLPROPERTIES ('lake.primaryKeys' = 'id,user_id')",
                         "ALTER TABLE `orders` UNSET TBLPROPERTIES ('lake.mergeKeys')"}));
  EXPECT_EQ(file.down, (std::vector<std::string>{
                           "ALTER TABLE `orders` SET TBLPROPERTIES ('lake.mergeKeys' = 'user_id', 'lake.primaryKeys' = "
                           "'id')"}));
  ASSERT_EQ((*written)->destructive.size(), 1u);
  EXPECT_NE((*written)->destructive[0].find("primary key changes"), std::string::npos);
}

TEST(MigrateGenerate, TheDirectoryMustBeForTheClientsFormat) {
  lake::testing::TempDir dir("migrate");
  ASSERT_TRUE(generate<UsersV1>(dir.path, *lake::delta_dialect()));
  auto written = generate<UsersV2>(dir.path, *lake::iceberg_dialect());
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code(), lake::ErrorCode::invalid_argument);
  EXPECT_NE(written.error().message().find("for delta tables"), std::string::npos) << written.error().message();
}

// ---- check -------------------------------------------------------------------

TEST(MigrateCheck, AMissingMigrationIsNamed) {
  lake::testing::TempDir dir("migrate");
  ASSERT_TRUE(generate<UsersV1>(dir.path, *lake::iceberg_dialect()));
  auto report = check<UsersV2>(dir.path, *lake::iceberg_dialect());
  ASSERT_EQ(report.problems.size(), 4u) << report.to_text();
  for (const auto& problem : report.problems) EXPECT_EQ(problem.kind, "missing");
  EXPECT_EQ(report.problems[0].message, "users: rename column email to mail");
  EXPECT_EQ(report.problems[1].message, "users: add column age int64");
  EXPECT_NE(report.to_json().find(R"("ok":false)"), std::string::npos);
  // A table the directory does not cover yet is missing too.
  auto more = check<UsersV1, Orders>(dir.path, *lake::iceberg_dialect());
  ASSERT_EQ(more.problems.size(), 1u);
  EXPECT_EQ(more.problems[0].message, "orders: create table");
}

TEST(MigrateCheck, EditedDeletedAndRenamedFilesAreNamed) {
  lake::testing::TempDir dir("migrate");
  ASSERT_TRUE(generate<UsersV1>(dir.path, *lake::delta_dialect()));
  ASSERT_TRUE(generate<UsersV2>(dir.path, *lake::delta_dialect()));
  ASSERT_TRUE((generate<UsersV2, Orders>(dir.path, *lake::delta_dialect())));
  ASSERT_TRUE((check<UsersV2, Orders>(dir.path, *lake::delta_dialect()).ok()));
  const auto first = dir.path / "00001_create_users.sql";
  const auto second = dir.path / "00002_alter_users.sql";
  const auto third = dir.path / "00003_create_orders.sql";
  const std::string original = read(first);

  // An edit after generation: the edited file is named.
  std::ofstream(first, std::ios::app) << "-- a harmless-looking comment\n";
  auto edited = check<UsersV2, Orders>(dir.path, *lake::delta_dialect());
  ASSERT_EQ(edited.problems.size(), 1u) << edited.to_text();
  EXPECT_EQ(edited.problems[0].kind, "sum");
  EXPECT_EQ(edited.problems[0].file, "00001_create_users.sql");
  EXPECT_NE(edited.problems[0].message.find("edited after it was generated"), std::string::npos);
  // generate refuses to build on files that disagree with the sum.
  struct [[=lake::table("more")]] More {
    std::string id;
  };
  auto refused = generate<UsersV2, Orders, More>(dir.path, *lake::delta_dialect());
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("00001_create_users.sql"), std::string::npos) << refused.error().message();
  std::ofstream(first, std::ios::binary | std::ios::trunc) << original;
  ASSERT_TRUE((check<UsersV2, Orders>(dir.path, *lake::delta_dialect()).ok()));

  // A deleted file.
  const std::string third_text = read(third);
  std::filesystem::remove(third);
  auto deleted = check<UsersV2, Orders>(dir.path, *lake::delta_dialect());
  ASSERT_GE(deleted.problems.size(), 1u);
  EXPECT_EQ(deleted.problems[0].file, "00003_create_orders.sql");
  EXPECT_NE(deleted.problems[0].message.find("is gone"), std::string::npos);
  std::ofstream(third, std::ios::binary) << third_text;

  // Reordered: the second and third swap versions.
  std::filesystem::rename(second, dir.path / "00004_alter_users.sql");
  auto reordered = check<UsersV2, Orders>(dir.path, *lake::delta_dialect());
  ASSERT_GE(reordered.problems.size(), 2u) << reordered.to_text();
  EXPECT_EQ(reordered.problems[0].file, "00002_alter_users.sql");
  EXPECT_EQ(reordered.problems[1].file, "00004_alter_users.sql");

  // rehash accepts the directory as it is.
  ASSERT_TRUE(lake::migrate::rehash(dir.path));
  auto rehashed = check<UsersV2, Orders>(dir.path, *lake::delta_dialect());
  for (const auto& problem : rehashed.problems) EXPECT_NE(problem.kind, "sum") << problem.message;
}

TEST(MigrateCheck, AFileGooseWouldNotReadIsNamed) {
  lake::testing::TempDir dir("migrate");
  ASSERT_TRUE(generate<UsersV1>(dir.path, *lake::iceberg_dialect()));
  std::ofstream(dir.path / "00002_by_hand.sql") << "ALTER TABLE users ADD COLUMNS (x INT);\n";
  std::ofstream(dir.path / "notes.sql") << "-- +goose Up\n";
  ASSERT_TRUE(lake::migrate::rehash(dir.path));
  auto report = check<UsersV1>(dir.path, *lake::iceberg_dialect());
  ASSERT_EQ(report.problems.size(), 2u) << report.to_text();
  EXPECT_EQ(report.problems[0].file, "00002_by_hand.sql");
  EXPECT_NE(report.problems[0].message.find("a statement before '-- +goose Up'"), std::string::npos);
  EXPECT_EQ(report.problems[1].file, "notes.sql");
}

TEST(MigrateCheck, LiveComparesTheTablesWithTheStructs) {
  lake::testing::TempDir data("migrate-live"), dir("migrate");
  auto db = lake::local::open(data.path);
  ASSERT_TRUE(db) << db.error().to_string();
  ASSERT_TRUE(db->migrate<UsersV1>());
  auto first = db->migrate_generate<UsersV1>(dir.path, {.naming = Naming::sequential});
  ASSERT_TRUE(first && first->has_value());
  auto agreed = db->migrate_check<UsersV1>(dir.path, /*live=*/true);
  ASSERT_TRUE(agreed) << agreed.error().to_string();
  EXPECT_TRUE(agreed->ok()) << agreed->to_text();
  // The files move on to V2; the live table is still V1.
  ASSERT_TRUE(db->migrate_generate<UsersV2>(dir.path, {.naming = Naming::sequential}));
  auto files_only = db->migrate_check<UsersV2>(dir.path);
  ASSERT_TRUE(files_only);
  EXPECT_TRUE(files_only->ok()) << files_only->to_text();
  auto drift = db->migrate_check<UsersV2>(dir.path, /*live=*/true);
  ASSERT_TRUE(drift);
  ASSERT_EQ(drift->problems.size(), 1u) << drift->to_text();
  EXPECT_EQ(drift->problems[0].kind, "live");
  EXPECT_NE(drift->problems[0].message.find("column 'mail' (string) is not in the table"), std::string::npos)
      << drift->problems[0].message;
  ASSERT_TRUE(db->close());
}

// ---- the file format and the sum ----------------------------------------------

TEST(MigrateFiles, StatementsWithBreaksOrSemicolonsGoInBlocks) {
  lake::migrate::State state{.format = "delta", .tables = {}};
  const std::vector<lake::migrate::Step> steps{
      {.summary = "t: a property with a ; and a line break",
       .up = {"ALTER TABLE `t` SET TBLPROPERTIES ('note' = 'a;\nb')", "ALTER TABLE `t` ADD COLUMNS (`c` INT)"},
       .down = {"ALTER TABLE `t` UNSET TBLPROPERTIES ('note')"}},
  };
  const std::string text = lake::migrate::render_migration("t", state, steps);
  EXPECT_NE(text.find("-- +goose StatementBegin\nALTER TABLE `t` SET TBLPROPERTIES ('note' = 'a;\nb');\n"
                      "-- +goose StatementEnd\n"),
            std::string::npos)
      << text;
  auto file = lake::migrate::parse_migration("00001_t.sql", text);
  ASSERT_TRUE(file) << file.error().to_string();
  EXPECT_EQ(file->up, steps[0].up);
  EXPECT_EQ(file->down, steps[0].down);
  EXPECT_EQ(file->state, state);
}

TEST(MigrateFiles, VersionsAreGoosesNumbers) {
  EXPECT_EQ(lake::migrate::version_of("00001_create.sql"), 1);
  EXPECT_EQ(lake::migrate::version_of("20261207093005_x.sql"), 20261207093005);
  EXPECT_EQ(lake::migrate::version_of("x_create.sql"), std::nullopt);
  EXPECT_EQ(lake::migrate::version_of("00001.sql"), std::nullopt);
  EXPECT_EQ(lake::migrate::version_of("00000_zero.sql"), std::nullopt);
  EXPECT_EQ(lake::migrate::version_of("00001_x.txt"), std::nullopt);
}

TEST(MigrateFiles, TheSumFollowsAtlasRules) {
  // Names in byte order, running sums, a file marked `atlas:sum ignore`
  // counting by name only. The figures are what Atlas's own NewHashFile
  // gives for these files (tests/migrate/peers_test.cpp computes them with
  // Atlas on every generated directory).
  auto entries = lake::migrate::sum_entries({{"b.sql", "select 2;\n"}, {"a.sql", "select 1;\n"}});
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].name, "a.sql");
  EXPECT_EQ(entries[1].name, "b.sql");
  auto ignoring = lake::migrate::sum_entries(
      {{"b.sql", "select 2;\n"}, {"a.sql", "select 1;\n"}, {"a2.sql", "-- atlas:sum ignore\nselect 3;\n"}});
  ASSERT_EQ(ignoring.size(), 2u);
  EXPECT_EQ(ignoring[0], entries[0]);
  EXPECT_NE(ignoring[1].hash, entries[1].hash) << "the ignored file's name still counts";
  std::vector<lake::migrate::SumEntry> parsed;
  ASSERT_TRUE(lake::migrate::parse_sum(lake::migrate::sum_text(entries), parsed));
  EXPECT_EQ(parsed, entries);
}

}  // namespace

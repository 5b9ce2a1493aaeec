// The DDL lake-orm applies itself, read back (label unit): every statement
// generate writes, up and down, for both formats, parses; the typed forms
// say what the SQL says; anything else is refused by name.
#include <gtest/gtest.h>

#include <lake/dialect.hpp>
#include <lake/lake.hpp>
#include <lake/migrate.hpp>

#include "evolving_structs.hpp"
#include "migrate/ddl_statement.hpp"
#include "migrate/goose_file.hpp"
#include "support/temp_dir.hpp"

namespace {

using namespace lake::testing::migrations;
using namespace lake::migrate;

template <class... T>
void generate(const std::filesystem::path& dir, const lake::Dialect& dialect) {
  const lake::Schema* schemas[] = {&lake::schema_of<T>()...};
  auto written = lake::migrate::generate(dir, schemas, dialect, lake::TableDefaults{}, {.naming = Naming::sequential});
  ASSERT_TRUE(written && written->has_value()) << (written ? "nothing written" : written.error().to_string());
}

TEST(MigrateDdl, EveryGeneratedStatementParses) {
  for (auto dialect : {lake::delta_dialect(), lake::iceberg_dialect()}) {
    lake::testing::TempDir dir("migrate-ddl");
    ASSERT_NO_FATAL_FAILURE(generate<UsersV1>(dir.path, *dialect));
    ASSERT_NO_FATAL_FAILURE((generate<UsersV1, Orders>(dir.path, *dialect)));
    ASSERT_NO_FATAL_FAILURE((generate<UsersV2, Orders>(dir.path, *dialect)));
    ASSERT_NO_FATAL_FAILURE((generate<UsersV2, OrdersV2>(dir.path, *dialect)));
    std::size_t statements = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path)) {
      if (entry.path().extension() != ".sql") continue;
      auto file = parse_migration(entry.path().filename().string(), read_file(entry.path()));
      ASSERT_TRUE(file) << file.error().to_string();
      for (const auto* list : {&file->up, &file->down})
        for (const auto& sql : *list) {
          auto parsed = parse_ddl(sql);
          EXPECT_TRUE(parsed) << dialect->name() << ": " << parsed.error().to_string();
          ++statements;
        }
    }
    EXPECT_GE(statements, 10u) << dialect->name();
  }
}

TEST(MigrateDdl, StatementsReadAsWhatTheySay) {
  auto create = parse_ddl(
      "CREATE TABLE `users` (`id` STRING NOT NULL, `total` DECIMAL(12,2), `tags` ARRAY<STRING>, "
      "`attrs` MAP<STRING,BIGINT>, `home` STRUCT<`city`: STRING NOT NULL, `zip`: STRING>, `_ingest_id` STRING) "
      "USING iceberg PARTITIONED BY (`country`, bucket(16, `id`), truncate(4, `zip`)) "
      "TBLPROPERTIES ('format-version' = '2', 'note' = 'it\\'s a;b')");
  ASSERT_TRUE(create) << create.error().to_string();
  const auto& table = std::get<CreateTableStatement>(*create);
  EXPECT_EQ(table.table, "users");
  EXPECT_EQ(table.format, "iceberg");
  ASSERT_EQ(table.columns.size(), 6u);
  EXPECT_EQ(table.columns[0], (ColumnDefinition{"id", lake::DataType(lake::TypeId::string), false}));
  EXPECT_EQ(table.columns[1].type, lake::DataType::decimal(12, 2));
  EXPECT_TRUE(table.columns[1].nullable);
  EXPECT_EQ(table.columns[2].type.to_string(), "list<string?>");
  EXPECT_EQ(table.columns[3].type.to_string(), "map<string,int64?>");
  EXPECT_EQ(table.columns[4].type.to_string(), "struct<city:string,zip:string?>");
  ASSERT_EQ(table.partitions.size(), 3u);
  EXPECT_EQ(table.partitions[1], (PartitionState{"id", lake::PartitionKind::bucket, 16}));
  EXPECT_EQ(table.partitions[2], (PartitionState{"zip", lake::PartitionKind::truncate, 4}));
  EXPECT_EQ(table.properties.at("note"), "it's a;b");

  auto rename = parse_ddl("ALTER TABLE `users` RENAME COLUMN `e``mail` TO `mail`");
  ASSERT_TRUE(rename);
  EXPECT_EQ(std::get<RenameColumnStatement>(*rename), (RenameColumnStatement{"users", "e`mail", "mail"}));
  auto widen = parse_ddl("alter table users alter column visits type bigint");
  ASSERT_TRUE(widen) << widen.error().to_string();
  EXPECT_EQ(std::get<ChangeColumnTypeStatement>(*widen),
            (ChangeColumnTypeStatement{"users", "visits", lake::DataType(lake::TypeId::int64)}));
  auto relax = parse_ddl("ALTER TABLE `users` ALTER COLUMN `note` DROP NOT NULL");
  ASSERT_TRUE(relax);
  EXPECT_TRUE(std::get<ChangeNullabilityStatement>(*relax).nullable);
  auto unset = parse_ddl("ALTER TABLE `t` UNSET TBLPROPERTIES ('a', 'b')");
  ASSERT_TRUE(unset);
  EXPECT_EQ(std::get<UnsetPropertiesStatement>(*unset).keys, (std::vector<std::string>{"a", "b"}));
  auto field = parse_ddl("ALTER TABLE `t` DROP PARTITION FIELD bucket(8, `region`)");
  ASSERT_TRUE(field);
  EXPECT_EQ(std::get<PartitionFieldStatement>(*field),
            (PartitionFieldStatement{"t", false, {"region", lake::PartitionKind::bucket, 8}}));
  auto replace = parse_ddl("REPLACE TABLE `v` USING DELTA PARTITIONED BY (`page`) AS SELECT * FROM `v`");
  ASSERT_TRUE(replace);
  EXPECT_EQ(std::get<ReplaceTableStatement>(*replace).partitions,
            (std::vector<PartitionState>{{"page", lake::PartitionKind::raw, 0}}));
  EXPECT_EQ(table_of(*replace), "v");
}

TEST(MigrateDdl, AlterStatementsAreTheFormatLayersChanges) {
  auto add = table_change(*parse_ddl("ALTER TABLE `users` ADD COLUMNS (`age` BIGINT)"));
  ASSERT_TRUE(add && add->has_value());
  const auto& columns = std::get<lake::formats::AddColumns>(**add).columns;
  ASSERT_EQ(columns.size(), 1u);
  EXPECT_EQ(columns[0].column, "age");
  EXPECT_TRUE(columns[0].nullable);
  auto rename = table_change(*parse_ddl("ALTER TABLE `users` RENAME COLUMN `email` TO `mail`"));
  ASSERT_TRUE(rename && rename->has_value());
  EXPECT_EQ(std::get<lake::formats::RenameColumn>(**rename).to, "mail");
  auto field = table_change(*parse_ddl("ALTER TABLE `t` ADD PARTITION FIELD truncate(4, `zip`)"));
  ASSERT_TRUE(field && field->has_value());
  EXPECT_EQ(std::get<lake::formats::PartitionFieldChange>(**field).param, 4);
  auto rewrite = table_change(*parse_ddl(
      "REPLACE TABLE `v` USING DELTA PARTITIONED BY (`day`) TBLPROPERTIES ('k' = 'v') AS SELECT * FROM `v`"));
  ASSERT_TRUE(rewrite && rewrite->has_value());
  const auto& repartition = std::get<lake::formats::Repartition>(**rewrite);
  ASSERT_EQ(repartition.partitioning.size(), 1u);
  EXPECT_EQ(repartition.partitioning[0].column, "day");
  EXPECT_EQ(repartition.properties.at("k"), "v");
  auto create = table_change(*parse_ddl("CREATE TABLE `t` (`a` INT) USING DELTA"));
  ASSERT_TRUE(create);
  EXPECT_FALSE(create->has_value()) << "a create is not a change to a table";
  auto tighten = table_change(*parse_ddl("ALTER TABLE `t` ALTER COLUMN `a` SET NOT NULL"));
  ASSERT_FALSE(tighten);
  EXPECT_EQ(tighten.error().code(), lake::ErrorCode::unsupported);
}

TEST(MigrateDdl, OtherStatementsAreRefusedByName) {
  for (std::string_view sql : {"UPDATE users SET age = 1", "INSERT INTO users VALUES ('a')",
                               "ALTER TABLE users ADD CONSTRAINT c CHECK (age > 0)",
                               "REPLACE TABLE v USING DELTA AS SELECT * FROM other"}) {
    auto parsed = parse_ddl(sql);
    ASSERT_FALSE(parsed) << sql;
    EXPECT_EQ(parsed.error().code(), lake::ErrorCode::unsupported) << parsed.error().to_string();
    EXPECT_NE(parsed.error().message().find(sql.substr(0, 10)), std::string::npos) << parsed.error().message();
  }
  for (std::string_view sql : {"ALTER TABLE users RENAME COLUMN a", "CREATE TABLE t (a STRING",
                               "ALTER TABLE t ADD COLUMNS (a INT) extra", "ALTER TABLE t SET TBLPROPERTIES ('a' = 'b)",
                               "CREATE TABLE t (a DECIMAL(40,2)) USING DELTA"}) {
    auto parsed = parse_ddl(sql);
    ASSERT_FALSE(parsed) << sql;
    EXPECT_EQ(parsed.error().code(), lake::ErrorCode::invalid_argument) << parsed.error().to_string();
  }
}

}  // namespace

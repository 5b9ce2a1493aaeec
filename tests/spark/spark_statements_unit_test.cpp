// The Spark driver's SQL, without a server: predicates become quoted
// columns and bound `?` values (never text), and each write plan's
// statement has the clauses its options ask for.
#include <gtest/gtest.h>

#include <arrow/array.h>
#include <arrow/builder.h>
#include <arrow/compute/api_scalar.h>

#include <cstdlib>

#include <lake/drivers/spark.hpp>

#include "dialects/delta_sql_format.hpp"
#include "dialects/iceberg_metadata.hpp"
#include "dialects/iceberg_sql_format.hpp"
#include "drivers/spark/write_statements.hpp"
#include "sql/expression_sql.hpp"

namespace {

namespace cp = arrow::compute;
using lake::SqlValue;

TEST(SparkExpressionSql, ValuesAreBoundAndColumnsQuoted) {
  auto expr = cp::and_(cp::greater(cp::field_ref("age"), cp::literal(std::int64_t{18})),
                       cp::equal(cp::field_ref("na`me"), cp::literal("x' OR '1'='1")));
  auto sql = lake::spark_sql::to_spark_sql(expr);
  ASSERT_TRUE(sql) << sql.error().to_string();
  EXPECT_EQ(sql->text, "((`age` > ?) AND (`na``me` = ?))");
  ASSERT_EQ(sql->params.size(), 2u);
  EXPECT_EQ(sql->params[0], SqlValue(std::int64_t{18}));
  EXPECT_EQ(sql->params[1], SqlValue(std::string("x' OR '1'='1")));

  auto qualified = lake::spark_sql::to_spark_sql(cp::is_null(cp::field_ref("country")), "source");
  ASSERT_TRUE(qualified);
  EXPECT_EQ(qualified->text, "(`source`.`country` IS NULL)");
  EXPECT_TRUE(qualified->params.empty());

  auto negated = lake::spark_sql::to_spark_sql(cp::not_(cp::is_valid(cp::field_ref("x"))));
  ASSERT_TRUE(negated);
  EXPECT_EQ(negated->text, "(NOT (`x` IS NOT NULL))");
}

TEST(SparkExpressionSql, IsInBindsEveryValueAndUnknownFunctionsAreNamed) {
  arrow::StringBuilder builder;
  ASSERT_TRUE(builder.AppendValues({"NL", "UK"}).ok());
  auto values = builder.Finish().ValueOrDie();
  auto in = lake::spark_sql::to_spark_sql(cp::call("is_in", {cp::field_ref("country")}, cp::SetLookupOptions(values)));
  ASSERT_TRUE(in) << in.error().to_string();
  EXPECT_EQ(in->text, "(`country` IN (?, ?))");
  EXPECT_EQ(in->params, (std::vector<SqlValue>{std::string("NL"), std::string("UK")}));

  auto odd = lake::spark_sql::to_spark_sql(cp::call("utf8_length", {cp::field_ref("name")}));
  ASSERT_FALSE(odd);
  EXPECT_EQ(odd.error().code(), lake::ErrorCode::unsupported);
  EXPECT_NE(odd.error().message().find("utf8_length"), std::string::npos);

  auto typed = lake::spark_sql::to_spark_sql(cp::less(
      cp::field_ref("at"),
      cp::literal(std::make_shared<arrow::TimestampScalar>(1'500, arrow::timestamp(arrow::TimeUnit::MILLI, "UTC")))));
  ASSERT_TRUE(typed);
  EXPECT_EQ(typed->params.at(0), SqlValue(lake::timestamp(std::chrono::microseconds(1'500'000))));
  // A zone-less timestamp is a local reading (TIMESTAMP_NTZ).
  auto local = lake::spark_sql::to_spark_sql(
      cp::less(cp::field_ref("at"), cp::literal(std::make_shared<arrow::TimestampScalar>(1'500, arrow::timestamp(arrow::TimeUnit::MILLI)))));
  ASSERT_TRUE(local);
  EXPECT_EQ(local->params.at(0), SqlValue(lake::local_timestamp(std::chrono::microseconds(1'500'000))));
}

TEST(SparkWriteStatements, InsertReadsTheSourceByColumn) {
  auto insert = lake::spark::insert_statement("events", {"seq", "_ingest_id"},
                                              lake::spark::parquet_source("file:///lake/_staging/x/"));
  EXPECT_EQ(insert.sql,
            "INSERT INTO `events` (`seq`, `_ingest_id`) SELECT `seq`, `_ingest_id` FROM "
            "parquet.`file:///lake/_staging/x/`");
}

TEST(SparkWriteStatements, MergeIsBoundedByTheIngestIdAndFollowsItsOptions) {
  lake::spark::MergeSpec merge{.table = "accounts",
                               .source = "`lake_rows_1`",
                               .ingest_id = "0193-id",
                               .keys = {"id"},
                               .on_match = lake::OnMatch::update,
                               .on_no_match = lake::OnNoMatch::insert,
                               .source_filter = cp::greater_equal(cp::field_ref("balance"), cp::literal(0))};
  auto upsert = lake::spark::merge_statement(merge);
  ASSERT_TRUE(upsert && *upsert) << upsert.error().to_string();
  EXPECT_EQ((*upsert)->sql,
            "MERGE INTO `accounts` AS target USING (SELECT * FROM `lake_rows_1` WHERE `_ingest_id` = ? AND "
            "(`balance` >= ?)) AS source ON target.`id` = source.`id` WHEN MATCHED THEN UPDATE SET * WHEN NOT "
            "MATCHED THEN INSERT *");
  EXPECT_EQ((*upsert)->params, (std::vector<SqlValue>{std::string("0193-id"), std::int64_t{0}}));

  merge.source_filter.reset();
  merge.on_match = lake::OnMatch::remove;
  merge.on_no_match = lake::OnNoMatch::skip;
  auto remove = lake::spark::merge_statement(merge);
  ASSERT_TRUE(remove && *remove);
  EXPECT_TRUE((*remove)->sql.ends_with("ON target.`id` = source.`id` WHEN MATCHED THEN DELETE")) << (*remove)->sql;

  merge.on_match = lake::OnMatch::fail;
  merge.on_no_match = lake::OnNoMatch::insert;
  auto strict = lake::spark::merge_statement(merge);
  ASSERT_TRUE(strict && *strict);
  EXPECT_NE((*strict)->sql.find("WHEN MATCHED AND raise_error("), std::string::npos) << (*strict)->sql;

  merge.on_match = lake::OnMatch::skip;
  merge.on_no_match = lake::OnNoMatch::skip;
  auto nothing = lake::spark::merge_statement(merge);
  ASSERT_TRUE(nothing);
  EXPECT_FALSE(*nothing) << "skip and skip: no statement at all";

  merge.keys.clear();
  EXPECT_FALSE(lake::spark::merge_statement(merge));
}

TEST(SparkWriteStatements, MaintenanceStatements) {
  auto optimize = lake::dialects::delta::optimize_statement("events", cp::equal(cp::field_ref("day"), cp::literal("2026-11-22")),
                                                  {"seq", "name"});
  ASSERT_TRUE(optimize);
  EXPECT_EQ(optimize->sql, "OPTIMIZE `events` WHERE (`day` = '2026-11-22') ZORDER BY (`seq`, `name`)");
  EXPECT_TRUE(optimize->params.empty());
  EXPECT_EQ(lake::dialects::delta::vacuum_statement("events", 0, true).sql, "VACUUM `events` RETAIN 0 HOURS DRY RUN");
  EXPECT_EQ(lake::dialects::delta::vacuum_statement("events", std::nullopt, false).sql, "VACUUM `events`");
  auto deleted = lake::spark::delete_statement("events", cp::less(cp::field_ref("seq"), cp::literal(std::int64_t{5})));
  ASSERT_TRUE(deleted);
  EXPECT_EQ(deleted->sql, "DELETE FROM `events` WHERE (`seq` < ?)");
}

// Iceberg's procedures take a predicate as a string, so its values are
// written in as literals: quotes escaped, text never able to end the
// literal it is in.
TEST(SparkIcebergStatements, RewriteDataFilesWritesThePredicateAsLiterals) {
  const lake::dialects::iceberg::TableName name{
      .catalog = "`ice`", .sql = "`ice`.`db`.`events`", .procedure_argument = "'`db`.`events`'"};
  auto where = cp::and_(cp::equal(cp::field_ref("day"), cp::literal("it's 2026\\")),
                        cp::greater(cp::field_ref("seq?"), cp::literal(std::int64_t{5})));
  auto statement = lake::dialects::iceberg::rewrite_data_files_statement(name, where, {"seq", "name"}, 1 << 20);
  ASSERT_TRUE(statement) << statement.error().to_string();
  EXPECT_EQ(statement->sql,
            "CALL `ice`.system.rewrite_data_files(table => '`db`.`events`', strategy => 'sort', sort_order => "
            "'zorder(seq,name)', where => "
            R"('((`day` = \'it\\\'s 2026\\\\\') AND (`seq?` > 5))', )"
            "options => map('min-input-files', '2', 'target-file-size-bytes', '1048576'))");
  EXPECT_TRUE(statement->params.empty());
  auto plain = lake::dialects::iceberg::rewrite_data_files_statement(name, std::nullopt, {}, std::nullopt);
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->sql, "CALL `ice`.system.rewrite_data_files(table => '`db`.`events`', options => "
                        "map('min-input-files', '2'))");
}

TEST(SparkWriteStatements, MergeCountsReadTheBoundedSource) {
  lake::spark::MergeSpec merge{.table = "accounts", .source = "`v`", .ingest_id = "id-1", .keys = {"id"}};
  auto counts = lake::spark::merge_count_query(merge);
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->sql,
            "SELECT count(*) AS source_rows, count(target.`__lake_matched`) AS matched_rows FROM (SELECT * FROM `v` "
            "WHERE `_ingest_id` = ?) AS source LEFT JOIN (SELECT DISTINCT `id`, true AS `__lake_matched` FROM "
            "`accounts`) AS target ON target.`id` = source.`id`");
  ASSERT_EQ(counts->params.size(), 1u);
}

// Concurrent writes Iceberg refuses with nothing committed carry no error
// class: the format recognises them by exception class or text, so the
// Spark driver runs them again. Delta's carry error classes the engine
// types itself.
TEST(SqlFormats, IcebergRecognisesItsLostCommitRaces) {
  const auto iceberg = lake::dialects::iceberg::sql_format();
  EXPECT_TRUE(iceberg->lost_commit_race("org.apache.iceberg.exceptions.ValidationException",
                                        "Found conflicting files that can contain records matching true: [f]"));
  EXPECT_TRUE(iceberg->lost_commit_race("org.apache.iceberg.exceptions.CommitFailedException",
                                        "Cannot commit: stale metadata"));
  EXPECT_TRUE(iceberg->lost_commit_race("java.lang.IllegalStateException",
                                        "Runtime file filtering is not possible: the table has been concurrently "
                                        "modified. Row-level operation scan snapshot ID: 1, current table snapshot "
                                        "ID: 2."));
  // Other validation failures are not.
  EXPECT_FALSE(iceberg->lost_commit_race("org.apache.iceberg.exceptions.ValidationException",
                                         "Cannot write incompatible dataset to table"));
  EXPECT_FALSE(lake::dialects::delta::sql_format()->lost_commit_race(
      "org.apache.iceberg.exceptions.CommitFailedException", "Cannot commit: stale metadata"));
}

TEST(DatabricksSettings, FromTheStandardEnvironmentVariables) {
  for (const char* name : {"DATABRICKS_HOST", "DATABRICKS_CLUSTER_ID", "DATABRICKS_TOKEN", "DATABRICKS_CLIENT_ID",
                           "DATABRICKS_CLIENT_SECRET", "DATABRICKS_OAUTH_TOKEN_URL"})
    ::unsetenv(name);
  auto none = lake::spark::databricks_settings_from_environment();
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message().find("DATABRICKS_HOST"), std::string::npos);
  ::setenv("DATABRICKS_HOST", "https://adb-1.2.azuredatabricks.net", 1);
  ::setenv("DATABRICKS_CLUSTER_ID", "0123-456789-abc", 1);
  auto no_credentials = lake::spark::databricks_settings_from_environment();
  ASSERT_FALSE(no_credentials);
  EXPECT_NE(no_credentials.error().message().find("DATABRICKS_TOKEN"), std::string::npos);
  ::setenv("DATABRICKS_CLIENT_ID", "sp", 1);
  ::setenv("DATABRICKS_CLIENT_SECRET", "very-secret", 1);
  auto settings = lake::spark::databricks_settings_from_environment();
  ASSERT_TRUE(settings) << settings.error().to_string();
  EXPECT_EQ(settings->cluster_id, "0123-456789-abc");
  EXPECT_EQ(settings->client_id, "sp");
  // Nothing is contacted yet: the driver only holds the settings.
  auto driver = lake::spark::databricks_driver(*settings);
  ASSERT_TRUE(driver) << driver.error().to_string();
  EXPECT_EQ((*driver)->name(), "spark");
  EXPECT_EQ(settings->host, "adb-1.2.azuredatabricks.net");
  EXPECT_EQ(settings->port, 443);
  EXPECT_TRUE(settings->use_tls);

  // A URL's port is the port; http:// is for a loopback stand-in only.
  ::setenv("DATABRICKS_HOST", "https://adb-1.2.azuredatabricks.net:8443/", 1);
  auto with_port = lake::spark::databricks_settings_from_environment();
  ASSERT_TRUE(with_port) << with_port.error().to_string();
  EXPECT_EQ(with_port->host, "adb-1.2.azuredatabricks.net");
  EXPECT_EQ(with_port->port, 8443);
  ::setenv("DATABRICKS_HOST", "http://127.0.0.1:15002", 1);
  auto local = lake::spark::databricks_settings_from_environment();
  ASSERT_TRUE(local) << local.error().to_string();
  EXPECT_EQ(local->host, "127.0.0.1");
  EXPECT_EQ(local->port, 15002);
  EXPECT_FALSE(local->use_tls);
  ::setenv("DATABRICKS_HOST", "http://adb-1.2.azuredatabricks.net", 1);
  auto in_clear = lake::spark::databricks_settings_from_environment();
  ASSERT_FALSE(in_clear);
  EXPECT_NE(in_clear.error().message().find("in clear"), std::string::npos) << in_clear.error().message();
  ::setenv("DATABRICKS_HOST", "https://adb-1.2.azuredatabricks.net:99999", 1);
  EXPECT_FALSE(lake::spark::databricks_settings_from_environment());
  ::setenv("DATABRICKS_HOST", "ftp://adb-1.2.azuredatabricks.net", 1);
  EXPECT_FALSE(lake::spark::databricks_settings_from_environment());
  ::setenv("DATABRICKS_HOST", "https://adb-1.2.azuredatabricks.net", 1);

  ::setenv("DATABRICKS_TOKEN", "dapi-x", 1);
  auto both = lake::spark::databricks_driver(*lake::spark::databricks_settings_from_environment());
  ASSERT_FALSE(both);
  EXPECT_EQ(both.error().message().find("very-secret"), std::string::npos);
  EXPECT_EQ(both.error().message().find("dapi-x"), std::string::npos);
}

}  // namespace

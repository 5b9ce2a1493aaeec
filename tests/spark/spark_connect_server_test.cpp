// The Spark Connect client against a real local Spark Connect server (the
// run's spark_connect fixture: Spark 4.0.5 from pip, Delta 4.4.0 as the
// default catalog, Iceberg 1.11.0 as catalog `ice`, a bearer token
// required). Label `spark`.
#include <gtest/gtest.h>

#include <arrow/api.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <format>
#include <fstream>
#include <print>
#include <sstream>
#include <string>
#include <thread>

#include "drivers/spark/session.hpp"
#include "drivers/spark/session_pool.hpp"
#include "drivers/spark/spark_errors.hpp"
#include "support/spark_connect.hpp"

namespace {

using lake::ErrorCode;
using lake::SqlValue;
using lake::spark::NamedSqlValue;
using lake::spark::Session;
using namespace std::chrono_literals;

std::unique_ptr<Session> open_session() {
  const auto& server = lake::testing::spark_connect_server();
  auto session = Session::open(server.url);
  EXPECT_TRUE(session) << session.error().to_string();
  return session ? std::move(*session) : nullptr;
}

std::shared_ptr<arrow::Table> query_all(Session& session, std::string_view sql, lake::spark::SqlArguments arguments = {}) {
  auto reader = session.query(sql, arguments);
  EXPECT_TRUE(reader) << reader.error().to_string();
  if (!reader) return nullptr;
  auto table = reader->read_all();
  EXPECT_TRUE(table) << table.error().to_string();
  return table ? *table : nullptr;
}

template <class ArrayType>
auto value_at(const arrow::Table& table, std::string_view column, std::int64_t row = 0) {
  auto chunked = table.GetColumnByName(std::string(column));
  EXPECT_NE(chunked, nullptr) << "no column " << column;
  auto array = std::static_pointer_cast<ArrayType>(chunked->Slice(row, 1)->chunk(0));
  if constexpr (std::is_same_v<ArrayType, arrow::StringArray>) {
    return std::string(array->GetView(0));
  } else {
    return array->Value(0);
  }
}

TEST(SparkConnectServer, ReportsItsVersion) {
  auto session = open_session();
  ASSERT_TRUE(session);
  auto version = session->spark_version();
  ASSERT_TRUE(version) << version.error().to_string();
  EXPECT_TRUE(version->starts_with("4.")) << *version;
}

TEST(SparkConnectServer, SqlRoundTripWithTypedColumns) {
  auto session = open_session();
  ASSERT_TRUE(session);
  auto table = query_all(*session,
                         "SELECT CAST(7 AS INT) AS i, CAST(1234567890123 AS BIGINT) AS l, 1.5D AS d, 'héllo' AS s, "
                         "true AS b, DATE'2024-01-02' AS dt, TIMESTAMP_NTZ'2024-01-02 03:04:05.123456' AS ts, "
                         "CAST(12.34 AS DECIMAL(10,2)) AS dec, CAST(NULL AS STRING) AS n");
  ASSERT_TRUE(table);
  ASSERT_EQ(table->num_rows(), 1);
  const auto& schema = *table->schema();
  EXPECT_TRUE(schema.GetFieldByName("i")->type()->Equals(arrow::int32()));
  EXPECT_TRUE(schema.GetFieldByName("l")->type()->Equals(arrow::int64()));
  EXPECT_TRUE(schema.GetFieldByName("d")->type()->Equals(arrow::float64()));
  EXPECT_TRUE(schema.GetFieldByName("s")->type()->Equals(arrow::utf8()));
  EXPECT_TRUE(schema.GetFieldByName("b")->type()->Equals(arrow::boolean()));
  EXPECT_TRUE(schema.GetFieldByName("dt")->type()->Equals(arrow::date32()));
  EXPECT_TRUE(schema.GetFieldByName("ts")->type()->Equals(arrow::timestamp(arrow::TimeUnit::MICRO)));
  EXPECT_TRUE(schema.GetFieldByName("dec")->type()->Equals(arrow::decimal128(10, 2)));
  EXPECT_EQ(value_at<arrow::Int32Array>(*table, "i"), 7);
  EXPECT_EQ(value_at<arrow::Int64Array>(*table, "l"), 1234567890123);
  EXPECT_EQ(value_at<arrow::DoubleArray>(*table, "d"), 1.5);
  EXPECT_EQ(value_at<arrow::StringArray>(*table, "s"), "héllo");
  EXPECT_TRUE(value_at<arrow::BooleanArray>(*table, "b"));
  EXPECT_EQ(value_at<arrow::Date32Array>(*table, "dt"), 19724);  // 2024-01-02
  EXPECT_EQ(value_at<arrow::TimestampArray>(*table, "ts"), 1704164645123456);
  EXPECT_EQ(table->GetColumnByName("dec")->chunk(0)->ToString().find("12.34") != std::string::npos, true);
  EXPECT_TRUE(table->GetColumnByName("n")->chunk(0)->IsNull(0));
}

TEST(SparkConnectServer, PositionalParametersAreBoundNotSpliced) {
  auto session = open_session();
  ASSERT_TRUE(session);
  const SqlValue values[] = {std::int64_t{41}, std::string("it's"), 0.25, true, nullptr,
                             lake::date{std::chrono::days{19724}},
                             lake::timestamp{std::chrono::microseconds{1704164645123456}},
                             lake::SqlDecimal{.unscaled = 1234, .precision = 10, .scale = 2},
                             lake::local_timestamp{std::chrono::microseconds{1704164645123456}}};
  auto table = query_all(*session, "SELECT ? + 1 AS a, ? AS b, ? AS c, ? AS d, ? AS e, ? AS f, ? AS g, ? AS h, ? AS i",
                         {.positional = values});
  ASSERT_TRUE(table);
  ASSERT_EQ(table->num_rows(), 1);
  EXPECT_EQ(value_at<arrow::Int64Array>(*table, "a"), 42);
  EXPECT_EQ(value_at<arrow::StringArray>(*table, "b"), "it's");
  EXPECT_EQ(value_at<arrow::DoubleArray>(*table, "c"), 0.25);
  EXPECT_TRUE(value_at<arrow::BooleanArray>(*table, "d"));
  EXPECT_TRUE(table->GetColumnByName("e")->chunk(0)->IsNull(0));
  EXPECT_EQ(value_at<arrow::Date32Array>(*table, "f"), 19724);
  EXPECT_EQ(value_at<arrow::TimestampArray>(*table, "g"), 1704164645123456);
  EXPECT_TRUE(table->schema()->GetFieldByName("h")->type()->Equals(arrow::decimal128(10, 2)));
  // A local timestamp binds as TIMESTAMP_NTZ: Spark hands it back without a zone.
  EXPECT_TRUE(table->schema()->GetFieldByName("i")->type()->Equals(arrow::timestamp(arrow::TimeUnit::MICRO)));
  EXPECT_EQ(value_at<arrow::TimestampArray>(*table, "i"), 1704164645123456);

  // An injection attempt is only ever a string.
  const SqlValue injection[] = {std::string("a' OR '1'='1")};
  auto count = query_all(*session, "SELECT count(*) AS n FROM VALUES ('a'), ('b') AS t(x) WHERE x = ?",
                         {.positional = injection});
  ASSERT_TRUE(count);
  EXPECT_EQ(value_at<arrow::Int64Array>(*count, "n"), 0);
}

TEST(SparkConnectServer, NamedParameters) {
  auto session = open_session();
  ASSERT_TRUE(session);
  const NamedSqlValue named[] = {{"low", std::int64_t{3}}, {"label", std::string("x")}};
  auto table = query_all(*session, "SELECT count(*) AS n, :label AS label FROM range(10) WHERE id >= :low",
                         {.named = named});
  ASSERT_TRUE(table);
  EXPECT_EQ(value_at<arrow::Int64Array>(*table, "n"), 7);
  EXPECT_EQ(value_at<arrow::StringArray>(*table, "label"), "x");
}

TEST(SparkConnectServer, AnalyzePlanGivesTheSchemaWithoutRunning) {
  auto session = open_session();
  ASSERT_TRUE(session);
  const SqlValue values[] = {std::string("p")};
  auto schema = session->analyze_schema(
      "SELECT CAST(id AS INT) AS i, CAST(id AS STRING) AS s, ? AS p, array(1, 2) AS arr, "
      "named_struct('a', 1.5D) AS st FROM range(3)",
      {.positional = values});
  ASSERT_TRUE(schema) << schema.error().to_string();
  ASSERT_EQ((*schema)->num_fields(), 5);
  EXPECT_EQ((*schema)->field(0)->name(), "i");
  EXPECT_TRUE((*schema)->field(0)->type()->Equals(arrow::int32()));
  EXPECT_TRUE((*schema)->field(1)->type()->Equals(arrow::utf8()));
  EXPECT_TRUE((*schema)->field(2)->type()->Equals(arrow::utf8()));
  EXPECT_EQ((*schema)->field(3)->type()->id(), arrow::Type::LIST);
  EXPECT_EQ((*schema)->field(4)->type()->id(), arrow::Type::STRUCT);
  EXPECT_FALSE((*schema)->field(2)->nullable());
}

std::int64_t rss_kib(std::string_view field) {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with(field)) {
      std::istringstream in(line.substr(field.size() + 1));
      std::int64_t kib = 0;
      in >> kib;
      return kib;
    }
  }
  return 0;
}

TEST(SparkConnectServer, ManyBatchesStreamInConstantMemory) {
  auto session = open_session();
  ASSERT_TRUE(session);
  constexpr std::int64_t kRows = 1'500'000;
  // ~160 MB of Arrow data in ~150 batches (10,000 rows each, Spark's
  // default): far more than the bound, so only streaming stays under it.
  auto reader = session->query(std::format("SELECT id, repeat('x', 100) AS payload FROM range(0, {}, 1, 4)", kRows));
  ASSERT_TRUE(reader) << reader.error().to_string();
  {
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5";  // resets VmHWM to the current RSS
  }
  const std::int64_t before = rss_kib("VmRSS");
  std::int64_t rows = 0;
  std::int64_t id_sum = 0;
  std::int64_t batches = 0;
  std::int64_t payload_bytes = 0;
  for (;;) {
    auto batch = reader->next();
    ASSERT_TRUE(batch) << batch.error().to_string();
    if (!*batch) break;
    ++batches;
    rows += (*batch)->num_rows();
    auto ids = std::static_pointer_cast<arrow::Int64Array>((*batch)->GetColumnByName("id"));
    for (std::int64_t i = 0; i < ids->length(); ++i) id_sum += ids->Value(i);
    payload_bytes += std::static_pointer_cast<arrow::StringArray>((*batch)->GetColumnByName("payload"))->total_values_length();
  }
  const std::int64_t growth_mib = (rss_kib("VmHWM") - before) / 1024;
  std::println("{} rows in {} batches, {} MiB of payload; peak RSS grew {} MiB", rows, batches, payload_bytes >> 20,
               growth_mib);
  EXPECT_EQ(rows, kRows);
  EXPECT_EQ(id_sum, kRows * (kRows - 1) / 2);
  EXPECT_GE(batches, 20);
  EXPECT_LT(growth_mib, 64);
}

TEST(SparkConnectServer, ReattachesAfterABrokenStream) {
  auto session = open_session();
  ASSERT_TRUE(session);
  constexpr std::int64_t kRows = 600'000;
  auto reader = session->query(std::format("SELECT id FROM range(0, {}, 1, 2)", kRows));
  ASSERT_TRUE(reader) << reader.error().to_string();
  std::int64_t rows = 0;
  std::int64_t id_sum = 0;
  std::int64_t batches = 0;
  int breaks = 0;
  for (;;) {
    auto batch = reader->next();
    ASSERT_TRUE(batch) << batch.error().to_string();
    if (!*batch) break;
    ++batches;
    rows += (*batch)->num_rows();
    auto ids = std::static_pointer_cast<arrow::Int64Array>((*batch)->column(0));
    for (std::int64_t i = 0; i < ids->length(); ++i) id_sum += ids->Value(i);
    // Cut the stream a few times while data is still coming.
    if (batches % 15 == 5 && breaks < 3) {
      reader->execution().break_stream();
      ++breaks;
    }
  }
  EXPECT_EQ(breaks, 3);
  EXPECT_GE(reader->execution().reattach_count(), 3);
  // Every row exactly once: nothing lost, nothing repeated across the breaks.
  EXPECT_EQ(rows, kRows);
  EXPECT_EQ(id_sum, kRows * (kRows - 1) / 2);
}

TEST(SparkConnectServer, InterruptStopsALongRunningQuery) {
  auto session = open_session();
  ASSERT_TRUE(session);
  // Minutes of work on two cores; interrupted after it has started.
  auto reader = session->query("SELECT count(*) AS n FROM range(0, 1000000000000, 1, 2) WHERE id % 7 = 3");
  ASSERT_TRUE(reader) << reader.error().to_string();
  const std::string operation_id = reader->execution().operation_id();
  std::atomic<bool> finished = false;
  lake::Result<std::shared_ptr<arrow::RecordBatch>> outcome = nullptr;
  const auto started = std::chrono::steady_clock::now();
  std::thread consumer([&] {
    outcome = reader->next();
    finished = true;
  });
  std::this_thread::sleep_for(3s);
  bool interrupted = false;
  for (int attempt = 0; attempt < 30 && !interrupted && !finished; ++attempt) {
    auto result = session->interrupt_operation(operation_id);
    ASSERT_TRUE(result) << result.error().to_string();
    interrupted = *result;
    if (!interrupted) std::this_thread::sleep_for(1s);
  }
  consumer.join();
  const auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_TRUE(interrupted);
  ASSERT_FALSE(outcome) << "the query finished before it was interrupted";
  EXPECT_EQ(outcome.error().code(), ErrorCode::cancelled) << outcome.error().to_string();
  EXPECT_LT(elapsed, 120s);
  std::println("interrupted after {} ms: {}", std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count(),
               outcome.error().to_string());
}

TEST(SparkConnectServer, BadStatementsGiveTypedErrorsNamingSparksErrorClass) {
  auto session = open_session();
  ASSERT_TRUE(session);
  auto missing = session->query("SELECT * FROM lake_no_such_table");
  ASSERT_TRUE(missing);
  auto missing_result = missing->next();
  ASSERT_FALSE(missing_result);
  EXPECT_EQ(missing_result.error().code(), ErrorCode::not_found) << missing_result.error().to_string();
  EXPECT_NE(missing_result.error().message().find("TABLE_OR_VIEW_NOT_FOUND"), std::string::npos);
  const auto* detail = missing_result.error().detail<lake::spark::SparkErrorDetail>();
  ASSERT_NE(detail, nullptr);
  EXPECT_EQ(detail->error_class(), "TABLE_OR_VIEW_NOT_FOUND");
  EXPECT_EQ(detail->sql_state(), "42P01");
  EXPECT_FALSE(detail->error_id().empty());

  auto syntax = session->execute("SELEC 1");
  ASSERT_FALSE(syntax);
  EXPECT_EQ(syntax.error().code(), ErrorCode::invalid_argument) << syntax.error().to_string();
  EXPECT_NE(syntax.error().message().find("PARSE_SYNTAX_ERROR"), std::string::npos) << syntax.error().message();

  // Errors never carry the session's token.
  const auto& token = lake::testing::spark_connect_server().token;
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(missing_result.error().to_string().find(token), std::string::npos);
  EXPECT_EQ(syntax.error().to_string().find(token), std::string::npos);
}

// Spark cuts the message in the gRPC status (~2 KB) and keeps the whole
// error for FetchErrorDetails; the client asks for it, so the end of a
// long message survives.
TEST(SparkConnectServer, LongErrorMessagesArriveWhole) {
  auto session = open_session();
  ASSERT_TRUE(session);
  const std::string name = "lake_missing_" + std::string(3000, 'x') + "_the_end";
  auto missing = session->execute(std::format("SELECT * FROM {}", name));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::not_found);
  EXPECT_NE(missing.error().message().find("x_the_end"), std::string::npos) << missing.error().message().substr(0, 300);
}

// The server's id for the session travels back with every request; a
// session the server no longer has (here: released by another client
// naming the same session id) fails typed as lost, and the pool replaces
// it with a new one.
TEST(SparkConnectServer, ASessionTheServerClosedIsLostAndReplaced) {
  const auto& server = lake::testing::spark_connect_server();
  auto settings = lake::spark::parse_connection_string(server.url);
  ASSERT_TRUE(settings);
  lake::spark::SessionPool pool(*settings, {}, 1, nullptr);
  std::string first_id;
  {
    auto lease = pool.acquire();
    ASSERT_TRUE(lease) << lease.error().to_string();
    ASSERT_TRUE(query_all(**lease, "SELECT 1 AS one"));
    first_id = (*lease)->session_id();
    ASSERT_TRUE((*lease)->server_side_session_id());
    EXPECT_FALSE((*lease)->server_side_session_id()->empty());
    ASSERT_TRUE(query_all(**lease, "SELECT 2 AS two"));  // sent with the id seen: accepted
  }
  {
    lake::spark::ConnectionSettings same = *settings;
    same.session_id = first_id;
    auto other = Session::open(same);
    ASSERT_TRUE(other);
    ASSERT_TRUE((*other)->spark_version());
  }  // its destructor releases the server-side session
  {
    auto lease = pool.acquire();
    ASSERT_TRUE(lease);
    EXPECT_EQ((*lease)->session_id(), first_id);
    auto refused = (*lease)->execute("SELECT 3 AS three");
    ASSERT_FALSE(refused);
    EXPECT_TRUE(lake::spark::session_lost(refused.error())) << refused.error().to_string();
    EXPECT_TRUE((*lease)->lost());
  }
  auto lease = pool.acquire();
  ASSERT_TRUE(lease);
  EXPECT_NE((*lease)->session_id(), first_id);
  EXPECT_TRUE(query_all(**lease, "SELECT 4 AS four"));
}

TEST(SparkConnectServer, BearerTokenIsRequired) {
  const auto& server = lake::testing::spark_connect_server();
  auto settings = lake::spark::parse_connection_string(server.url);
  ASSERT_TRUE(settings);
  lake::spark::ConnectionSettings without = *settings;
  without.bearer_token.clear();
  auto anonymous = Session::open(without);
  ASSERT_TRUE(anonymous);
  auto refused = (*anonymous)->spark_version();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::permission_denied) << refused.error().to_string();

  lake::spark::ConnectionSettings wrong = *settings;
  wrong.bearer_token = "not-the-token-0123456789";
  auto impostor = Session::open(wrong);
  ASSERT_TRUE(impostor);
  auto refused_too = (*impostor)->spark_version();
  ASSERT_FALSE(refused_too);
  EXPECT_EQ(refused_too.error().code(), ErrorCode::permission_denied);
  EXPECT_EQ(refused_too.error().to_string().find("not-the-token-0123456789"), std::string::npos);

  auto accepted = Session::open(*settings);
  ASSERT_TRUE(accepted);
  EXPECT_TRUE((*accepted)->spark_version());
}

TEST(SparkConnectServer, SessionConfigSetAndGet) {
  auto session = open_session();
  ASSERT_TRUE(session);
  const std::pair<std::string, std::string> pairs[] = {{"spark.sql.session.timeZone", "America/New_York"},
                                                       {"lake.test.marker", "forty-two"}};
  auto set = session->set_config(pairs);
  ASSERT_TRUE(set) << set.error().to_string();
  const std::string keys[] = {"spark.sql.session.timeZone", "lake.test.marker"};
  auto values = session->get_config(keys);
  ASSERT_TRUE(values) << values.error().to_string();
  ASSERT_EQ(values->size(), 2U);
  EXPECT_EQ((*values)[0], "America/New_York");
  EXPECT_EQ((*values)[1], "forty-two");
  // The setting is the session's: SQL in it sees it, another session not.
  auto zone = query_all(*session, "SELECT current_timezone() AS z");
  ASSERT_TRUE(zone);
  EXPECT_EQ(value_at<arrow::StringArray>(*zone, "z"), "America/New_York");
  auto other = open_session();
  ASSERT_TRUE(other);
  const std::string zone_key[] = {"spark.sql.session.timeZone"};
  auto other_values = other->get_config(zone_key);
  ASSERT_TRUE(other_values);
  EXPECT_NE((*other_values)[0], "America/New_York");
}

// Delta (the default catalog) and Iceberg (catalog `ice`), both through
// parameterised CREATE / INSERT / SELECT: on this server (Spark 4.0) the
// formats' SQL extensions do not drop parameters.
void create_insert_select(Session& session, const std::string& table, const std::string& using_clause) {
  auto created = session.execute(std::format("CREATE TABLE {} (id BIGINT, name STRING, ts TIMESTAMP) {}", table,
                                             using_clause));
  ASSERT_TRUE(created) << created.error().to_string();
  const SqlValue rows[] = {std::int64_t{1}, std::string("ann"), lake::timestamp{std::chrono::microseconds{1'000'000}},
                           std::int64_t{2}, std::string("bob's"), nullptr};
  auto inserted = session.execute(std::format("INSERT INTO {} VALUES (?, ?, ?), (?, ?, ?)", table),
                                  {.positional = rows});
  ASSERT_TRUE(inserted) << inserted.error().to_string();
  const NamedSqlValue named_row[] = {{"id", std::int64_t{3}}, {"name", std::string("cy")}, {"ts", nullptr}};
  auto inserted_named = session.execute(std::format("INSERT INTO {} VALUES (:id, :name, :ts)", table),
                                        {.named = named_row});
  ASSERT_TRUE(inserted_named) << inserted_named.error().to_string();

  const SqlValue low[] = {std::int64_t{2}};
  auto selected = query_all(session, std::format("SELECT id, name FROM {} WHERE id >= ? ORDER BY id", table),
                            {.positional = low});
  ASSERT_TRUE(selected);
  ASSERT_EQ(selected->num_rows(), 2);
  EXPECT_EQ(value_at<arrow::Int64Array>(*selected, "id", 0), 2);
  EXPECT_EQ(value_at<arrow::StringArray>(*selected, "name", 0), "bob's");
  EXPECT_EQ(value_at<arrow::StringArray>(*selected, "name", 1), "cy");
  const NamedSqlValue who[] = {{"who", std::string("ann")}};
  auto by_name = query_all(session, std::format("SELECT count(*) AS n FROM {} WHERE name = :who", table),
                           {.named = who});
  ASSERT_TRUE(by_name);
  EXPECT_EQ(value_at<arrow::Int64Array>(*by_name, "n"), 1);
}

TEST(SparkConnectServer, DeltaTableWithParameters) {
  auto session = open_session();
  ASSERT_TRUE(session);
  const auto& server = lake::testing::spark_connect_server();
  const auto path = server.warehouse / std::format("delta-{}", session->session_id());
  create_insert_select(*session, std::format("delta.`{}`", path.string()), "USING delta");
  EXPECT_TRUE(std::filesystem::exists(path / "_delta_log" / "00000000000000000002.json"));
}

TEST(SparkConnectServer, IcebergTableWithParameters) {
  auto session = open_session();
  ASSERT_TRUE(session);
  std::string id = session->session_id();
  std::erase(id, '-');
  create_insert_select(*session, std::format("ice.lake_test.people_{}", id), "USING iceberg");
}

}  // namespace

namespace {

// `count` rows of (id BIGINT, text STRING) with `width`-byte strings.
std::shared_ptr<arrow::RecordBatchReader> rows_of(std::int64_t count, std::size_t width) {
  arrow::Int64Builder ids;
  arrow::StringBuilder texts;
  for (std::int64_t i = 0; i < count; ++i) {
    EXPECT_TRUE(ids.Append(i).ok());
    EXPECT_TRUE(texts.Append(std::string(width, static_cast<char>('a' + i % 26))).ok());
  }
  auto schema = arrow::schema({arrow::field("id", arrow::int64(), false), arrow::field("text", arrow::utf8(), false)});
  auto batch = arrow::RecordBatch::Make(schema, count, {ids.Finish().ValueOrDie(), texts.Finish().ValueOrDie()});
  return arrow::RecordBatchReader::Make({batch}, schema).ValueOrDie();
}

}  // namespace

// Rows become a temporary view: inline in the plan when small, and as a
// chunked, checksummed cached artifact when large (here ~24 MiB, in six
// chunks); Spark then holds exactly those rows.
TEST(SparkConnectServer, TempViewsFromLocalRowsSmallAndLarge) {
  auto session = open_session();
  ASSERT_TRUE(session);
  for (auto [count, width] : {std::pair<std::int64_t, std::size_t>{1'000, 10}, {200'000, 120}}) {
    auto rows = rows_of(count, width);
    auto created = session->create_temp_view("local_rows", *rows);
    ASSERT_TRUE(created) << created.error().to_string();
    auto table = query_all(*session, "SELECT count(*) AS n, sum(id) AS s, sum(length(text)) AS chars FROM local_rows");
    ASSERT_TRUE(table);
    EXPECT_EQ(value_at<arrow::Int64Array>(*table, "n"), count);
    EXPECT_EQ(value_at<arrow::Int64Array>(*table, "s"), count * (count - 1) / 2);
    EXPECT_EQ(value_at<arrow::Int64Array>(*table, "chars"), count * static_cast<std::int64_t>(width));
  }
  // The view is the session's own: another session does not see it.
  auto other = open_session();
  ASSERT_TRUE(other);
  auto unseen = other->query("SELECT * FROM local_rows");
  bool failed = !unseen;
  if (unseen) failed = !unseen->read_all();
  EXPECT_TRUE(failed);
}

// The embedded engine over native Delta tables, end to end: real DuckDB,
// real Delta tables (memory backend) resolved through the table-format
// contract, typed reads through lake/query.hpp.
#include <gtest/gtest.h>

#include <atomic>
#include <format>
#include <map>
#include <mutex>
#include <set>

#include <lake/delta/table.hpp>
#include <lake/lake.hpp>
#include <lake/query.hpp>

#include "delta/delta_format.hpp"
#include "drivers/duckdb/engine.hpp"
#include "support/forwarding_backend.hpp"

namespace {

using namespace lake;
namespace cp = arrow::compute;

struct [[=lake::table("accounts")]] Account {
  [[=lake::pk]] std::int64_t id = 0;
  std::string name;
  std::string country;
  std::optional<std::int64_t> balance;
  lake::timestamp opened{};
  lake::date day{};
  lake::decimal<12, 2> limit;
};

struct [[=lake::table("payments")]] Payment {
  [[=lake::pk]] std::int64_t id = 0;
  std::int64_t account_id = 0;
  double amount = 0;
};

// A read-side projection for a join and an aggregate.
struct Spend {
  std::string name;
  double total = 0;
  std::int64_t payments = 0;
};

const timestamp kEpochish = timestamp(std::chrono::microseconds(1'700'000'000'000'000));

std::vector<Account> accounts(std::int64_t first, std::int64_t count) {
  static const char* kCountries[] = {"NL", "DE", "FR", "UK"};
  std::vector<Account> rows;
  for (std::int64_t i = first; i < first + count; ++i) {
    Account a;
    a.id = i;
    a.name = std::format("account-{}", i);
    a.country = kCountries[i % 4];
    if (i % 3 != 0) a.balance = i * 10;
    a.opened = kEpochish + std::chrono::seconds(i);
    a.day = date(std::chrono::days(20000 + i % 7));
    a.limit = *decimal<12, 2>::parse(std::format("{}.{:02}", i, i % 100));
    rows.push_back(a);
  }
  return rows;
}

// Counts which data files (not log entries) scans open.
class CountingBackend final : public lake::testing::ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  Result<std::vector<std::byte>> get(std::string_view key) override {
    note(key);
    return ForwardingBackend::get(key);
  }
  Result<std::vector<std::byte>> get_range(std::string_view key, std::int64_t offset, std::int64_t length) override {
    note(key);
    return ForwardingBackend::get_range(key, offset, length);
  }
  Result<ObjectInfo> head(std::string_view key) override {
    note(key);
    return ForwardingBackend::head(key);
  }

  std::set<std::string> data_files_read() {
    std::scoped_lock lock(mutex_);
    return data_files_;
  }
  void reset() {
    std::scoped_lock lock(mutex_);
    data_files_.clear();
  }

 private:
  void note(std::string_view key) {
    if (!key.ends_with(".parquet") || key.find("_delta_log/") != std::string_view::npos) return;
    std::scoped_lock lock(mutex_);
    data_files_.insert(std::string(key));
  }
  std::mutex mutex_;
  std::set<std::string> data_files_;
};

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = delta::Table::create(backend, "accounts", schema_of<Account>());
    ASSERT_TRUE(created) << created.error().to_string();
    // Many small appends: one data file each, so skipping has files to skip.
    for (int i = 0; i < 40; ++i) append(*created, accounts(i * 5, 5));
    auto payments = delta::Table::create(backend, "payments", schema_of<Payment>());
    ASSERT_TRUE(payments) << payments.error().to_string();
    std::vector<Payment> rows;
    for (std::int64_t i = 0; i < 60; ++i) rows.push_back({i, i % 10, 1.5 * static_cast<double>(i)});
    append(*payments, rows);

    auto opened = duckdb::Engine::open([this](std::string_view name) -> Result<std::unique_ptr<formats::FormatTable>> {
      resolved += 1;
      if (name != "accounts" && name != "payments") return std::unique_ptr<formats::FormatTable>();
      return delta::native_format()->open(backend, TableRef{std::string(name), std::string(name)}, {});
    });
    ASSERT_TRUE(opened) << opened.error().to_string();
    engine = std::move(*opened);
    counting->reset();
  }

  template <class T>
  void append(delta::Table& table, const std::vector<T>& rows) {
    auto batch = to_record_batch(std::span<const T>(rows));
    ASSERT_TRUE(batch) << batch.error().to_string();
    ASSERT_TRUE(table.append(*batch));
  }

  std::shared_ptr<CountingBackend> counting = std::make_shared<CountingBackend>(memory_backend());
  std::shared_ptr<Backend> backend = counting;
  std::unique_ptr<duckdb::Engine> engine;
  std::atomic<int> resolved{0};
};

TEST_F(EngineTest, QueriesReturnTypedRowsWithEveryType) {
  auto rows = query<Account>(*engine, "SELECT * FROM accounts WHERE id < ? ORDER BY id", 10);
  ASSERT_TRUE(rows) << rows.error().to_string();
  auto expected = accounts(0, 10);
  ASSERT_EQ(rows->size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ((*rows)[i].id, expected[i].id);
    EXPECT_EQ((*rows)[i].name, expected[i].name);
    EXPECT_EQ((*rows)[i].balance, expected[i].balance);
    EXPECT_EQ((*rows)[i].opened, expected[i].opened);
    EXPECT_EQ((*rows)[i].day, expected[i].day);
    EXPECT_EQ((*rows)[i].limit, expected[i].limit);
  }
}

TEST_F(EngineTest, PointLookupOpensOnlyTheFileThatCanHoldTheRow) {
  const auto before = engine->counters();
  auto row = query_first<Account>(*engine, "SELECT * FROM accounts WHERE id = ?", 123);
  ASSERT_TRUE(row) << row.error().to_string();
  EXPECT_EQ(row->name, "account-123");
  const auto after = engine->counters();
  EXPECT_EQ(after.files_scanned - before.files_scanned, 1);
  EXPECT_EQ(after.files_skipped - before.files_skipped, 39);
  // Independently of our own counters: the backend saw one data file read.
  EXPECT_EQ(counting->data_files_read().size(), 1u);
}

TEST_F(EngineTest, SkippingUsesRangesInListsAndNullChecksButNeverChangesResults) {
  struct Case {
    std::string where;
    std::int64_t expected_rows;
  };
  // 200 accounts, ids 0..199, balance NULL when id % 3 == 0.
  const std::vector<Case> cases{
      {"id BETWEEN 10 AND 19", 10},
      {"id >= 190", 10},
      {"id IN (1, 2, 150)", 3},
      {"id < 5 OR id > 194", 10},
      {"balance IS NULL AND id < 30", 10},
      {"id = 7 OR name LIKE 'account-19%'", 12},  // LIKE is not translated: the OR is not used for skipping
      {"lower(name) = 'account-42'", 1},           // nothing to skip by, still correct
      {"country = 'NL' AND id < 20", 5},
  };
  for (const auto& c : cases) {
    auto rows = query<Account>(*engine, "SELECT * FROM accounts WHERE " + c.where);
    ASSERT_TRUE(rows) << c.where << ": " << rows.error().to_string();
    EXPECT_EQ(static_cast<std::int64_t>(rows->size()), c.expected_rows) << c.where;
  }
  counting->reset();
  ASSERT_TRUE(query<Account>(*engine, "SELECT * FROM accounts WHERE id BETWEEN 10 AND 19"));
  EXPECT_EQ(counting->data_files_read().size(), 2u);
}

struct [[=lake::table("shifts")]] Shift {
  [[=lake::pk]] std::int64_t id = 0;
  lake::local_timestamp starts{};
};

// timestamp_ntz columns are DuckDB TIMESTAMPs: compared with TIMESTAMP
// literals and local_timestamp parameters, pushed down to skip files,
// read back into local_timestamp members unchanged.
TEST_F(EngineTest, LocalTimestampsQueryAsTimestamps) {
  auto created = delta::Table::create(backend, "shifts", schema_of<Shift>());
  ASSERT_TRUE(created) << created.error().to_string();
  const local_timestamp base = *parse_local_timestamp("2026-03-29 02:00:00");
  for (std::int64_t file = 0; file < 4; ++file) {
    std::vector<Shift> rows;
    for (std::int64_t i = 0; i < 5; ++i)
      rows.push_back({.id = file * 5 + i, .starts = base + std::chrono::hours(file) + std::chrono::minutes(i)});
    append(*created, rows);
  }
  auto opened = duckdb::Engine::open([this](std::string_view name) -> Result<std::unique_ptr<formats::FormatTable>> {
    if (name != "shifts") return std::unique_ptr<formats::FormatTable>();
    return delta::native_format()->open(backend, TableRef{std::string(name), std::string(name)}, {});
  });
  ASSERT_TRUE(opened) << opened.error().to_string();
  counting->reset();
  auto late = query<Shift>(**opened, "SELECT * FROM shifts WHERE starts >= TIMESTAMP '2026-03-29 05:00:00' ORDER BY id");
  ASSERT_TRUE(late) << late.error().to_string();
  ASSERT_EQ(late->size(), 5u);
  EXPECT_EQ(late->front().starts, base + std::chrono::hours(3));
  EXPECT_EQ(counting->data_files_read().size(), 1u) << "the local timestamps' stats skip three files";
  auto bound = query<Shift>(**opened, "SELECT * FROM shifts WHERE starts = ?", base + std::chrono::minutes(2));
  ASSERT_TRUE(bound) << bound.error().to_string();
  ASSERT_EQ(bound->size(), 1u);
  EXPECT_EQ(bound->front().id, 2);
}

TEST_F(EngineTest, ParametersAreBoundNeverSpliced) {
  auto table = delta::Table::open(backend, "accounts");
  ASSERT_TRUE(table);
  auto evil = accounts(1000, 1);
  evil[0].name = "x' OR '1'='1";
  append(*table, evil);

  const std::string injection = "x' OR '1'='1";
  auto rows = query<Account>(*engine, "SELECT * FROM accounts WHERE name = ?", injection);
  ASSERT_TRUE(rows) << rows.error().to_string();
  ASSERT_EQ(rows->size(), 1u) << "the string is compared, not executed";
  EXPECT_EQ((*rows)[0].id, 1000);

  auto none = query<Account>(*engine, "SELECT * FROM accounts WHERE name = ?", "'; DROP TABLE accounts; --");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  auto still = query<Account>(*engine, "SELECT * FROM accounts");
  ASSERT_TRUE(still);
  EXPECT_EQ(still->size(), 201u);
}

TEST_F(EngineTest, ParameterMistakesAreClearErrors) {
  auto too_few = query<Account>(*engine, "SELECT * FROM accounts WHERE id = ? AND name = ?", 1);
  ASSERT_FALSE(too_few);
  EXPECT_EQ(too_few.error().code(), ErrorCode::invalid_argument);
  EXPECT_NE(too_few.error().message().find("2 parameter"), std::string::npos) << too_few.error().to_string();

  auto typed = query<Account>(*engine, R"(SELECT * FROM accounts WHERE opened > ? AND day >= ? AND "limit" < ?)",
                              kEpochish + std::chrono::seconds(195), date(std::chrono::days(20000)),
                              *decimal<12, 2>::parse("199.50"));
  ASSERT_TRUE(typed) << typed.error().to_string();
  // ids 196..199 opened after the cut; their limits are 196.96 .. 199.99.
  EXPECT_EQ(typed->size(), 3u);
}

TEST_F(EngineTest, TypedReadErrorsNameWhatIsWrong) {
  struct NotThere {
    std::int64_t id = 0;
    std::string nickname;
  };
  auto missing = query<NotThere>(*engine, "SELECT id FROM accounts WHERE id = 1");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::schema_mismatch);
  EXPECT_NE(missing.error().message().find("'nickname'"), std::string::npos) << missing.error().to_string();
  // Reported before any row, even for an empty result.
  auto empty = query<NotThere>(*engine, "SELECT id FROM accounts WHERE id < 0");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code(), ErrorCode::schema_mismatch);

  auto none = query_first<Account>(*engine, "SELECT * FROM accounts WHERE id = -1");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code(), ErrorCode::no_rows);

  auto unknown = query<Account>(*engine, "SELECT * FROM nope");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code(), ErrorCode::not_found) << unknown.error().to_string();
  EXPECT_NE(unknown.error().message().find("nope"), std::string::npos);

  auto syntax = query<Account>(*engine, "SELEC * FROM accounts");
  ASSERT_FALSE(syntax);
  EXPECT_EQ(syntax.error().code(), ErrorCode::invalid_argument);
}

TEST_F(EngineTest, JoinsAndAggregatesReadIntoAProjection) {
  auto spend = query<Spend>(*engine,
                            "SELECT a.name, sum(p.amount) AS total, count(*) AS payments FROM accounts a "
                            "JOIN payments p ON p.account_id = a.id GROUP BY a.name ORDER BY total DESC LIMIT 3");
  ASSERT_TRUE(spend) << spend.error().to_string();
  ASSERT_EQ(spend->size(), 3u);
  // account 9 has payments 9, 19, ..., 59: 1.5 * (9+19+29+39+49+59) = 306.
  EXPECT_EQ((*spend)[0].name, "account-9");
  EXPECT_DOUBLE_EQ((*spend)[0].total, 306.0);
  EXPECT_EQ((*spend)[0].payments, 6);
}

TEST_F(EngineTest, EveryStatementReadsTheCurrentVersion) {
  auto count = [&] {
    auto rows = query<Account>(*engine, "SELECT * FROM accounts");
    EXPECT_TRUE(rows);
    return rows ? rows->size() : 0;
  };
  EXPECT_EQ(count(), 200u);
  auto table = delta::Table::open(backend, "accounts");
  ASSERT_TRUE(table);
  append(*table, accounts(500, 7));
  EXPECT_EQ(count(), 207u);
  ASSERT_TRUE(table->delete_where(cp::less(cp::field_ref("id"), cp::literal(std::int64_t{100}))));
  EXPECT_EQ(count(), 107u);
}

TEST_F(EngineTest, StreamsRowsAndReleasesTheQueryWhenTheLoopStops) {
  std::int64_t seen = 0;
  for (auto&& row : query_stream<Account>(*engine, "SELECT * FROM accounts ORDER BY id")) {
    ASSERT_TRUE(row) << row.error().to_string();
    EXPECT_EQ(row->id, seen);
    if (++seen == 3) break;
  }
  EXPECT_EQ(seen, 3);
  // The connection went back to the pool: many more queries run fine.
  for (int i = 0; i < 20; ++i) {
    auto first = query_first<Account>(*engine, "SELECT * FROM accounts WHERE id = ?", i);
    ASSERT_TRUE(first) << first.error().to_string();
  }
  std::int64_t all = 0;
  for (auto&& row : query_stream<Account>(*engine, "SELECT * FROM accounts")) {
    ASSERT_TRUE(row) << row.error().to_string();
    ++all;
  }
  EXPECT_EQ(all, 200);
  // An error arrives through the stream, once.
  int errors = 0;
  for (auto&& row : query_stream<Account>(*engine, "SELECT * FROM missing_table")) errors += row ? 0 : 1;
  EXPECT_EQ(errors, 1);
}

TEST_F(EngineTest, ConcurrentQueriesEachGetTheirOwnConnection) {
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        auto row = query_first<Account>(*engine, "SELECT * FROM accounts WHERE id = ?", t * 10 + i);
        if (row && row->id == t * 10 + i) ++good;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 40);
}

TEST_F(EngineTest, ExecAndPing) {
  EXPECT_TRUE(engine->ping());
  auto created = engine->exec("CREATE TEMP TABLE scratch AS SELECT id FROM accounts WHERE id < ?",
                              *sql_params(std::int64_t{5}));
  ASSERT_TRUE(created) << created.error().to_string();
  EXPECT_EQ(*created, 5);
}

}  // namespace

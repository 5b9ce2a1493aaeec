// The migration files held against the tools they are written for (label
// interop): goose's own parser (pressly/goose's CLI, `goose -dir DIR
// validate`) reads every file generate writes, and Atlas's sql/migrate
// package (tools/atlas-sum) computes the same atlas.sum byte for byte and
// agrees with check about edits. Both are built from the Go module proxy
// by tools/go-peers, once.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include <lake/dialect.hpp>
#include <lake/lake.hpp>
#include <lake/local.hpp>
#include <lake/migrate.hpp>

#include "migrate/goose_file.hpp"
#include "evolving_structs.hpp"
#include "support/peer_process.hpp"
#include "support/temp_dir.hpp"

namespace {

struct Output {
  int status = -1;
  std::string text;
};

// Runs a shell command, its stdout (and stderr) captured.
Output run(const std::string& command) {
  Output out;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen((command + " 2>&1").c_str(), "r"), pclose);
  if (!pipe) return out;
  std::array<char, 4096> buffer{};
  while (auto n = std::fread(buffer.data(), 1, buffer.size(), pipe.get())) out.text.append(buffer.data(), n);
  const int status = pclose(pipe.release());
  out.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

// The path of a tools/go-peers program, built on first use.
std::string go_peer(const std::string& name) {
  static std::map<std::string, std::string> built;
  if (auto it = built.find(name); it != built.end()) return it->second;
  auto out = run(std::string(LAKE_SOURCE_DIR) + "/tools/go-peers " + name + " 2>/dev/null");
  EXPECT_EQ(out.status, 0) << out.text;
  while (!out.text.empty() && (out.text.back() == '\n' || out.text.back() == '\r')) out.text.pop_back();
  if (auto newline = out.text.rfind('\n'); newline != std::string::npos) out.text = out.text.substr(newline + 1);
  return built[name] = out.text;
}

using namespace lake::testing::migrations;

template <class... T>
void generate(const std::filesystem::path& dir, const lake::Dialect& dialect, lake::migrate::Naming naming) {
  const lake::Schema* schemas[] = {&lake::schema_of<T>()...};
  auto written = lake::migrate::generate(dir, schemas, dialect, lake::TableDefaults{}, {.naming = naming});
  ASSERT_TRUE(written) << written.error().to_string();
  ASSERT_TRUE(written->has_value());
}

// A history of every kind of change generate writes, on one format.
void write_history(const std::filesystem::path& dir, const lake::Dialect& dialect, lake::migrate::Naming naming) {
  generate<UsersV1>(dir, dialect, naming);
  generate<UsersV1, Orders>(dir, dialect, naming);
  generate<UsersV2, Orders>(dir, dialect, naming);
  generate<UsersV2, OrdersV2>(dir, dialect, naming);
}

class MigrationPeers : public ::testing::TestWithParam<std::string> {
 protected:
  std::shared_ptr<const lake::Dialect> dialect() const {
    return GetParam() == "iceberg" ? lake::iceberg_dialect() : lake::delta_dialect();
  }
};

TEST_P(MigrationPeers, GooseParsesEveryFileAndAtlasComputesTheSameSum) {
  for (auto naming : {lake::migrate::Naming::sequential, lake::migrate::Naming::timestamp}) {
    lake::testing::TempDir dir("migrate-peers");
    ASSERT_NO_FATAL_FAILURE(write_history(dir.path, *dialect(), naming));
    // And a statement goose must read as one block (a ';' and a line
    // break inside a string), written by the same renderer.
    const lake::migrate::State state{.format = std::string(dialect()->name()), .tables = {}};
    const std::vector<lake::migrate::Step> steps{
        {.summary = "users: a comment property",
         .up = {"ALTER TABLE `users` SET TBLPROPERTIES ('comment' = 'one;\ntwo')"},
         .down = {"ALTER TABLE `users` UNSET TBLPROPERTIES ('comment')"}}};
    std::ofstream(dir.path / "99999999999999_comment.sql", std::ios::binary)
        << lake::migrate::render_migration("comment", state, steps);
    ASSERT_TRUE(lake::migrate::rehash(dir.path));

    const auto goose = run(go_peer("goose") + " -dir '" + dir.path.string() + "' validate");
    EXPECT_EQ(goose.status, 0) << goose.text;
    const auto atlas = run(go_peer("atlas-sum") + " hash '" + dir.path.string() + "'");
    ASSERT_EQ(atlas.status, 0) << atlas.text;
    EXPECT_EQ(atlas.text, read_file(dir.path / "atlas.sum")) << "Atlas computes another atlas.sum";
    const auto validated = run(go_peer("atlas-sum") + " validate '" + dir.path.string() + "'");
    EXPECT_EQ(validated.status, 0) << validated.text;

    // goose's verdicts are meaningful: a file it cannot read fails it.
    std::ofstream(dir.path / "99999999999998_broken.sql") << "-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n";
    EXPECT_NE(run(go_peer("goose") + " -dir '" + dir.path.string() + "' validate").status, 0);
  }
}

TEST_P(MigrationPeers, AtlasAndCheckAgreeAboutAnEditedFile) {
  lake::testing::TempDir dir("migrate-peers");
  ASSERT_NO_FATAL_FAILURE(write_history(dir.path, *dialect(), lake::migrate::Naming::sequential));
  const auto second = dir.path / "00002_create_orders.sql";
  ASSERT_TRUE(std::filesystem::exists(second));
  std::ofstream(second, std::ios::app) << "-- edited\n";
  const auto validated = run(go_peer("atlas-sum") + " validate '" + dir.path.string() + "'");
  EXPECT_EQ(validated.status, 1) << validated.text;
  EXPECT_NE(validated.text.find("checksum mismatch"), std::string::npos) << validated.text;
  const lake::Schema* schemas[] = {&lake::schema_of<UsersV2>(), &lake::schema_of<OrdersV2>()};
  auto report = lake::migrate::check(dir.path, schemas, *dialect(), lake::TableDefaults{});
  ASSERT_TRUE(report);
  ASSERT_EQ(report->problems.size(), 1u) << report->to_text();
  EXPECT_EQ(report->problems[0].file, "00002_create_orders.sql");
  // Accepted by rehash: both agree again, and the sum is still Atlas's.
  ASSERT_TRUE(lake::migrate::rehash(dir.path));
  EXPECT_EQ(run(go_peer("atlas-sum") + " validate '" + dir.path.string() + "'").status, 0);
  EXPECT_EQ(run(go_peer("atlas-sum") + " hash '" + dir.path.string() + "'").text, read_file(dir.path / "atlas.sum"));
}


// After each apply on the embedded engine, independent readers see the
// new schema and every row: a renamed column keeps its values, a widened
// one reads wide, a new one is NULL (Delta: column mapping and type
// widening as delta-rs and DuckDB read them; Iceberg: field ids and
// promotions as pyiceberg and DuckDB read them); a repartitioned table
// keeps its rows. delta-rs 1.6.6 reads column mapping but not type
// widening: it must refuse that table by the feature's name, never return
// other rows (Spark reads it: spark_test.cpp).
TEST_P(MigrationPeers, PeersReadTheTablesAfterEachApply) {
  lake::testing::TempDir data("migrate-peers-data"), files("migrate-peers-files");
  auto db = lake::local::open(data.path, {}, GetParam() == "iceberg" ? lake::TableFormat::iceberg
                                                                      : lake::TableFormat::delta);
  ASSERT_TRUE(db) << db.error().to_string();
  auto read_by_peers = [&](const std::string& table, const nlohmann::json& expected) {
    const auto file = files.path / (table + "-expected.json");
    std::ofstream(file) << expected.dump();
    return lake::testing::run_peer_script("tests/migrate/peers", "read_migrated.py",
                                          {GetParam(), (data.path / table).string(), file.string()});
  };
  ASSERT_TRUE((db->migrate_generate<UsersV1, VisitsByDay, Events>(files.path,
                                                                  {.naming = lake::migrate::Naming::sequential})));
  ASSERT_TRUE(db->migrate_apply(files.path));
  std::vector<UsersV1> users{{.id = "u1", .email = "a@example.com", .visits = 3, .country = "UK", .legacy = "old"}};
  ASSERT_TRUE(db->insert(users));
  std::vector<VisitsByDay> visits{{.id = "v1", .day = "mon", .page = "/a"}, {.id = "v2", .day = "tue", .page = "/b"}};
  ASSERT_TRUE(db->insert(visits));
  std::vector<Events> events{{.id = "e1", .kind = "click"}};
  ASSERT_TRUE(db->insert(events));
  using json = nlohmann::json;
  EXPECT_EQ(read_by_peers("users", json{{"key", "id"},
                                        {"rows", json::array({json{{"id", "u1"}, {"email", "a@example.com"},
                                                                   {"visits", 3}, {"country", "UK"}, {"legacy", "old"}}})}}),
            0);

  ASSERT_TRUE((db->migrate_generate<UsersV2, VisitsByPage, EventsRenamed>(
      files.path, {.naming = lake::migrate::Naming::sequential})));
  auto applied = db->migrate_apply(files.path);
  ASSERT_TRUE(applied) << applied.error().to_string();
  std::vector<UsersV2> more{{.id = "u2", .mail = "b@example.com", .visits = 5'000'000'000, .country = "FR", .age = 41}};
  ASSERT_TRUE(db->insert(more));
  EXPECT_EQ(read_by_peers("users",
                          json{{"key", "id"},
                               {"rows", json::array({json{{"id", "u1"}, {"mail", "a@example.com"}, {"visits", 3},
                                                          {"country", "UK"}, {"age", nullptr}},
                                                     json{{"id", "u2"}, {"mail", "b@example.com"},
                                                          {"visits", 5'000'000'000}, {"country", "FR"}, {"age", 41}}})},
                               {"refused", GetParam() == "delta" ? json{{"delta-rs", "TypeWidening"}} : json::object()}}),
            0);
  EXPECT_EQ(read_by_peers("events", json{{"key", "id"},
                                         {"rows", json::array({json{{"id", "e1"}, {"category", "click"}}})}}),
            0);
  EXPECT_EQ(read_by_peers("visits", json{{"key", "id"},
                                         {"rows", json::array({json{{"id", "v1"}, {"day", "mon"}, {"page", "/a"}},
                                                               json{{"id", "v2"}, {"day", "tue"}, {"page", "/b"}}})}}),
            0);
  ASSERT_TRUE(db->close());
}

INSTANTIATE_TEST_SUITE_P(Formats, MigrationPeers, ::testing::Values("delta", "iceberg"),
                         [](const auto& test) { return test.param; });

}  // namespace

// The hero path from a project of its own: a struct, a table, a write, a
// typed read. Prints what it read, and the library's version.
//
//   consumer DATA_DIR
//
// Built against lakeorm::config (CONSUMER_WITH_CONFIG), it opens the
// client as README does, with lake::local::open; against lakeorm::duckdb
// alone, it composes the same client from its parts (the embedded engine,
// the Delta dialect, files on disk), which needs none of the other
// components.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <print>
#include <vector>

#include <lake/client.hpp>
#include <lake/dialect.hpp>
#include <lake/drivers/duckdb.hpp>
#include <lake/lake.hpp>
#include <lake/query.hpp>
#include <lake/storage/backend.hpp>
#include <lake/version.hpp>
#ifdef CONSUMER_WITH_CONFIG
#include <lake/local.hpp>
#endif

struct [[=lake::table("users")]] User {
  [[=lake::pk]] std::string id;
  [[=lake::validate("email")]] std::string email;
};

struct Count {
  std::int64_t n = 0;
};

int main(int argc, char** argv) {
  if (argc != 2) {
    std::println(stderr, "usage: consumer DATA_DIR");
    return 2;
  }
#ifdef CONSUMER_WITH_CONFIG
  auto db = lake::local::open(argv[1]);
#else
  std::error_code ec;
  std::filesystem::create_directories(argv[1], ec);
  auto files = lake::file_backend(argv[1]);
  if (!files) return std::println(stderr, "storage: {}", files.error().to_string()), 1;
  auto db = lake::Client::open(lake::duckdb::driver(), lake::delta_dialect(),
                               std::shared_ptr<lake::Backend>(std::move(*files)));
#endif
  if (!db) return std::println(stderr, "open: {}", db.error().to_string()), 1;
  if (auto made = db->migrate<User>(); !made) return std::println(stderr, "migrate: {}", made.error().to_string()), 1;
  std::vector<User> users{{.id = "u1", .email = "ada@example.com"}, {.id = "u2", .email = "grace@example.com"}};
  if (auto written = db->insert(users); !written) return std::println(stderr, "insert: {}", written.error().to_string()), 1;
  auto count = lake::query_first<Count>(*db, "SELECT count(*) AS n FROM users");
  if (!count) return std::println(stderr, "query: {}", count.error().to_string()), 1;
  std::println("lake-orm {} (version number {}): users has {} rows", LAKE_VERSION_STRING, LAKE_VERSION, count->n);
  return db->close() ? 0 : 1;
}

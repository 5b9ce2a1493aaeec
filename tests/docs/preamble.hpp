// What the docs' fragments (```cpp blocks without an #include) take for
// granted: the public headers, the structs the docs declare (User and
// Order as the README and docs/TYPING.md declare them), and the inputs a
// fragment uses without making them (`db`, `users`, `backend`, ...).
// The inputs are declarations only: fragments are compiled, never linked
// or run. See README.md here.
#pragma once

#include <arrow/api.h>
#include <arrow/compute/api.h>

#include <chrono>
#include <cstdint>
#include <generator>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <lake/client.hpp>
#include <lake/config.hpp>
#include <lake/delta/table.hpp>
#include <lake/drivers/duckdb.hpp>
#include <lake/drivers/spark.hpp>
#include <lake/lake.hpp>
#include <lake/local.hpp>
#include <lake/maintenance.hpp>
#include <lake/migrate.hpp>
#include <lake/query.hpp>
#include <lake/storage/backend.hpp>
#include <lake/table_schema.hpp>

struct User {
  [[=lake::pk]]                                         std::string id;
  [[=lake::merge_key, =lake::validate("email")]]        std::string email;
  [[=lake::partition_bucket(16)]]                       std::string country;
  [[=lake::auto_create_time]]                           lake::timestamp created_at;
  std::optional<std::int64_t>                           age;
};

struct Order {
  [[=lake::tag("id,pk")]]                               std::string id;
  [[=lake::tag("user_id,mergeKey,validate=required")]]  std::string user_id;
  lake::decimal<12, 2>                                  total;
};

// An append-only table of the Delta examples.
struct Event {
  [[=lake::pk]]                                         std::string id;
  std::string                                           country;
  std::int64_t                                          amount = 0;
};

// A read-side projection (one query's result).
struct UserSpend {
  std::string email;
  lake::decimal<38, 2> spend;
};

// Another: a count per country (TYPING's untyped results).
struct CountryCount {
  std::string country;
  std::int64_t n = 0;
};

namespace docs_inputs {

// The names fragments use for data they did not make.
using arrow::compute::field_ref;
using arrow::compute::literal;

extern lake::Client db;
extern std::vector<User> users, changed, untrusted, dutch_users;
extern std::vector<Event> events;
extern std::string id;
extern std::shared_ptr<lake::Backend> backend;
extern std::shared_ptr<arrow::RecordBatchReader> source_reader;
extern lake::timestamp yesterday;
std::generator<Event> generate_events();

}  // namespace docs_inputs

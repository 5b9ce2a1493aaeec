// The structs the migration tests evolve: "users" (a rename declared both
// ways, a widened type, a column dropped and one added), "orders" (keys, a
// bucket partition, then a wider decimal and a truncate partition),
// "visits" (partitioned by one column, then by another) and "events".
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include <lake/lake.hpp>

namespace lake::testing::migrations {

struct [[=lake::table("users")]] UsersV1 {
  [[=lake::pk]] std::string id;
  std::string email;
  std::int32_t visits = 0;
  [[=lake::partition]] std::string country;
  std::optional<std::string> legacy;
};
// email renamed to mail (declared), visits widened, legacy dropped, age added.
struct [[=lake::table("users")]] UsersV2 {
  [[=lake::pk]] std::string id;
  [[=lake::renamed_from("email")]] std::string mail;
  std::int64_t visits = 0;
  [[=lake::partition]] std::string country;
  std::optional<std::int64_t> age;
};
// The same as V2 through the tag grammar.
struct [[=lake::table("users")]] UsersV2Tagged {
  [[=lake::pk]] std::string id;
  [[=lake::tag("mail,renamedFrom=email")]] std::string mail;
  std::int64_t visits = 0;
  [[=lake::partition]] std::string country;
  std::optional<std::int64_t> age;
};

struct [[=lake::table("orders")]] Orders {
  [[=lake::pk]] std::string id;
  [[=lake::merge_key]] std::string user_id;
  lake::decimal<12, 2> total;
  std::optional<lake::local_timestamp> placed;
  [[=lake::partition_bucket(8)]] std::string region;
};
struct [[=lake::table("orders")]] OrdersV2 {
  [[=lake::pk]] std::string id;
  [[=lake::merge_key]] std::string user_id;
  lake::decimal<16, 2> total;
  std::optional<lake::local_timestamp> placed;
  [[=lake::partition_bucket(8)]] std::string region;
  [[=lake::partition_truncate(4)]] std::optional<std::string> channel;
};

// "visits", repartitioned from day to page.
struct [[=lake::table("visits")]] VisitsByDay {
  [[=lake::pk]] std::string id;
  [[=lake::partition]] std::string day;
  std::string page;
};
struct [[=lake::table("visits")]] VisitsByPage {
  [[=lake::pk]] std::string id;
  std::string day;
  [[=lake::partition]] std::string page;
};

// "events": a new merge key (a table property, so the file has a Down
// section), or its kind renamed (on Delta, column mapping only).
struct [[=lake::table("events")]] Events {
  [[=lake::pk]] std::string id;
  std::string kind;
};
struct [[=lake::table("events")]] EventsByKind {
  [[=lake::pk]] std::string id;
  [[=lake::merge_key]] std::string kind;
};
struct [[=lake::table("events")]] EventsRenamed {
  [[=lake::pk]] std::string id;
  [[=lake::renamed_from("kind")]] std::string category;
};

inline std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

}  // namespace lake::testing::migrations

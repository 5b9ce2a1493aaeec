// The schema tour: a struct is the table's contract.
//
// Shows a tagged struct (both annotation spellings), the schema lake-orm
// reads from it, validation reporting every bad field of every record, the
// auto-filled fields and ingest id, and the Arrow batch a write would
// commit.
#include <cstdio>
#include <print>

#include <lake/lake.hpp>

namespace app {

struct Address {
  std::string city;
  std::optional<std::string> postcode;
};

struct User {
  [[=lake::pk, =lake::validate("uuid")]]                   std::string id;
  [[=lake::merge_key, =lake::validate("email"), =lake::required]] std::string email;
  [[=lake::partition_bucket(16), =lake::validate("len=2")]] std::string country;
  [[=lake::validate("min=13")]]                            std::optional<std::int32_t> age;
  std::vector<std::string>                                 tags;
  Address                                                  address;
  [[=lake::auto_create_time]]                              lake::timestamp created_at{};
};

// The Go library's tag grammar, verbatim.
struct Order {
  [[=lake::tag("id,pk")]]                                  std::string id;
  [[=lake::tag("user_id,mergeKey,validate=required")]]     std::string user_id;
  [[=lake::tag("total,validate=min=0")]]                   lake::decimal<12, 2> total;
  [[=lake::tag("status,validate=oneof=new paid shipped")]] std::string status;
};

}  // namespace app

int main() {
  std::println("{}", lake::schema_of<app::User>().describe());
  std::println("fingerprint: {}\n", lake::schema_fingerprint<app::User>());
  std::println("{}", lake::schema_of<app::Order>().describe());

  std::vector<app::User> users{
      {"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "ada@example.com", "GB", 36, {"admin"}, {"London", "N1"}},
      {"not-a-uuid", "grace-at-example", "USA", 9, {}, {"Arlington", std::nullopt}},
      {"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", "", "FR", std::nullopt, {}, {"Paris", "75001"}},
  };

  // Writes stamp auto fields, then validate: every failing field is listed.
  auto ingest_id = lake::IngestId::generate();
  lake::stamp_auto_fields(std::span(users), lake::now(), ingest_id, lake::StampMode::insert);
  if (auto ok = lake::validate(users); !ok) {
    std::println("validation rejected the batch ({}):", lake::to_string(ok.error().code()));
    for (const auto& e : ok.error().detail<lake::ValidationError>()->errors)
      std::println("  record {} {:<8} {:<32} value \"{}\"", e.record, e.field, e.message, e.value);
  }

  // The valid record, as the Arrow batch a write would commit.
  std::span<const app::User> good(users.data(), 1);
  auto batch = lake::to_record_batch(good, {.ingest_id = ingest_id});
  if (!batch) {
    std::println(stderr, "{}", batch.error().to_string());
    return 1;
  }
  std::println("\ningest id {} (minted at {})", ingest_id.to_string(),
               lake::format_timestamp(std::chrono::time_point_cast<std::chrono::microseconds>(ingest_id.time())));
  std::println("{}", (*batch)->ToString());
  auto back = lake::from_record_batch<app::User>(*batch);
  if (!back || back->front().email != users.front().email) {
    std::println(stderr, "round trip failed");
    return 1;
  }
  std::println("round trip: {} record(s) read back from Arrow", back->size());
  return 0;
}

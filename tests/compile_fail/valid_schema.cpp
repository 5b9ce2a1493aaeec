// Positive control: a valid record (the annotations.hpp example plus a
// nested struct, a list, a map and the tag grammar) must compile, proving
// the harness can tell a rejected declaration from an accepted one.
// expect-compiles
#include <lake/schema/reflect.hpp>
#include <map>
#include <optional>
#include <vector>

struct Address {
  std::string city;
  [[=lake::column("zip_code")]] std::optional<std::string> zip;
};

struct [[=lake::table("app_users"), =lake::partition_by_truncate("full_name", 4)]] ValidUser {
  [[=lake::pk]] std::string id;
  [[=lake::merge_key, =lake::validate("email")]] std::string email;
  [[=lake::partition_bucket(16)]] std::string country;
  [[=lake::auto_create_time]] lake::timestamp created_at;
  [[=lake::tag("full_name,indexed,validate=min=1,required")]] std::string name;
  [[=lake::tag("-")]] int scratch;
  std::optional<std::int64_t> age;
  std::vector<std::string> tags;
  std::map<std::string, double> scores;
  Address address;
};

int main() { (void)lake::schema_of<ValidUser>(); }

// validation: checking records at the application boundary, before any I/O.
//
//   example_validation [DATA_DIR]     (default: $LAKE_DATA_DIR, else ./lake-data)
//
// Validators are declared on the struct (built-in: required, email, url,
// uuid, regex=, min=, max=, len=, oneof=; plus any registered with
// lake::register_validator). Every write validates every record first and
// reports every failing field of every record as a typed
// lake::ValidationError; a batch with any failure writes nothing at all,
// not even its valid records. The table is DATA_DIR/validation/signups;
// running again is fine (the valid records' keys are skipped).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <format>
#include <optional>
#include <print>
#include <string>
#include <string_view>
#include <vector>

#include <lake/lake.hpp>
#include <lake/local.hpp>
#include <lake/query.hpp>

namespace app {

struct Signup {
  [[=lake::pk, =lake::validate("regex=^s[0-9]+$")]]       std::string id;
  [[=lake::validate("email"), =lake::required]]           std::string email;
  [[=lake::validate("min=13"), =lake::validate("max=130")]] std::int32_t age = 0;
  [[=lake::validate("oneof=free pro team")]]              std::string plan;
  [[=lake::validate("url")]]                              std::optional<std::string> website{};
  // A custom validator with an argument, registered in main().
  [[=lake::validate("prefix=ref-")]]                      std::optional<std::string> referral{};
};

struct Count {
  std::int64_t n = 0;
};

}  // namespace app

namespace {

template <class T>
T check(lake::Result<T> result, const char* what) {
  if (!result) {
    std::println(stderr, "{} failed: {}", what, result.error().to_string());
    std::exit(1);
  }
  if constexpr (!std::is_void_v<T>) return std::move(*result);
}

std::int64_t stored(lake::Client& db) {
  return check(lake::query_first<app::Count>(db, "SELECT count(*) AS n FROM signups"), "count").n;
}

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path dir = argc > 1 ? argv[1] : lake::local::default_data_dir();

  // Custom validators are registered by name, once, before first use. This
  // one takes its argument from the annotation ("prefix=ref-"); an empty
  // std::optional member skips every validator but required.
  check(lake::register_validator("prefix",
                                 [](std::string_view value, std::string_view prefix) -> std::optional<std::string> {
                                   if (value.starts_with(prefix)) return std::nullopt;
                                   return std::format("must start with \"{}\"", prefix);
                                 }),
        "register_validator");

  auto db = check(lake::local::open(dir, {.default_database = "validation"}), "open");
  std::println("validation: Delta tables under {}\n", std::filesystem::absolute(dir / "validation").string());
  check(db.migrate<app::Signup>(), "migrate");
  const std::int64_t version = check(db.maintain().stats("signups"), "stats").version;
  const std::int64_t rows = stored(db);

  // One valid record and four broken ones, in one batch.
  std::vector<app::Signup> batch{
      {.id = "s1", .email = "ada@example.com", .age = 36, .plan = "pro", .website = "https://ada.example"},
      {.id = "s2", .email = "grace-at-example", .age = 9, .plan = "pro"},
      {.id = "x3", .email = "", .age = 40, .plan = "gold"},
      {.id = "s4", .email = "linus@example.com", .age = 200, .plan = "team", .website = "not a url"},
      {.id = "s5", .email = "barbara@example.com", .age = 30, .plan = "free", .referral = "friend"}};
  auto rejected = db.insert(batch);
  const auto* report = rejected ? nullptr : rejected.error().detail<lake::ValidationError>();
  if (!report) {
    std::println(stderr, "expected a validation error, got {}",
                 rejected ? std::string("success") : rejected.error().to_string());
    return 1;
  }
  std::println("1. insert rejected ({}): {}", lake::to_string(rejected.error().code()), rejected.error().message());

  // The typed detail lists every failure: record index, member, validator,
  // message and the offending value.
  for (const auto& e : report->errors)
    std::println("     record {} {:<8} {:<8} {:<36} value \"{}\"", e.record, e.field, e.validator, e.message, e.value);
  if (const auto* email = report->field("email")) std::println("   first email failure: record {}", email->record);

  // Nothing was written: not the broken records, not the valid s1 either.
  std::println("2. rows before {}, after {}; table version before {}, after {}", rows, stored(db), version,
               check(db.maintain().stats("signups"), "stats").version);

  // lake::validate() is the same check without a client, for rejecting
  // input early; fixed records pass it and the insert goes through.
  batch[1].age = 19;
  batch[1].email = "grace@example.com";
  batch[2] = {.id = "s3", .email = "edsger@example.com", .age = 40, .plan = "team"};
  batch[3].age = 54;
  batch[3].website = "https://linus.example";
  batch[4].referral = "ref-friend";
  check(lake::validate(batch), "validate");
  auto written = check(db.insert(batch, {.on_conflict = lake::ConflictStrategy::skip}), "insert");
  std::println("3. after fixing them: {} inserted (new keys), the table holds {} signups", written.rows_inserted,
               stored(db));
  return 0;
}

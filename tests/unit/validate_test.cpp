// Validation: every built-in, custom validators, aggregation of every
// failure of every record, and run-time declaration errors.
#include <gtest/gtest.h>

#include <lake/validate.hpp>

namespace {

struct Signup {
  [[=lake::pk, =lake::validate("uuid")]] std::string id;
  [[=lake::tag("email,mergeKey,validate=email,required")]] std::string email;
  [[=lake::validate("url")]] std::optional<std::string> homepage;
  [[=lake::validate("min=13"), =lake::validate("max=130")]] std::int32_t age = 0;
  [[=lake::validate("len=2")]] std::string country;
  [[=lake::validate("oneof=free pro enterprise")]] std::string plan;
  [[=lake::validate("regex=^[a-z][a-z0-9_]{2,15}$")]] std::string handle;
  [[=lake::validate("min=1"), =lake::validate("max=3")]] std::vector<std::string> tags;
  [[=lake::required]] std::optional<std::int64_t> referrer;
  [[=lake::validate("oneof=1 2 3")]] std::int64_t tier = 1;
  [[=lake::validate("min=0.5")]] double score = 1;
  [[=lake::validate("max=100.00")]] lake::decimal<8, 2> credit;
};

Signup valid() {
  return Signup{"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "ada@example.com", "https://ada.dev/x?y#z", 36, "GB",
                "pro", "ada_l", {"a"}, 7, 2, 0.75, *lake::decimal<8, 2>::parse("99.99")};
}

const lake::ValidationError& details(const lake::Status& status) {
  static const lake::ValidationError empty;
  if (status || status.error().code() != lake::ErrorCode::validation) return empty;
  return *status.error().detail<lake::ValidationError>();
}

TEST(Validate, ValidRecordPasses) {
  auto status = lake::validate(valid());
  EXPECT_TRUE(status) << status.error().to_string();
}

TEST(Validate, EveryBuiltinReportsItsField) {
  Signup s{"not-a-uuid", "no-at-sign", "ftp//broken", 9, "GBR", "gold", "9lives", {}, std::nullopt, 5, 0.1,
           *lake::decimal<8, 2>::parse("100.01")};
  auto status = lake::validate(s);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code(), lake::ErrorCode::validation);
  const auto& v = details(status);
  std::map<std::string, std::string> by_field;
  for (const auto& e : v.errors) by_field[e.field] = e.validator;
  EXPECT_EQ(by_field["id"], "uuid");
  EXPECT_EQ(by_field["email"], "email");
  EXPECT_EQ(by_field["homepage"], "url");
  EXPECT_EQ(by_field["age"], "min");
  EXPECT_EQ(by_field["country"], "len");
  EXPECT_EQ(by_field["plan"], "oneof");
  EXPECT_EQ(by_field["handle"], "regex");
  EXPECT_EQ(by_field["tags"], "min");
  EXPECT_EQ(by_field["referrer"], "required");
  EXPECT_EQ(by_field["tier"], "oneof");
  EXPECT_EQ(by_field["score"], "min");
  EXPECT_EQ(by_field["credit"], "max");
  EXPECT_EQ(v.errors.size(), 12u);
  const auto* age = v.field("age");
  ASSERT_NE(age, nullptr);
  EXPECT_EQ(age->column, "age");
  EXPECT_EQ(age->value, "9");
  EXPECT_EQ(age->message, "must be at least 13");
  EXPECT_EQ(v.field("country")->message, "length must be exactly 2");
  EXPECT_EQ(v.field("plan")->value, "gold");
}

TEST(Validate, RequiredMeansNonEmptyForStringsAndPresentForOptionals) {
  Signup s = valid();
  s.email = "";
  s.referrer = 0;  // present, so required is satisfied even though zero
  auto status = lake::validate(s);
  ASSERT_FALSE(status);
  const auto& v = details(status);
  ASSERT_NE(v.field("email"), nullptr);
  EXPECT_EQ(v.field("referrer"), nullptr);
  // an empty string fails required and email; both are reported
  int email_errors = 0;
  for (const auto& e : v.errors) email_errors += e.field == "email";
  EXPECT_EQ(email_errors, 2);
}

TEST(Validate, AggregatesEveryFailingFieldOfEveryRecord) {
  std::vector<Signup> batch(5, valid());
  batch[1].age = 200;
  batch[1].plan = "x";
  batch[3].email = "bad";
  batch[4].country = "X";
  auto status = lake::validate(batch);
  ASSERT_FALSE(status);
  const auto& v = details(status);
  ASSERT_EQ(v.errors.size(), 4u);
  EXPECT_EQ(v.errors[0].record, 1u);
  EXPECT_EQ(v.errors[1].record, 1u);
  EXPECT_EQ(v.errors[2].record, 3u);
  EXPECT_EQ(v.errors[3].record, 4u);
  EXPECT_NE(status.error().message().find("4 invalid field(s) in 3 record(s)"), std::string::npos)
      << status.error().message();
  EXPECT_NE(status.error().to_string().find("record 3: email"), std::string::npos);
}

TEST(Validate, EmailAndUrlEdgeCases) {
  using lake::detail::is_email;
  using lake::detail::is_url;
  EXPECT_TRUE(is_email("first.last+tag@sub.example.co.uk"));
  EXPECT_FALSE(is_email("a@b"));
  EXPECT_FALSE(is_email("a b@example.com"));
  EXPECT_FALSE(is_email("a..b@example.com"));
  EXPECT_FALSE(is_email("@example.com"));
  EXPECT_FALSE(is_email("a@-example.com"));
  EXPECT_TRUE(is_url("http://localhost:8080/path"));
  EXPECT_TRUE(is_url("s3://bucket/key"));
  EXPECT_TRUE(is_url("https://user@[::1]:443/"));
  EXPECT_FALSE(is_url("example.com"));
  EXPECT_FALSE(is_url("http://"));
  EXPECT_FALSE(is_url("http://exa mple.com"));
  EXPECT_FALSE(is_url("http://host:port/"));
}

struct Order {
  [[=lake::tag("id,pk")]] std::string id;
  [[=lake::validate("even")]] std::int32_t quantity = 0;
  [[=lake::validate("prefix=SKU-")]] std::string sku;
  [[=lake::validate("positive")]] std::optional<double> discount;
};

TEST(Validate, CustomValidatorsByNameWithArgsAndConversions) {
  ASSERT_TRUE(lake::register_validator("even", [](std::int64_t v) -> std::optional<std::string> {
    if (v % 2 != 0) return "must be even";
    return std::nullopt;
  }));
  ASSERT_TRUE(lake::register_validator(
      "prefix", [](std::string_view v, std::string_view arg) { return v.starts_with(arg); }));
  ASSERT_TRUE(lake::register_validator("positive", [](double v) { return v > 0; }));

  Order good{"o1", 4, "SKU-1", 0.5};
  EXPECT_TRUE(lake::validate(good));
  Order bad{"o2", 3, "ABC", -1.0};
  auto status = lake::validate(bad);
  ASSERT_FALSE(status);
  const auto& v = details(status);
  ASSERT_EQ(v.errors.size(), 3u);
  EXPECT_EQ(v.field("quantity")->message, "must be even");
  EXPECT_EQ(v.field("sku")->message, "failed validator 'prefix'");
  EXPECT_EQ(v.field("discount")->validator, "positive");
  Order absent{"o3", 2, "SKU-2", std::nullopt};  // empty optional skips validators
  EXPECT_TRUE(lake::validate(absent));
}

TEST(Validate, RegistrationRules) {
  auto builtin = lake::register_validator("email", [](const std::string&) { return true; });
  ASSERT_FALSE(builtin);
  EXPECT_EQ(builtin.error().code(), lake::ErrorCode::invalid_argument);
  ASSERT_TRUE(lake::register_validator("twice", [](const std::string&) { return true; }));
  EXPECT_FALSE(lake::register_validator("twice", [](const std::string&) { return true; }));
  EXPECT_FALSE(lake::register_validator("has,comma", [](const std::string&) { return true; }));
}

struct UsesUnknown {
  [[=lake::validate("no_such_validator")]] std::string name;
};

TEST(Validate, UnregisteredValidatorIsAnInvalidTagErrorNamingTheMember) {
  auto status = lake::validate(UsesUnknown{"x"});
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code(), lake::ErrorCode::invalid_tag);
  EXPECT_NE(status.error().message().find("UsesUnknown::name"), std::string::npos) << status.error().message();
  EXPECT_NE(status.error().message().find("no_such_validator"), std::string::npos);
}

struct WrongType {
  [[=lake::validate("even_only")]] std::string label;
};

TEST(Validate, CustomValidatorOfTheWrongTypeIsAnInvalidTagError) {
  ASSERT_TRUE(lake::register_validator("even_only", [](std::int64_t v) { return v % 2 == 0; }));
  auto status = lake::validate(WrongType{"x"});
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code(), lake::ErrorCode::invalid_tag);
}

struct BadRegex {
  [[=lake::validate("regex=([a-z")]] std::string code;
};

TEST(Validate, InvalidRegexIsAnInvalidTagError) {
  auto status = lake::validate(BadRegex{"abc"});
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code(), lake::ErrorCode::invalid_tag);
  EXPECT_NE(status.error().message().find("BadRegex::code"), std::string::npos) << status.error().message();
}

TEST(Validate, EmptyRangeIsValid) {
  std::vector<Signup> none;
  EXPECT_TRUE(lake::validate(none));
}

}  // namespace

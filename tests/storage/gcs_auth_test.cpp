// The service-account pieces that need no server: key-file parsing, JWT
// encoding, and RS256 signing checked with a freshly generated key.
#include <gtest/gtest.h>

#include <chrono>

#include "storage/gcs/service_account.hpp"
#include "support/rsa_test_key.hpp"

namespace lake::gcs {
namespace {

using testing::RsaTestKey;

constexpr std::string_view kEmail = "svc@project.iam.gserviceaccount.com";
constexpr std::string_view kTokenUri = "https://oauth2.googleapis.com/token";

TEST(ServiceAccountKey, ParsesAKeyFile) {
  const RsaTestKey rsa;
  auto key = parse_service_account_key(rsa.key_file_json(kEmail, kTokenUri));
  ASSERT_TRUE(key) << key.error().to_string();
  EXPECT_EQ(key->client_email, kEmail);
  EXPECT_EQ(key->token_uri, kTokenUri);
  EXPECT_EQ(key->private_key_id, "0123456789abcdef");
  EXPECT_EQ(key->project_id, "lake-test-project");
  EXPECT_EQ(key->private_key, rsa.private_pem());
}

TEST(ServiceAccountKey, RejectsWhatIsNotAServiceAccountKeyWithoutQuotingIt) {
  const RsaTestKey rsa;
  auto good = nlohmann::json::parse(rsa.key_file_json(kEmail, kTokenUri));
  auto expect_rejected = [&](const nlohmann::json& key, std::string_view mentions) {
    auto parsed = parse_service_account_key(key.dump());
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().code(), ErrorCode::invalid_argument);
    EXPECT_NE(parsed.error().message().find(mentions), std::string::npos) << parsed.error().message();
    EXPECT_EQ(parsed.error().message().find("PRIVATE KEY"), std::string::npos) << parsed.error().message();
  };
  auto user = good;
  user["type"] = "authorized_user";
  expect_rejected(user, "authorized_user");
  for (const char* field : {"client_email", "private_key", "token_uri"}) {
    auto missing = good;
    missing.erase(field);
    expect_rejected(missing, field);
    auto wrong_type = good;
    wrong_type[field] = 42;
    expect_rejected(wrong_type, field);
  }
  auto ftp = good;
  ftp["token_uri"] = "ftp://tokens";
  expect_rejected(ftp, "ftp://tokens");
  EXPECT_FALSE(parse_service_account_key("not json"));
  EXPECT_FALSE(parse_service_account_key("[1, 2]"));
}

TEST(Jwt, Base64UrlHasNoPaddingAndUrlSafeCharacters) {
  EXPECT_EQ(base64url(""), "");
  EXPECT_EQ(base64url("f"), "Zg");
  EXPECT_EQ(base64url("fo"), "Zm8");
  EXPECT_EQ(base64url("foo"), "Zm9v");
  EXPECT_EQ(base64url("foob"), "Zm9vYg");
  const std::string high = "\xfb\xff\xbf";  // "+/+/" in standard base64
  EXPECT_EQ(base64url(high), "-_-_");
}

TEST(Jwt, IsSignedWithTheAccountKeyAndCarriesTheClaims) {
  const RsaTestKey rsa;
  auto key = parse_service_account_key(rsa.key_file_json(kEmail, kTokenUri));
  ASSERT_TRUE(key);
  const auto now = std::chrono::sys_seconds(std::chrono::seconds(1'700'000'000));
  auto jwt = make_signed_jwt(*key, "https://www.googleapis.com/auth/devstorage.read_write", now);
  ASSERT_TRUE(jwt) << jwt.error().to_string();
  nlohmann::json header;
  auto claims = rsa.verify(*jwt, &header);
  ASSERT_TRUE(claims) << "signature does not verify with the account's public key";
  EXPECT_EQ(header["alg"], "RS256");
  EXPECT_EQ(header["typ"], "JWT");
  EXPECT_EQ(header["kid"], "0123456789abcdef");
  EXPECT_EQ((*claims)["iss"], kEmail);
  EXPECT_EQ((*claims)["aud"], kTokenUri);
  EXPECT_EQ((*claims)["scope"], "https://www.googleapis.com/auth/devstorage.read_write");
  EXPECT_EQ((*claims)["iat"], 1'700'000'000);
  EXPECT_EQ((*claims)["exp"], 1'700'003'600);
  EXPECT_EQ(jwt->find('='), std::string::npos);

  // Another key's signature does not verify; a tampered claim neither.
  const RsaTestKey other;
  EXPECT_FALSE(other.verify(*jwt));
  std::string tampered = *jwt;
  tampered[tampered.find('.') + 3] ^= 1;
  EXPECT_FALSE(rsa.verify(tampered));
}

TEST(Jwt, AKeyThatDoesNotLoadIsInvalidArgument) {
  const RsaTestKey rsa;
  auto key = parse_service_account_key(rsa.key_file_json(kEmail, kTokenUri));
  ASSERT_TRUE(key);
  key->private_key = "-----BEGIN PRIVATE KEY-----\nnot-base64!!\n-----END PRIVATE KEY-----\n";
  auto jwt = make_signed_jwt(*key, "scope", std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
  ASSERT_FALSE(jwt);
  EXPECT_EQ(jwt.error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(jwt.error().message().find("not-base64"), std::string::npos) << jwt.error().message();
  EXPECT_NE(jwt.error().message().find(kEmail), std::string::npos) << jwt.error().message();
  auto tokens = ServiceAccountTokens::make(*key, "scope", {});
  ASSERT_FALSE(tokens);
  EXPECT_EQ(tokens.error().code(), ErrorCode::invalid_argument);
}

TEST(ServiceAccountTokens, UnreachableTokenEndpointIsIoAfterRetries) {
  const RsaTestKey rsa;
  auto key = parse_service_account_key(rsa.key_file_json(kEmail, "http://127.0.0.1:9/token"));
  ASSERT_TRUE(key);
  auto tokens = ServiceAccountTokens::make(*key, "scope", {.connection = {.max_attempts = 3,
                                                                          .base_backoff = std::chrono::milliseconds(5),
                                                                          .max_backoff = std::chrono::milliseconds(20)}});
  ASSERT_TRUE(tokens);
  auto header = (*tokens)->authorization();
  ASSERT_FALSE(header);
  EXPECT_EQ(header.error().code(), ErrorCode::io) << header.error().to_string();
  EXPECT_NE(header.error().message().find("after 3 attempts"), std::string::npos) << header.error().message();
  EXPECT_EQ((*tokens)->fetches(), 0);
}

}  // namespace
}  // namespace lake::gcs

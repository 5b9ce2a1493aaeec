// Service-account OAuth end to end. A loopback server in this process is
// both the key's token endpoint and a recording proxy in front of the run's
// fake-gcs-server (which ignores credentials): the endpoint checks each
// JWT the way Google's does (RS256 signature with the account's public
// key, iss, aud, scope, iat/exp) and hands out short-lived tokens; the
// proxy records the Authorization header of every storage request.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <random>
#include <mutex>
#include <thread>

#include "lake/storage/gcs.hpp"
#include "storage/object_store/http.hpp"
#include "support/fake_gcs.hpp"
#include "support/loopback_http.hpp"
#include "support/rsa_test_key.hpp"
#include "support/temp_dir.hpp"

namespace lake {
namespace {

using testing::fake_gcs;
using testing::FakeGcsServer;
using testing::fresh_gcs_uri;
using testing::LoopbackHttpServer;
using testing::LoopbackRequest;
using testing::LoopbackResponse;
using testing::RsaTestKey;

constexpr std::string_view kEmail = "lake-test@lake-test-project.iam.gserviceaccount.com";

// The token endpoint and proxy. Settings are read under the mutex, so a
// test may change them between requests.
class GoogleStandIn {
 public:
  explicit GoogleStandIn(const FakeGcsServer& emulator)
      : emulator_(emulator.endpoint), server_([this](const LoopbackRequest& r) { return handle(r); }) {}

  std::string token_uri() const { return server_.url() + "/token"; }
  std::string endpoint() const { return server_.url(); }
  const RsaTestKey& account_key() const { return account_key_; }

  void set_expires_in(int seconds) { std::scoped_lock lock(mutex_); expires_in_ = seconds; }
  void set_storage_status(int status) { std::scoped_lock lock(mutex_); storage_status_ = status; }

  struct Grant {
    std::string token;
    std::chrono::steady_clock::time_point at;
  };
  std::vector<Grant> grants() const { std::scoped_lock lock(mutex_); return grants_; }
  std::vector<std::string> rejections() const { std::scoped_lock lock(mutex_); return rejections_; }
  std::vector<std::string> authorizations() const { std::scoped_lock lock(mutex_); return authorizations_; }

 private:
  LoopbackResponse handle(const LoopbackRequest& request) {
    if (request.target == "/token") return token(request);
    return forward(request);
  }

  LoopbackResponse deny(std::string why) {
    rejections_.push_back(why);
    return {.status = 400,
            .headers = {{"Content-Type", "application/json"}},
            .body = nlohmann::json{{"error", "invalid_grant"}, {"error_description", why}}.dump()};
  }

  LoopbackResponse token(const LoopbackRequest& request) {
    std::scoped_lock lock(mutex_);
    std::string grant_type, assertion;
    for (std::string_view rest = request.body; !rest.empty();) {
      const auto amp = rest.find('&');
      const std::string_view pair = rest.substr(0, amp);
      rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
      const auto eq = pair.find('=');
      if (pair.substr(0, eq) == "grant_type") grant_type = std::string(pair.substr(eq + 1));
      if (pair.substr(0, eq) == "assertion") assertion = std::string(pair.substr(eq + 1));
    }
    if (grant_type != "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer") return deny("bad grant_type");
    if (request.header("content-type") != "application/x-www-form-urlencoded") return deny("bad content type");
    nlohmann::json header;
    auto claims = account_key_.verify(assertion, &header);
    if (!claims) return deny("Invalid JWT Signature.");
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    const auto iat = claims->value("iat", std::int64_t{0});
    const auto exp = claims->value("exp", std::int64_t{0});
    if (claims->value("iss", "") != kEmail) return deny("bad iss");
    if (claims->value("aud", "") != token_uri()) return deny("bad aud");
    if (claims->value("scope", "") != "https://www.googleapis.com/auth/devstorage.read_write") return deny("bad scope");
    if (header.value("kid", "") != "0123456789abcdef") return deny("bad kid");
    if (iat > now + 5 || iat < now - 60 || exp <= iat || exp - iat > 3600) return deny("bad iat/exp");
    Grant grant{std::format("ya29.test-token-{}-{}", grants_.size() + 1, std::random_device{}()),
                std::chrono::steady_clock::now()};
    grants_.push_back(grant);
    return {.status = 200,
            .headers = {{"Content-Type", "application/json"}},
            .body = nlohmann::json{{"access_token", grant.token}, {"expires_in", expires_in_}, {"token_type", "Bearer"}}
                        .dump()};
  }

  LoopbackResponse forward(const LoopbackRequest& request) {
    int status_override = 0;
    {
      std::scoped_lock lock(mutex_);
      authorizations_.push_back(request.header("authorization"));
      status_override = storage_status_;
    }
    if (status_override)
      return {.status = status_override,
              .headers = {{"Content-Type", "application/json"}},
              .body = R"({"error": {"code": 403, "message": "caller does not have storage.objects.get access"}})"};
    object_store::HttpRequest out{.method = request.method, .url = emulator_ + request.target,
                                  .body = std::as_bytes(std::span(request.body))};
    for (const auto& [name, value] : request.headers)
      if (name == "content-type" || name == "range" || name == "content-range") out.headers.emplace_back(name, value);
    auto response = object_store::send(out);
    if (!response) return {.status = 502, .body = response.error().error.to_string()};
    LoopbackResponse back{.status = static_cast<int>(response->status), .body = std::string(response->body_text())};
    for (const auto& [name, value] : response->headers)
      if (name == "content-type" || name == "location" || name == "range" || name == "content-range")
        back.headers.emplace_back(name, value);
    return back;
  }

  std::string emulator_;
  RsaTestKey account_key_;
  mutable std::mutex mutex_;
  int expires_in_ = 3600;
  int storage_status_ = 0;
  std::vector<Grant> grants_;
  std::vector<std::string> rejections_;
  std::vector<std::string> authorizations_;
  LoopbackHttpServer server_;  // last: stops before the state it uses goes
};

class GcsOAuth : public ::testing::Test {
 protected:
  void SetUp() override {
    const FakeGcsServer* s = fake_gcs();
    ASSERT_NE(s, nullptr);
    google_ = std::make_unique<GoogleStandIn>(*s);
  }

  GcsOptions options_with(const std::string& key_json) const {
    return {.endpoint = google_->endpoint(), .service_account_key_json = key_json,
            .connection = {.base_backoff = std::chrono::milliseconds(20)}};
  }
  GcsOptions options() const { return options_with(google_->account_key().key_file_json(kEmail, google_->token_uri())); }

  std::unique_ptr<GoogleStandIn> google_;
};

TEST_F(GcsOAuth, OneTokenIsFetchedAndEveryRequestCarriesIt) {
  auto opened = gcs_backend(fresh_gcs_uri(), options());
  ASSERT_TRUE(opened) << opened.error().to_string() << "; endpoint rejections: " << google_->rejections().size();
  auto& backend = **opened;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(backend.put_text(std::format("k{}", i), "v", PutMode::create));
  EXPECT_EQ(backend.get_text("k3").value_or(""), "v");
  EXPECT_EQ(backend.list("").value().size(), 5U);
  ASSERT_TRUE(backend.remove_prefix(""));

  const auto grants = google_->grants();
  ASSERT_EQ(grants.size(), 1U) << "the token is reused, not fetched per request";
  EXPECT_TRUE(google_->rejections().empty());
  const auto seen = google_->authorizations();
  EXPECT_GE(seen.size(), 9U);
  for (const auto& authorization : seen) EXPECT_EQ(authorization, "Bearer " + grants[0].token);
}

TEST_F(GcsOAuth, TokenIsRefreshedBeforeItExpires) {
  // A 4 s token: the refresh margin is capped at half its lifetime, so a
  // new one is fetched 2 s in, while the old one is still valid.
  google_->set_expires_in(4);
  auto opened = gcs_backend(fresh_gcs_uri(), options());
  ASSERT_TRUE(opened) << opened.error().to_string();
  auto& backend = **opened;
  ASSERT_TRUE(backend.put_text("a", "1", PutMode::create));
  ASSERT_EQ(google_->grants().size(), 1U);
  std::this_thread::sleep_for(std::chrono::milliseconds(2'500));
  ASSERT_TRUE(backend.put_text("b", "2", PutMode::create));
  const auto grants = google_->grants();
  ASSERT_EQ(grants.size(), 2U);
  EXPECT_LT(grants[1].at - grants[0].at, std::chrono::seconds(4)) << "refreshed only after expiry";
  EXPECT_EQ(google_->authorizations().back(), "Bearer " + grants[1].token);
  // And then reused again.
  ASSERT_TRUE(backend.put_text("c", "3", PutMode::create));
  EXPECT_EQ(google_->grants().size(), 2U);
  ASSERT_TRUE(backend.remove_prefix(""));
}

TEST_F(GcsOAuth, ConcurrentRequestsShareOneFetch) {
  auto opened = gcs_backend(fresh_gcs_uri(), options());
  ASSERT_TRUE(opened) << opened.error().to_string();
  std::vector<std::jthread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      if (!(*opened)->put_text(std::format("t{}", t), "x", PutMode::create)) ++failures;
    });
  threads.clear();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(google_->grants().size(), 1U);
  ASSERT_TRUE((*opened)->remove_prefix(""));
}

// The error text must name neither the key nor anything derived from it.
void expect_no_secrets(const std::string& text, const std::string& key_json, const std::string& private_pem) {
  EXPECT_EQ(text.find("PRIVATE KEY"), std::string::npos) << text;
  // A line of the key's base64 body.
  const auto body_line = private_pem.substr(private_pem.find('\n') + 1, 40);
  EXPECT_EQ(text.find(body_line), std::string::npos) << text;
  EXPECT_EQ(text.find("eyJ"), std::string::npos) << "a JWT: " << text;  // base64url of '{"'
  EXPECT_EQ(text.find("ya29."), std::string::npos) << "a token: " << text;
  EXPECT_EQ(text.find(key_json.substr(0, 60)), std::string::npos) << text;
}

TEST_F(GcsOAuth, KeyTheEndpointDoesNotKnowIsPermissionDeniedWithoutSecrets) {
  const RsaTestKey impostor;
  const std::string key_json = impostor.key_file_json(kEmail, google_->token_uri());
  auto opened = gcs_backend(fresh_gcs_uri(), options_with(key_json));
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code(), ErrorCode::permission_denied) << opened.error().to_string();
  const std::string text = opened.error().to_string();
  EXPECT_NE(text.find("invalid_grant"), std::string::npos) << text;
  EXPECT_NE(text.find(kEmail), std::string::npos) << "names the account: " << text;
  expect_no_secrets(text, key_json, impostor.private_pem());
  EXPECT_EQ(google_->rejections().size(), 1U) << "a refused grant is not retried";
  EXPECT_TRUE(google_->authorizations().empty()) << "no storage request without a token";
}

TEST_F(GcsOAuth, MalformedKeyIsInvalidArgumentWithoutSecrets) {
  auto key = nlohmann::json::parse(google_->account_key().key_file_json(kEmail, google_->token_uri()));
  std::string pem = key["private_key"];
  pem[pem.size() / 2] = pem[pem.size() / 2] == 'A' ? 'B' : 'A';  // still PEM-shaped, no longer a key
  pem.insert(pem.size() / 2, "!!");
  key["private_key"] = pem;
  auto opened = gcs_backend(fresh_gcs_uri(), options_with(key.dump()));
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code(), ErrorCode::invalid_argument) << opened.error().to_string();
  expect_no_secrets(opened.error().to_string(), key.dump(), pem);
  EXPECT_TRUE(google_->grants().empty());
}

TEST_F(GcsOAuth, RefusedStorageRequestIsPermissionDeniedWithoutTheToken) {
  auto opened = gcs_backend(fresh_gcs_uri(), options());
  ASSERT_TRUE(opened) << opened.error().to_string();
  google_->set_storage_status(403);
  auto got = (*opened)->get("anything");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code(), ErrorCode::permission_denied) << got.error().to_string();
  const std::string text = got.error().to_string();
  EXPECT_NE(text.find("storage.objects.get"), std::string::npos) << "keeps GCS's message: " << text;
  EXPECT_EQ(text.find(google_->grants().at(0).token), std::string::npos) << text;
  EXPECT_EQ(text.find("Bearer"), std::string::npos) << text;
  google_->set_storage_status(0);
  ASSERT_TRUE((*opened)->remove_prefix(""));
}

TEST_F(GcsOAuth, KeyFileFromTheEnvironment) {
  const testing::TempDir dir("gcs-key");
  const auto file = dir.path / "key.json";
  std::ofstream(file) << google_->account_key().key_file_json(kEmail, google_->token_uri());
  ASSERT_EQ(::setenv("GOOGLE_APPLICATION_CREDENTIALS", file.c_str(), 1), 0);
  auto opened = gcs_backend(fresh_gcs_uri(), {.endpoint = google_->endpoint()});
  ::unsetenv("GOOGLE_APPLICATION_CREDENTIALS");
  ASSERT_TRUE(opened) << opened.error().to_string();
  ASSERT_TRUE((*opened)->put_text("k", "v", PutMode::create));
  EXPECT_EQ(google_->grants().size(), 1U);
  ASSERT_TRUE((*opened)->remove_prefix(""));
}

}  // namespace
}  // namespace lake

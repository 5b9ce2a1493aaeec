// The GCS backend on a real fake-gcs-server (started for the run by the
// fake_gcs_start CTest fixture, see tools/servers): the whole storage
// contract (StorageTest, each test under a fresh prefix of one bucket),
// then what only GCS has: resumable uploads in chunks, paginated listings,
// batch deletes, missing buckets, bad URIs and options, unreachable
// servers. gcs_oauth_test.cpp covers service-account tokens.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "lake/ingest_id.hpp"
#include "lake/storage/gcs.hpp"
#include "storage_contract.hpp"
#include "support/fake_gcs.hpp"
#include "support/loopback_http.hpp"

namespace lake::storage_testing {
namespace {

using lake::testing::fake_gcs;
using lake::testing::FakeGcsServer;
using lake::testing::fresh_gcs_uri;
using lake::testing::kGcsTestBucket;

}  // namespace

ContractBackend make_contract_backend(const std::string& kind) {
  const FakeGcsServer* s = fake_gcs();
  if (kind != "gcs" || !s) return {};
  return object_store_contract_backend(gcs_backend(fresh_gcs_uri(), s->options()));
}

namespace {

INSTANTIATE_TEST_SUITE_P(Gcs, StorageTest, ::testing::Values("gcs"), [](const auto& param_info) { return param_info.param; });

constexpr std::int64_t kChunk = 256 * 1024;

class GcsBackend : public ObjectStoreTest {
 protected:
  Result<std::unique_ptr<Backend>> open() override {
    const FakeGcsServer* server = fake_gcs();
    if (!server) return fail(ErrorCode::not_found, "no fake-gcs-server");
    GcsOptions options = server->options();
    options.chunk_bytes = kChunk;  // small chunks: several per test object
    options.list_page_size = 100;
    return gcs_backend(fresh_gcs_uri(), options);
  }
};

TEST_F(GcsBackend, LargeObjectsGoUpInChunksAndReadBackByRange) {
  const auto data = pattern_bytes(static_cast<std::size_t>(4 * kChunk + 123), 1);  // five chunks
  auto writer = backend_->open_writer("big/object.bin", PutMode::create);
  ASSERT_TRUE(writer) << writer.error().to_string();
  constexpr std::size_t kWrite = 100'000;  // not a divisor of the chunk size
  for (std::size_t at = 0; at < data.size(); at += kWrite) {
    auto ok = (*writer)->write(std::span(data).subspan(at, std::min(kWrite, data.size() - at)));
    ASSERT_TRUE(ok) << ok.error().to_string();
  }
  EXPECT_FALSE(backend_->head("big/object.bin")) << "visible before close";
  auto closed = (*writer)->close();
  ASSERT_TRUE(closed) << closed.error().to_string();
  EXPECT_EQ((*writer)->bytes_written(), static_cast<std::int64_t>(data.size()));

  auto info = backend_->head("big/object.bin");
  ASSERT_TRUE(info) << info.error().to_string();
  EXPECT_EQ(info->size, static_cast<std::int64_t>(data.size()));
  auto whole = backend_->get("big/object.bin");
  ASSERT_TRUE(whole) << whole.error().to_string();
  EXPECT_TRUE(*whole == data);
  // Ranges across each chunk boundary, one running past the end, one past it.
  for (std::int64_t boundary = kChunk; boundary < static_cast<std::int64_t>(data.size()); boundary += kChunk) {
    auto across = backend_->get_range("big/object.bin", boundary - 10, 20);
    ASSERT_TRUE(across) << across.error().to_string();
    EXPECT_TRUE(std::ranges::equal(*across, std::span(data).subspan(static_cast<std::size_t>(boundary - 10), 20)))
        << "at " << boundary;
  }
  auto tail = backend_->get_range("big/object.bin", static_cast<std::int64_t>(data.size()) - 5, 100);
  ASSERT_TRUE(tail) << tail.error().to_string();
  EXPECT_EQ(tail->size(), 5U);
  auto past = backend_->get_range("big/object.bin", static_cast<std::int64_t>(data.size()) + 10, 100);
  ASSERT_TRUE(past) << past.error().to_string();
  EXPECT_TRUE(past->empty());

  // An exclusive create of the same key in chunks is refused at close (the
  // precondition travels with the resumable session), and the object is
  // unchanged.
  auto again = backend_->open_writer("big/object.bin", PutMode::create);
  ASSERT_TRUE(again);
  ASSERT_TRUE((*again)->write(pattern_bytes(static_cast<std::size_t>(3 * kChunk), 2)));
  auto refused = (*again)->close();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::already_exists) << refused.error().to_string();
  EXPECT_EQ(backend_->head("big/object.bin")->size, static_cast<std::int64_t>(data.size()));
  EXPECT_TRUE(backend_->get("big/object.bin").value() == data);

  // An overwrite in chunks replaces it; put() of a large buffer takes the
  // same path; a chunk-sized object is one media upload.
  const auto direct = pattern_bytes(static_cast<std::size_t>(2 * kChunk + 1), 3);
  ASSERT_TRUE(backend_->put("big/object.bin", direct, PutMode::overwrite));
  EXPECT_TRUE(backend_->get("big/object.bin").value() == direct);
  const auto exact = pattern_bytes(static_cast<std::size_t>(kChunk), 4);
  ASSERT_TRUE(backend_->put("big/exact.bin", exact, PutMode::create));
  EXPECT_TRUE(backend_->get("big/exact.bin").value() == exact);
}

TEST_F(GcsBackend, WriterAbandonedMidUploadPublishesNothing) {
  {
    auto writer = backend_->open_writer("abandoned.bin", PutMode::create);
    ASSERT_TRUE(writer);
    ASSERT_TRUE((*writer)->write(pattern_bytes(static_cast<std::size_t>(3 * kChunk), 5)));  // two chunks sent
  }
  auto head = backend_->head("abandoned.bin");
  ASSERT_FALSE(head);
  EXPECT_EQ(head.error().code(), ErrorCode::not_found);
  // And the key is still free for an exclusive create.
  EXPECT_TRUE(backend_->put_text("abandoned.bin", "x", PutMode::create));
}

TEST_F(GcsBackend, ListingsPageAndPrefixesDeleteInBatches) {
  constexpr int kObjects = 345;  // four pages of 100, four batches of 100 deletes
  const auto failures = put_many_concurrently(*backend_, "many", kObjects);
  ASSERT_TRUE(failures.empty()) << failures.size() << " puts failed; first: " << failures.front();
  auto all = backend_->list("many/");
  ASSERT_TRUE(all) << all.error().to_string();
  ASSERT_EQ(all->size(), static_cast<std::size_t>(kObjects));
  for (int i = 0; i < kObjects; ++i) EXPECT_EQ((*all)[static_cast<std::size_t>(i)].key, std::format("many/{:05}", i));
  // start_after lands inside the second page and is itself excluded.
  auto after = backend_->list("many/", "many/00150");
  ASSERT_TRUE(after) << after.error().to_string();
  ASSERT_EQ(after->size(), static_cast<std::size_t>(kObjects - 151));
  EXPECT_EQ(after->front().key, "many/00151");

  // remove_all with keys that do not exist mixed in.
  std::vector<std::string> some{"many/00000", "many/00001", "never/was", "many/00002"};
  ASSERT_TRUE(backend_->remove_all(some));
  EXPECT_EQ(backend_->list("many/")->size(), static_cast<std::size_t>(kObjects - 3));
  auto removed = backend_->remove_prefix("many/");
  ASSERT_TRUE(removed) << removed.error().to_string();
  EXPECT_EQ(*removed, static_cast<std::size_t>(kObjects - 3));
  EXPECT_TRUE(backend_->list("many/")->empty());
}

TEST_F(GcsBackend, KeysWithCharactersThatNeedEncoding) {
  for (std::string key : {"a b/c+d", "x/y%z", "q?r#s", "u&v=w", "ü/ñ", "dots..in..name"}) {
    ASSERT_TRUE(backend_->put_text(key, key, PutMode::create)) << key;
    EXPECT_EQ(backend_->get_text(key).value_or(""), key) << key;
    EXPECT_EQ(backend_->head(key).value().key, key);
  }
  auto listed = backend_->list("");
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->size(), 6U);
}

TEST_F(GcsBackend, RootUriNamesBucketAndPrefix) {
  EXPECT_TRUE(backend_->root_uri().starts_with(std::format("gs://{}/", kGcsTestBucket))) << backend_->root_uri();
  EXPECT_FALSE(backend_->root_uri().ends_with('/'));
  EXPECT_EQ(backend_->name(), "gcs");
}

// What fake-gcs-server never does, scripted: keep only part of a chunk
// (GCS may; its 308's Range says how much) and fail a chunk with 503 once.
TEST(GcsResumable, ResendsWhatTheServerDidNotKeepAndRetries5xx) {
  std::mutex mutex;
  std::string stored;
  int puts = 0;
  bool finalized = false;
  std::string session_url;  // absolute, as GCS hands it out; set before any request
  testing::LoopbackHttpServer server([&](const testing::LoopbackRequest& request) -> testing::LoopbackResponse {
    std::scoped_lock lock(mutex);
    if (request.method == "GET") return {.body = R"({"name": "b"})"};  // the bucket check
    if (request.method == "POST") return {.headers = {{"Location", session_url}}};
    // PUT "Content-Range: bytes a-b/total-or-*"
    const std::string range = request.header("content-range");
    const auto dash = range.find('-');
    const std::size_t first = std::stoul(range.substr(6, dash - 6));
    if (first != stored.size()) return {.status = 400, .body = "non-contiguous chunk"};
    if (++puts == 2) return {.status = 503};
    const bool last = !range.ends_with("/*");
    std::string_view body = request.body;
    if (puts == 1) body = body.substr(0, 256 * 1024);  // keep half of the first chunk
    stored += body;
    if (last) {
      finalized = true;
      return {.body = R"({"name": "x"})"};
    }
    return {.status = 308, .headers = {{"Range", std::format("bytes=0-{}", stored.size() - 1)}}};
  });
  {
    std::scoped_lock lock(mutex);
    session_url = server.url() + "/session/1";
  }
  auto opened = gcs_backend("gs://bucket/p", {.endpoint = server.url(), .anonymous = true,
                                              .chunk_bytes = 512 * 1024,
                                              .connection = {.base_backoff = std::chrono::milliseconds(5)}});
  ASSERT_TRUE(opened) << opened.error().to_string();
  const auto data = pattern_bytes(3 * 512 * 1024 + 77, 9);
  auto ok = (*opened)->put("big.bin", data, PutMode::create);
  ASSERT_TRUE(ok) << ok.error().to_string();
  std::scoped_lock lock(mutex);
  EXPECT_TRUE(finalized);
  ASSERT_EQ(stored.size(), data.size());
  EXPECT_TRUE(std::ranges::equal(std::as_bytes(std::span(stored)), data));
}

TEST(GcsBackendOpen, MissingBucketIsNotFound) {
  const FakeGcsServer* s = fake_gcs();
  ASSERT_NE(s, nullptr);
  auto opened = gcs_backend("gs://no-such-bucket-lake/x", s->options());
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code(), ErrorCode::not_found) << opened.error().to_string();
  EXPECT_NE(opened.error().message().find("no-such-bucket-lake"), std::string::npos);
}

TEST(GcsBackendOpen, EmulatorHostVariableSetsEndpointAndAnonymous) {
  const FakeGcsServer* s = fake_gcs();
  ASSERT_NE(s, nullptr);
  // Each test runs in its own process (gtest_discover_tests), so the
  // variable is this test's alone. The standard form has no scheme.
  const std::string host = s->endpoint.substr(s->endpoint.find("://") + 3);
  ASSERT_EQ(::setenv("STORAGE_EMULATOR_HOST", host.c_str(), 1), 0);
  auto opened = gcs_backend(fresh_gcs_uri());
  ::unsetenv("STORAGE_EMULATOR_HOST");
  ASSERT_TRUE(opened) << opened.error().to_string();
  ASSERT_TRUE((*opened)->put_text("k", "v", PutMode::create));
  EXPECT_EQ((*opened)->get_text("k").value_or(""), "v");
  EXPECT_TRUE((*opened)->remove_prefix(""));
}

TEST(GcsBackendOpen, BadUrisAndOptionsAreInvalidArgument) {
  const GcsOptions fine{.endpoint = "http://127.0.0.1:1", .anonymous = true};
  for (std::string_view uri :
       {"gs://", "s3://bucket/x", "gs://Upper/x", "gs://ab", "gs://bucket/a//b", "bucket/x", "gs://-bucket/x"}) {
    auto opened = gcs_backend(uri, fine);
    ASSERT_FALSE(opened) << uri;
    EXPECT_EQ(opened.error().code(), ErrorCode::invalid_argument) << uri << ": " << opened.error().to_string();
  }
  auto expect_invalid = [](GcsOptions options, std::string_view mentions) {
    auto opened = gcs_backend("gs://bucket/x", std::move(options));
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.error().code(), ErrorCode::invalid_argument) << opened.error().to_string();
    EXPECT_NE(opened.error().message().find(mentions), std::string::npos) << opened.error().message();
  };
  GcsOptions odd_chunks = fine;
  odd_chunks.chunk_bytes = 300 * 1024;
  expect_invalid(odd_chunks, "256 KiB");
  GcsOptions big_pages = fine;
  big_pages.list_page_size = 5000;
  expect_invalid(big_pages, "list_page_size");
  GcsOptions no_attempts = fine;
  no_attempts.connection.max_attempts = 0;
  expect_invalid(no_attempts, "GcsOptions::connection.max_attempts 0 must be at least 1");
  GcsOptions no_connect_time = fine;
  no_connect_time.connection.connect_timeout = std::chrono::milliseconds(0);
  expect_invalid(no_connect_time, "GcsOptions::connection.connect_timeout 0ms must be positive");
  GcsOptions ftp = fine;
  ftp.endpoint = "ftp://host";
  expect_invalid(ftp, "ftp://host");
  GcsOptions half_hmac{.endpoint = "http://127.0.0.1:1", .hmac_access_id = "GOOG1ABC"};
  expect_invalid(half_hmac, "hmac_secret");
  GcsOptions two_kinds{.endpoint = "http://127.0.0.1:1", .hmac_access_id = "GOOG1ABC", .hmac_secret = "s",
                       .anonymous = true};
  expect_invalid(two_kinds, "one kind");
  expect_invalid(GcsOptions{.anonymous = true}, "emulators");
  GcsOptions missing_file{.endpoint = "http://127.0.0.1:1", .service_account_key_file = "/no/such/key.json"};
  expect_invalid(missing_file, "/no/such/key.json");
  GcsOptions not_json{.endpoint = "http://127.0.0.1:1", .service_account_key_json = "{not json"};
  expect_invalid(not_json, "not a JSON object");
}

TEST(GcsBackendOpen, NoCredentialsAnywhereIsInvalidArgument) {
  ::unsetenv("GOOGLE_APPLICATION_CREDENTIALS");
  ::unsetenv("STORAGE_EMULATOR_HOST");
  auto opened = gcs_backend("gs://bucket/x");
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code(), ErrorCode::invalid_argument) << opened.error().to_string();
  EXPECT_NE(opened.error().message().find("GOOGLE_APPLICATION_CREDENTIALS"), std::string::npos);
}

TEST(GcsBackendOpen, UnreachableServerFailsAfterItsRetries) {
  // A port nothing listens on: connection refused, retried, then io.
  const auto started = std::chrono::steady_clock::now();
  auto opened = gcs_backend("gs://bucket/x", {.endpoint = "http://127.0.0.1:9", .anonymous = true,
                                              .connection = {.max_attempts = 3, .base_backoff = std::chrono::milliseconds(20)}});
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code(), ErrorCode::io) << opened.error().to_string();
  EXPECT_NE(opened.error().message().find("after 3 attempts"), std::string::npos) << opened.error().message();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(30));
}

}  // namespace
}  // namespace lake::storage_testing

// The S3 backend on a real MinIO server (started for the run by the
// minio_start CTest fixture, see tools/servers): the whole storage contract
// (StorageTest, each test under a fresh prefix of one bucket), then what
// only S3 has: multipart uploads, paginated listings, batch deletes,
// refused credentials, missing buckets, bad URIs and unreachable servers.
#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <thread>

#include "lake/ingest_id.hpp"
#include "lake/storage/s3.hpp"
#include "storage_contract.hpp"
#include "support/minio.hpp"

namespace lake::storage_testing {
namespace {

using lake::testing::fresh_s3_uri;
using lake::testing::kTestBucket;
using lake::testing::minio;
using lake::testing::MinioServer;

}  // namespace

ContractBackend make_contract_backend(const std::string& kind) {
  const MinioServer* s = minio();
  if (kind != "s3" || !s) return {};
  return object_store_contract_backend(s3_backend(fresh_s3_uri(), s->options()));
}

namespace {

INSTANTIATE_TEST_SUITE_P(S3, StorageTest, ::testing::Values("s3"), [](const auto& param_info) { return param_info.param; });

class S3Backend : public ObjectStoreTest {
 protected:
  Result<std::unique_ptr<Backend>> open() override {
    server_ = minio();
    if (!server_) return fail(ErrorCode::not_found, "no MinIO server");
    return s3_backend(fresh_s3_uri(), server_->options());
  }

  const MinioServer* server_ = nullptr;
};

TEST_F(S3Backend, LargeObjectsGoUpInPartsAndReadBackByRange) {
  constexpr std::size_t kMiB = 1024 * 1024;
  const auto data = pattern_bytes(23 * kMiB + 123, 1);  // three parts of the default 8 MiB
  auto writer = backend_->open_writer("big/object.bin", PutMode::create);
  ASSERT_TRUE(writer) << writer.error().to_string();
  for (std::size_t at = 0; at < data.size(); at += kMiB) {
    auto chunk = std::span(data).subspan(at, std::min(kMiB, data.size() - at));
    ASSERT_TRUE((*writer)->write(chunk));
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
  // A range across the first part boundary, and one running past the end.
  const std::int64_t boundary = 8 * kMiB;
  auto across = backend_->get_range("big/object.bin", boundary - 10, 20);
  ASSERT_TRUE(across) << across.error().to_string();
  EXPECT_TRUE(std::ranges::equal(*across, std::span(data).subspan(boundary - 10, 20)));
  auto tail = backend_->get_range("big/object.bin", static_cast<std::int64_t>(data.size()) - 5, 100);
  ASSERT_TRUE(tail);
  EXPECT_EQ(tail->size(), 5U);
  auto past = backend_->get_range("big/object.bin", static_cast<std::int64_t>(data.size()) + 10, 100);
  ASSERT_TRUE(past) << past.error().to_string();
  EXPECT_TRUE(past->empty());

  // An exclusive create of the same key in parts is refused at close, and
  // the object is unchanged.
  auto again = backend_->open_writer("big/object.bin", PutMode::create);
  ASSERT_TRUE(again);
  ASSERT_TRUE((*again)->write(pattern_bytes(9 * kMiB, 2)));
  auto refused = (*again)->close();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::already_exists) << refused.error().to_string();
  EXPECT_EQ(backend_->head("big/object.bin")->size, static_cast<std::int64_t>(data.size()));

  // put() of a large buffer takes the same path.
  const auto direct = pattern_bytes(9 * kMiB, 3);
  ASSERT_TRUE(backend_->put("big/direct.bin", direct, PutMode::overwrite));
  EXPECT_TRUE(backend_->get("big/direct.bin").value() == direct);
}

TEST_F(S3Backend, ListingsPageAndPrefixesDeleteInBatches) {
  constexpr int kObjects = 1'205;  // more than one 1,000-key page
  const auto failures = put_many_concurrently(*backend_, "many", kObjects);
  ASSERT_TRUE(failures.empty()) << failures.size() << " puts failed; first: " << failures.front();
  auto all = backend_->list("many/");
  ASSERT_TRUE(all) << all.error().to_string();
  ASSERT_EQ(all->size(), static_cast<std::size_t>(kObjects));
  for (int i = 0; i < kObjects; ++i) EXPECT_EQ((*all)[static_cast<std::size_t>(i)].key, std::format("many/{:05}", i));
  auto after = backend_->list("many/", "many/01100");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->size(), 104U);
  auto removed = backend_->remove_prefix("many/");
  ASSERT_TRUE(removed) << removed.error().to_string();
  EXPECT_EQ(*removed, static_cast<std::size_t>(kObjects));
  EXPECT_TRUE(backend_->list("many/")->empty());
}

TEST_F(S3Backend, RootUriNamesBucketAndPrefix) {
  EXPECT_TRUE(backend_->root_uri().starts_with(std::format("s3://{}/", kTestBucket))) << backend_->root_uri();
  EXPECT_FALSE(backend_->root_uri().ends_with('/'));
  EXPECT_EQ(backend_->name(), "s3");
}

TEST(S3BackendOpen, RefusedCredentialsArePermissionDeniedAndNeverPrinted) {
  const MinioServer* s = minio();
  ASSERT_NE(s, nullptr);
  S3Options wrong = s->options();
  wrong.secret_access_key = "not-the-secret-" + s->secret_key.substr(0, 4) + "-zz9";
  auto opened = s3_backend(std::format("s3://{}/x", kTestBucket), wrong);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code(), ErrorCode::permission_denied) << opened.error().to_string();
  const std::string text = opened.error().to_string();
  EXPECT_EQ(text.find(wrong.secret_access_key), std::string::npos) << text;
  EXPECT_EQ(text.find(s->secret_key), std::string::npos) << text;
  EXPECT_NE(text.find("credentials from options"), std::string::npos) << text;
}

TEST(S3BackendOpen, MissingBucketIsNotFound) {
  const MinioServer* s = minio();
  ASSERT_NE(s, nullptr);
  auto opened = s3_backend("s3://no-such-bucket-lake/x", s->options());
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code(), ErrorCode::not_found) << opened.error().to_string();
  EXPECT_NE(opened.error().message().find("no-such-bucket-lake"), std::string::npos);
}

TEST(S3BackendOpen, BadUrisAndOptionsAreInvalidArgument) {
  const S3Options fine{.endpoint = "http://127.0.0.1:1", .access_key_id = "k", .secret_access_key = "s"};
  for (std::string_view uri : {"s3://", "gs://bucket/x", "s3://Upper/x", "s3://ab", "s3://bucket/a//b", "bucket/x"}) {
    auto opened = s3_backend(uri, fine);
    ASSERT_FALSE(opened) << uri;
    EXPECT_EQ(opened.error().code(), ErrorCode::invalid_argument) << uri << ": " << opened.error().to_string();
  }
  S3Options small_parts = fine;
  small_parts.part_bytes = 1024 * 1024;
  EXPECT_EQ(s3_backend("s3://bucket/x", small_parts).error().code(), ErrorCode::invalid_argument);
  S3Options ftp = fine;
  ftp.endpoint = "ftp://host";
  auto bad_endpoint = s3_backend("s3://bucket/x", ftp);
  ASSERT_FALSE(bad_endpoint);
  EXPECT_NE(bad_endpoint.error().message().find("ftp://host"), std::string::npos);
  // The connection options are checked by the same rules on every store,
  // and the error names the field where it sits.
  for (auto [connection, field] : {std::pair{ConnectionOptions{.max_attempts = 0}, "S3Options::connection.max_attempts 0"},
                                   std::pair{ConnectionOptions{.base_backoff = std::chrono::milliseconds(-1)},
                                             "S3Options::connection.base_backoff -1ms"},
                                   std::pair{ConnectionOptions{.stall_timeout = std::chrono::milliseconds(0)},
                                             "S3Options::connection.stall_timeout 0ms"}}) {
    S3Options options = fine;
    options.connection = connection;
    auto opened = s3_backend("s3://bucket/x", options);
    ASSERT_FALSE(opened) << field;
    EXPECT_EQ(opened.error().code(), ErrorCode::invalid_argument) << opened.error().to_string();
    EXPECT_NE(opened.error().message().find(field), std::string::npos) << opened.error().message();
  }
}

TEST(S3BackendOpen, UnreachableServerFailsAfterItsRetries) {
  // A port nothing listens on: connection refused, retried, then io.
  const auto started = std::chrono::steady_clock::now();
  auto opened = s3_backend("s3://bucket/x", {.endpoint = "http://127.0.0.1:9", .path_style = true,
                                              .access_key_id = "k", .secret_access_key = "s",
                                              .connection = {.max_attempts = 3, .base_backoff = std::chrono::milliseconds(20)}});
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code(), ErrorCode::io) << opened.error().to_string();
  EXPECT_NE(opened.error().message().find("after 3 attempts"), std::string::npos) << opened.error().message();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(30));
}

}  // namespace
}  // namespace lake::storage_testing

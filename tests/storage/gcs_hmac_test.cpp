// HMAC interoperability keys: the XML API, S3's protocol signed with SigV4
// (region "auto"). fake-gcs-server does not serve the XML API's writes, so
// this runs against a scripted loopback server (support/scripted_s3.hpp)
// that behaves like GCS's XML API where the backend relies on it
// (generation preconditions on PUT and on completing a multipart upload),
// and that checks every request's signature.
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <sstream>

#include "lake/storage/gcs.hpp"
#include "support/scripted_s3.hpp"

namespace lake {
namespace {

using testing::LoopbackHttpServer;
using testing::LoopbackRequest;
using testing::LoopbackResponse;
using testing::ScriptedS3;

constexpr std::string_view kAccessId = "GOOG1EXAMPLEACCESSID";
constexpr std::string_view kSecret = "bGoa+V7g/yqDXvKRqq+JTFn4uQZbPiQJo4pf9RzJ";
constexpr std::string_view kBucket = "lake-hmac";

TEST(GcsHmac, XmlApiRequestsAreSignedAndCreatesUseGenerationPreconditions) {
  ScriptedS3 xml({.bucket = std::string(kBucket),
                  .access_key_id = std::string(kAccessId),
                  .secret = std::string(kSecret),
                  .region = "auto",
                  .gcs = true});
  auto opened = gcs_backend(std::format("gs://{}/lake", kBucket),
                            {.endpoint = xml.endpoint(), .hmac_access_id = std::string(kAccessId),
                             .hmac_secret = std::string(kSecret),
                             .connection = {.base_backoff = std::chrono::milliseconds(5)}});
  ASSERT_TRUE(opened) << opened.error().to_string();
  auto& backend = **opened;
  EXPECT_EQ(backend.name(), "gcs");
  EXPECT_EQ(backend.root_uri(), std::format("gs://{}/lake", kBucket));

  ASSERT_TRUE(backend.put_text("t/_delta_log/0.json", "first", PutMode::create));
  auto again = backend.put_text("t/_delta_log/0.json", "second", PutMode::create);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), ErrorCode::already_exists) << again.error().to_string();
  EXPECT_NE(again.error().message().find("gs://"), std::string::npos) << again.error().message();
  EXPECT_EQ(backend.get_text("t/_delta_log/0.json").value_or(""), "first");
  ASSERT_TRUE(backend.put_text("t/_delta_log/0.json", "third", PutMode::overwrite));
  EXPECT_EQ(xml.objects().at("lake/t/_delta_log/0.json"), "third");
  std::vector<std::string> keys{"t/_delta_log/0.json", "missing"};
  ASSERT_TRUE(backend.remove_all(keys));
  EXPECT_FALSE(xml.objects().contains("lake/t/_delta_log/0.json"));

  EXPECT_TRUE(xml.problems().empty()) << xml.problems().size() << " problems; first: " << xml.problems().front();
  bool saw_precondition = false;
  for (const auto& request : xml.requests()) {
    saw_precondition |= request.header("x-goog-if-generation-match") == "0";
    for (const auto& [name, value] : request.headers) EXPECT_EQ(value.find(kSecret), std::string::npos) << name;
  }
  EXPECT_TRUE(saw_precondition);
}

TEST(GcsHmac, RefusedSignatureIsPermissionDeniedWithoutTheSecret) {
  LoopbackHttpServer refusing([](const LoopbackRequest&) {
    return LoopbackResponse{.status = 403, .body = "<Error><Code>SignatureDoesNotMatch</Code></Error>"};
  });
  auto opened = gcs_backend(std::format("gs://{}/x", kBucket),
                            {.endpoint = refusing.url(), .hmac_access_id = std::string(kAccessId),
                             .hmac_secret = std::string(kSecret)});
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code(), ErrorCode::permission_denied) << opened.error().to_string();
  const std::string text = opened.error().to_string();
  EXPECT_EQ(text.find(kSecret), std::string::npos) << text;
  EXPECT_EQ(text.find("Signature="), std::string::npos) << text;
  EXPECT_NE(text.find("HMAC"), std::string::npos) << "names where the credentials came from: " << text;
}

}  // namespace
}  // namespace lake

// HMAC interoperability keys: the XML API, S3's protocol signed with SigV4
// (region "auto"). fake-gcs-server does not serve the XML API's writes, so
// this runs against a scripted loopback server that behaves like GCS's XML
// API where the backend relies on it (generation preconditions on PUT and
// on completing a multipart upload), and that checks every request's
// signature by signing what it received again with the same secret.
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <sstream>

#include "lake/storage/gcs.hpp"
#include "storage/s3/sigv4.hpp"
#include "support/loopback_http.hpp"

namespace lake {
namespace {

using testing::LoopbackHttpServer;
using testing::LoopbackRequest;
using testing::LoopbackResponse;

constexpr std::string_view kAccessId = "GOOG1EXAMPLEACCESSID";
constexpr std::string_view kSecret = "bGoa+V7g/yqDXvKRqq+JTFn4uQZbPiQJo4pf9RzJ";
constexpr std::string_view kBucket = "lake-hmac";

std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out.push_back(static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

class XmlApiStandIn {
 public:
  XmlApiStandIn() : server_([this](const LoopbackRequest& r) { return handle(r); }) {}

  std::string endpoint() const { return server_.url(); }
  std::vector<std::string> problems() const { std::scoped_lock lock(mutex_); return problems_; }
  std::vector<LoopbackRequest> requests() const { std::scoped_lock lock(mutex_); return requests_; }
  std::map<std::string, std::string> objects() const { std::scoped_lock lock(mutex_); return objects_; }

 private:
  // Signs the request as received and compares with its Authorization.
  void check_signature(const LoopbackRequest& request, std::string_view path,
                       const std::vector<std::pair<std::string, std::string>>& query) {
    const std::string authorization = request.header("authorization");
    const std::string date = request.header("x-amz-date");
    const auto signed_at = authorization.find("SignedHeaders=");
    if (!authorization.starts_with(std::format("AWS4-HMAC-SHA256 Credential={}/{}/auto/s3/aws4_request,", kAccessId,
                                               date.substr(0, 8))) ||
        signed_at == std::string::npos) {
      problems_.push_back("unexpected Authorization scheme or scope: " + authorization.substr(0, 80));
      return;
    }
    std::string names = authorization.substr(signed_at + 14);
    names = names.substr(0, names.find(','));
    s3::RequestToSign again{.method = request.method, .path = std::string(path), .query = query};
    std::istringstream list(names);
    for (std::string name; std::getline(list, name, ';');)
      if (name != "x-amz-date" && name != "x-amz-content-sha256") again.headers.emplace_back(name, request.header(name));
    std::chrono::sys_seconds at{};
    std::istringstream(date) >> std::chrono::parse("%Y%m%dT%H%M%SZ", at);
    s3::sign(again, request.header("x-amz-content-sha256"),
             {.access_key_id = std::string(kAccessId), .secret_access_key = std::string(kSecret)},
             {.region = "auto", .service = "s3"}, at);
    if (again.headers.back().second != authorization)
      problems_.push_back(std::format("signature mismatch on {} {}", request.method, request.target));
    if (request.header("x-amz-content-sha256") != s3::sha256_hex(request.body))
      problems_.push_back("payload hash mismatch on " + request.target);
  }

  static LoopbackResponse error(int status, std::string_view code) {
    return {.status = status, .body = std::format("<Error><Code>{}</Code><Message>m</Message></Error>", code)};
  }

  LoopbackResponse handle(const LoopbackRequest& request) {
    std::scoped_lock lock(mutex_);
    requests_.push_back(request);
    const auto question = request.target.find('?');
    const std::string path = request.target.substr(0, question);
    std::vector<std::pair<std::string, std::string>> query;
    std::map<std::string, std::string> params;
    if (question != std::string::npos) {
      std::istringstream list(request.target.substr(question + 1));
      for (std::string pair; std::getline(list, pair, '&');) {
        const auto eq = pair.find('=');
        const std::string name = percent_decode(pair.substr(0, eq));
        const std::string value = eq == std::string::npos ? "" : percent_decode(pair.substr(eq + 1));
        query.emplace_back(name, value);
        params[name] = value;
      }
    }
    check_signature(request, path, query);
    const std::string bucket_path = std::format("/{}", kBucket);
    if (path == bucket_path && request.method == "HEAD") return {};
    if (!path.starts_with(bucket_path + "/")) return error(404, "NoSuchBucket");
    const std::string key = percent_decode(path.substr(bucket_path.size() + 1));
    const bool exclusive = request.header("x-goog-if-generation-match") == "0";
    if (!request.header("if-none-match").empty()) problems_.push_back("If-None-Match sent to GCS on " + key);
    const bool taken = objects_.contains(key);
    if (request.method == "PUT" && params.contains("partNumber")) {
      parts_[params["uploadId"]][std::stoi(params["partNumber"])] = request.body;
      return {.headers = {{"ETag", "\"p" + params["partNumber"] + "\""}}};
    }
    if (request.method == "PUT") {
      if (exclusive && taken) return error(412, "PreconditionFailed");
      objects_[key] = request.body;
      return {.headers = {{"ETag", "\"" + std::string(s3::sha256_hex(request.body)).substr(0, 32) + "\""}}};
    }
    if (request.method == "POST" && params.contains("uploads"))
      return {.body = std::format("<InitiateMultipartUploadResult><UploadId>u{}</UploadId>"
                                  "</InitiateMultipartUploadResult>", ++uploads_)};
    if (request.method == "POST" && params.contains("uploadId")) {
      if (exclusive && taken) return error(412, "PreconditionFailed");
      std::string whole;
      for (const auto& [number, part] : parts_[params["uploadId"]]) whole += part;
      parts_.erase(params["uploadId"]);
      objects_[key] = whole;
      return {.body = "<CompleteMultipartUploadResult><ETag>\"x-1\"</ETag></CompleteMultipartUploadResult>"};
    }
    if (request.method == "DELETE") {
      if (params.contains("uploadId")) parts_.erase(params["uploadId"]);
      else objects_.erase(key);
      return {.status = 204};
    }
    if (request.method == "GET") {
      auto found = objects_.find(key);
      if (found == objects_.end()) return error(404, "NoSuchKey");
      return {.body = found->second};
    }
    return error(400, "Unscripted");
  }

  mutable std::mutex mutex_;
  std::vector<std::string> problems_;
  std::vector<LoopbackRequest> requests_;
  std::map<std::string, std::string> objects_;
  std::map<std::string, std::map<int, std::string>> parts_;
  int uploads_ = 0;
  LoopbackHttpServer server_;  // last: stops before the state it uses goes
};

TEST(GcsHmac, XmlApiRequestsAreSignedAndCreatesUseGenerationPreconditions) {
  XmlApiStandIn xml;
  auto opened = gcs_backend(std::format("gs://{}/lake", kBucket),
                            {.endpoint = xml.endpoint(), .hmac_access_id = std::string(kAccessId),
                             .hmac_secret = std::string(kSecret), .base_backoff = std::chrono::milliseconds(5)});
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

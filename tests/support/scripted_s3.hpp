// A scripted S3-protocol server on loopback, for what no real server here
// does: GCS's XML API (fake-gcs-server does not serve its writes), and an
// S3-compatible server that ignores conditional writes (MinIO honours
// them). It keeps objects and multipart uploads in memory, checks every
// request's SigV4 signature by signing what it received again with the same
// secret, and records anything unexpected in problems().
#pragma once

#include <chrono>
#include <format>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/s3/sigv4.hpp"
#include "support/loopback_http.hpp"

namespace lake::testing {

struct ScriptedS3Options {
  std::string bucket;
  std::string access_key_id;
  std::string secret;
  std::string region;  // "auto" for GCS
  // The dialect: GCS's XML API makes creates exclusive with
  // x-goog-if-generation-match: 0 (and must never get If-None-Match);
  // S3 with If-None-Match: *.
  bool gcs = false;
  // Whether the server honours that precondition on PUT and on completing
  // a multipart upload (a server that ignores it overwrites).
  bool honour_on_put = true;
  bool honour_on_complete = true;
};

inline std::string percent_decode(std::string_view text) {
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

class ScriptedS3 {
 public:
  explicit ScriptedS3(ScriptedS3Options options)
      : options_(std::move(options)), server_([this](const LoopbackRequest& r) { return handle(r); }) {}

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
    if (!authorization.starts_with(std::format("AWS4-HMAC-SHA256 Credential={}/{}/{}/s3/aws4_request,",
                                               options_.access_key_id, date.substr(0, 8), options_.region)) ||
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
             {.access_key_id = options_.access_key_id, .secret_access_key = options_.secret},
             {.region = options_.region, .service = "s3"}, at);
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
    const std::string bucket_path = std::format("/{}", options_.bucket);
    if (path == bucket_path && request.method == "HEAD") return {};
    if (!path.starts_with(bucket_path + "/")) return error(404, "NoSuchBucket");
    const std::string key = percent_decode(path.substr(bucket_path.size() + 1));
    const bool exclusive = options_.gcs ? request.header("x-goog-if-generation-match") == "0"
                                        : request.header("if-none-match") == "*";
    if (options_.gcs && !request.header("if-none-match").empty())
      problems_.push_back("If-None-Match sent to GCS on " + key);
    if (!options_.gcs && !request.header("x-goog-if-generation-match").empty())
      problems_.push_back("x-goog-if-generation-match sent to S3 on " + key);
    const bool taken = objects_.contains(key);
    if (request.method == "PUT" && params.contains("partNumber")) {
      parts_[params["uploadId"]][std::stoi(params["partNumber"])] = request.body;
      return {.headers = {{"ETag", "\"p" + params["partNumber"] + "\""}}};
    }
    if (request.method == "PUT") {
      if (exclusive && taken && options_.honour_on_put) return error(412, "PreconditionFailed");
      objects_[key] = request.body;
      return {.headers = {{"ETag", "\"" + std::string(s3::sha256_hex(request.body)).substr(0, 32) + "\""}}};
    }
    if (request.method == "POST" && params.contains("uploads"))
      return {.body = std::format("<InitiateMultipartUploadResult><UploadId>u{}</UploadId>"
                                  "</InitiateMultipartUploadResult>", ++uploads_)};
    if (request.method == "POST" && params.contains("uploadId")) {
      if (exclusive && taken && options_.honour_on_complete) return error(412, "PreconditionFailed");
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
    if (request.method == "HEAD") {
      auto found = objects_.find(key);
      if (found == objects_.end()) return {.status = 404};
      // (The loopback server sends Content-Length: 0 for an answer without
      // a body; enough for callers that only ask whether the key exists.)
      return {.headers = {{"Last-Modified", "Sun, 22 Nov 2026 00:00:00 GMT"}}};
    }
    return error(400, "Unscripted");
  }

  ScriptedS3Options options_;
  mutable std::mutex mutex_;
  std::vector<std::string> problems_;
  std::vector<LoopbackRequest> requests_;
  std::map<std::string, std::string> objects_;
  std::map<std::string, std::map<int, std::string>> parts_;
  int uploads_ = 0;
  LoopbackHttpServer server_;  // last: stops before the state it uses goes
};

}  // namespace lake::testing

#include "storage/s3/s3_client.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <format>
#include <sstream>

#include "core/propagate.hpp"
#include "storage/object_store/retry.hpp"
#include "storage/s3/xml.hpp"

namespace lake::s3 {
namespace {

bool transient_status(long status, std::string_view code) {
  if (object_store::transient_status(status)) return true;
  // S3 also throttles and times out with 400/503 codes, a conditional
  // write racing another conditional write gets 409, and a body the server
  // received short (IncompleteBody: seen from MinIO under heavy load) was
  // cut in transit and not stored: all worth a retry.
  return code == "SlowDown" || code == "RequestTimeout" || code == "InternalError" ||
         code == "ConditionalRequestConflict" || code == "IncompleteBody";
}

std::string_view error_code_of(const HttpResponse& response) {
  // Cheap look at the <Code> of an error body without a full parse.
  const std::string_view body = response.body_text();
  auto open = body.find("<Code>");
  if (open == std::string_view::npos) return {};
  auto close = body.find("</Code>", open);
  if (close == std::string_view::npos) return {};
  return body.substr(open + 6, close - open - 6);
}

timestamp parse_time(std::string_view text, const char* format) {
  std::chrono::sys_time<std::chrono::milliseconds> at{};
  std::istringstream in{std::string(text)};
  in >> std::chrono::parse(format, at);
  return in.fail() ? timestamp{} : std::chrono::time_point_cast<std::chrono::microseconds>(at);
}

std::string base64(std::span<const unsigned char> bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::array<unsigned char, 16> md5(std::span<const std::byte> data) {
  std::array<unsigned char, 16> digest{};
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_md5(), nullptr);
  return digest;
}

}  // namespace

std::string md5_hex(std::span<const std::byte> data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : md5(data)) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xF]);
  }
  return out;
}

std::string md5_base64(std::span<const std::byte> data) { return base64(md5(data)); }

std::string multipart_etag(std::span<const std::string> part_md5_hex) {
  std::vector<std::byte> digests;
  for (const auto& hex : part_md5_hex) {
    // Part ETags come from the server: one that is no MD5 (encrypted with
    // SSE-KMS, say) leaves the object's ETag unknown.
    if (hex.size() != 32 || !std::ranges::all_of(hex, [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); }))
      return {};
    for (std::size_t i = 0; i < hex.size(); i += 2) {
      unsigned value = 0;
      std::from_chars(hex.data() + i, hex.data() + i + 2, value, 16);
      digests.push_back(static_cast<std::byte>(value));
    }
  }
  return std::format("\"{}-{}\"", md5_hex(digests), part_md5_hex.size());
}

S3Client::S3Client(std::string bucket, const S3Options& options, Credentials credentials, std::string region,
                   Flavour flavour)
    : bucket_(std::move(bucket)), flavour_(flavour), path_style_(options.path_style), options_(options),
      credentials_(std::move(credentials)), scope_{.region = std::move(region), .service = "s3"} {
  std::string endpoint = options.endpoint.empty() ? std::format("https://s3.{}.amazonaws.com", scope_.region)
                                                  : options.endpoint;
  auto scheme_end = endpoint.find("://");
  scheme_ = endpoint.substr(0, scheme_end);
  endpoint_host_ = endpoint.substr(scheme_end + 3);
  while (endpoint_host_.ends_with('/')) endpoint_host_.pop_back();
  // The options are kept for timeouts and retries; the secret lives only in
  // credentials_.
  options_.secret_access_key.clear();
  options_.session_token.clear();
}

std::string S3Client::describe(std::string_view key) const {
  return std::format("{}://{}/{}", flavour_ == Flavour::gcs_xml ? "gs" : "s3", bucket_, key);
}

std::pair<std::string, std::string> S3Client::create_precondition() const {
  if (flavour_ == Flavour::gcs_xml) return {"x-goog-if-generation-match", "0"};
  return {"if-none-match", "*"};
}

std::string S3Client::url_of(const Call& call, std::string& canonical_path, std::string& host) const {
  const std::string encoded_key = uri_encode(call.key, false);
  if (path_style_) {
    host = endpoint_host_;
    canonical_path = "/" + bucket_ + (call.key.empty() ? "" : "/" + encoded_key);
  } else {
    host = bucket_ + "." + endpoint_host_;
    canonical_path = "/" + encoded_key;
  }
  std::string url = scheme_ + "://" + host + canonical_path;
  char separator = '?';
  for (const auto& [name, value] : call.query) {
    url += separator;
    url += uri_encode(name, true);
    if (!value.empty()) url += "=" + uri_encode(value, true);
    separator = '&';
  }
  return url;
}

Result<HttpResponse> S3Client::send(Call& call) {
  const std::string payload_hash = call.body.empty() ? std::string(kEmptyPayloadSha256) : sha256_hex(call.body);
  auto prepare = [&](int attempt) -> Result<HttpRequest> {
    call.attempts = attempt;
    // Signed per attempt: the signature carries the time.
    RequestToSign to_sign{.method = call.method, .path = {}, .query = call.query, .headers = call.headers};
    std::string host;
    const std::string url = url_of(call, to_sign.path, host);
    to_sign.headers.emplace_back("host", host);
    sign(to_sign, payload_hash, credentials_, scope_, std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
    HttpRequest request{.method = call.method,
                        .url = url,
                        .headers = std::move(to_sign.headers),
                        .body = call.body,
                        .fresh_connection = call.exclusive};
    // curl sets Host itself from the URL; a second one would be sent twice.
    std::erase_if(request.headers, [](const auto& header) { return header.first == "host"; });
    return request;
  };
  auto transient = [&](const HttpResponse& response) -> std::optional<Error> {
    const std::string_view code =
        response.status >= 300 || call.error_in_ok_body ? error_code_of(response) : std::string_view();
    if (!transient_status(response.status, code)) return std::nullopt;
    return map_error(call, response);
  };
  return object_store::send_with_retries(options_.connection, "S3",
                                         prepare, transient);
}

Error S3Client::map_error(const Call& call, const HttpResponse& response) const {
  std::string code(error_code_of(response));
  std::string message;
  if (auto parsed = parse_xml(response.body_text()); parsed && parsed->name == "Error") {
    code = std::string(parsed->child_text("Code"));
    message = std::string(parsed->child_text("Message"));
  }
  const std::string what = std::format("S3 {} {}: HTTP {}{}{}", call.method, describe(call.key), response.status,
                                       code.empty() ? "" : " " + code, message.empty() ? "" : ": " + message);
  switch (response.status) {
    case 404: return Error(ErrorCode::not_found, what);
    case 401:
    case 403: return Error(ErrorCode::permission_denied, what);
    case 412: return Error(ErrorCode::already_exists, what);
    case 400: return Error(ErrorCode::invalid_argument, what);
    default: return Error(ErrorCode::io, what);
  }
}

Status S3Client::check_bucket() {
  Call call{.method = "HEAD", .key = ""};
  auto response = send(call);
  LAKE_RETURN_IF_ERROR(response);
  if (response->status == 404)
    return fail(ErrorCode::not_found, std::format("S3: bucket '{}' does not exist", bucket_));
  if (response->status != 200) return std::unexpected(map_error(call, *response));
  return {};
}

Status S3Client::create_bucket() {
  std::string body;
  if (scope_.region != "us-east-1")
    body = "<CreateBucketConfiguration><LocationConstraint>" + xml_escape(scope_.region) +
           "</LocationConstraint></CreateBucketConfiguration>";
  Call call{.method = "PUT", .key = "", .body = std::as_bytes(std::span(body))};
  auto response = send(call);
  LAKE_RETURN_IF_ERROR(response);
  if (response->status == 200 || error_code_of(*response) == "BucketAlreadyOwnedByYou") return {};
  return std::unexpected(map_error(call, *response));
}

bool S3Client::landed_already(std::string_view key, std::string_view expected_etag) {
  if (expected_etag.empty()) return false;  // unknown: no way to tell
  auto response = [&] {
    Call call{.method = "HEAD", .key = std::string(key)};
    return send(call);
  }();
  return response && response->status == 200 && response->header("etag") == expected_etag;
}

Result<std::string> S3Client::put_object(std::string_view key, std::span<const std::byte> body, bool if_none_match) {
  Call call{.method = "PUT", .key = std::string(key), .headers = {{"content-md5", md5_base64(body)}}, .body = body};
  if (if_none_match) {
    call.headers.push_back(create_precondition());
    call.exclusive = true;
  }
  auto response = send(call);
  LAKE_RETURN_IF_ERROR(response);
  if (response->status == 412 && call.attempts > 1) {
    // A single PUT's ETag is its body's MD5.
    const std::string expected_etag = "\"" + md5_hex(body) + "\"";
    if (landed_already(key, expected_etag)) return expected_etag;
  }
  if (response->status != 200) return std::unexpected(map_error(call, *response));
  return std::string(response->header("etag"));
}

Result<std::vector<std::byte>> S3Client::get_object(std::string_view key,
                                                    std::optional<std::pair<std::int64_t, std::int64_t>> range) {
  Call call{.method = "GET", .key = std::string(key)};
  if (range) call.headers.push_back(object_store::range_header(*range));
  auto response = send(call);
  LAKE_RETURN_IF_ERROR(response);
  if (auto body = object_store::take_read_body(*response)) return std::move(*body);
  return std::unexpected(map_error(call, *response));
}

Result<ObjectInfo> S3Client::head_object(std::string_view key) {
  Call call{.method = "HEAD", .key = std::string(key)};
  auto response = send(call);
  LAKE_RETURN_IF_ERROR(response);
  if (response->status != 200) return std::unexpected(map_error(call, *response));
  ObjectInfo info{.key = std::string(key)};
  const std::string_view length = response->header("content-length");
  std::from_chars(length.data(), length.data() + length.size(), info.size);
  info.modified = parse_time(response->header("last-modified"), "%a, %d %b %Y %H:%M:%S GMT");
  return info;
}

Result<ObjectListing> S3Client::list_objects(std::string_view prefix, std::string_view start_after,
                                             std::string_view continuation_token) {
  Call call{.method = "GET", .key = "", .query = {{"list-type", "2"}, {"prefix", std::string(prefix)}}};
  if (!start_after.empty()) call.query.emplace_back("start-after", std::string(start_after));
  if (!continuation_token.empty()) call.query.emplace_back("continuation-token", std::string(continuation_token));
  auto response = send(call);
  LAKE_RETURN_IF_ERROR(response);
  if (response->status != 200) return std::unexpected(map_error(call, *response));
  auto document = parse_xml(response->body_text());
  if (!document) return std::unexpected(document.error().with_context(std::format("listing {}", describe(prefix))));
  ObjectListing listing;
  for (const XmlElement* entry : document->children_named("Contents")) {
    ObjectInfo info{.key = std::string(entry->child_text("Key"))};
    const std::string_view size = entry->child_text("Size");
    std::from_chars(size.data(), size.data() + size.size(), info.size);
    info.modified = parse_time(entry->child_text("LastModified"), "%Y-%m-%dT%H:%M:%SZ");
    listing.objects.push_back(std::move(info));
  }
  if (document->child_text("IsTruncated") == "true") {
    listing.next_continuation_token = std::string(document->child_text("NextContinuationToken"));
    if (listing.next_continuation_token.empty())
      return fail(ErrorCode::io, std::format("S3 listing {} is truncated but has no continuation token", describe(prefix)));
  }
  return listing;
}

Status S3Client::delete_object(std::string_view key) {
  Call call{.method = "DELETE", .key = std::string(key)};
  auto response = send(call);
  LAKE_RETURN_IF_ERROR(response);
  // S3 answers 204 whether or not the key existed.
  if (response->status != 204 && response->status != 200) return std::unexpected(map_error(call, *response));
  return {};
}

Status S3Client::delete_objects(std::span<const std::string> keys) {
  for (std::size_t first = 0; first < keys.size(); first += 1000) {
    std::string body = "<Delete><Quiet>true</Quiet>";
    for (std::size_t i = first; i < std::min(keys.size(), first + 1000); ++i)
      body += "<Object><Key>" + xml_escape(keys[i]) + "</Key></Object>";
    body += "</Delete>";
    const auto bytes = std::as_bytes(std::span(body));
    Call call{.method = "POST", .key = "", .query = {{"delete", ""}}, .headers = {{"content-md5", md5_base64(bytes)}},
              .body = bytes};
    auto response = send(call);
    LAKE_RETURN_IF_ERROR(response);
    if (response->status != 200) return std::unexpected(map_error(call, *response));
    // Quiet mode lists only the keys that failed.
    auto document = parse_xml(response->body_text());
    if (!document) return std::unexpected(document.error().with_context("S3 batch delete"));
    if (auto errors = document->children_named("Error"); !errors.empty())
      return fail(ErrorCode::io, std::format("S3 batch delete: {} of {} keys failed; first {}: {} {}", errors.size(),
                                             std::min<std::size_t>(1000, keys.size() - first),
                                             describe(errors[0]->child_text("Key")), errors[0]->child_text("Code"),
                                             errors[0]->child_text("Message")));
  }
  return {};
}

Result<std::string> S3Client::create_multipart_upload(std::string_view key) {
  Call call{.method = "POST", .key = std::string(key), .query = {{"uploads", ""}}};
  auto response = send(call);
  LAKE_RETURN_IF_ERROR(response);
  if (response->status != 200) return std::unexpected(map_error(call, *response));
  auto document = parse_xml(response->body_text());
  if (!document) return std::unexpected(document.error().with_context("S3 multipart upload"));
  std::string id(document->child_text("UploadId"));
  if (id.empty()) return fail(ErrorCode::io, std::format("S3 gave no UploadId for {}", describe(key)));
  return id;
}

Result<std::string> S3Client::upload_part(std::string_view key, std::string_view upload_id, int number,
                                          std::span<const std::byte> body) {
  Call call{.method = "PUT",
            .key = std::string(key),
            .query = {{"partNumber", std::to_string(number)}, {"uploadId", std::string(upload_id)}},
            .body = body};
  // S3 checks a part against the signed SHA-256 of its body
  // (x-amz-content-sha256) already; an MD5 on top would cost a second pass
  // over every part, the most expensive step of an upload. GCS's XML API
  // gets Content-MD5 as well.
  if (flavour_ == Flavour::gcs_xml) call.headers.emplace_back("content-md5", md5_base64(body));
  auto response = send(call);
  LAKE_RETURN_IF_ERROR(response);
  if (response->status != 200) return std::unexpected(map_error(call, *response));
  return std::string(response->header("etag"));
}

Result<std::string> S3Client::complete_multipart_upload(std::string_view key, std::string_view upload_id,
                                                        std::span<const CompletedPart> parts, bool if_none_match,
                                                        std::string_view expected_etag) {
  std::string body = "<CompleteMultipartUpload>";
  for (const auto& part : parts)
    body += std::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", part.number, xml_escape(part.etag));
  body += "</CompleteMultipartUpload>";
  const auto bytes = std::as_bytes(std::span(body));
  Call call{.method = "POST",
            .key = std::string(key),
            .query = {{"uploadId", std::string(upload_id)}},
            .body = bytes,
            .error_in_ok_body = true};
  if (if_none_match) {
    call.headers.push_back(create_precondition());
    call.exclusive = true;
  }
  auto response = send(call);
  LAKE_RETURN_IF_ERROR(response);
  // A retry after a lost response finds the upload gone (404) or the key
  // taken (412); either way the object may be ours.
  if ((response->status == 412 || response->status == 404) && call.attempts > 1 && landed_already(key, expected_etag))
    return std::string(expected_etag);
  if (response->status != 200) return std::unexpected(map_error(call, *response));
  // S3 may answer 200 and put the failure in the body.
  auto document = parse_xml(response->body_text());
  if (!document) return std::unexpected(document.error().with_context("S3 complete multipart upload"));
  if (document->name == "Error") {
    HttpResponse as_error = *response;
    as_error.status = document->child_text("Code") == "PreconditionFailed" ? 412 : 500;
    return std::unexpected(map_error(call, as_error));
  }
  return std::string(document->child_text("ETag"));
}

Status S3Client::abort_multipart_upload(std::string_view key, std::string_view upload_id) {
  Call call{.method = "DELETE", .key = std::string(key), .query = {{"uploadId", std::string(upload_id)}}};
  auto response = send(call);
  LAKE_RETURN_IF_ERROR(response);
  if (response->status != 204 && response->status != 200 && response->status != 404)
    return std::unexpected(map_error(call, *response));
  return {};
}

}  // namespace lake::s3

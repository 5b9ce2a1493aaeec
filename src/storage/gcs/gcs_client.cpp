#include "storage/gcs/gcs_client.hpp"

#include <algorithm>
#include <charconv>
#include <format>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/propagate.hpp"
#include "storage/s3/s3_client.hpp"  // md5_base64 (GCS's md5Hash is the same encoding)
#include "storage/s3/sigv4.hpp"      // uri_encode (RFC 3986, as GCS wants names in paths)

namespace lake::gcs {
namespace {

using Json = nlohmann::json;
using object_store::HttpRequest;
using object_store::HttpResponse;

constexpr std::size_t kBatchLimit = 100;  // GCS's most sub-requests per batch

std::string encode(std::string_view text) { return s3::uri_encode(text, true); }

std::int64_t int_field(const Json& object, const char* name) {
  auto found = object.find(name);
  if (found == object.end()) return 0;
  if (found->is_number_integer()) return found->get<std::int64_t>();
  std::int64_t value = 0;
  if (found->is_string()) {
    const auto& text = found->get_ref<const std::string&>();
    std::from_chars(text.data(), text.data() + text.size(), value);
  }
  return value;
}

std::string string_field(const Json& object, const char* name) {
  auto found = object.find(name);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

ObjectMetadata metadata_of(const Json& item) {
  return {.info = {.key = string_field(item, "name"),
                   .size = int_field(item, "size"),
                   .modified = parse_rfc3339(string_field(item, "updated"))},
          .md5_base64 = string_field(item, "md5Hash"),
          .generation = int_field(item, "generation")};
}

}  // namespace

timestamp parse_rfc3339(std::string_view text) {
  std::chrono::sys_time<std::chrono::microseconds> at{};
  std::istringstream in{std::string(text)};
  in >> std::chrono::parse("%FT%T", at);
  return in.fail() ? timestamp{} : at;
}

GcsClient::GcsClient(ClientConfig config, std::shared_ptr<TokenSource> tokens)
    : config_(std::move(config)), tokens_(std::move(tokens)) {}

std::string GcsClient::describe(std::string_view key) const { return std::format("gs://{}/{}", config_.bucket, key); }

std::string GcsClient::object_url(std::string_view key) const {
  return std::format("{}/storage/v1/b/{}/o/{}", config_.endpoint, encode(config_.bucket), encode(key));
}

Result<HttpResponse> GcsClient::send(Call& call) {
  auto prepare = [&](int attempt) -> Result<HttpRequest> {
    call.attempts = attempt;
    // Field by field: GCC 16 at -O3 takes a designated initializer's
    // defaulted members for uninitialized (-Wmaybe-uninitialized).
    HttpRequest request;
    request.method = call.method;
    request.url = call.url;
    request.headers = call.headers;
    request.body = call.body;
    request.description = call.what;
    request.fresh_connection = call.exclusive;
    if (tokens_) {
      // Asked per attempt: a retry after a long backoff may need a new token.
      auto authorization = tokens_->authorization();
      if (!authorization) return std::unexpected(authorization.error().with_context(call.what));
      request.headers.emplace_back("Authorization", std::move(*authorization));
    }
    return request;
  };
  auto transient = [&](const HttpResponse& response) -> std::optional<Error> {
    if (!object_store::transient_status(response.status)) return std::nullopt;
    return map_error(call, response);
  };
  return object_store::send_with_retries(config_.connection, "GCS", prepare, transient);
}

Error GcsClient::map_error(const Call& call, const HttpResponse& response) const {
  // {"error": {"code": 404, "message": "...", "errors": [{"reason": "notFound", ...}]}}
  std::string message;
  const Json document = Json::parse(response.body_text(), nullptr, false);
  if (document.is_object()) {
    if (auto error = document.find("error"); error != document.end()) {
      if (error->is_object()) {
        message = string_field(*error, "message");
        if (auto errors = error->find("errors"); errors != error->end() && errors->is_array() && !errors->empty() &&
                                                 (*errors)[0].is_object()) {
          if (auto reason = string_field((*errors)[0], "reason"); !reason.empty()) message = reason + ": " + message;
        }
      } else if (error->is_string()) {
        message = error->get<std::string>();
      }
    }
  }
  const std::string what =
      std::format("GCS {}: HTTP {}{}", call.what, response.status, message.empty() ? "" : ": " + message);
  switch (response.status) {
    case 404: return Error(ErrorCode::not_found, what);
    case 401:
    case 403: return Error(ErrorCode::permission_denied, what);
    case 412: return Error(ErrorCode::already_exists, what);
    case 400: return Error(ErrorCode::invalid_argument, what);
    default: return Error(ErrorCode::io, what);
  }
}

Status GcsClient::check_bucket() {
  Call call{.method = "GET",
            .url = std::format("{}/storage/v1/b/{}?fields=name", config_.endpoint, encode(config_.bucket)),
            .what = "GET " + describe("")};
  auto response = send(call);
  LAKE_RETURN_IF_ERROR(response);
  if (response->status == 404)
    return fail(ErrorCode::not_found, std::format("GCS: bucket '{}' does not exist", config_.bucket));
  if (response->status != 200) return std::unexpected(map_error(call, *response));
  return {};
}

Status GcsClient::create_bucket(std::string_view project) {
  const std::string body = Json{{"name", config_.bucket}}.dump();
  Call call{.method = "POST",
            .url = std::format("{}/storage/v1/b?project={}", config_.endpoint, encode(project)),
            .headers = {{"Content-Type", "application/json"}},
            .body = std::as_bytes(std::span(body)),
            .what = "create bucket " + describe("")};
  auto response = send(call);
  LAKE_RETURN_IF_ERROR(response);
  if (response->status == 200 || response->status == 409) return {};
  return std::unexpected(map_error(call, *response));
}

bool GcsClient::landed_already(std::string_view key, std::string_view md5) {
  auto metadata = get_metadata(key);
  return metadata && !md5.empty() && metadata->md5_base64 == md5;
}

Status GcsClient::insert_object(std::string_view key, std::span<const std::byte> body, bool if_absent) {
  Call call{.method = "POST",
            .url = std::format("{}/upload/storage/v1/b/{}/o?uploadType=media&name={}{}", config_.endpoint,
                               encode(config_.bucket), encode(key), if_absent ? "&ifGenerationMatch=0" : ""),
            .headers = {{"Content-Type", "application/octet-stream"}},
            .body = body,
            .what = "upload " + describe(key),
            .exclusive = if_absent};
  auto response = send(call);
  LAKE_RETURN_IF_ERROR(response);
  if (response->status == 412 && call.attempts > 1 && landed_already(key, s3::md5_base64(body))) return {};
  if (response->status != 200) return std::unexpected(map_error(call, *response));
  return {};
}

Result<std::vector<std::byte>> GcsClient::get_object(std::string_view key,
                                                     std::optional<std::pair<std::int64_t, std::int64_t>> range) {
  Call call{.method = "GET", .url = object_url(key) + "?alt=media", .what = "GET " + describe(key)};
  if (range) call.headers.push_back(object_store::range_header(*range));
  auto response = send(call);
  LAKE_RETURN_IF_ERROR(response);
  if (auto body = object_store::take_read_body(*response)) return std::move(*body);
  return std::unexpected(map_error(call, *response));
}

Result<ObjectMetadata> GcsClient::get_metadata(std::string_view key) {
  Call call{.method = "GET",
            .url = object_url(key) + "?fields=name,size,updated,md5Hash,generation",
            .what = "metadata of " + describe(key)};
  auto response = send(call);
  LAKE_RETURN_IF_ERROR(response);
  if (response->status != 200) return std::unexpected(map_error(call, *response));
  const Json document = Json::parse(response->body_text(), nullptr, false);
  if (!document.is_object()) return fail(ErrorCode::io, std::format("GCS {}: the response is not JSON", call.what));
  return metadata_of(document);
}

Result<ObjectListing> GcsClient::list_objects(std::string_view prefix, std::string_view start_offset,
                                              std::string_view page_token) {
  std::string url = std::format("{}/storage/v1/b/{}/o?prefix={}&maxResults={}&fields={}", config_.endpoint,
                                encode(config_.bucket), encode(prefix), config_.list_page_size,
                                encode("items(name,size,updated),nextPageToken"));
  if (!start_offset.empty()) url += "&startOffset=" + encode(start_offset);
  if (!page_token.empty()) url += "&pageToken=" + encode(page_token);
  Call call{.method = "GET", .url = std::move(url), .what = "list " + describe(prefix)};
  auto response = send(call);
  LAKE_RETURN_IF_ERROR(response);
  if (response->status == 404)
    return fail(ErrorCode::not_found, std::format("GCS: bucket '{}' does not exist", config_.bucket));
  if (response->status != 200) return std::unexpected(map_error(call, *response));
  const Json document = Json::parse(response->body_text(), nullptr, false);
  if (!document.is_object()) return fail(ErrorCode::io, std::format("GCS {}: the response is not JSON", call.what));
  ObjectListing listing;
  if (auto items = document.find("items"); items != document.end() && items->is_array())
    for (const auto& item : *items) listing.objects.push_back(metadata_of(item).info);
  listing.next_page_token = string_field(document, "nextPageToken");
  return listing;
}

Status GcsClient::delete_object(std::string_view key) {
  Call call{.method = "DELETE", .url = object_url(key), .what = "DELETE " + describe(key)};
  auto response = send(call);
  LAKE_RETURN_IF_ERROR(response);
  if (response->status != 204 && response->status != 200 && response->status != 404)
    return std::unexpected(map_error(call, *response));
  return {};
}

Status GcsClient::delete_objects(std::span<const std::string> keys) {
  // One multipart/mixed request per 100 keys, each part a DELETE. Parts
  // that failed with a transient status go again in the next round.
  std::vector<std::string> pending(keys.begin(), keys.end());
  for (int round = 1; !pending.empty(); ++round) {
    std::vector<std::string> again;
    for (std::size_t first = 0; first < pending.size(); first += kBatchLimit) {
      const auto batch = std::span(pending).subspan(first, std::min(kBatchLimit, pending.size() - first));
      const std::string boundary = "lake_batch_boundary_7f3a9c";
      std::string body;
      // HTTP/1.1 wants a Host in each part too (fake-gcs-server's parser
      // insists); the outer request's Authorization covers the parts.
      const std::string host = config_.endpoint.substr(config_.endpoint.find("://") + 3);
      for (std::size_t i = 0; i < batch.size(); ++i)
        body += std::format(
            "--{}\r\nContent-Type: application/http\r\nContent-ID: <item{}>\r\n\r\nDELETE /storage/v1/b/{}/o/{} "
            "HTTP/1.1\r\nHost: {}\r\n\r\n\r\n",
            boundary, i, encode(config_.bucket), encode(batch[i]), host);
      body += "--" + boundary + "--\r\n";
      Call call{.method = "POST",
                .url = config_.endpoint + "/batch/storage/v1",
                .headers = {{"Content-Type", "multipart/mixed; boundary=" + boundary}},
                .body = std::as_bytes(std::span(body)),
                .what = std::format("batch delete of {} objects in gs://{}", batch.size(), config_.bucket)};
      auto response = send(call);
      LAKE_RETURN_IF_ERROR(response);
      if (response->status != 200) return std::unexpected(map_error(call, *response));
      // Each response part holds "Content-ID: <response-itemN>" and a
      // status line "HTTP/1.1 204 No Content".
      const std::string_view text = response->body_text();
      std::vector<bool> answered(batch.size(), false);
      for (std::size_t at = text.find("<response-item"); at != std::string_view::npos;
           at = text.find("<response-item", at + 1)) {
        std::size_t index = 0;
        const char* digits = text.data() + at + 14;
        std::from_chars(digits, text.data() + text.size(), index);
        const auto status_at = text.find("HTTP/1.1 ", at);
        if (index >= batch.size() || status_at == std::string_view::npos) continue;
        long status = 0;
        std::from_chars(text.data() + status_at + 9, text.data() + text.size(), status);
        answered[index] = true;
        if (status == 200 || status == 204 || status == 404) continue;
        if (object_store::transient_status(status)) {
          again.push_back(batch[index]);
          continue;
        }
        HttpResponse part{.status = status};
        Call as_part{.method = "DELETE", .url = {}, .what = "DELETE " + describe(batch[index]) + " (in a batch)"};
        return std::unexpected(map_error(as_part, part));
      }
      for (std::size_t i = 0; i < batch.size(); ++i)
        if (!answered[i]) again.push_back(batch[i]);
    }
    if (!again.empty() && round >= config_.connection.max_attempts)
      return fail(ErrorCode::io, std::format("GCS batch delete in gs://{}: {} deletes still failing after {} rounds; "
                                             "first {}",
                                             config_.bucket, again.size(), round, describe(again.front())));
    if (!again.empty()) object_store::wait_before_retry(config_.connection, round);
    pending = std::move(again);
  }
  return {};
}

Result<std::string> GcsClient::start_resumable(std::string_view key, bool if_absent) {
  const std::string metadata = Json{{"name", std::string(key)}}.dump();
  Call call{.method = "POST",
            .url = std::format("{}/upload/storage/v1/b/{}/o?uploadType=resumable&name={}{}", config_.endpoint,
                               encode(config_.bucket), encode(key), if_absent ? "&ifGenerationMatch=0" : ""),
            .headers = {{"Content-Type", "application/json; charset=UTF-8"}},
            .body = std::as_bytes(std::span(metadata)),
            .what = "start resumable upload of " + describe(key)};
  auto response = send(call);
  LAKE_RETURN_IF_ERROR(response);
  if (response->status != 200 && response->status != 201) return std::unexpected(map_error(call, *response));
  std::string session(response->header("location"));
  if (session.empty()) return fail(ErrorCode::io, std::format("GCS {}: no session URL in the response", call.what));
  return session;
}

Result<bool> GcsClient::upload_chunk(std::string_view key, const std::string& session, std::span<const std::byte> chunk,
                                     std::int64_t offset, std::optional<std::int64_t> total,
                                     std::string_view expected_md5_base64) {
  const std::string size = total ? std::to_string(*total) : "*";
  // GCS may keep only part of a chunk (its 308 answer's Range says how
  // much); the rest goes again, a bounded number of times.
  for (int round = 1;; ++round) {
    const std::string range = chunk.empty() ? std::format("bytes */{}", size)
                                            : std::format("bytes {}-{}/{}", offset,
                                                          offset + static_cast<std::int64_t>(chunk.size()) - 1, size);
    Call call{.method = "PUT",
              .url = session,
              .headers = {{"Content-Range", range}},
              .body = chunk,
              .what = std::format("upload {} (chunk at {})", describe(key), offset),
              // The last chunk creates the object (exclusively, when the
              // session was started so).
              .exclusive = total.has_value()};
    auto response = send(call);
    LAKE_RETURN_IF_ERROR(response);
    if (response->status != 308) {
      if (response->status == 412 && call.attempts > 1 && total && landed_already(key, expected_md5_base64))
        return true;
      if (response->status != 200 && response->status != 201) return std::unexpected(map_error(call, *response));
      if (!total)
        return fail(ErrorCode::io, std::format("GCS {}: the upload finished before its last chunk", call.what));
      return true;
    }
    if (total) return fail(ErrorCode::io, std::format("GCS {}: the final chunk was not accepted as final", call.what));
    // "Range: bytes=0-N": N + 1 bytes persisted; no header: none.
    std::int64_t persisted = 0;
    if (const std::string_view kept = response->header("range"); kept.starts_with("bytes=0-")) {
      std::from_chars(kept.data() + 8, kept.data() + kept.size(), persisted);
      ++persisted;
    }
    const std::int64_t end = offset + static_cast<std::int64_t>(chunk.size());
    if (persisted >= end) return false;
    if (persisted < offset || round >= config_.connection.max_attempts)
      return fail(ErrorCode::io, std::format("GCS {}: the server kept {} of the {} bytes sent so far", call.what,
                                             persisted, end));
    chunk = chunk.subspan(static_cast<std::size_t>(persisted - offset));
    offset = persisted;
  }
}

Status GcsClient::cancel_resumable(std::string_view key, const std::string& session) {
  Call call{.method = "DELETE", .url = session, .what = "cancel upload of " + describe(key)};
  auto response = send(call);
  LAKE_RETURN_IF_ERROR(response);
  // GCS answers 499 to a cancelled session; fake-gcs-server too.
  if (response->status != 499 && response->status != 204 && response->status != 200 && response->status != 404)
    return std::unexpected(map_error(call, *response));
  return {};
}

}  // namespace lake::gcs

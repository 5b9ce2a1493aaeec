// GCS's JSON API over the shared HTTP transport: the operations the GCS
// backend needs and nothing more. Every call retries 5xx, 429 and dropped
// connections with jittered exponential backoff, and maps GCS's error
// responses to lake errors in one place (404 not_found, 401/403
// permission_denied, 412 already_exists for generation preconditions).
//
// Keys here are full object names in the bucket (the backend adds its root
// prefix). Requests carry the token source's Authorization header, or none
// (anonymous, for emulators).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lake/error.hpp"
#include "lake/storage/backend.hpp"
#include "storage/gcs/service_account.hpp"
#include "storage/object_store/http.hpp"
#include "storage/object_store/retry.hpp"

namespace lake::gcs {

struct ClientConfig {
  std::string endpoint;  // "https://storage.googleapis.com", no trailing '/'
  std::string bucket;
  ConnectionOptions connection{};
  int list_page_size = 1000;
};

struct ObjectMetadata {
  ObjectInfo info;            // full name
  std::string md5_base64{};   // as GCS reports it
  std::int64_t generation = 0;
};

struct ObjectListing {
  std::vector<ObjectInfo> objects;  // full names
  std::string next_page_token;      // empty when this was the last page
};

class GcsClient {
 public:
  // tokens may be null: no Authorization header (an emulator).
  GcsClient(ClientConfig config, std::shared_ptr<TokenSource> tokens);

  [[nodiscard]] const std::string& bucket() const { return config_.bucket; }
  // "gs://bucket/key" for messages.
  [[nodiscard]] std::string describe(std::string_view key) const;

  // GET bucket: reachable with these credentials?
  [[nodiscard]] Status check_bucket();
  // Creates the bucket (an existing one is fine). For tests and tools; the
  // backend never creates buckets.
  [[nodiscard]] Status create_bucket(std::string_view project);

  // A media upload in one request. if_absent: ifGenerationMatch=0, so
  // already_exists when a live object has the name.
  [[nodiscard]] Status insert_object(std::string_view key, std::span<const std::byte> body, bool if_absent);
  // alt=media, whole or the inclusive byte range [first, last]; a range
  // starting past the end reads nothing.
  [[nodiscard]] Result<std::vector<std::byte>> get_object(std::string_view key,
                                                          std::optional<std::pair<std::int64_t, std::int64_t>> range);
  [[nodiscard]] Result<ObjectMetadata> get_metadata(std::string_view key);
  // One page of names under prefix, from start_offset (inclusive) on.
  [[nodiscard]] Result<ObjectListing> list_objects(std::string_view prefix, std::string_view start_offset,
                                                   std::string_view page_token);
  // A missing object is fine.
  [[nodiscard]] Status delete_object(std::string_view key);
  // Batch requests of up to 100 deletes each; missing objects are fine.
  [[nodiscard]] Status delete_objects(std::span<const std::string> keys);

  // Resumable uploads: start one (the returned session URL is a bearer
  // capability: never put it in a message), send chunks in order, the
  // last one with the total size. Chunks but the last are multiples of
  // 256 KiB. Returns true once the object is published.
  [[nodiscard]] Result<std::string> start_resumable(std::string_view key, bool if_absent);
  // expected_md5_base64 (final chunk only) lets a retried conditional
  // finalization recognise its own earlier success.
  [[nodiscard]] Result<bool> upload_chunk(std::string_view key, const std::string& session,
                                          std::span<const std::byte> chunk, std::int64_t offset,
                                          std::optional<std::int64_t> total, std::string_view expected_md5_base64);
  [[nodiscard]] Status cancel_resumable(std::string_view key, const std::string& session);

 private:
  struct Call {
    std::string method;
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers{};
    std::span<const std::byte> body{};
    std::string what;  // for messages: "PUT gs://bucket/key"
    // An exclusive create: sent on a new connection, so only send()
    // repeats it (see HttpRequest::fresh_connection).
    bool exclusive = false;
    int attempts = 0;  // set by send()
  };
  // Authorizes and sends `call`, retrying what may succeed later. Any
  // status is returned; map_error turns error responses into lake errors.
  [[nodiscard]] Result<object_store::HttpResponse> send(Call& call);
  [[nodiscard]] Error map_error(const Call& call, const object_store::HttpResponse& response) const;
  // After a retried conditional write is refused: was it our own earlier
  // attempt that landed (its response lost)? Compares MD5s.
  [[nodiscard]] bool landed_already(std::string_view key, std::string_view md5_base64);
  [[nodiscard]] std::string object_url(std::string_view key) const;

  ClientConfig config_;
  std::shared_ptr<TokenSource> tokens_;
};

// The RFC 3339 times of GCS's JSON ("2026-08-24T03:23:45.123Z").
[[nodiscard]] timestamp parse_rfc3339(std::string_view text);

}  // namespace lake::gcs

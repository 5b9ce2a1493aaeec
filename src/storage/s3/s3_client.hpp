// S3's REST operations over the signed HTTP transport: what the S3 backend
// needs and nothing more. Every call retries 5xx, throttling and dropped
// connections with jittered exponential backoff, and maps S3's error
// responses to lake errors in one place (404 not_found, 403
// permission_denied, 412 already_exists for conditional writes).
//
// Keys here are full object keys in the bucket (the backend adds its root
// prefix).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lake/error.hpp"
#include "lake/storage/backend.hpp"
#include "lake/storage/s3.hpp"
#include "storage/object_store/http.hpp"
#include "storage/s3/sigv4.hpp"

namespace lake::s3 {

using object_store::HttpRequest;
using object_store::HttpResponse;

// Which dialect of S3's protocol the server speaks: Amazon's (MinIO, Ceph,
// R2), or GCS's XML API with HMAC keys, whose exclusive creates are the
// generation precondition x-goog-if-generation-match: 0 (If-None-Match
// there applies to reads only) and which has no multi-object delete.
enum class Flavour { s3, gcs_xml };

struct ObjectListing {
  std::vector<ObjectInfo> objects;  // full keys
  std::string next_continuation_token;  // empty when this was the last page
};

struct CompletedPart {
  int number = 0;
  std::string etag;  // as S3 returned it, quotes included
};

class S3Client {
 public:
  S3Client(std::string bucket, const S3Options& options, Credentials credentials, std::string region,
           Flavour flavour = Flavour::s3);

  [[nodiscard]] const std::string& bucket() const { return bucket_; }
  [[nodiscard]] Flavour flavour() const { return flavour_; }

  // HEAD bucket: reachable with these credentials?
  [[nodiscard]] Status check_bucket();
  // PUT bucket (in the client's region); one that this account already
  // owns is fine. For test setups and tools; the backend never creates
  // buckets.
  [[nodiscard]] Status create_bucket();

  // PUT. With if_none_match, S3's conditional write: already_exists when the
  // key exists. Returns the ETag.
  [[nodiscard]] Result<std::string> put_object(std::string_view key, std::span<const std::byte> body, bool if_none_match);
  [[nodiscard]] Result<std::vector<std::byte>> get_object(std::string_view key,
                                                          std::optional<std::pair<std::int64_t, std::int64_t>> range);
  [[nodiscard]] Result<ObjectInfo> head_object(std::string_view key);
  [[nodiscard]] Result<ObjectListing> list_objects(std::string_view prefix, std::string_view start_after,
                                                   std::string_view continuation_token);
  [[nodiscard]] Status delete_object(std::string_view key);
  // DeleteObjects, up to 1,000 keys a call.
  [[nodiscard]] Status delete_objects(std::span<const std::string> keys);

  [[nodiscard]] Result<std::string> create_multipart_upload(std::string_view key);
  [[nodiscard]] Result<std::string> upload_part(std::string_view key, std::string_view upload_id, int number,
                                                std::span<const std::byte> body);
  // expected_etag (multipart_etag of the parts) lets a retried conditional
  // completion recognise its own earlier success.
  [[nodiscard]] Result<std::string> complete_multipart_upload(std::string_view key, std::string_view upload_id,
                                                              std::span<const CompletedPart> parts, bool if_none_match,
                                                              std::string_view expected_etag);
  [[nodiscard]] Status abort_multipart_upload(std::string_view key, std::string_view upload_id);

  // "s3://bucket/key" (gs:// for GCS) for messages.
  [[nodiscard]] std::string describe(std::string_view key) const;

 private:
  struct Call {
    std::string method;
    std::string key;  // empty: the bucket itself
    std::vector<std::pair<std::string, std::string>> query{};
    std::vector<std::pair<std::string, std::string>> headers{};
    std::span<const std::byte> body{};
    // CompleteMultipartUpload may fail inside a 200 response.
    bool error_in_ok_body = false;
    // An exclusive create: sent on a new connection, so only send()
    // repeats it (see HttpRequest::fresh_connection).
    bool exclusive = false;
    int attempts = 0;  // set by send()
  };
  // Signs and sends `call`, retrying what may succeed later. Any status is
  // returned; map_error turns error responses into lake errors.
  [[nodiscard]] Result<HttpResponse> send(Call& call);
  // After a retried conditional write is refused: was it our own earlier
  // attempt that landed (its response lost)? Compares the object's ETag.
  [[nodiscard]] bool landed_already(std::string_view key, std::string_view expected_etag);
  [[nodiscard]] Error map_error(const Call& call, const HttpResponse& response) const;
  [[nodiscard]] std::string url_of(const Call& call, std::string& canonical_path, std::string& host) const;

  // The header that makes a write exclusive, as (name, value).
  [[nodiscard]] std::pair<std::string, std::string> create_precondition() const;

  std::string bucket_;
  Flavour flavour_;
  std::string scheme_;
  std::string endpoint_host_;  // host[:port]
  bool path_style_;
  S3Options options_;
  Credentials credentials_;
  SigningScope scope_;
};

[[nodiscard]] std::string md5_hex(std::span<const std::byte> data);
[[nodiscard]] std::string md5_base64(std::span<const std::byte> data);
// The ETag S3 gives an object uploaded in parts: the MD5 of the parts'
// binary MD5s, then "-<number of parts>", quoted. (A single PUT's ETag is
// its quoted MD5.) Empty when a part's MD5 is not 32 hex digits.
[[nodiscard]] std::string multipart_etag(std::span<const std::string> part_md5_hex);

}  // namespace lake::s3

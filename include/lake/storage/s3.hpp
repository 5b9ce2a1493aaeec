// The S3 backend: lake's storage contract on Amazon S3 and S3-compatible
// servers (MinIO, Ceph RGW, Cloudflare R2), over our own client (libcurl,
// SigV4 signing).
//
//   auto backend = lake::s3_backend("s3://bucket/lake", {.region = "eu-west-1"});
//   auto minio = lake::s3_backend("s3://bucket/lake",
//                                 {.endpoint = "http://127.0.0.1:9000", .path_style = true});
//
// Credentials, when not given here, come from the standard places in AWS's
// order: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN,
// then the shared credentials and config files (AWS_SHARED_CREDENTIALS_FILE,
// AWS_CONFIG_FILE, default ~/.aws/credentials and ~/.aws/config) for the
// profile named here, in AWS_PROFILE, or "default". The region likewise:
// here, AWS_REGION, AWS_DEFAULT_REGION, the profile's `region`, "us-east-1".
//
// Atomic create (PutMode::create) is S3's conditional write
// (If-None-Match: *). Opening a backend probes that the server honours it;
// on a server that ignores it, open fails unless `single_writer` is set,
// because two writers could then both "create" one Delta log entry.
//
// Secrets (the secret key, session tokens, signatures) never appear in
// errors, logs or metrics.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "lake/error.hpp"
#include "lake/storage/backend.hpp"
#include "lake/storage/connection.hpp"

namespace lake {

struct S3Options {
  // "https://host[:port]" of an S3-compatible server; empty means AWS
  // (https://s3.<region>.amazonaws.com).
  std::string endpoint{};
  std::string region{};
  // Address buckets as https://endpoint/bucket/key instead of
  // https://bucket.endpoint/key (MinIO and most self-hosted servers).
  bool path_style = false;

  // Explicit credentials; both empty means the standard chain above.
  std::string access_key_id{};
  std::string secret_access_key{};
  std::string session_token{};
  std::string profile{};  // shared-files profile; empty: AWS_PROFILE or "default"

  // Objects larger than this are uploaded in parts of this size (S3's
  // minimum part size is 5 MiB), up to parts_in_flight of them at once
  // while the next one fills: a writer holds at most parts_in_flight + 1
  // parts in memory (40 MiB with the defaults).
  std::int64_t part_bytes = 8 * 1024 * 1024;
  int parts_in_flight = 4;

  // Allow a server that ignores If-None-Match: creates then check for the
  // key first, which is safe only while this process is the only writer.
  bool single_writer = false;

  // TLS, retries and timeouts (lake/storage/connection.hpp).
  ConnectionOptions connection{};
};

// A backend rooted at `uri` ("s3://bucket" or "s3://bucket/prefix"). Checks
// the bucket is reachable with the credentials and probes conditional
// writes (see above); typed errors: invalid_argument (bad URI or options),
// permission_denied (403), not_found (no such bucket), unsupported
// (conditional writes ignored without single_writer), io (network).
[[nodiscard]] Result<std::unique_ptr<Backend>> s3_backend(std::string_view uri, S3Options options = {});

}  // namespace lake

// The GCS backend: lake's storage contract on Google Cloud Storage and its
// emulators (fake-gcs-server), over our own client (libcurl).
//
//   auto backend = lake::gcs_backend("gs://bucket/lake",
//                                    {.service_account_key_file = "key.json"});
//   auto hmac = lake::gcs_backend("gs://bucket/lake",
//                                 {.hmac_access_id = "GOOG1...", .hmac_secret = "..."});
//   auto emulator = lake::gcs_backend("gs://bucket/lake",
//                                     {.endpoint = "http://127.0.0.1:4443", .anonymous = true});
//
// Two APIs, chosen by the credentials:
//   - a service account (a JSON key, as Google's console downloads it) talks
//     to the JSON API with OAuth 2.0 access tokens: the key signs a JWT
//     (RS256), the JWT is exchanged at the key's token_uri for a token, and
//     the token is cached and fetched again a margin before it expires;
//   - HMAC interoperability keys talk to the XML API, signed with AWS
//     Signature V4 (GCS accepts it with region "auto"), through the same
//     client as the S3 backend.
// Credentials, when none are given here: with STORAGE_EMULATOR_HOST set
// (the standard emulator variable, which then also sets the endpoint),
// anonymous; otherwise GOOGLE_APPLICATION_CREDENTIALS (a service-account
// key file). Nothing at all is invalid_argument.
//
// Atomic create (PutMode::create) is GCS's generation precondition: a write
// with ifGenerationMatch=0 (x-goog-if-generation-match: 0 on the XML API)
// succeeds only if no live object has the name.
//
// Secrets (the private key, access tokens, the HMAC secret, signatures,
// resumable-upload session URLs) never appear in errors or logs.
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

struct GcsOptions {
  // "https://host[:port]" (or http:// for an emulator); empty means
  // STORAGE_EMULATOR_HOST when set, else https://storage.googleapis.com.
  std::string endpoint{};

  // A service-account key: its JSON text, or the path of its file (one of
  // the two). The key's token_uri is where tokens come from.
  std::string service_account_key_json{};
  std::string service_account_key_file{};
  // The OAuth scope asked for.
  std::string oauth_scope = "https://www.googleapis.com/auth/devstorage.read_write";
  // Fetch a new token this long before the current one expires (at most
  // half its lifetime).
  std::chrono::seconds token_refresh_margin{300};

  // HMAC interoperability keys (both or neither): the XML API.
  std::string hmac_access_id{};
  std::string hmac_secret{};

  // No credentials at all: only for an emulator (refused for Google's own
  // endpoint).
  bool anonymous = false;

  // Objects larger than this go up as a resumable upload in chunks of this
  // size (a multiple of 256 KiB, GCS's chunk granularity), so a writer
  // holds at most one chunk; smaller ones in one request.
  std::int64_t chunk_bytes = 8 * 1024 * 1024;
  // Objects per listing page (GCS allows at most 1,000).
  int list_page_size = 1000;

  // TLS, retries and timeouts (lake/storage/connection.hpp).
  ConnectionOptions connection{};
};

// A backend rooted at `uri` ("gs://bucket" or "gs://bucket/prefix"). Checks
// that the bucket is reachable with the credentials; typed errors:
// invalid_argument (bad URI, options or key file), permission_denied
// (401/403, a refused token grant), not_found (no such bucket), io
// (network, after the retries).
[[nodiscard]] Result<std::unique_ptr<Backend>> gcs_backend(std::string_view uri, GcsOptions options = {});

}  // namespace lake

// The S3 backend over a client of either flavour (see s3_client.hpp):
// lake::s3_backend() opens it on S3, and lake::gcs_backend() on GCS's XML
// API when it is given HMAC keys (same protocol, gs:// URIs, generation
// preconditions for exclusive creates).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "lake/error.hpp"
#include "lake/storage/backend.hpp"
#include "lake/storage/s3.hpp"
#include "storage/s3/s3_client.hpp"

namespace lake::s3 {

// Checks the bucket is reachable (errors name credential_source, never a
// secret), probes exclusive creates, and returns the backend rooted at
// root ("" or "prefix/") in bucket. options.region is the signing region.
[[nodiscard]] Result<std::unique_ptr<Backend>> open_backend(const std::string& bucket, std::string root,
                                                            const S3Options& options, Credentials credentials,
                                                            Flavour flavour, std::string_view credential_source);

}  // namespace lake::s3

// The object store a suite's remote build runs on. Suites written once for
// the memory and file backends (label unit) are built again with
// LAKE_TEST_ON_S3 (MinIO, label s3) or LAKE_TEST_ON_GCS (fake-gcs-server,
// label gcs); this header gives those builds one way to reach their store.
// Without either macro it defines nothing.
#pragma once

#if defined(LAKE_TEST_ON_S3) && defined(LAKE_TEST_ON_GCS)
#error "a test binary runs on one object store: define LAKE_TEST_ON_S3 or LAKE_TEST_ON_GCS, not both"
#endif

#if defined(LAKE_TEST_ON_S3) || defined(LAKE_TEST_ON_GCS)
#define LAKE_TEST_ON_OBJECT_STORE 1

#include <memory>
#include <string>
#include <string_view>

#include "lake/storage/backend.hpp"
#ifdef LAKE_TEST_ON_S3
#include "lake/storage/s3.hpp"
#include "support/minio.hpp"
#else
#include "lake/storage/gcs.hpp"
#include "support/fake_gcs.hpp"
#endif

namespace lake::testing {

#ifdef LAKE_TEST_ON_S3
inline constexpr std::string_view kObjectStore = "s3";
#else
inline constexpr std::string_view kObjectStore = "gcs";
#endif

// "s3://lake-test/<test>-<uuid>" or "gs://...": a prefix no other test uses.
inline std::string fresh_object_store_uri() {
#ifdef LAKE_TEST_ON_S3
  return fresh_s3_uri();
#else
  return fresh_gcs_uri();
#endif
}

// A backend on the run's server at `uri`; a failure (never a skip) when
// the fixture's server is missing.
inline Result<std::unique_ptr<Backend>> open_object_store(const std::string& uri) {
#ifdef LAKE_TEST_ON_S3
  const auto* server = minio();
  if (server == nullptr) return fail(ErrorCode::not_found, "no MinIO server for this run");
  return s3_backend(uri, server->options());
#else
  const auto* server = fake_gcs();
  if (server == nullptr) return fail(ErrorCode::not_found, "no fake-gcs-server for this run");
  return gcs_backend(uri, server->options());
#endif
}

}  // namespace lake::testing

#endif

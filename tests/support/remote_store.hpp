// The object store a suite's remote build runs on. Suites written once for
// the memory and file backends (label unit) are built once more with
// LAKE_TEST_ON_OBJECT_STORE, linking both the S3 and the GCS backend, and
// CTest runs that one binary twice: on MinIO (label s3) and on
// fake-gcs-server (label gcs), each run told its store by
// LAKE_TEST_OBJECT_STORE. One build for both stores because these suites
// are among the slowest compiles of the tree. Without the macro this
// header defines nothing.
#pragma once

#ifdef LAKE_TEST_ON_OBJECT_STORE

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "lake/storage/backend.hpp"
#include "lake/storage/gcs.hpp"
#include "lake/storage/s3.hpp"
#include "support/fake_gcs.hpp"
#include "support/minio.hpp"

namespace lake::testing {

enum class ObjectStore { s3, gcs };

// The store of this run, from $LAKE_TEST_OBJECT_STORE ("s3" or "gcs").
// Unset or naming no store, it is nullopt and a test failure, never a
// skip: a binary started by hand without it must not pass on nothing.
inline std::optional<ObjectStore> object_store() {
  const char* chosen = std::getenv("LAKE_TEST_OBJECT_STORE");
  const std::string_view name = chosen != nullptr ? chosen : "";
  if (name == "s3") return ObjectStore::s3;
  if (name == "gcs") return ObjectStore::gcs;
  if (chosen == nullptr)
    ADD_FAILURE() << "LAKE_TEST_OBJECT_STORE is not set: run this binary through CTest (label s3 or gcs), "
                     "or set it to s3 or gcs";
  else
    ADD_FAILURE() << "LAKE_TEST_OBJECT_STORE=" << name << " names no object store (s3 or gcs)";
  return std::nullopt;
}

// Checked once before any test runs, so that without a store the tests
// that never touch one fail as well (DeltaTableProperties in the Table
// suite): every test of the binary fails, none passes. A non-fatal failure:
// a fatal one here would have GoogleTest mark every test skipped.
class ObjectStoreChosen final : public ::testing::Environment {
 public:
  void SetUp() override { static_cast<void>(object_store()); }
};
inline ::testing::Environment* const object_store_chosen =
    ::testing::AddGlobalTestEnvironment(new ObjectStoreChosen);

// "s3://lake-test/<test>-<uuid>" or "gs://...": a prefix no other test
// uses; empty (after the failure above) without a store.
inline std::string fresh_object_store_uri() {
  const auto store = object_store();
  if (!store) return {};
  return *store == ObjectStore::s3 ? fresh_s3_uri() : fresh_gcs_uri();
}

// A backend on the run's server at `uri`; a failure (never a skip) when
// no store is chosen or the fixture's server is missing.
inline Result<std::unique_ptr<Backend>> open_object_store(const std::string& uri) {
  const auto store = object_store();
  if (!store) return fail(ErrorCode::invalid_argument, "no object store chosen for this run (LAKE_TEST_OBJECT_STORE)");
  if (*store == ObjectStore::s3) {
    const auto* server = minio();
    if (server == nullptr) return fail(ErrorCode::not_found, "no MinIO server for this run");
    return s3_backend(uri, server->options());
  }
  const auto* server = fake_gcs();
  if (server == nullptr) return fail(ErrorCode::not_found, "no fake-gcs-server for this run");
  return gcs_backend(uri, server->options());
}

}  // namespace lake::testing

#endif

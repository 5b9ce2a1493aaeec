// What a Delta commit records about the write that made it, so the write
// can be found and recognised afterwards whichever engine committed it
// (the native implementation, or Spark for the same table): its ingest id
// in commitInfo.userMetadata, its idempotency key as a txn action.
// Internal to the Delta implementation and its Spark dialect.
#pragma once

#include <cstdint>
#include <string>

#include "lake/delta/snapshot.hpp"
#include "lake/driver.hpp"
#include "lake/ingest_id.hpp"

namespace lake::delta {

// commitInfo.userMetadata of a write: {"ingest_id":"<uuid>"}.
[[nodiscard]] std::string commit_metadata(const IngestId& ingest_id);

// An idempotency key as Delta's txn action (appId "lake-orm:<key>" and a
// version): Delta records the pair in the commit, and a write whose key
// the table recorded within its TTL is a duplicate.
struct IdempotencyRecord {
  std::string app_id;
  std::int64_t version = 1;  // the txn version this write records
  bool duplicate = false;    // applied within the TTL already: write nothing
};
[[nodiscard]] IdempotencyRecord idempotency_record(const Snapshot& snapshot, const IdempotencyKey& key);

}  // namespace lake::delta

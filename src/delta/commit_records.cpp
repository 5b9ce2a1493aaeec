#include "delta/commit_records.hpp"

#include <chrono>
#include <format>

namespace lake::delta {

std::string commit_metadata(const IngestId& ingest_id) {
  return std::format("{{\"ingest_id\":\"{}\"}}", ingest_id.to_string());
}

IdempotencyRecord idempotency_record(const Snapshot& snapshot, const IdempotencyKey& key) {
  IdempotencyRecord out{.app_id = "lake-orm:" + key.key};
  const auto& txns = snapshot.transactions();
  if (auto it = txns.find(out.app_id); it != txns.end()) {
    const auto recorded = std::chrono::milliseconds(it->second.last_updated.value_or(0));
    const auto age = std::chrono::system_clock::now().time_since_epoch() - recorded;
    out.duplicate = age < key.ttl;
    out.version = it->second.version + 1;
  }
  return out;
}

}  // namespace lake::delta

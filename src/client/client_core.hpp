// What every Client handle shares: the composed driver, dialect and
// backend, the options, metrics, the logger, and the in-flight write
// bound. Internal to the Client.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lake/client.hpp"

namespace lake::detail {

class ClientCore {
 public:
  std::shared_ptr<Driver> driver;
  std::shared_ptr<const Dialect> dialect;
  std::shared_ptr<Backend> backend;
  ClientOptions options;
  MetricsRegistry metrics;

  [[nodiscard]] TableRef table_ref(std::string_view table) const;
  // A write's plan: its kind, target table, ingest id and idempotency key
  // (empty: none; the client's default TTL).
  [[nodiscard]] WritePlan plan(PlanKind kind, std::string_view table, const IngestId& ingest_id,
                               const std::string& idempotency_key) const;
  void log(LogLevel level, std::string_view message, std::vector<LogField> fields) const;

  // One running write. Waits while max_inflight_ingests are running;
  // ErrorCode::closed once the client is closed.
  class Slot {
   public:
    explicit Slot(ClientCore* core) : core_(core) {}
    Slot(Slot&& other) noexcept : core_(std::exchange(other.core_, nullptr)) {}
    Slot& operator=(Slot&&) = delete;
    ~Slot();

   private:
    ClientCore* core_;
  };
  [[nodiscard]] Result<Slot> acquire_slot();
  [[nodiscard]] bool closed() const;
  // Marks the client closed and waits for running writes to end.
  void close_and_drain();

  // Executes a plan and commits it (aborting on any failure), recording
  // metrics and logs under `operation` ("insert", "upsert", ...).
  [[nodiscard]] Result<WriteResult> run_write(WritePlan plan, WritePath path, std::int64_t bytes_staged,
                                              std::string_view operation,
                                              std::chrono::steady_clock::time_point started);
  // run_write's second half, for an execution the driver already returned
  // (a streamed write's, client/streamed_write.hpp): commits it, or
  // records the failure to get it.
  [[nodiscard]] Result<WriteResult> complete_write(Result<Execution> execution, const std::string& table,
                                                   const IngestId& ingest_id, WritePath path,
                                                   std::int64_t bytes_staged, std::string_view operation,
                                                   std::chrono::steady_clock::time_point started);

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  int inflight_ = 0;
  bool closed_ = false;
};

// Where a table lives: <catalog>/<database>/<table>, each part when set.
[[nodiscard]] std::string location_in(const std::string& catalog, const std::string& database, std::string_view table);

// The idempotency record of a key, if the caller gave one.
[[nodiscard]] std::optional<IdempotencyKey> idempotency_of(const std::string& key, std::chrono::seconds ttl);

}  // namespace lake::detail

namespace lake {
// A Client's shared state is the core.
struct Client::State : detail::ClientCore {};
}  // namespace lake

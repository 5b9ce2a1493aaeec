// A pooled Spark session held by its caller (lake::Session through
// Driver::open_session): statements run on the same server-side session,
// so temporary views and SET values made by one are there for the next.
// Results keep it alive; the lease returns to the pool when the session
// and its last result are gone. A session the server lost (restart,
// expiry) fails its statements rather than running them without the state
// the caller made; the pool then drops it.
#pragma once

#include <memory>
#include <span>
#include <string_view>

#include <arrow/record_batch.h>
#include <arrow/type.h>

#include "drivers/spark/session_pool.hpp"
#include "lake/driver.hpp"

namespace lake::spark {

class HeldSession final : public DriverSession, public std::enable_shared_from_this<HeldSession> {
 public:
  explicit HeldSession(SessionPool::Lease lease) : lease_(std::move(lease)) {}

  [[nodiscard]] Result<std::shared_ptr<arrow::RecordBatchReader>> query(std::string_view sql,
                                                                        std::span<const SqlValue> params) override;
  [[nodiscard]] Result<std::int64_t> exec(std::string_view sql, std::span<const SqlValue> params) override;
  [[nodiscard]] Result<std::shared_ptr<arrow::Schema>> result_schema(std::string_view sql,
                                                                     std::span<const SqlValue> params) override;

 private:
  // Marks the lease for dropping when the server no longer has the session.
  template <class T>
  Result<T> noting_loss(Result<T> result);

  SessionPool::Lease lease_;
};

}  // namespace lake::spark

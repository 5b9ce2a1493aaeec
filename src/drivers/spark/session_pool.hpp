// A bounded pool of Spark Connect sessions (the seed's session pool).
//
// A Session serves one caller at a time, so each query result and each
// write holds one until it is done. The pool opens sessions on demand up
// to its size, hands idle ones out again, and makes a caller wait while
// all are in use; a session that broke (its server-side state may be gone,
// or the server said it no longer has it: Session::lost) is dropped rather
// than reused. Each new session is prepared once (the
// driver sets its current database there).
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "drivers/spark/connection_settings.hpp"
#include "drivers/spark/session.hpp"
#include "lake/error.hpp"

namespace lake::spark {

class SessionPool {
 public:
  using Prepare = std::function<Status(Session&)>;

  // A session on loan; returned to the pool when destroyed.
  class Lease {
   public:
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) noexcept = default;
    ~Lease();
    [[nodiscard]] Session& operator*() const noexcept { return *session_; }
    [[nodiscard]] Session* operator->() const noexcept { return session_.get(); }
    // The session may have lost its server-side state (temp views, SET
    // values): drop it instead of returning it.
    void discard() noexcept { broken_ = true; }
    [[nodiscard]] bool broken() const noexcept { return broken_; }

   private:
    friend class SessionPool;
    struct Shared;
    Lease(std::shared_ptr<Shared> pool, std::unique_ptr<Session> session)
        : pool_(std::move(pool)), session_(std::move(session)) {}
    std::shared_ptr<Shared> pool_;
    std::unique_ptr<Session> session_;
    bool broken_ = false;
  };

  SessionPool(ConnectionSettings settings, SessionOptions options, int size, Prepare prepare);
  ~SessionPool();
  SessionPool(const SessionPool&) = delete;
  SessionPool& operator=(const SessionPool&) = delete;

  // An idle session, a new one while fewer than `size` exist, else waits.
  // ErrorCode::closed once the pool is closed.
  [[nodiscard]] Result<Lease> acquire();
  // Releases idle sessions; later acquires fail. Leases still out are
  // released as they come back.
  void close();

 private:
  std::shared_ptr<Lease::Shared> shared_;
};

}  // namespace lake::spark

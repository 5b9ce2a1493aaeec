#include "drivers/spark/session_pool.hpp"

namespace lake::spark {

struct SessionPool::Lease::Shared {
  ConnectionSettings settings;
  SessionOptions options;
  int size = 1;
  Prepare prepare;

  std::mutex mutex;
  std::condition_variable returned;
  std::vector<std::unique_ptr<Session>> idle;
  int open = 0;  // sessions in existence: idle plus on loan plus being opened
  bool closed = false;

  void give_back(std::unique_ptr<Session> session, bool broken) {
    std::unique_ptr<Session> dropped;
    {
      std::scoped_lock lock(mutex);
      if (broken || closed || session->lost()) {
        dropped = std::move(session);
        --open;
      } else {
        idle.push_back(std::move(session));
      }
    }
    returned.notify_one();
    // `dropped` releases its server-side session here, outside the lock.
  }
};

SessionPool::Lease::~Lease() {
  if (pool_ && session_) pool_->give_back(std::move(session_), broken_);
}

SessionPool::SessionPool(ConnectionSettings settings, SessionOptions options, int size, Prepare prepare)
    : shared_(std::make_shared<Lease::Shared>()) {
  shared_->settings = std::move(settings);
  shared_->options = options;
  shared_->size = size < 1 ? 1 : size;
  shared_->prepare = std::move(prepare);
}

SessionPool::~SessionPool() { close(); }

Result<SessionPool::Lease> SessionPool::acquire() {
  Lease::Shared& pool = *shared_;
  {
    std::unique_lock lock(pool.mutex);
    pool.returned.wait(lock, [&] { return pool.closed || !pool.idle.empty() || pool.open < pool.size; });
    if (pool.closed) return fail(ErrorCode::closed, "the Spark session pool is closed");
    if (!pool.idle.empty()) {
      auto session = std::move(pool.idle.back());
      pool.idle.pop_back();
      return Lease(shared_, std::move(session));
    }
    ++pool.open;  // reserved while it opens, outside the lock
  }
  auto opened = Session::open(pool.settings, pool.options);
  Status prepared = opened ? (pool.prepare ? pool.prepare(**opened) : Status{}) : Status(std::unexpected(opened.error()));
  if (!prepared) {
    {
      std::scoped_lock lock(pool.mutex);
      --pool.open;
    }
    pool.returned.notify_one();
    return std::unexpected(prepared.error());
  }
  return Lease(shared_, std::move(*opened));
}

void SessionPool::close() {
  std::vector<std::unique_ptr<Session>> idle;
  {
    std::scoped_lock lock(shared_->mutex);
    shared_->closed = true;
    idle.swap(shared_->idle);
    shared_->open -= static_cast<int>(idle.size());
  }
  shared_->returned.notify_all();
}

}  // namespace lake::spark

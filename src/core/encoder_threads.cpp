#include "core/encoder_threads.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace lake::detail {

int writer_thread_count(int writer_threads) noexcept {
  if (writer_threads != 0) return writer_threads;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

arrow::internal::Executor* encoder_executor(int threads) {
  if (threads < 2) return nullptr;
  static std::mutex mutex;
  // Eternal pools: writers in other threads may still be running while
  // static destructors run at exit, so the pools are never destroyed.
  static auto* pools = new std::map<int, std::shared_ptr<arrow::internal::ThreadPool>>();
  std::lock_guard lock(mutex);
  auto& pool = (*pools)[threads];
  if (!pool) {
    auto made = arrow::internal::ThreadPool::MakeEternal(threads);
    if (!made.ok()) return nullptr;  // no threads to be had: encode on the caller's
    pool = std::move(*made);
  }
  return pool.get();
}

}  // namespace lake::detail

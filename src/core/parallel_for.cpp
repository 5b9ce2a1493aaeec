#include "core/parallel_for.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <format>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <vector>

namespace lake::detail {
namespace {

Status run_one(const std::function<Status(std::size_t)>& task, std::size_t index) {
  try {
    return task(index);
  } catch (const std::exception& e) {
    return fail(ErrorCode::internal, std::format("task {} threw: {}", index, e.what()));
  } catch (...) {
    return fail(ErrorCode::internal, std::format("task {} threw", index));
  }
}

}  // namespace

Status parallel_for(std::size_t count, int threads, const std::function<Status(std::size_t)>& task) {
  const std::size_t workers = std::min<std::size_t>(count, static_cast<std::size_t>(std::max(1, threads)));
  if (workers <= 1) {
    for (std::size_t i = 0; i < count; ++i)
      if (auto done = run_one(task, i); !done) return done;
    return {};
  }
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::optional<std::size_t> failed_index;
  std::optional<Error> failed;
  auto work = [&] {
    while (!stop.load(std::memory_order_acquire)) {
      const std::size_t i = next.fetch_add(1, std::memory_order_acq_rel);
      if (i >= count) return;
      if (auto done = run_one(task, i); !done) {
        stop.store(true, std::memory_order_release);  // first, so that the other threads see it soonest
        std::scoped_lock lock(mutex);
        if (!failed_index || i < *failed_index) {
          failed_index = i;
          failed = std::move(done.error());
        }
      }
    }
  };
  std::vector<std::thread> helpers;
  helpers.reserve(workers - 1);
  try {
    for (std::size_t t = 1; t < workers; ++t) helpers.emplace_back(work);
  } catch (const std::system_error&) {
    // No more threads to be had: the ones started and this one do the work.
  }
  work();
  for (auto& helper : helpers) helper.join();
  if (failed) return std::unexpected(std::move(*failed));
  return {};
}

}  // namespace lake::detail

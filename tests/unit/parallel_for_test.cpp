// core/parallel_for: every task runs once, on several threads when asked;
// a failure stops what has not started and is reported by the lowest
// failed index, whatever the schedule.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/parallel_for.hpp"

namespace {

using lake::ErrorCode;
using lake::Status;
using lake::detail::parallel_for;

TEST(ParallelFor, RunsEveryTaskOnceOnTheThreadsAskedFor) {
  for (int threads : {0, 1, 2, 4, 16}) {
    std::vector<std::atomic<int>> runs(100);
    std::mutex mutex;
    std::set<std::thread::id> seen;
    auto done = parallel_for(runs.size(), threads, [&](std::size_t i) -> Status {
      ++runs[i];
      {
        std::scoped_lock lock(mutex);
        seen.insert(std::this_thread::get_id());
      }
      // Long enough that one thread cannot take every task before the
      // others start.
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return {};
    });
    ASSERT_TRUE(done) << done.error().to_string();
    for (std::size_t i = 0; i < runs.size(); ++i) EXPECT_EQ(runs[i].load(), 1) << "task " << i << ", threads " << threads;
    if (threads <= 1) {
      EXPECT_EQ(seen, std::set<std::thread::id>{std::this_thread::get_id()}) << "on the calling thread";
    } else {
      EXPECT_GT(seen.size(), 1u) << threads << " threads";
      EXPECT_LE(seen.size(), static_cast<std::size_t>(threads));
      EXPECT_TRUE(seen.contains(std::this_thread::get_id())) << "the calling thread works too";
    }
  }
  EXPECT_TRUE(parallel_for(0, 4, [](std::size_t) -> Status { return lake::fail(ErrorCode::internal, "never"); }));
}

TEST(ParallelFor, ReportsTheLowestFailedIndexAndStartsNothingAfterAFailure) {
  for (int round = 0; round < 20; ++round) {
    std::atomic<std::size_t> started{0};
    auto done = parallel_for(1000, 4, [&](std::size_t i) -> Status {
      ++started;
      // Task 7 fails at once, task 3 only after a while: 3 must win.
      if (i == 3) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        return lake::fail(ErrorCode::io, "task three");
      }
      if (i == 7) return lake::fail(ErrorCode::invalid_argument, "task seven");
      // Long enough that the other threads cannot finish every task in the
      // moment between task 7's failure and its being seen.
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      return {};
    });
    ASSERT_FALSE(done);
    EXPECT_EQ(done.error().code(), ErrorCode::io) << done.error().to_string();
    EXPECT_EQ(done.error().message(), "task three");
    EXPECT_LT(started.load(), 1000u) << "tasks after a failure do not start";
  }
}

TEST(ParallelFor, ATaskThatThrowsIsAnInternalErrorOfItsIndex) {
  for (int threads : {1, 3}) {
    auto done = parallel_for(10, threads, [](std::size_t i) -> Status {
      if (i == 4) throw std::runtime_error("out of luck");
      return {};
    });
    ASSERT_FALSE(done);
    EXPECT_EQ(done.error().code(), ErrorCode::internal);
    EXPECT_NE(done.error().message().find("task 4 threw: out of luck"), std::string::npos) << done.error().message();
  }
}

}  // namespace

// Independent pieces of one operation run side by side: the files a merge,
// an update or a delete reads and rewrites are independent of each other
// until the commit lists them, so they are read, matched and rewritten on
// several threads, and what each produced is put together afterwards in
// file order (a commit names its files in the same order however the
// threads were scheduled). Internal to lake-orm.
#pragma once

#include <cstddef>
#include <functional>

#include "lake/error.hpp"

namespace lake::detail {

// Runs task(0) .. task(count - 1), on the calling thread and up to
// `threads` - 1 more (fewer than 2: one after the other on the calling
// thread). Tasks start in index order; once a failure is seen no further
// task starts (one another thread had already claimed still runs) and the
// running ones finish. The error returned is that of the
// lowest failed index, which is the same whatever the schedule: every
// task before a failed one has started, so it ran to its end.
//
// Tasks write only their own outputs (a slot per index), and must not
// wait for one another. A task that throws is an ErrorCode::internal
// failure of its index.
[[nodiscard]] Status parallel_for(std::size_t count, int threads, const std::function<Status(std::size_t)>& task);

}  // namespace lake::detail

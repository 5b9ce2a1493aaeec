// Progress of a long operation (optimize, vacuum, staging cleanup), for
// callers that show it: the lakeorm CLI draws a progress line from it, a
// service may log it. Called on the thread doing the work, after each
// unit; keep the callback cheap.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

namespace lake {

struct Progress {
  std::string_view step;   // what is being counted, e.g. "partitions compacted"
  std::int64_t done = 0;
  std::int64_t total = 0;  // known up front; done == total at the end
};

using ProgressFn = std::function<void(const Progress&)>;

}  // namespace lake

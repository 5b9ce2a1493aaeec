// A progress line on stderr for long operations. On a terminal it redraws
// one line in place (at most ten times a second); otherwise (a log file, a
// CI job) it prints a line at each tenth of the way, so logs stay short.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <lake/progress.hpp>

namespace lakeorm {

class ProgressLine {
 public:
  explicit ProgressLine(std::string label);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // The callback to hand to the operation; valid while this object lives.
  [[nodiscard]] lake::ProgressFn callback();
  // Ends the line (on a terminal) before the result is printed.
  void finish();

 private:
  void update(const lake::Progress& progress);

  std::string label_;
  bool terminal_;
  bool drawn_ = false;
  int last_tenth_ = -1;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace lakeorm

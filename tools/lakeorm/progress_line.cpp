#include "progress_line.hpp"

#include <unistd.h>

#include <cstdio>
#include <print>

namespace lakeorm {

ProgressLine::ProgressLine(std::string label) : label_(std::move(label)), terminal_(isatty(STDERR_FILENO) == 1) {}

ProgressLine::~ProgressLine() { finish(); }

lake::ProgressFn ProgressLine::callback() {
  return [this](const lake::Progress& progress) { update(progress); };
}

void ProgressLine::update(const lake::Progress& progress) {
  const int percent = progress.total > 0 ? static_cast<int>(100 * progress.done / progress.total) : 100;
  const bool last = progress.done >= progress.total;
  if (terminal_) {
    const auto now = std::chrono::steady_clock::now();
    if (!last && drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    constexpr int width = 30;
    const int filled = width * percent / 100;
    std::print(stderr, "\r{}: [{}{}] {:3}%  {}/{} {}\x1b[K", label_, std::string(filled, '#'),
               std::string(width - filled, ' '), percent, progress.done, progress.total, progress.step);
    std::fflush(stderr);
    drawn_ = true;
    return;
  }
  const int tenth = percent / 10;
  if (tenth == last_tenth_) return;
  last_tenth_ = tenth;
  std::println(stderr, "{}: {}/{} {} ({}%)", label_, progress.done, progress.total, progress.step, percent);
}

void ProgressLine::finish() {
  if (terminal_ && drawn_) std::println(stderr);
  drawn_ = false;
}

}  // namespace lakeorm

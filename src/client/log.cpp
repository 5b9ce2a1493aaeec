#include "lake/log.hpp"

#include <chrono>
#include <format>
#include <memory>
#include <mutex>

#include <nlohmann/json.hpp>

namespace lake {

std::string_view to_string(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warn";
    case LogLevel::error: return "error";
  }
  return "info";
}

Logger json_lines_logger(std::ostream& out, LogLevel min_level) {
  auto mutex = std::make_shared<std::mutex>();
  return [&out, min_level, mutex](LogLevel level, std::string_view message, std::span<const LogField> fields) {
    if (level < min_level) return;
    nlohmann::ordered_json line;
    const auto now = std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
    line["ts"] = std::format("{:%FT%TZ}", now);
    line["level"] = to_string(level);
    line["msg"] = message;
    for (const auto& field : fields) line[field.key] = field.value;
    const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::scoped_lock lock(*mutex);
    out << text << '\n';
    out.flush();
  };
}

}  // namespace lake

// Structured logs. The Client reports what it does (writes with their
// ingest id, table, path, rows and duration; cleanups; failures) as a
// message plus key/value fields to a Logger the service supplies; the
// default logs nothing. Fields never carry record contents or secrets.
//
//   auto db = lake::local::open("data", {.logger = lake::json_lines_logger(std::clog)});
//   // {"ts":"2026-11-21T10:00:00.123Z","level":"info","msg":"insert committed",
//   //  "ingest_id":"0193...","table":"users","path":"direct","rows":"3",...}
#pragma once

#include <functional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>

namespace lake {

enum class LogLevel { debug, info, warn, error };
[[nodiscard]] std::string_view to_string(LogLevel level) noexcept;

struct LogField {
  std::string key;
  std::string value;
};

using Logger = std::function<void(LogLevel level, std::string_view message, std::span<const LogField> fields)>;

// One JSON object per line on `out` (serialised: safe from many threads),
// for entries at `min_level` or above.
[[nodiscard]] Logger json_lines_logger(std::ostream& out, LogLevel min_level = LogLevel::info);

}  // namespace lake

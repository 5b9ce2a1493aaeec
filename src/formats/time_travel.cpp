#include "formats/time_travel.hpp"

#include <charconv>
#include <chrono>
#include <format>
#include <sstream>

namespace lake::formats {

Result<TimeTravelName> parse_time_travel(std::string_view text) {
  auto at = text.rfind('@');
  if (at == std::string_view::npos) return TimeTravelName{std::string(text)};
  TimeTravelName travel{std::string(text.substr(0, at))};
  std::string_view spec = text.substr(at + 1);
  if (spec.size() > 1 && (spec[0] == 'v' || spec[0] == 'V')) {
    std::int64_t id = 0;
    auto [end, ec] = std::from_chars(spec.data() + 1, spec.data() + spec.size(), id);
    if (ec == std::errc() && end == spec.data() + spec.size() && id >= 0) {
      travel.at = SnapshotSelector(id);
      return travel;
    }
  }
  std::istringstream in{std::string(spec)};
  std::chrono::sys_time<std::chrono::microseconds> moment;
  in >> std::chrono::parse("%FT%T%Ez", moment);
  if (in.fail()) {
    in.clear();
    in.str(std::string(spec));
    in >> std::chrono::parse("%FT%TZ", moment);
  }
  if (in.fail())
    return fail(ErrorCode::invalid_argument,
                std::format("'{}': time travel is name@v<version> or name@<ISO 8601 time>, e.g. users@v3 or "
                            "users@2026-11-21T10:00:00Z",
                            text));
  travel.at = SnapshotSelector(timestamp(moment));
  return travel;
}

}  // namespace lake::formats

#include "delta/table_properties.hpp"

#include <charconv>
#include <format>
#include <string>

namespace lake::delta {

Result<std::chrono::milliseconds> parse_interval(std::string_view text) {
  auto bad = [&] {
    return fail(ErrorCode::invalid_argument,
                std::format("'{}' is not an interval like 'interval 7 days'", text));
  };
  std::string_view rest = text;
  auto skip_spaces = [&] {
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  };
  skip_spaces();
  if (!rest.starts_with("interval")) return bad();
  rest.remove_prefix(8);
  skip_spaces();
  std::int64_t amount = 0;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), amount);
  if (ec != std::errc{} || amount < 0) return bad();
  rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));
  skip_spaces();
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  if (rest.ends_with("s")) rest.remove_suffix(1);
  using namespace std::chrono;
  if (rest == "week") return duration_cast<milliseconds>(weeks(amount));
  if (rest == "day") return duration_cast<milliseconds>(days(amount));
  if (rest == "hour") return duration_cast<milliseconds>(hours(amount));
  if (rest == "minute") return duration_cast<milliseconds>(minutes(amount));
  if (rest == "second") return duration_cast<milliseconds>(seconds(amount));
  if (rest == "millisecond") return milliseconds(amount);
  return bad();
}

Result<std::chrono::milliseconds> deleted_file_retention(const Metadata& metadata) {
  auto it = metadata.configuration.find("delta.deletedFileRetentionDuration");
  if (it == metadata.configuration.end()) return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::weeks(1));
  auto parsed = parse_interval(it->second);
  if (!parsed) return std::unexpected(parsed.error().with_context("delta.deletedFileRetentionDuration"));
  return parsed;
}

}  // namespace lake::delta

#include "delta/table_properties.hpp"

#include <algorithm>
#include <charconv>
#include <stdckdint.h>
#include <vector>
#include <format>
#include <string>

namespace lake::delta {

bool property_is(const std::map<std::string, std::string>& configuration, std::string_view key,
                 std::string_view value) {
  auto it = configuration.find(std::string(key));
  return it != configuration.end() && it->second == value;
}

Result<Protocol> protocol_for_new_table(std::map<std::string, std::string>& properties) {
  auto is_true = [&](std::string_view key) { return property_is(properties, key, "true"); };
  // Reader-and-writer features; the others are writer features.
  static constexpr std::string_view kReaderWriter[] = {"deletionVectors", "columnMapping", "v2Checkpoint",
                                                       "typeWidening",    "timestampNtz",  "vacuumProtocolCheck"};
  std::vector<std::string> features;
  auto want = [&](std::string_view feature) {
    if (!std::ranges::contains(features, feature)) features.emplace_back(feature);
  };
  // Spark's explicit form, delta.feature.<name> = supported: turned into
  // the protocol, not kept as a property (as Spark does).
  for (auto it = properties.begin(); it != properties.end();) {
    if (!it->first.starts_with("delta.feature.")) {
      ++it;
      continue;
    }
    const std::string feature = it->first.substr(std::string_view("delta.feature.").size());
    if (it->second != "supported" && it->second != "enabled")
      return fail(ErrorCode::invalid_argument,
                  std::format("table property {} is '{}'; table features are added with 'supported'", it->first,
                              it->second));
    want(feature);
    it = properties.erase(it);
  }
  auto mode = properties.find("delta.columnMapping.mode");
  if (mode != properties.end() && (mode->second == "name" || mode->second == "id")) want("columnMapping");
  if (is_true(kEnableDeletionVectors)) want("deletionVectors");
  if (is_true("delta.enableInCommitTimestamps")) want("inCommitTimestamp");
  if (is_true("delta.enableRowTracking")) want("rowTracking");
  if (is_true("delta.enableTypeWidening")) want("typeWidening");
  if (property_is(properties, "delta.checkpointPolicy", "v2")) want("v2Checkpoint");
  // Features that rest on domain metadata.
  if (std::ranges::contains(features, std::string_view("rowTracking")) ||
      std::ranges::contains(features, std::string_view("clustering")))
    want("domainMetadata");
  if (features.empty()) return Protocol{1, 2, {}, {}};
  // What writer version 2 implied, listed as writer 7 asks (Spark refuses
  // a table whose non-nullable columns need invariants it does not list).
  Protocol protocol{1, 7, {}, {"appendOnly", "invariants"}};
  for (const auto& feature : features) {
    const bool reader = std::ranges::contains(kReaderWriter, feature);
    protocol = with_table_feature(protocol, feature, reader);
  }
  return protocol;
}

Protocol with_table_feature(const Protocol& protocol, std::string_view feature, bool reader) {
  Protocol out = protocol;
  auto add = [](std::vector<std::string>& list, std::string_view name) {
    if (!std::ranges::contains(list, name)) list.emplace_back(name);
  };
  if (out.min_writer_version < 7) {
    static constexpr std::pair<int, std::string_view> kImplied[] = {
        {2, "appendOnly"},      {2, "invariants"},       {3, "checkConstraints"}, {4, "changeDataFeed"},
        {4, "generatedColumns"}, {5, "columnMapping"}, {6, "identityColumns"}};
    for (const auto& [version, name] : kImplied)
      if (protocol.min_writer_version >= version) add(out.writer_features, name);
    out.min_writer_version = 7;
  }
  add(out.writer_features, feature);
  if (reader) {
    if (out.min_reader_version < 3) {
      if (protocol.min_reader_version >= 2) add(out.reader_features, "columnMapping");
      out.min_reader_version = 3;
    }
    add(out.reader_features, feature);
  }
  return out;
}

// Spark's calendar-interval syntax for interval table properties
// ("interval 1 week", "7 days", "interval 2 days 12 hours"): an optional
// "interval", then signed integer / unit pairs, case-insensitive. Months and
// years are refused, as Spark refuses them for these properties, because
// their length varies.
Result<std::chrono::milliseconds> parse_interval(std::string_view text) {
  auto invalid = [&](std::string_view why) {
    return fail(ErrorCode::invalid_argument,
                std::format("'{}' is not a valid interval: {}", text, why));
  };
  std::vector<std::string> words;
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == ' ' || text[i] == '\t') {
      ++i;
      continue;
    }
    std::size_t end = text.find_first_of(" \t", i);
    if (end == std::string_view::npos) end = text.size();
    std::string word(text.substr(i, end - i));
    for (char& c : word) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    words.push_back(std::move(word));
    i = end;
  }
  std::size_t next = !words.empty() && words.front() == "interval" ? 1 : 0;
  if (next == words.size()) return invalid("it names no amount (e.g. 'interval 7 days')");
  if ((words.size() - next) % 2 != 0) return invalid("every amount needs a unit (e.g. '7 days')");

  struct Unit {
    std::string_view name;
    std::int64_t micros;
  };
  static constexpr Unit kUnits[] = {
      {"week", std::int64_t{7} * 24 * 3600 * 1000000}, {"day", std::int64_t{24} * 3600 * 1000000},
      {"hour", std::int64_t{3600} * 1000000},          {"minute", std::int64_t{60} * 1000000},
      {"second", 1000000},                             {"millisecond", 1000},
      {"microsecond", 1},
  };
  std::int64_t total = 0;
  for (; next < words.size(); next += 2) {
    const std::string& amount = words[next];
    std::string_view unit = words[next + 1];
    if (unit.ends_with('s')) unit.remove_suffix(1);
    std::int64_t value = 0;
    const char* begin = amount.data() + (amount.starts_with('+') ? 1 : 0);
    auto [end, ec] = std::from_chars(begin, amount.data() + amount.size(), value);
    if (ec != std::errc{} || end != amount.data() + amount.size())
      return invalid(std::format("'{}' is not a whole number", amount));
    if (unit == "month" || unit == "year") return invalid("months and years have no fixed length; use days");
    auto known = std::ranges::find(kUnits, unit, &Unit::name);
    if (known == std::end(kUnits)) return invalid(std::format("unknown unit '{}'", words[next + 1]));
    std::int64_t part = 0;
    if (ckd_mul(&part, value, known->micros) || ckd_add(&total, total, part)) return invalid("it overflows");
  }
  if (total < 0) return invalid("it is negative");
  // Sub-millisecond remainders are truncated, as Spark does.
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::microseconds(total));
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

Result<std::chrono::milliseconds> deleted_file_retention(const Metadata& metadata) {
  auto it = metadata.configuration.find("delta.deletedFileRetentionDuration");
  if (it == metadata.configuration.end()) return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::weeks(1));
  auto parsed = parse_interval(it->second);
  if (!parsed) return std::unexpected(parsed.error().with_context("delta.deletedFileRetentionDuration"));
  return parsed;
}

}  // namespace lake::delta

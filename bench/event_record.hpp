// The mixed 8-column record every benchmark measures (int64, two strings,
// double, int32, bool, timestamp, optional string), so figures from the
// Arrow conversion and the Delta benchmarks describe the same rows.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <lake/lake.hpp>

namespace lake::bench {

struct Event {
  [[=lake::pk]] std::int64_t id = 0;
  std::string user;
  std::string country;
  double amount = 0;
  std::int32_t quantity = 0;
  bool flagged = false;
  lake::timestamp at{};
  std::optional<std::string> note;
};

}  // namespace lake::bench

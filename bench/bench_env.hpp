// Where the benchmarks keep their data and how big they make it: read from
// LAKE_BENCH_* variables (tools/dev passes them into the sysroot, empty when
// unset, so an empty value means "use the default").
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string_view>

namespace lake::bench {

inline std::filesystem::path data_dir() {
  const char* dir = std::getenv("LAKE_BENCH_DATA");
  return dir && *dir ? std::filesystem::path(dir) : std::filesystem::path("/tmp/lake-bench");
}

inline std::int64_t count_from_env(const char* name, std::int64_t fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::atoll(value) : fallback;
}

}  // namespace lake::bench

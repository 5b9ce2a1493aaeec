// Which table format a suite built once runs on (CTest runs it again with
// LAKE_TEST_TABLE_FORMAT=iceberg), and where an Iceberg table on disk has
// its current metadata file, for peers that read a table by that path.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

namespace lake::testing {

// True when the run is on Iceberg tables; Delta otherwise.
inline bool on_iceberg() {
  const char* format = std::getenv("LAKE_TEST_TABLE_FORMAT");
  return format && std::string_view(format) == "iceberg";
}

// The newest metadata/v<N>.metadata.json of a file-system Iceberg table
// (empty when it has none).
inline std::filesystem::path newest_metadata_file(const std::filesystem::path& table) {
  std::filesystem::path newest;
  int highest = -1;
  for (const auto& entry : std::filesystem::directory_iterator(table / "metadata")) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with("v") || !name.ends_with(".metadata.json")) continue;
    if (const int version = std::stoi(name.substr(1)); version > highest) highest = version, newest = entry.path();
  }
  return newest;
}

}  // namespace lake::testing

// Shared by the interop tests (label `interop`): running a peer script
// with the pinned peers, a scratch directory, and the Arrow IPC files rows
// travel in.
#pragma once

#include <arrow/io/file.h>
#include <arrow/ipc/reader.h>
#include <arrow/ipc/writer.h>
#include <arrow/table.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <format>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "support/temp_dir.hpp"

namespace lake::testing {

// Runs <folder>/<script> (folder relative to the repository, e.g.
// "tests/delta/peers") through tools/peers, which provisions the pinned
// venv and Spark's jars on first use, and reports how long it took;
// returns the exit status.
inline int run_peer_script(const std::string& folder, const std::string& script,
                           const std::vector<std::string>& args) {
  std::string command = std::string(LAKE_SOURCE_DIR) + "/tools/peers python " + LAKE_SOURCE_DIR + "/" + folder + "/" +
                        script;
  for (const auto& a : args) command += " '" + a + "'";
  auto started = std::chrono::steady_clock::now();
  int status = std::system(command.c_str());
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cerr << std::format("[interop] {} {} took {:.1f} s\n", script, args.empty() ? "" : args.front(), seconds);
  return status;
}

// Saves rows as an Arrow IPC file, for a peer script to compare.
inline void write_ipc(const std::shared_ptr<arrow::Table>& rows, const std::filesystem::path& file) {
  auto out = arrow::io::FileOutputStream::Open(file.string());
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  auto writer = arrow::ipc::MakeFileWriter(*out, rows->schema());
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  ASSERT_TRUE((*writer)->WriteTable(*rows).ok());
  ASSERT_TRUE((*writer)->Close().ok());
  ASSERT_TRUE((*out)->Close().ok());
}

// The rows of an Arrow IPC file a peer script wrote.
inline std::shared_ptr<arrow::Table> read_ipc(const std::filesystem::path& file) {
  auto in = arrow::io::ReadableFile::Open(file.string());
  EXPECT_TRUE(in.ok()) << in.status().ToString();
  if (!in.ok()) return nullptr;
  auto reader = arrow::ipc::RecordBatchFileReader::Open(*in);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  if (!reader.ok()) return nullptr;
  auto rows = (*reader)->ToTable();
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  return rows.ok() ? *rows : nullptr;
}

}  // namespace lake::testing

// The Delta interop tests' peers: scripts in tests/delta/peers.
#pragma once

#include "support/peer_process.hpp"
#include "support/temp_dir.hpp"

namespace lake::delta::testing {

inline int run_peer(const std::string& script, const std::vector<std::string>& args) {
  return lake::testing::run_peer_script("tests/delta/peers", script, args);
}

using lake::testing::read_ipc;
using lake::testing::TempDir;
using lake::testing::write_ipc;

}  // namespace lake::delta::testing

// What a PreparedWrite holds: the commit one planning produced, and for a
// merge how to plan it again after a collision. Internal to the Delta
// implementation.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "delta/transaction.hpp"
#include "lake/delta/table.hpp"

namespace lake::delta {

// One planning of a write against one snapshot: the commit, and the data
// and deletion-vector files it already wrote (removed again if the commit
// does not happen).
struct PlannedCommit {
  PendingCommit pending;
  std::vector<Add> written;
  std::vector<std::string> written_vectors{};  // deletion-vector files (backend keys)
  CommitResult result;
};

struct PreparedWriteState {
  enum class Status { pending, committed, failed, aborted };

  Table* table = nullptr;
  std::string operation;  // "merge", "delete", "update": for messages
  // nullopt: nothing to commit (no match, or an applied idempotency key).
  std::optional<PlannedCommit> planned;
  bool skipped_as_duplicate = false;
  // Plans the write again against the table's latest version (a merge
  // after a key collision). Unset: a lost race the rules do not resolve by
  // committing on top is the caller's conflict.
  std::function<Result<std::optional<PlannedCommit>>()> replan;
  std::int64_t read_version = -1;  // the version the first planning read
  CommitAttempts attempts;
  Status status = Status::pending;
  std::optional<Result<CommitResult>> outcome;
};

}  // namespace lake::delta

// Optimistic commits (PROTOCOL.md "Optimistic Concurrency Control"): a
// commit is the exclusive creation of the next log entry; losing that race
// means reading the winners, checking them against what this transaction
// read and wrote, and trying the next version. Internal to the Delta
// implementation.
#pragma once

#include <arrow/compute/expression.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "formats/write_keys.hpp"
#include "lake/delta/actions.hpp"
#include "lake/delta/snapshot.hpp"
#include "lake/storage/backend.hpp"

namespace lake::delta {

// What one write wants to commit, and what it depended on.
struct PendingCommit {
  std::string operation{};                        // commitInfo.operation: "WRITE", "DELETE", ...
  std::map<std::string, std::string> parameters{};  // commitInfo.operationParameters
  std::map<std::string, std::int64_t> metrics{};  // commitInfo.operationMetrics
  std::optional<std::string> user_metadata{};
  std::vector<Action> actions{};  // without commitInfo (added at commit time)
  // True when the commit only adds files and read nothing: it commutes with
  // every other commit except metadata and protocol changes.
  bool blind_append = false;
  // Logical files whose content this transaction's outcome depends on (it
  // read them and found rows to change or keys to skip). A winner removing
  // one is a conflict.
  std::set<LogicalFileKey> read_files{};
  // The rows this transaction read: a winner that is not a blind append and
  // added a file that may hold such rows is a conflict. Unset: no predicate
  // (the transaction read no rows).
  std::optional<arrow::compute::Expression> read_predicate{};
  // A keyed write's keys. When set, they replace read_predicate: the data
  // files every winner added (blind appends too: keys are the table's
  // invariant) are checked for rows with one of these keys, by stats and
  // then by reading their key columns, and only a real collision is a
  // conflict (ConflictDetail::Kind::key_collision).
  std::shared_ptr<const formats::WriteKeys> write_keys{};
  // The application transaction this commit records (idempotent writes).
  std::optional<Txn> txn{};
};

// Now, in milliseconds since the epoch: the unit of every timestamp in the log.
[[nodiscard]] std::int64_t now_ms();

// What writing one entry of the log did (inside the Delta implementation;
// a Table write reports a CommitResult, and a Client write a WriteResult).
struct LogCommit {
  bool committed = false;  // false: the txn version was already applied by a winner
  std::int64_t version = -1;
  int attempts = 0;
  Snapshot snapshot;  // the table after the commit (or after the winners)
};

// How a write retries after losing commit races: at most max_attempts
// commit attempts in all (counting those of its redos), each loss followed
// by a pause drawn uniformly from [0, min(max_backoff, initial_backoff *
// 2^(losses-1))] ("full jitter"), so writers that collided spread out.
struct CommitPolicy {
  int max_attempts = 64;
  std::chrono::milliseconds initial_backoff{5};
  std::chrono::milliseconds max_backoff{500};
};

// The commit attempts one write has made so far, across its redos.
struct CommitAttempts {
  int used = 0;
};

// Commits `pending` on top of `read`. The returned snapshot includes every
// commit between `read` and ours. Errors: ErrorCode::conflict with a
// ConflictDetail when a winner conflicts or attempts run out; anything the
// backend reports. `attempts` counts this write's attempts (shared by its
// redos; policy.max_attempts bounds the total).
[[nodiscard]] Result<LogCommit> commit(Backend& backend, const std::string& root, const Snapshot& read,
                                           PendingCommit pending, const CommitPolicy& policy,
                                           CommitAttempts& attempts);

// True for the conflicts a write can redo against the newer version with
// the same outcome as running after the winner: a winner removed files it
// read or removes, or wrote rows it would have read (a key it writes).
[[nodiscard]] bool redo_resolves(const Error& error);

// Sleeps the policy's jittered pause after the `losses`-th lost race.
void back_off(const CommitPolicy& policy, int losses);

// The commits after `from` up to the latest, applied to a copy of it.
[[nodiscard]] Result<Snapshot> catch_up(Backend& backend, const std::string& root, const Snapshot& from);

}  // namespace lake::delta

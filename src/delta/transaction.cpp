// The optimistic commit loop and the WriteSerializable conflict rules.
#include "delta/transaction.hpp"

#include <algorithm>
#include <chrono>
#include <format>
#include <random>
#include <span>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/propagate.hpp"
#include "delta/add_file_set.hpp"
#include "delta/log_replay.hpp"
#include "delta/row_tracking.hpp"
#include "delta/scan.hpp"
#include "delta/schema_json.hpp"
#include "lake/delta/table.hpp"
#include "lake/ingest_id.hpp"

namespace lake::delta {
namespace {

using nlohmann::json;

constexpr std::string_view kEngineInfo = "lake-orm/0.1.0";

std::string_view kind_name(ConflictDetail::Kind kind) {
  switch (kind) {
    case ConflictDetail::Kind::concurrent_delete_read: return "a concurrent commit removed a file this write read";
    case ConflictDetail::Kind::concurrent_delete_delete: return "a concurrent commit removed a file this write removes";
    case ConflictDetail::Kind::concurrent_append:
      return "a concurrent commit added rows this write's predicate covers";
    case ConflictDetail::Kind::metadata_changed: return "a concurrent commit changed the table's metadata";
    case ConflictDetail::Kind::protocol_changed: return "a concurrent commit changed the table's protocol";
    case ConflictDetail::Kind::concurrent_transaction:
      return "a concurrent commit recorded a transaction for the same application id";
    case ConflictDetail::Kind::key_collision: return "a concurrent commit wrote rows with keys this write writes";
    case ConflictDetail::Kind::too_many_attempts: return "gave up after losing the commit race repeatedly";
  }
  return "conflict";
}

std::unexpected<Error> conflict(ConflictDetail::Kind kind, std::int64_t version, std::vector<std::string> files,
                                std::int64_t read_version) {
  std::string message = std::format("{} (read version {}, winning version {})", kind_name(kind), read_version, version);
  if (!files.empty()) message += std::format(", e.g. '{}'", files.front());
  return fail(ErrorCode::conflict, std::move(message),
              std::make_shared<ConflictDetail>(kind, version, std::move(files)));
}

// commitInfo of one commit attempt at `current.version() + 1`. On tables
// with in-commit timestamps it records the commit's time, never earlier
// than 1 ms after the previous commit's (PROTOCOL.md "In-Commit
// Timestamps"); on row-tracking tables, whether the commit kept every
// row's stable id (`preserved`).
std::string commit_info_json(const PendingCommit& pending, std::int64_t read_version, const Snapshot& current,
                             std::optional<bool> preserved) {
  json parameters = json::object();
  for (const auto& [k, v] : pending.parameters) parameters[k] = v;
  json metrics = json::object();
  // Spark writes operation metrics as strings; readers expect that.
  for (const auto& [k, v] : pending.metrics) metrics[k] = std::to_string(v);
  json info = {
      {"timestamp", now_ms()},
      {"operation", pending.operation},
      {"operationParameters", parameters},
      {"readVersion", read_version},
      {"isolationLevel", "WriteSerializable"},
      {"isBlindAppend", pending.blind_append},
      {"operationMetrics", metrics},
      {"engineInfo", kEngineInfo},
      {"txnId", IngestId::generate().to_string()},
  };
  if (pending.user_metadata) info["userMetadata"] = *pending.user_metadata;
  if (in_commit_timestamps_enabled(current.metadata())) {
    const std::int64_t previous = current.in_commit_timestamp().value_or(
        std::chrono::duration_cast<std::chrono::milliseconds>(current.committed_at().time_since_epoch()).count());
    const std::int64_t at = std::max(info["timestamp"].get<std::int64_t>(), previous + 1);
    info["inCommitTimestamp"] = at;
    info["timestamp"] = at;
  }
  if (preserved) info["tags"] = {{"delta.rowTracking.preserved", *preserved ? "true" : "false"}};
  return info.dump();
}

bool winner_is_blind_append(const std::vector<Action>& actions) {
  for (const auto& action : actions) {
    if (const auto* info = std::get_if<CommitInfo>(&action)) {
      auto doc = json::parse(info->json, nullptr, false);
      return doc.is_object() && doc.value("isBlindAppend", false);
    }
  }
  // Without commitInfo we cannot know what the winner read: assume the worst.
  return false;
}

// True when `after` only appends nullable columns to `before` and keeps
// the partitioning: files written under `before` are valid under `after`,
// so a blind append written against `before` may still commit.
bool only_adds_nullable_columns(const Snapshot& before, const Metadata& after) {
  if (after.partition_columns != before.metadata().partition_columns) return false;
  auto columns = parse_schema_string(after.schema_string);
  if (!columns || columns->size() < before.columns().size()) return false;
  for (std::size_t i = 0; i < columns->size(); ++i) {
    const Field& now = (*columns)[i];
    if (i >= before.columns().size()) {
      if (!now.nullable) return false;
      continue;
    }
    const Field& was = before.columns()[i];
    if (now.column != was.column || !(now.type == was.type) || now.nullable != was.nullable) return false;
  }
  return true;
}

// Checks one winning commit against the pending one, by its actions
// alone (no I/O). `current` is the snapshot the winner applies to (for the
// table layout).
Status check_winner(const PendingCommit& pending, const Snapshot& read, const Snapshot& current,
                    std::int64_t winner_version, const std::vector<Action>& winner,
                    const std::set<LogicalFileKey>& our_removes, const std::set<std::string>& our_domains) {
  const bool winner_blind = winner_is_blind_append(winner);
  std::vector<std::string> read_removed, both_removed, appended;
  for (const auto& action : winner) {
    if (std::holds_alternative<Protocol>(action))
      return conflict(ConflictDetail::Kind::protocol_changed, winner_version, {}, read.version());
    if (const auto* metadata = std::get_if<Metadata>(&action)) {
      if (!(pending.blind_append && only_adds_nullable_columns(current, *metadata)))
        return conflict(ConflictDetail::Kind::metadata_changed, winner_version, {}, read.version());
    }
    if (const auto* txn = std::get_if<Txn>(&action); txn && pending.txn && txn->app_id == pending.txn->app_id &&
                                                      txn->version < pending.txn->version) {
      // A later or equal version makes ours a duplicate (handled by the
      // caller); an earlier one means two writers share an application id.
      return conflict(ConflictDetail::Kind::concurrent_transaction, winner_version, {}, read.version());
    }
    if (const auto* domain = std::get_if<DomainMetadata>(&action); domain && our_domains.contains(domain->domain))
      return conflict(ConflictDetail::Kind::metadata_changed, winner_version, {}, read.version());
    if (const auto* remove = std::get_if<Remove>(&action)) {
      const LogicalFileKey key = remove->key();
      if (pending.read_files.contains(key)) read_removed.push_back(remove->path);
      if (our_removes.contains(key)) both_removed.push_back(remove->path);
    }
  }
  if (!both_removed.empty())
    return conflict(ConflictDetail::Kind::concurrent_delete_delete, winner_version, std::move(both_removed),
                    read.version());
  if (!read_removed.empty())
    return conflict(ConflictDetail::Kind::concurrent_delete_read, winner_version, std::move(read_removed),
                    read.version());
  // WriteSerializable: rows appended blindly by others may be ordered after
  // us; rows a non-blind winner produced (an update, a merge) must not be
  // in what we read. A keyed write judges the winner's rows by their keys
  // instead (check_winner_keys).
  if (pending.read_predicate && !pending.write_keys && !winner_blind) {
    auto layout = layout_of(std::string(), current);
    LAKE_RETURN_IF_ERROR(layout);
    for (const auto& action : winner) {
      const auto* add = std::get_if<Add>(&action);
      if (add == nullptr || !add->data_change) continue;
      auto match = may_match(*layout, *add, *pending.read_predicate);
      LAKE_RETURN_IF_ERROR(match);
      if (*match) appended.push_back(add->path);
    }
    if (!appended.empty())
      return conflict(ConflictDetail::Kind::concurrent_append, winner_version, std::move(appended), read.version());
  }
  return {};
}

// A keyed write against one winner: do the rows the winner added hold any
// of the write's keys? Files that only rearrange rows (dataChange false,
// as optimize writes them) hold no row that was not in the files they
// replace, which the write read or the check already covered.
Status check_winner_keys(const PendingCommit& pending, Backend& backend, const std::string& root,
                         const Snapshot& read, const Snapshot& current, std::int64_t winner_version,
                         const std::vector<Action>& winner) {
  std::vector<Add> added;
  for (const auto& action : winner)
    if (const auto* add = std::get_if<Add>(&action); add != nullptr && add->data_change) added.push_back(*add);
  if (added.empty()) return {};
  auto layout = layout_of(root, current);
  LAKE_RETURN_IF_ERROR(layout);
  AddFileSet files(backend, std::move(*layout), std::move(added));
  auto collisions = pending.write_keys->find_in(files);
  if (!collisions) return std::unexpected(collisions.error().with_context(std::format("checking commit {}", winner_version)));
  if (collisions->empty()) return {};
  auto error = conflict(ConflictDetail::Kind::key_collision, winner_version, std::move(collisions->files), read.version());
  return fail(error.error().with_context(std::format("{} of this write's keys, e.g. ({})", collisions->count,
                                                     collisions->sample.front())));
}

}  // namespace

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string ConflictDetail::describe() const {
  std::string text = std::format("{} at version {}", kind_name(kind_), winning_version_);
  for (std::size_t i = 0; i < files_.size() && i < 5; ++i) text += (i == 0 ? ": " : ", ") + files_[i];
  if (files_.size() > 5) text += std::format(" and {} more", files_.size() - 5);
  return text;
}

Result<Snapshot> catch_up(Backend& backend, const std::string& root, const Snapshot& from) {
  auto listing = list_log_from(backend, root, from.version() + 1);
  LAKE_RETURN_IF_ERROR(listing);
  Snapshot current = from;
  LogReplay replay;
  for (const auto& commit : listing->commits) {
    if (commit.version <= current.version()) continue;
    if (commit.version != current.version() + 1)
      return fail(ErrorCode::not_found, std::format("table '{}': log entry {} is missing (found {} next)", root,
                                                    current.version() + 1, commit.version));
    LAKE_RETURN_IF_ERROR(replay.apply_commit(current, backend, commit));
  }
  return current;
}

bool redo_resolves(const Error& error) {
  const auto* detail = error.detail<ConflictDetail>();
  if (error.code() != ErrorCode::conflict || detail == nullptr) return false;
  switch (detail->kind()) {
    case ConflictDetail::Kind::concurrent_delete_read:
    case ConflictDetail::Kind::concurrent_delete_delete:
    case ConflictDetail::Kind::concurrent_append:
    case ConflictDetail::Kind::key_collision: return true;
    default: return false;
  }
}

void back_off(const CommitPolicy& policy, int losses) {
  if (losses < 1 || policy.initial_backoff.count() <= 0) return;
  // Per thread: writers in one process must not draw the same pauses.
  thread_local std::mt19937_64 random{std::random_device{}()};
  const auto ceiling = std::min<std::int64_t>(policy.max_backoff.count(),
                                              policy.initial_backoff.count() << std::min(losses - 1, 20));
  const auto micros = std::uniform_int_distribution<std::int64_t>(0, ceiling * 1000)(random);
  std::this_thread::sleep_for(std::chrono::microseconds(micros));
}

Result<LogCommit> commit(Backend& backend, const std::string& root, const Snapshot& read, PendingCommit pending,
                             const CommitPolicy& policy, CommitAttempts& attempts) {
  std::set<LogicalFileKey> our_removes;
  // Domains this commit sets: a winner setting one too conflicts (the
  // row-tracking domain is not among them: it is stamped per attempt).
  std::set<std::string> our_domains;
  for (const auto& action : pending.actions) {
    if (const auto* remove = std::get_if<Remove>(&action)) our_removes.insert(remove->key());
    if (const auto* domain = std::get_if<DomainMetadata>(&action)) our_domains.insert(domain->domain);
  }

  Snapshot current = read;
  LogReplay replay;
  for (int losses = 0; attempts.used < policy.max_attempts;) {
    if (pending.txn) {
      if (auto applied = current.app_version(pending.txn->app_id); applied && *applied >= pending.txn->version)
        return LogCommit{false, current.version(), std::max(attempts.used, 1), std::move(current)};
    }
    const int attempt = ++attempts.used;
    const std::int64_t version = current.version() + 1;
    // commitInfo first (in-commit timestamps require it), then the txn and
    // the write's actions, stamped with row ids for this version.
    std::vector<Action> actions = pending.actions;
    std::optional<bool> preserved;
    if (assigns_row_ids(current)) {
      preserved = preserves_row_ids(actions);
      LAKE_ASSIGN_OR_RETURN(actions, with_row_ids(std::move(actions), current, version));
    }
    if (pending.txn) actions.insert(actions.begin(), *pending.txn);
    actions.insert(actions.begin(), CommitInfo{commit_info_json(pending, read.version(), current, preserved)});
    const std::string text = to_commit_text(actions);
    const std::string key = commit_key(root, version);
    auto put = backend.put(key, std::as_bytes(std::span(text)), PutMode::create);
    if (put) {
      auto info = backend.head(key);
      if (!info) return std::unexpected(info.error().with_context("reading back the commit just written"));
      LAKE_RETURN_IF_ERROR(replay.apply_actions(current, CommitFile{version, *info}, std::move(actions)));
      return LogCommit{true, version, attempt, std::move(current)};
    }
    if (put.error().code() != ErrorCode::already_exists)
      return std::unexpected(put.error().with_context(std::format("committing version {}", version)));

    // Lost the race: pause (writers that collided spread out), then check
    // every winner since our last look and retry on top of them at once,
    // so the next attempt is made on the freshest version there is.
    back_off(policy, ++losses);
    auto listing = list_log_from(backend, root, current.version() + 1);
    LAKE_RETURN_IF_ERROR(listing);
    for (const auto& winner : listing->commits) {
      if (winner.version <= current.version()) continue;
      if (winner.version != current.version() + 1)
        return fail(ErrorCode::not_found, std::format("table '{}': log entry {} is missing (found {} next)", root,
                                                      current.version() + 1, winner.version));
      auto winner_text = backend.get_text(winner.object.key);
      LAKE_RETURN_IF_ERROR(winner_text);
      auto winner_actions = parse_commit_text(*winner_text, winner.object.key);
      LAKE_RETURN_IF_ERROR(winner_actions);
      LAKE_RETURN_IF_ERROR(
          check_winner(pending, read, current, winner.version, *winner_actions, our_removes, our_domains));
      if (pending.write_keys)
        LAKE_RETURN_IF_ERROR(check_winner_keys(pending, backend, root, read, current, winner.version, *winner_actions));
      LAKE_RETURN_IF_ERROR(replay.apply_actions(current, winner, std::move(*winner_actions)));
    }
    LAKE_RETURN_IF_ERROR(current.check_writable(!our_removes.empty()));
  }
  return conflict(ConflictDetail::Kind::too_many_attempts, current.version(), {}, read.version());
}

}  // namespace lake::delta

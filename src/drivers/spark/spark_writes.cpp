// The Spark driver's write path. Phase one (execute) reads what the table
// says (columns, properties, idempotency), sends direct rows to a session
// as a temporary view and builds the statement; the commit (land, through
// SparkFinalizer) runs it on that session with the write's settings and
// reports what landed, from the Delta log or Iceberg's snapshots.
#include <nlohmann/json.hpp>

#include <chrono>
#include <format>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "dialects/spark_sql.hpp"
#include "drivers/delta_metadata.hpp"
#include "drivers/spark/iceberg_tables.hpp"
#include "drivers/spark/pooled_result_reader.hpp"
#include "drivers/spark/retry_policy.hpp"
#include "drivers/spark/session.hpp"
#include "drivers/spark/spark_driver_impl.hpp"
#include "drivers/spark/write_statements.hpp"
#include "lake/delta/table.hpp"

namespace lake::spark {
namespace {

using spark_sql::quote_identifier;

// Delta's session settings for one write (DeltaSQLConf): the commit's
// userMetadata, and the idempotent-write pair Delta checks against the
// table's txn actions.
constexpr std::string_view kUserMetadata = "spark.databricks.delta.commitInfo.userMetadata";
constexpr std::string_view kTxnAppId = "spark.databricks.delta.write.txnAppId";
constexpr std::string_view kTxnVersion = "spark.databricks.delta.write.txnVersion";
// How far back the commit of a write is looked for in the log.
constexpr std::size_t kCommitSearchDepth = 64;

}  // namespace

Result<lake::Execution> SparkDriver::execute(WritePlan plan) {
  auto lease = acquire();
  if (!lease) return std::unexpected(lease.error());
  PendingWrite pending;
  pending.kind = plan.kind;
  std::vector<std::string> columns;
  std::map<std::string, std::string> properties;
  if (iceberg_) {
    auto described = iceberg::describe(**lease, plan.table, iceberg_name(plan.table));
    if (!described) return std::unexpected(described.error());
    if (!*described) return missing(plan.table);
    for (const Field& column : (*described)->info.columns) columns.push_back(column.column);
    properties = std::move((*described)->info.properties);
    pending.settings.emplace_back(iceberg::snapshot_property_setting(iceberg::kIngestIdProperty),
                                  plan.ingest_id.to_string());
    if (plan.idempotency) {
      // The newest snapshot tagged with the key, if still within its TTL.
      auto tagged = iceberg::snapshots(**lease, iceberg_name(plan.table), 1,
                                       std::pair{iceberg::kIdempotencyKeyProperty, std::string_view(plan.idempotency->key)});
      if (!tagged) return std::unexpected(tagged.error());
      if (!tagged->empty() && now() - tagged->front().committed_at < plan.idempotency->ttl) {
        auto current = iceberg::stats(**lease, iceberg_name(plan.table));
        if (!current) return std::unexpected(current.error());
        return duplicate(std::move(plan), current->version);
      }
      pending.settings.emplace_back(iceberg::snapshot_property_setting(iceberg::kIdempotencyKeyProperty),
                                    plan.idempotency->key);
    }
  } else {
    auto table = existing(plan.table);
    if (!table) return std::unexpected(table.error());
    for (const Field& column : table->snapshot().columns()) columns.push_back(column.column);
    properties = {table->snapshot().metadata().configuration.begin(), table->snapshot().metadata().configuration.end()};
    pending.settings.emplace_back(kUserMetadata, lake::detail::delta_commit_metadata(plan.ingest_id));
    if (plan.idempotency) {
      const auto txn = lake::detail::delta_idempotency(table->snapshot(), *plan.idempotency);
      if (txn.duplicate) return duplicate(std::move(plan), table->version());
      pending.settings.emplace_back(kTxnAppId, txn.app_id);
      pending.settings.emplace_back(kTxnVersion, std::to_string(txn.version));
    }
  }

  std::string source;
  if (plan.staging) {
    source = parquet_source(engine_uri(plan.staging->location));
  } else if (plan.rows) {
    // Phase one sends the rows; they wait in the session as a temporary
    // view until the commit's statement reads them (or abort drops them).
    pending.view = "lake_rows_" + plan.ingest_id.to_string();
    std::erase(pending.view, '-');
    CountingReader counting(plan.rows);
    if (auto sent = (*lease)->create_temp_view(pending.view, counting); !sent) {
      lease->discard();
      return std::unexpected(sent.error().with_context(std::format("sending the rows of {} to Spark", plan.table.name)));
    }
    pending.direct_rows = counting.rows();
    source = view_source(pending.view);
  }

  const std::string& name = plan.table.name;
  switch (plan.kind) {
    case PlanKind::append: {
      if (source.empty()) return fail(ErrorCode::invalid_argument, "an append plan needs rows or staging");
      pending.statement = insert_statement(name, columns, source);
      break;
    }
    case PlanKind::merge: {
      if (source.empty()) return fail(ErrorCode::invalid_argument, "a merge plan needs rows or staging");
      MergeSpec merge{.table = name,
                      .source = source,
                      .ingest_id = plan.ingest_id.to_string(),
                      .keys = plan.keys,
                      .on_match = plan.on_match,
                      .on_no_match = plan.on_no_match,
                      .source_filter = plan.source_filter};
      if (merge.keys.empty()) {
        merge.keys = lake::detail::list_property(properties, "lake.mergeKeys");
        if (merge.keys.empty()) merge.keys = lake::detail::list_property(properties, "lake.primaryKeys");
        if (merge.keys.empty())
          return fail(ErrorCode::invalid_argument,
                      std::format("table '{}' has no merge keys or primary key to merge on; name the keys", name));
      }
      auto statement = merge_statement(merge);
      if (!statement) return std::unexpected(statement.error());
      pending.statement = std::move(*statement);
      if (iceberg_ && pending.statement) {
        auto counts = merge_count_query(merge);
        if (!counts) return std::unexpected(counts.error());
        pending.merge_counts = std::move(*counts);
      }
      if (plan.on_match == OnMatch::fail) {
        auto check = conflicting_key_query(merge);
        if (!check) return std::unexpected(check.error());
        pending.key_check = std::move(*check);
      }
      break;
    }
    case PlanKind::delete_where: {
      if (!plan.predicate) return fail(ErrorCode::invalid_argument, "a delete plan needs a predicate");
      auto statement = delete_statement(name, *plan.predicate);
      if (!statement) return std::unexpected(statement.error());
      pending.statement = std::move(*statement);
      break;
    }
  }
  pending.lease = std::move(*lease);
  return lake::Execution{std::make_unique<SparkFinalizer>(*this, std::move(plan), std::move(pending))};
}

// The commit phase: the statement, on the session that holds the rows.
// Spark's table formats detect conflicts by files and predicates: two
// MERGEs into one table conflict even on disjoint keys (Delta's
// ConcurrentAppendException, Iceberg's ValidationException), and nothing
// of the loser is committed. Such a statement runs again, with a jittered
// pause, within the client's WriteRetryPolicy; the key check of an
// insert-if-absent runs again with it, so keys stored in between are
// found.
Result<WriteResult> SparkDriver::land(const WritePlan& plan, PendingWrite& pending) {
  const RetryPolicy policy{.max_attempts = context_.write_retry.max_attempts,
                           .initial_backoff = context_.write_retry.initial_backoff,
                           .max_backoff = context_.write_retry.max_backoff,
                           .multiplier = 2.0};
  for (int attempt = 1;; ++attempt) {
    auto landed = land_once(plan, pending);
    if (landed) {
      landed->attempts = attempt;
      return landed;
    }
    // A lease marked broken (settings that could not be reset) is not
    // used again.
    const bool retry = landed.error().code() == ErrorCode::conflict && !pending.lease->broken() &&
                       attempt < policy.max_attempts;
    if (!retry)
      return attempt == 1 ? landed
                          : std::unexpected(landed.error().with_context(std::format("after {} attempts", attempt)));
    std::this_thread::sleep_for(policy.backoff(attempt));
  }
}

Result<WriteResult> SparkDriver::land_once(const WritePlan& plan, PendingWrite& pending) {
  Session& session = **pending.lease;
  if (pending.key_check) {
    auto found = session.execute(pending.key_check->sql, {.positional = pending.key_check->params, .named = {}});
    if (!found) return std::unexpected(found.error());
    if ((*found)->num_rows() > 0) {
      std::string key;
      for (int i = 0; i < (*found)->num_columns(); ++i) {
        auto value = (*found)->column(i)->GetScalar(0);
        key += std::format("{}{}={}", i ? ", " : "", (*found)->schema()->field(i)->name(),
                           value.ok() ? (*value)->ToString() : "?");
      }
      return fail(ErrorCode::already_exists,
                  std::format("table '{}' already holds key ({}); nothing was written", plan.table.name, key));
    }
  }
  WriteResult result{.ingest_id = plan.ingest_id, .path = WritePath::direct, .attempts = 1};
  if (!pending.statement) {  // a merge that asks for nothing
    if (auto version = current_version(session, plan.table)) result.version = *version;
    return result;
  }
  // Iceberg's MERGE returns no counts: the source rows and those with a
  // key in the table are counted just before it, on the same session.
  std::int64_t source_rows = 0;
  std::int64_t matched_rows = 0;
  if (pending.merge_counts) {
    auto counted = session.execute(pending.merge_counts->sql, {.positional = pending.merge_counts->params, .named = {}});
    if (!counted) return std::unexpected(counted.error());
    source_rows = output_count(*counted, "source_rows");
    matched_rows = output_count(*counted, "matched_rows");
  }
  if (auto set = session.set_config(pending.settings); !set) {
    pending.lease->discard();
    return std::unexpected(set.error());
  }
  auto output = session.execute(pending.statement->sql, {.positional = pending.statement->params, .named = {}});
  std::vector<std::string> keys;
  for (const auto& [key, value] : pending.settings) keys.push_back(key);
  if (auto unset = session.unset_config(keys); !unset) pending.lease->discard();  // never reuse stale settings
  if (!output) {
    Error error = output.error();
    if (plan.on_match == OnMatch::fail && error.message().find(kKeyExistsMarker) != std::string::npos)
      return fail(ErrorCode::already_exists,
                  std::format("table '{}' already holds a key of this write (stored concurrently); nothing was "
                              "written",
                              plan.table.name));
    return std::unexpected(std::move(error).with_context(std::format("writing {} through Spark", plan.table.name)));
  }

  if (iceberg_) return landed_on_iceberg(session, plan, pending, source_rows, matched_rows, std::move(result));

  // What landed: the commit tagged with this ingest id.
  auto table = existing(plan.table);
  if (!table) return std::unexpected(table.error());
  auto commits = table->history(kCommitSearchDepth);
  if (!commits) return std::unexpected(commits.error());
  const std::string tag = lake::detail::delta_commit_metadata(plan.ingest_id);
  const delta::CommitSummary* landed = nullptr;
  for (const auto& commit : *commits)
    if (commit.user_metadata == tag) {
      landed = &commit;
      break;
    }
  result.version = landed ? landed->version : table->version();
  result.committed = landed != nullptr;
  if (!landed) {
    // Delta skips a write whose txnVersion it has already recorded: a
    // retry with the same key that raced this one got there first.
    if (plan.idempotency) result.skipped_as_duplicate = true;
    return result;
  }
  const auto metrics = nlohmann::json::parse(landed->metrics, nullptr, false);
  auto metric = [&](const char* key) -> std::int64_t {
    if (!metrics.is_object() || !metrics.contains(key)) return 0;
    const auto& value = metrics[key];
    if (value.is_number_integer()) return value.get<std::int64_t>();
    if (value.is_string()) return std::stoll(value.get<std::string>());
    return 0;
  };
  switch (plan.kind) {
    case PlanKind::append:
      result.rows_inserted = pending.direct_rows >= 0 ? pending.direct_rows : metric("numOutputRows");
      break;
    case PlanKind::merge:
      result.rows_inserted = output_count(*output, "num_inserted_rows");
      result.rows_updated = output_count(*output, "num_updated_rows");
      result.rows_deleted = output_count(*output, "num_deleted_rows");
      break;
    case PlanKind::delete_where: result.rows_deleted = output_count(*output, "num_affected_rows"); break;
  }
  return result;
}

// What landed on an Iceberg table: the snapshot tagged with this ingest
// id (none when the statement changed nothing).
Result<WriteResult> SparkDriver::landed_on_iceberg(Session& session, const WritePlan& plan, const PendingWrite& pending,
                                                   std::int64_t source_rows, std::int64_t matched_rows,
                                                   WriteResult result) {
  auto tagged = iceberg::snapshots(session, iceberg_name(plan.table), 1,
                                   std::pair{iceberg::kIngestIdProperty, std::string_view(plan.ingest_id.to_string())});
  if (!tagged) return std::unexpected(tagged.error());
  if (tagged->empty()) {
    if (auto version = current_version(session, plan.table)) result.version = *version;
    return result;
  }
  const iceberg::Snapshot& landed = tagged->front();
  result.version = landed.id;
  result.committed = true;
  switch (plan.kind) {
    case PlanKind::append:
      result.rows_inserted = pending.direct_rows >= 0 ? pending.direct_rows : landed.summary_count("added-records");
      break;
    case PlanKind::merge:
      if (plan.on_match == OnMatch::update) result.rows_updated = matched_rows;
      if (plan.on_match == OnMatch::remove) result.rows_deleted = matched_rows;
      if (plan.on_no_match == OnNoMatch::insert) result.rows_inserted = source_rows - matched_rows;
      break;
    case PlanKind::delete_where:
      // Copy-on-write: the files that held deleted rows were rewritten
      // without them.
      result.rows_deleted = landed.summary_count("deleted-records") - landed.summary_count("added-records");
      break;
  }
  return result;
}

// The table's current version (Iceberg: its current snapshot id).
std::optional<std::int64_t> SparkDriver::current_version(Session& session, const TableRef& table) {
  if (iceberg_) {
    auto stats = iceberg::stats(session, iceberg_name(table));
    return stats ? std::optional(stats->version) : std::nullopt;
  }
  auto found = existing(table);
  return found ? std::optional(found->version()) : std::nullopt;
}

// Drops what phase one left in the session.
void SparkDriver::discard(PendingWrite& pending) {
  if (!pending.lease || pending.view.empty()) return;
  auto dropped = (**pending.lease).execute(std::format("DROP VIEW IF EXISTS {}", quote_identifier(pending.view)));
  if (!dropped) pending.lease->discard();
  pending.view.clear();
}

void SparkDriver::remove_staging(const WritePlan& plan) {
  if (plan.staging) (void)context_.backend->remove_prefix(plan.staging->prefix);
}

Result<std::shared_ptr<arrow::RecordBatchReader>> SparkDriver::read_staging(const StagingRef& staging) {
  auto lease = acquire();
  if (!lease) return std::unexpected(lease.error());
  auto reader = (*lease)->query(std::format("SELECT * FROM {}", parquet_source(engine_uri(staging.location))));
  if (!reader) {
    return fail(ErrorCode::driver_read, std::format("Spark could not read staging '{}': {}", staging.location,
                                                    reader.error().message()));
  }
  auto opened = PooledResultReader::open(std::move(*lease), std::move(*reader));
  if (!opened)
    return fail(ErrorCode::driver_read, std::format("Spark could not read staging '{}': {}", staging.location,
                                                    opened.error().message()));
  return opened;
}

Result<lake::Execution> SparkDriver::duplicate(WritePlan plan, std::int64_t version) {
  PendingWrite pending;
  pending.kind = plan.kind;
  pending.duplicate_at = version;
  return lake::Execution{std::make_unique<SparkFinalizer>(*this, std::move(plan), std::move(pending))};
}

Result<WriteResult> SparkFinalizer::commit() {
  if (state_ == State::committed) return result_;
  if (state_ == State::aborted) return fail(ErrorCode::invalid_argument, "the write was aborted");
  if (pending_.duplicate_at) {
    result_ = WriteResult{.ingest_id = plan_.ingest_id, .version = *pending_.duplicate_at, .skipped_as_duplicate = true};
  } else {
    auto landed = driver_.land(plan_, pending_);
    if (!landed) return std::unexpected(landed.error());
    result_ = *landed;
  }
  state_ = State::committed;
  release();
  return result_;
}

Status SparkFinalizer::abort() {
  if (state_ == State::committed) return fail(ErrorCode::already_committed, "the write was already committed");
  if (state_ == State::aborted) return {};
  state_ = State::aborted;
  release();
  return {};
}

void SparkFinalizer::release() {
  driver_.discard(pending_);
  pending_.lease.reset();
  driver_.remove_staging(plan_);
  plan_.staging.reset();
}

}  // namespace lake::spark

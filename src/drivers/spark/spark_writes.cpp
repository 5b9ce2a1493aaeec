// The Spark driver's write path. Phase one (execute) asks the table format
// what the table says (columns, properties, whether the idempotency key
// was applied) and which settings tag the write, sends direct rows to a
// session as a temporary view and builds the statement; the commit (land,
// through SparkFinalizer) runs it on that session with those settings and
// asks the format what landed.
#include <nlohmann/json.hpp>

#include <chrono>
#include <format>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "core/propagate.hpp"
#include "drivers/spark/format_session.hpp"
#include "drivers/spark/pooled_result_reader.hpp"
#include "drivers/spark/retry_policy.hpp"
#include "drivers/spark/session.hpp"
#include "drivers/spark/spark_driver_impl.hpp"
#include "drivers/spark/spark_errors.hpp"
#include "drivers/spark/write_statements.hpp"
#include "formats/lake_properties.hpp"
#include "sql/command_output.hpp"
#include "sql/spark_sql.hpp"

namespace lake::spark {
namespace {

using spark_sql::output_count;
using spark_sql::quote_identifier;

}  // namespace

Result<lake::Execution> SparkDriver::execute(WritePlan plan) {
  auto lease = acquire();
  LAKE_RETURN_IF_ERROR(lease);
  PendingWrite pending;
  pending.kind = plan.kind;
  FormatSession format_session(*lease);
  auto records = format_->prepare_write(format_session, sql_table(plan.table), plan.ingest_id, plan.idempotency);
  LAKE_RETURN_IF_ERROR(records);
  if (records->duplicate_at) return duplicate(std::move(plan), *records->duplicate_at);
  const std::vector<std::string>& columns = records->columns;
  const std::map<std::string, std::string>& properties = records->properties;
  pending.settings = std::move(records->settings);

  std::string source;
  if (plan.staging) {
    source = parquet_source(spark_sql::engine_uri(plan.staging->location));
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
        merge.keys = formats::list_property(properties, formats::kMergeKeysProperty);
        if (merge.keys.empty()) merge.keys = formats::list_property(properties, formats::kPrimaryKeysProperty);
        if (merge.keys.empty())
          return fail(ErrorCode::invalid_argument,
                      std::format("table '{}' has no merge keys or primary key to merge on; name the keys", name));
      }
      auto statement = merge_statement(merge);
      LAKE_RETURN_IF_ERROR(statement);
      pending.statement = std::move(*statement);
      if (!format_->statements_report_counts() && pending.statement) {
        auto counts = merge_count_query(merge);
        LAKE_RETURN_IF_ERROR(counts);
        pending.merge_counts = std::move(*counts);
      }
      if (plan.on_match == OnMatch::fail) {
        auto check = conflicting_key_query(merge);
        LAKE_RETURN_IF_ERROR(check);
        pending.key_check = std::move(*check);
      }
      break;
    }
    case PlanKind::delete_where: {
      if (!plan.predicate) return fail(ErrorCode::invalid_argument, "a delete plan needs a predicate");
      auto statement = delete_statement(name, *plan.predicate);
      LAKE_RETURN_IF_ERROR(statement);
      pending.statement = std::move(*statement);
      break;
    }
    case PlanKind::replace_where: {
      if (!plan.predicate || source.empty())
        return fail(ErrorCode::invalid_argument, "a replace plan needs a predicate and rows");
      auto statement = replace_statement(name, source, plan.ingest_id.to_string(), *plan.predicate);
      LAKE_RETURN_IF_ERROR(statement);
      pending.statement = std::move(*statement);
      if (!format_->statements_report_counts()) {
        auto counts = replace_count_query(name, *plan.predicate);
        LAKE_RETURN_IF_ERROR(counts);
        pending.merge_counts = std::move(*counts);
      }
      break;
    }
  }
  pending.lease = std::move(*lease);
  return lake::Execution{std::make_unique<SparkFinalizer>(*this, std::move(plan), std::move(pending))};
}

// The commit phase: the statement, on the session that holds the rows.
// The table formats on Spark detect conflicts by files and predicates:
// two MERGEs into one table conflict even on disjoint keys (an error the
// engine types as a conflict, or one the format recognises through
// SqlFormat::lost_commit_race), and nothing of the loser is committed. Such a statement runs again, with a jittered
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
    LAKE_RETURN_IF_ERROR(found);
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
  FormatSession format_session(*pending.lease);
  if (!pending.statement) {  // a merge that asks for nothing
    if (auto stats = format_->stats(format_session, sql_table(plan.table))) result.version = stats->version;
    return result;
  }
  // A format whose MERGE returns no counts: the source rows and those with
  // a key in the table are counted just before it, on the same session.
  std::int64_t source_rows = 0;
  std::int64_t matched_rows = 0;
  if (pending.merge_counts) {
    auto counted = session.execute(pending.merge_counts->sql, {.positional = pending.merge_counts->params, .named = {}});
    LAKE_RETURN_IF_ERROR(counted);
    if (plan.kind == PlanKind::merge) source_rows = output_count(*counted, "source_rows");
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
    // A lost commit race the engine could not type (no error class) is
    // one when the table's format says so: then it is run again.
    if (error.code() == ErrorCode::internal || error.code() == ErrorCode::invalid_argument) {
      const auto* detail = error.detail<SparkErrorDetail>();
      if (format_->lost_commit_race(detail != nullptr ? std::string_view(detail->exception()) : std::string_view(),
                                    error.message()))
        error = Error(ErrorCode::conflict, error.message(), error.detail_ptr());
    }
    if (plan.on_match == OnMatch::fail && error.message().find(kKeyExistsMarker) != std::string::npos)
      return fail(ErrorCode::already_exists,
                  std::format("table '{}' already holds a key of this write (stored concurrently); nothing was "
                              "written",
                              plan.table.name));
    return std::unexpected(std::move(error).with_context(std::format("writing {} through Spark", plan.table.name)));
  }

  // What landed: the commit (snapshot) tagged with this ingest id.
  auto landed = format_->landed(format_session, sql_table(plan.table), plan.ingest_id, plan.idempotency);
  LAKE_RETURN_IF_ERROR(landed);
  result.version = landed->version;
  result.committed = landed->committed;
  result.skipped_as_duplicate = landed->skipped_as_duplicate;
  if (!landed->committed) return result;
  const bool counted = format_->statements_report_counts();
  switch (plan.kind) {
    case PlanKind::append:
      result.rows_inserted = pending.direct_rows >= 0 ? pending.direct_rows : std::max<std::int64_t>(landed->rows_appended, 0);
      break;
    case PlanKind::merge:
      if (counted) {
        result.rows_inserted = output_count(*output, "num_inserted_rows");
        result.rows_updated = output_count(*output, "num_updated_rows");
        result.rows_deleted = output_count(*output, "num_deleted_rows");
      } else {
        if (plan.on_match == OnMatch::update) result.rows_updated = matched_rows;
        if (plan.on_match == OnMatch::remove) result.rows_deleted = matched_rows;
        if (plan.on_no_match == OnNoMatch::insert) result.rows_inserted = source_rows - matched_rows;
      }
      break;
    case PlanKind::delete_where:
      result.rows_deleted = counted ? output_count(*output, "num_affected_rows") : std::max<std::int64_t>(landed->rows_deleted, 0);
      break;
    case PlanKind::replace_where:
      result.rows_inserted = counted ? output_count(*output, "num_inserted_rows") : std::max<std::int64_t>(pending.direct_rows, 0);
      result.rows_deleted = counted ? output_count(*output, "num_deleted_rows") : matched_rows;
      break;
  }
  return result;
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
  LAKE_RETURN_IF_ERROR(lease);
  auto reader = (*lease)->query(std::format("SELECT * FROM {}", parquet_source(spark_sql::engine_uri(staging.location))));
  if (!reader) {
    return fail(ErrorCode::driver_read, std::format("Spark could not read staging '{}': {}", staging.location,
                                                    reader.error().message()));
  }
  auto opened = PooledResultReader::open(std::make_shared<SessionPool::Lease>(std::move(*lease)), std::move(*reader));
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
    LAKE_RETURN_IF_ERROR(landed);
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

// The Spark driver's class and what its files share (internal, never
// installed). The driver is split by concern: spark_driver.cpp (attaching,
// SQL, sessions, table metadata), spark_writes.cpp (the two-phase write
// path and its finalizer), spark_tables.cpp (creating tables, optimize and
// vacuum), spark_sources.cpp (the read-side sources from_sql / from_table /
// from_relation). How the driver works is told in spark_driver.cpp.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <arrow/record_batch.h>
#include <arrow/table.h>

#include "core/propagate.hpp"
#include "drivers/spark/connection_settings.hpp"
#include "drivers/spark/format_session.hpp"
#include "drivers/spark/session.hpp"
#include "drivers/spark/session_pool.hpp"
#include "drivers/spark/spark_errors.hpp"
#include "drivers/spark/write_statements.hpp"
#include "formats/sql_format.hpp"
#include "lake/driver.hpp"
#include "lake/drivers/spark.hpp"

namespace lake::spark {

// One write between its phases: the session holding its temporary view
// (if any), the statement its commit runs, and what to say afterwards.
struct PendingWrite {
  std::optional<SessionPool::Lease> lease;
  std::string view;  // temporary view of direct rows; "" for staged rows
  std::optional<Statement> statement;
  std::optional<Statement> key_check;  // OnMatch::fail: a friendlier error first
  std::vector<std::pair<std::string, std::string>> settings;
  std::optional<Statement> merge_counts;  // when the format's MERGE reports no counts
  PlanKind kind = PlanKind::append;
  std::int64_t direct_rows = -1;  // rows sent as a view, when counted
  // The idempotency key was applied already (at this table version):
  // the commit runs nothing and says so.
  std::optional<std::int64_t> duplicate_at{};
};

class SparkDriver;

class SparkFinalizer final : public Finalizer {
 public:
  SparkFinalizer(SparkDriver& driver, WritePlan plan, PendingWrite pending)
      : driver_(driver), plan_(std::move(plan)), pending_(std::move(pending)) {}
  ~SparkFinalizer() override {
    if (state_ == State::pending) (void)abort();
  }
  Result<WriteResult> commit() override;
  Status abort() override;

 private:
  void release();
  enum class State { pending, committed, aborted };
  SparkDriver& driver_;
  WritePlan plan_;
  PendingWrite pending_;
  State state_ = State::pending;
  WriteResult result_;
};

class SparkDriver final : public Driver {
 public:
  SparkDriver(ConnectionSettings settings, DriverOptions options)
      : settings_(std::move(settings)), options_(options) {}

  std::string_view name() const noexcept override { return "spark"; }

  // spark_driver.cpp
  Status attach(DriverContext context) override;
  Result<std::shared_ptr<arrow::RecordBatchReader>> query(std::string_view sql,
                                                          std::span<const SqlValue> params) override;
  Result<std::int64_t> exec(std::string_view sql, std::span<const SqlValue> params) override;
  Result<std::shared_ptr<DriverSession>> open_session() override;
  Result<std::string> native_plan(std::string_view sql, std::span<const SqlValue> params) override;
  std::string quote_identifier(std::string_view name) const override;
  // A plan given as a relation (spark_sources.cpp's from_relation).
  Result<std::shared_ptr<arrow::RecordBatchReader>> query_relation(const ::spark::connect::Relation& relation);
  Result<std::optional<TableInfo>> describe(const TableRef& table) override;
  Result<TableStats> stats(const TableRef& table) override;
  Result<std::vector<HistoryEntry>> history(const TableRef& table, std::optional<std::size_t> limit) override;
  Status ping() override;
  Status close() override;

  // spark_writes.cpp
  Result<lake::Execution> execute(WritePlan plan) override;
  Result<WriteResult> land(const WritePlan& plan, PendingWrite& pending);
  Result<WriteResult> land_once(const WritePlan& plan, PendingWrite& pending);
  void discard(PendingWrite& pending);
  void remove_staging(const WritePlan& plan);
  Result<std::shared_ptr<arrow::RecordBatchReader>> read_staging(const StagingRef& staging) override;
  Result<lake::Execution> duplicate(WritePlan plan, std::int64_t version);

  // spark_tables.cpp
  Status alter_table(const TableRef& table, std::span<const std::string> statements) override;
  Status drop_table(const TableRef& table) override;
  Status create_table(const TableRef& table, const Schema& schema,
                      const std::map<std::string, std::string>& properties) override;
  Result<OptimizeReport> optimize(const TableRef& table, const OptimizeOptions& options) override;
  Result<VacuumReport> vacuum(const TableRef& table, const VacuumOptions& options) override;

 private:
  // spark_driver.cpp
  // The table as its format sees it on this engine.
  formats::SqlTable sql_table(const TableRef& table) const;
  // Runs `work(format, session)` on a pooled session lent to the format.
  template <class Work>
  auto with_format(Work&& work) -> std::invoke_result_t<Work&, const formats::SqlFormat&, formats::SqlSession&>;
  Status check_open() const;
  Result<SessionPool::Lease> acquire();
  template <class Work>
  auto on_session(Work&& work) -> std::invoke_result_t<Work&, SessionPool::Lease>;
  Status prepare(Session& session);

  friend class SparkFinalizer;
  ConnectionSettings settings_;
  DriverOptions options_;
  DriverContext context_;
  std::string namespace_;  // `catalog`.`database`, or "" for the server's current one
  std::mutex namespace_mutex_;
  bool namespace_ready_ = false;
  std::unique_ptr<SessionPool> pool_;
  std::atomic<bool> closed_ = false;
  std::shared_ptr<const formats::SqlFormat> format_;  // the dialect's, as Spark drives it
};

// Runs `work` on a pooled session, and once more on another when the
// server no longer had the first (it restarted, or the session expired
// while idle in the pool): the server refused the statement without
// running it, and the pool has dropped that session.
template <class Work>
auto SparkDriver::on_session(Work&& work) -> std::invoke_result_t<Work&, SessionPool::Lease> {
  for (int attempt = 1;; ++attempt) {
    auto lease = acquire();
    LAKE_RETURN_IF_ERROR(lease);
    auto result = work(std::move(*lease));
    if (result || attempt == 2 || !session_lost(result.error())) return result;
  }
}

template <class Work>
auto SparkDriver::with_format(Work&& work)
    -> std::invoke_result_t<Work&, const formats::SqlFormat&, formats::SqlSession&> {
  return on_session([&](SessionPool::Lease lease) {
    FormatSession session(lease);
    return work(*format_, static_cast<formats::SqlSession&>(session));
  });
}

}  // namespace lake::spark

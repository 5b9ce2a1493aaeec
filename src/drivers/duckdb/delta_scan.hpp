// How DuckDB reads a native Delta table: a replacement scan turns a table
// name into `lake_delta_scan`, DuckDB's Arrow scan fed by a factory that
// holds the table's snapshot. DuckDB hands the factory the columns a query
// needs; the statement's filters reach it through a complex-filter
// pushdown hook that only reads them (DuckDB keeps and evaluates them), so
// skipping files is an optimisation that can never change a result.
#pragma once

#include <arrow/compute/expression.h>

#include <atomic>
#include <memory>
#include <optional>

#include <duckdb/function/table/arrow.hpp>
#include <duckdb/main/database.hpp>
#include <duckdb/parser/tableref.hpp>

#include "lake/delta/table.hpp"

namespace lake::duckdb {

struct AtomicScanCounters {
  std::atomic<std::int64_t> scans{0};
  std::atomic<std::int64_t> files_scanned{0};
  std::atomic<std::int64_t> files_skipped{0};
};

class DeltaScanFactory final : public ::duckdb::ArrowScanFactory {
 public:
  DeltaScanFactory(delta::Table table, std::int64_t batch_rows, std::shared_ptr<AtomicScanCounters> counters);

  void GetSchema(ArrowSchema& schema) override;
  ::duckdb::unique_ptr<::duckdb::ArrowArrayStreamWrapper> ProduceStream(
      ::duckdb::ArrowStreamParameters& parameters) override;

  // A predicate every row the statement keeps satisfies; files that cannot
  // hold such a row are skipped (and rows failing it dropped early).
  void restrict_to(arrow::compute::Expression predicate);

 private:
  delta::Table table_;
  std::int64_t batch_rows_;
  std::shared_ptr<AtomicScanCounters> counters_;
  std::optional<arrow::compute::Expression> predicate_;
};

// Registers lake_delta_scan in the database's system catalog (once per
// database).
void register_delta_scan(::duckdb::DatabaseInstance& database);

// The table reference a replacement scan returns for a Delta table.
[[nodiscard]] ::duckdb::unique_ptr<::duckdb::TableRef> delta_scan_ref(delta::Table table, std::int64_t batch_rows,
                                                                     std::shared_ptr<AtomicScanCounters> counters);

}  // namespace lake::duckdb

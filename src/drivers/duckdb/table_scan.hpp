// How DuckDB reads a table of any format: a replacement scan turns a table
// name into `lake_table_scan`, DuckDB's Arrow scan fed by a factory that
// holds a handle at the table's snapshot (formats/table_format.hpp).
// DuckDB hands the factory the columns a query needs; the statement's
// filters reach it through a complex-filter pushdown hook that only reads
// them (DuckDB keeps and evaluates them), so the format skips files with
// them once and DuckDB alone filters rows: skipping is an optimisation
// that can never change a result.
#pragma once

#include <arrow/compute/expression.h>

#include <atomic>
#include <memory>
#include <optional>

#include <duckdb/function/table/arrow.hpp>
#include <duckdb/main/database.hpp>
#include <duckdb/parser/tableref.hpp>

#include "formats/table_format.hpp"

namespace lake::duckdb {

struct AtomicScanCounters {
  std::atomic<std::int64_t> scans{0};
  std::atomic<std::int64_t> files_scanned{0};
  std::atomic<std::int64_t> files_skipped{0};
};

class TableScanFactory final : public ::duckdb::ArrowScanFactory {
 public:
  // `threads`: files decoded at once (formats::ScanOptions::threads).
  TableScanFactory(std::string name, std::shared_ptr<const formats::FormatTable> table, std::int64_t batch_rows,
                   int threads, std::shared_ptr<AtomicScanCounters> counters);

  void GetSchema(ArrowSchema& schema) override;
  ::duckdb::unique_ptr<::duckdb::ArrowArrayStreamWrapper> ProduceStream(
      ::duckdb::ArrowStreamParameters& parameters) override;

  // A predicate every row the statement keeps satisfies; files that cannot
  // hold such a row are skipped.
  void restrict_to(arrow::compute::Expression predicate);

 private:
  std::string name_;
  std::shared_ptr<const formats::FormatTable> table_;
  std::int64_t batch_rows_;
  int threads_;
  std::shared_ptr<AtomicScanCounters> counters_;
  std::optional<arrow::compute::Expression> predicate_;
};

// Registers lake_table_scan in the database's system catalog (once per
// database).
void register_table_scan(::duckdb::DatabaseInstance& database);

// The table reference a replacement scan returns for a table; `name` is
// what the statement called it (for messages).
[[nodiscard]] ::duckdb::unique_ptr<::duckdb::TableRef> table_scan_ref(
    std::string name, std::shared_ptr<const formats::FormatTable> table, std::int64_t batch_rows, int threads,
    std::shared_ptr<AtomicScanCounters> counters);

}  // namespace lake::duckdb

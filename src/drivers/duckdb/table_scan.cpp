#include "drivers/duckdb/table_scan.hpp"

#include <arrow/c/bridge.h>
#include <arrow/compute/api_scalar.h>

#include <utility>
#include <vector>

#include <duckdb/catalog/catalog.hpp>
#include <duckdb/common/exception.hpp>
#include <duckdb/main/attached_database.hpp>
#include <duckdb/parser/expression/function_expression.hpp>
#include <duckdb/parser/parsed_data/create_table_function_info.hpp>
#include <duckdb/parser/tableref/table_function_ref.hpp>
#include <duckdb/planner/operator/logical_get.hpp>
#include <duckdb/transaction/meta_transaction.hpp>

#include "drivers/duckdb/errors.hpp"
#include "drivers/duckdb/filter_translation.hpp"

namespace lake::duckdb {
namespace {

namespace ddb = ::duckdb;
namespace cp = arrow::compute;

constexpr const char* kScanFunction = "lake_table_scan";

// DuckDB's Arrow scan cannot report our errors any other way than by
// throwing; the message is the lake error, whole, and its code survives.
[[noreturn]] void throw_error(const Error& error) { throw_in_duckdb(error); }

// Reads the statement's filters without taking them: DuckDB evaluates them
// itself, we only learn which files cannot match.
void note_filters(ddb::ClientContext&, ddb::LogicalGet& get, ddb::FunctionData* bind_data,
                  ddb::vector<ddb::unique_ptr<ddb::Expression>>& filters) {
  if (bind_data == nullptr) return;
  auto* factory = dynamic_cast<TableScanFactory*>(bind_data->Cast<ddb::ArrowScanFunctionData>().factory.get());
  if (factory == nullptr) return;
  std::vector<cp::Expression> implied;
  for (const auto& filter : filters)
    if (auto predicate = implied_predicate(*filter, get)) implied.push_back(std::move(*predicate));
  if (!implied.empty()) factory->restrict_to(cp::and_(implied));
}

}  // namespace

TableScanFactory::TableScanFactory(std::string name, std::shared_ptr<const formats::FormatTable> table,
                                   std::int64_t batch_rows, int threads, std::shared_ptr<AtomicScanCounters> counters)
    : name_(std::move(name)), table_(std::move(table)), batch_rows_(batch_rows), threads_(threads),
      counters_(std::move(counters)) {}

void TableScanFactory::GetSchema(ArrowSchema& schema) {
  auto status = arrow::ExportSchema(*table_->arrow_schema(), &schema);
  if (!status.ok()) throw ddb::IOException("exporting the schema of table '%s': %s", name_, status.ToString());
}

void TableScanFactory::restrict_to(cp::Expression predicate) {
  predicate_ = predicate_ ? cp::and_(*predicate_, std::move(predicate)) : std::move(predicate);
}

ddb::unique_ptr<ddb::ArrowArrayStreamWrapper> TableScanFactory::ProduceStream(ddb::ArrowStreamParameters& parameters) {
  formats::ScanOptions options;
  options.columns.assign(parameters.projected_columns.columns.begin(), parameters.projected_columns.columns.end());
  options.batch_rows = batch_rows_;
  // DuckDB's Arrow scan pulls this one stream under its lock, so the
  // decoding is spread here: files are read ahead on DuckDB's number of
  // threads.
  options.threads = threads_;
  // Files are skipped once, here; DuckDB filters the rows. A predicate the
  // format cannot use for skipping only costs the skipping.
  auto plan = table_->plan_scan(predicate_);
  if (!plan && predicate_) plan = table_->plan_scan(std::nullopt);
  if (!plan) throw_error(plan.error().with_context(std::format("planning the scan of table '{}'", name_)));
  auto reader = table_->read(*plan, options);
  if (!reader) throw_error(reader.error().with_context(std::format("scanning table '{}'", name_)));
  const auto kept = static_cast<std::int64_t>(plan->files.size());
  counters_->scans += 1;
  counters_->files_scanned += kept;
  counters_->files_skipped += plan->files_total - kept;
  auto wrapper = ddb::make_uniq<ddb::ArrowArrayStreamWrapper>();
  auto status = arrow::ExportRecordBatchReader(*reader, &wrapper->arrow_array_stream);
  if (!status.ok()) throw ddb::IOException("exporting the scan of table '%s': %s", name_, status.ToString());
  return wrapper;
}

void register_table_scan(ddb::DatabaseInstance& database) {
  ddb::TableFunction function(kScanFunction, {}, ddb::ArrowTableFunction::ArrowScanFunction,
                              ddb::ArrowTableFunction::ArrowScanBind, ddb::ArrowTableFunction::ArrowScanInitGlobal,
                              ddb::ArrowTableFunction::ArrowScanInitLocal);
  function.projection_pushdown = true;
  // DuckDB keeps and evaluates every filter; note_filters only reads them.
  function.filter_pushdown = false;
  function.pushdown_complex_filter = note_filters;
  ddb::CreateTableFunctionInfo info(std::move(function));
  info.on_conflict = ddb::OnCreateConflict::IGNORE_ON_CONFLICT;
  auto& catalog = ddb::Catalog::GetSystemCatalog(database);
  auto transaction = ddb::CatalogTransaction::GetSystemTransaction(database);
  catalog.CreateTableFunction(transaction, info);
}

ddb::unique_ptr<ddb::TableRef> table_scan_ref(std::string name, std::shared_ptr<const formats::FormatTable> table,
                                              std::int64_t batch_rows, int threads,
                                              std::shared_ptr<AtomicScanCounters> counters) {
  auto ref = ddb::make_uniq<ddb::TableFunctionRef>();
  ddb::vector<ddb::unique_ptr<ddb::ParsedExpression>> no_arguments;
  ref->function = ddb::make_uniq<ddb::FunctionExpression>(kScanFunction, std::move(no_arguments));
  ref->bind_info = ddb::make_shared_ptr<TableScanFactory>(std::move(name), std::move(table), batch_rows, threads,
                                                          std::move(counters));
  return ref;
}

}  // namespace lake::duckdb

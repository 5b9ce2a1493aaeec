#include "drivers/duckdb/delta_scan.hpp"

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

constexpr const char* kScanFunction = "lake_delta_scan";

// DuckDB's Arrow scan cannot report our errors any other way than by
// throwing; the message is the lake error, whole, and its code survives.
[[noreturn]] void throw_error(const Error& error) { throw_in_duckdb(error); }

// Reads the statement's filters without taking them: DuckDB evaluates them
// itself, we only learn which files cannot match.
void note_filters(ddb::ClientContext&, ddb::LogicalGet& get, ddb::FunctionData* bind_data,
                  ddb::vector<ddb::unique_ptr<ddb::Expression>>& filters) {
  if (bind_data == nullptr) return;
  auto* factory = dynamic_cast<DeltaScanFactory*>(bind_data->Cast<ddb::ArrowScanFunctionData>().factory.get());
  if (factory == nullptr) return;
  std::vector<cp::Expression> implied;
  for (const auto& filter : filters)
    if (auto predicate = implied_predicate(*filter, get)) implied.push_back(std::move(*predicate));
  if (!implied.empty()) factory->restrict_to(cp::and_(implied));
}

}  // namespace

DeltaScanFactory::DeltaScanFactory(delta::Table table, std::int64_t batch_rows,
                                   std::shared_ptr<AtomicScanCounters> counters)
    : table_(std::move(table)), batch_rows_(batch_rows), counters_(std::move(counters)) {}

void DeltaScanFactory::GetSchema(ArrowSchema& schema) {
  auto status = arrow::ExportSchema(*table_.arrow_schema(), &schema);
  if (!status.ok()) throw ddb::IOException("exporting the schema of Delta table '%s': %s", table_.root(), status.ToString());
}

void DeltaScanFactory::restrict_to(cp::Expression predicate) {
  predicate_ = predicate_ ? cp::and_(*predicate_, std::move(predicate)) : std::move(predicate);
}

ddb::unique_ptr<ddb::ArrowArrayStreamWrapper> DeltaScanFactory::ProduceStream(ddb::ArrowStreamParameters& parameters) {
  delta::ReadOptions options;
  options.columns.assign(parameters.projected_columns.columns.begin(), parameters.projected_columns.columns.end());
  options.batch_rows = batch_rows_;
  // Skip files once, here; the scan then reads just those. A predicate the
  // table cannot evaluate (a type it does not compare that way) only costs
  // the skipping: DuckDB still filters every row.
  auto files = predicate_ ? table_.files(*predicate_) : table_.files();
  if (files && predicate_) options.filter = *predicate_;
  if (!files) files = table_.files();
  if (!files) throw_error(files.error().with_context(std::format("listing Delta table '{}'", table_.root())));
  const auto total = static_cast<std::int64_t>(table_.snapshot().files().size());
  const auto kept = static_cast<std::int64_t>(files->size());
  auto reader = table_.scan(std::move(*files), options);
  if (!reader) throw_error(reader.error().with_context(std::format("scanning Delta table '{}'", table_.root())));
  counters_->scans += 1;
  counters_->files_scanned += kept;
  counters_->files_skipped += total - kept;
  auto wrapper = ddb::make_uniq<ddb::ArrowArrayStreamWrapper>();
  auto status = arrow::ExportRecordBatchReader(*reader, &wrapper->arrow_array_stream);
  if (!status.ok()) throw ddb::IOException("exporting the scan of Delta table '%s': %s", table_.root(), status.ToString());
  return wrapper;
}

void register_delta_scan(ddb::DatabaseInstance& database) {
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

ddb::unique_ptr<ddb::TableRef> delta_scan_ref(delta::Table table, std::int64_t batch_rows,
                                              std::shared_ptr<AtomicScanCounters> counters) {
  auto ref = ddb::make_uniq<ddb::TableFunctionRef>();
  ddb::vector<ddb::unique_ptr<ddb::ParsedExpression>> no_arguments;
  ref->function = ddb::make_uniq<ddb::FunctionExpression>(kScanFunction, std::move(no_arguments));
  ref->bind_info = ddb::make_shared_ptr<DeltaScanFactory>(std::move(table), batch_rows, std::move(counters));
  return ref;
}

}  // namespace lake::duckdb

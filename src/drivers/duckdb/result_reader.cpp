#include "drivers/duckdb/result_reader.hpp"

#include <arrow/c/bridge.h>

#include <string>
#include <utility>
#include <vector>

#include <duckdb/common/arrow/arrow_converter.hpp>
#include <duckdb/common/exception.hpp>

#include "drivers/duckdb/errors.hpp"
#include "lake/arrow/detail/status.hpp"

namespace lake::duckdb {
namespace {

namespace ddb = ::duckdb;

class ResultReader final : public arrow::RecordBatchReader {
 public:
  ResultReader(std::unique_ptr<ddb::Connection> connection, ConnectionReturn give_back,
               ddb::unique_ptr<ddb::QueryResult> result, std::shared_ptr<arrow::Schema> schema)
      : connection_(std::move(connection)),
        give_back_(std::move(give_back)),
        result_(std::move(result)),
        schema_(std::move(schema)) {}

  ~ResultReader() override { release(); }

  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }

  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override {
    *batch = nullptr;
    if (!result_) return arrow::Status::OK();
    ddb::unique_ptr<ddb::DataChunk> chunk;
    try {
      chunk = result_->Fetch();
    } catch (const std::exception& e) {
      release();
      return lake::detail::to_arrow_status(from_duckdb_error(ddb::ErrorData(e), "reading query results"));
    }
    if (result_->HasError()) {
      auto error = from_duckdb_error(result_->GetErrorObject(), "reading query results");
      release();
      return lake::detail::to_arrow_status(error);
    }
    if (!chunk || chunk->size() == 0) {
      release();
      return arrow::Status::OK();
    }
    ArrowArray array;
    const std::unordered_map<ddb::idx_t, const ddb::shared_ptr<ddb::ArrowTypeExtensionData>> no_extensions;
    ddb::ArrowConverter::ToArrowArray(*chunk, &array, result_->client_properties, no_extensions);
    auto imported = arrow::ImportRecordBatch(&array, schema_);
    if (!imported.ok()) return imported.status();
    *batch = std::move(*imported);
    return arrow::Status::OK();
  }

  arrow::Status Close() override {
    release();
    return arrow::Status::OK();
  }

 private:
  // Ends the query (a streaming result still running is cancelled by
  // destroying it) and hands the connection back.
  void release() {
    result_.reset();
    if (connection_ && give_back_) give_back_(std::move(connection_));
    connection_.reset();
  }

  std::unique_ptr<ddb::Connection> connection_;
  ConnectionReturn give_back_;
  ddb::unique_ptr<ddb::QueryResult> result_;
  std::shared_ptr<arrow::Schema> schema_;
};

}  // namespace

Result<std::shared_ptr<arrow::RecordBatchReader>> stream_result(std::unique_ptr<ddb::Connection> connection,
                                                                ConnectionReturn give_back,
                                                                ddb::unique_ptr<ddb::QueryResult> result) {
  if (result->HasError()) {
    auto error = from_duckdb_error(result->GetErrorObject(), "running the query");
    result.reset();
    give_back(std::move(connection));
    return std::unexpected(error);
  }
  ddb::vector<std::string> names;
  for (const auto& name : result->GetNames()) names.push_back(name.GetIdentifierName());
  ArrowSchema c_schema;
  ddb::ArrowConverter::ToArrowSchema(&c_schema, result->GetTypes(), names, result->client_properties);
  auto schema = arrow::ImportSchema(&c_schema);
  if (!schema.ok()) {
    result.reset();
    give_back(std::move(connection));
    return fail(lake::detail::from_arrow_status(schema.status(), "reading the result schema"));
  }
  return std::make_shared<ResultReader>(std::move(connection), std::move(give_back), std::move(result),
                                        std::move(*schema));
}

}  // namespace lake::duckdb

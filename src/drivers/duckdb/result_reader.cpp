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

// DuckDB 2.0 hands out a query as a handle: reading chunks from the
// handle itself retains the whole result (it can be re-read at random),
// so a SELECT is drained through a QueryResultStream instead, which keeps
// only DuckDB's bounded streaming buffer in memory.
class ResultReader final : public arrow::RecordBatchReader {
 public:
  using Stream = ddb::QueryResultStream<ddb::ChunkFormat>;

  ResultReader(std::unique_ptr<ddb::Connection> connection, ConnectionReturn give_back,
               ddb::unique_ptr<ddb::QueryResult> retained, std::unique_ptr<Stream> stream,
               ddb::ClientProperties properties, std::shared_ptr<arrow::Schema> schema)
      : connection_(std::move(connection)),
        give_back_(std::move(give_back)),
        retained_(std::move(retained)),
        stream_(std::move(stream)),
        properties_(std::move(properties)),
        schema_(std::move(schema)) {}

  ~ResultReader() override { release(); }

  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }

  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override {
    *batch = nullptr;
    if (!retained_ && !stream_) return arrow::Status::OK();
    ddb::unique_ptr<ddb::DataChunk> chunk;
    try {
      chunk = stream_ ? stream_->Fetch() : retained_->Fetch();
    } catch (const std::exception& e) {
      release();
      return lake::detail::to_arrow_status(from_duckdb_error(ddb::ErrorData(e), "reading query results"));
    }
    const bool failed = stream_ ? stream_->HasError() : retained_->HasError();
    if (failed) {
      auto error = from_duckdb_error(stream_ ? stream_->GetErrorObject() : retained_->GetErrorObject(),
                                     "reading query results");
      release();
      return lake::detail::to_arrow_status(error);
    }
    if (!chunk || chunk->size() == 0) {
      release();
      return arrow::Status::OK();
    }
    ArrowArray array;
    const std::unordered_map<ddb::idx_t, const ddb::shared_ptr<ddb::ArrowTypeExtensionData>> no_extensions;
    ddb::ArrowConverter::ToArrowArray(*chunk, &array, properties_, no_extensions);
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
  // Ends the query (a stream still running is cancelled by closing it)
  // and hands the connection back.
  void release() {
    stream_.reset();
    retained_.reset();
    if (connection_ && give_back_) give_back_(std::move(connection_));
    connection_.reset();
  }

  std::unique_ptr<ddb::Connection> connection_;
  ConnectionReturn give_back_;
  ddb::unique_ptr<ddb::QueryResult> retained_;
  std::unique_ptr<Stream> stream_;
  ddb::ClientProperties properties_;
  std::shared_ptr<arrow::Schema> schema_;
};

}  // namespace

Result<std::shared_ptr<arrow::Schema>> arrow_schema_of(const ddb::vector<ddb::LogicalType>& types,
                                                        const ddb::vector<std::string>& names,
                                                        const ddb::ClientProperties& properties) {
  ArrowSchema c_schema;
  ddb::ClientProperties settings = properties;  // DuckDB takes it by mutable reference
  ddb::ArrowConverter::ToArrowSchema(&c_schema, types, names, settings);
  auto schema = arrow::ImportSchema(&c_schema);
  if (!schema.ok()) return fail(lake::detail::from_arrow_status(schema.status(), "reading the result schema"));
  return std::move(*schema);
}

Result<std::shared_ptr<arrow::RecordBatchReader>> stream_result(std::unique_ptr<ddb::Connection> connection,
                                                                ConnectionReturn give_back,
                                                                ddb::unique_ptr<ddb::QueryResult> result,
                                                                ddb::StatementType written_type) {
  if (result->HasError()) {
    auto error = from_duckdb_error(result->GetErrorObject(), "running the query");
    result.reset();
    give_back(std::move(connection));
    return std::unexpected(error);
  }
  ddb::vector<std::string> names;
  for (const auto& name : result->GetNames()) names.push_back(name.GetIdentifierName());
  auto schema = arrow_schema_of(result->GetTypes(), names, result->client_properties);
  if (!schema) {
    result.reset();
    give_back(std::move(connection));
    return std::unexpected(schema.error());
  }
  ddb::ClientProperties properties = result->client_properties;
  std::unique_ptr<ResultReader::Stream> stream;
  if (ddb::StreamsByDefault(written_type, *result, /*reads_to_the_end=*/false)) {
    try {
      stream = std::make_unique<ResultReader::Stream>(std::move(result));
    } catch (const std::exception& e) {
      give_back(std::move(connection));
      return fail(from_duckdb_error(ddb::ErrorData(e), "streaming the result"));
    }
  }
  return std::make_shared<ResultReader>(std::move(connection), std::move(give_back), std::move(result),
                                        std::move(stream), std::move(properties), std::move(*schema));
}

}  // namespace lake::duckdb

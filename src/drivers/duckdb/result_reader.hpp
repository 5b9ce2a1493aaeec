// A DuckDB query result as an Arrow RecordBatchReader, streamed chunk by
// chunk (constant memory), holding the connection it runs on.
#pragma once

#include <arrow/record_batch.h>

#include <functional>
#include <memory>

#include <duckdb/main/connection.hpp>
#include <duckdb/main/query_result.hpp>
#include <duckdb/main/query_result_stream.hpp>

#include "lake/error.hpp"

namespace lake::duckdb {

// Gives a connection back to its pool when the reader is done with it.
using ConnectionReturn = std::function<void(std::unique_ptr<::duckdb::Connection>)>;

// The Arrow schema of a result with these column types and names.
[[nodiscard]] Result<std::shared_ptr<arrow::Schema>> arrow_schema_of(const ::duckdb::vector<::duckdb::LogicalType>& types,
                                                                     const ::duckdb::vector<std::string>& names,
                                                                     const ::duckdb::ClientProperties& properties);

// `written_type` is the statement as prepared (a prepared execution's
// result reports EXECUTE). A SELECT streams: DuckDB produces chunks as
// they are read, into a bounded buffer. Anything else (DML, DDL) runs to
// completion and its small result is retained, since a write abandoned
// half-read would roll back.
[[nodiscard]] Result<std::shared_ptr<arrow::RecordBatchReader>> stream_result(
    std::unique_ptr<::duckdb::Connection> connection, ConnectionReturn give_back,
    ::duckdb::unique_ptr<::duckdb::QueryResult> result, ::duckdb::StatementType written_type);

}  // namespace lake::duckdb

#include "drivers/duckdb/errors.hpp"

#include <format>

#include <duckdb/common/exception.hpp>
#include <duckdb/common/exception/catalog_exception.hpp>
#include <duckdb/common/exception/conversion_exception.hpp>
#include <duckdb/common/exception/transaction_exception.hpp>

#include "lake/arrow/detail/status.hpp"

namespace lake::duckdb {

Error from_duckdb_error(const ::duckdb::ErrorData& error, std::string_view context) {
  using ::duckdb::ExceptionType;
  ErrorCode code = ErrorCode::internal;
  switch (error.Type()) {
    case ExceptionType::PARSER:
    case ExceptionType::SYNTAX:
    case ExceptionType::BINDER:
    case ExceptionType::INVALID_INPUT:
    case ExceptionType::OUT_OF_RANGE:
    case ExceptionType::DIVIDE_BY_ZERO:
    case ExceptionType::PARAMETER_NOT_RESOLVED:
    case ExceptionType::PARAMETER_NOT_ALLOWED:
    case ExceptionType::CONSTRAINT: code = ErrorCode::invalid_argument; break;
    case ExceptionType::CATALOG: code = ErrorCode::not_found; break;
    case ExceptionType::CONVERSION:
    case ExceptionType::MISMATCH_TYPE: code = ErrorCode::schema_mismatch; break;
    case ExceptionType::NOT_IMPLEMENTED: code = ErrorCode::unsupported; break;
    case ExceptionType::INTERRUPT: code = ErrorCode::cancelled; break;
    case ExceptionType::IO:
    case ExceptionType::OUT_OF_MEMORY:
    case ExceptionType::HTTP: code = ErrorCode::io; break;
    case ExceptionType::TRANSACTION: code = ErrorCode::conflict; break;
    default: break;
  }
  // A lake error that reached DuckDB as text (a scan's Arrow stream
  // failing) keeps the code it began with.
  if (auto carried = lake::detail::code_named_in(error.RawMessage())) code = *carried;
  return Error(code, std::format("{}: {}", context, error.RawMessage()));
}

void throw_in_duckdb(const Error& error) {
  const std::string message = error.to_string();
  switch (error.code()) {
    case ErrorCode::unsupported: throw ::duckdb::NotImplementedException(message);
    case ErrorCode::not_found: throw ::duckdb::CatalogException(message);
    case ErrorCode::invalid_argument: throw ::duckdb::InvalidInputException(message);
    case ErrorCode::schema_mismatch: throw ::duckdb::ConversionException(message);
    case ErrorCode::conflict: throw ::duckdb::TransactionException(message);
    case ErrorCode::cancelled: throw ::duckdb::InterruptException();
    default: throw ::duckdb::IOException(message);
  }
}

}  // namespace lake::duckdb

#include "dialects/engine_files.hpp"

#include <arrow/array.h>
#include <arrow/table.h>

#include <algorithm>
#include <format>

#include "core/propagate.hpp"
#include "sql/spark_sql.hpp"

namespace lake::dialects {
namespace {

// binaryFile takes a path (a glob, even): the location quoted as an
// identifier, as Spark's `format`.`path` form wants.
std::string source(std::string_view location) {
  return "binaryFile." + spark_sql::quote_identifier(location);
}

Status read_only(std::string_view key) {
  return fail(ErrorCode::unsupported,
              std::format("'{}': files read through the engine are read-only (the engine writes with SQL)", key));
}

// The one row binaryFile gives for a file; ErrorCode::not_found when the
// path matches nothing.
Result<std::shared_ptr<arrow::Table>> file_row(formats::SqlSession& session, std::string_view key,
                                               std::string_view columns) {
  auto rows = session.run({std::format("SELECT {} FROM {}", columns, source(key))});
  if (!rows) {
    // Spark says PATH_NOT_FOUND in an AnalysisException for a missing path.
    if (rows.error().code() == ErrorCode::not_found || rows.error().message().find("PATH_NOT_FOUND") != std::string::npos)
      return fail(ErrorCode::not_found, std::format("'{}' does not exist (read through the engine)", key));
    return std::unexpected(rows.error().with_context(std::format("reading '{}' through the engine", key)));
  }
  if ((*rows)->num_rows() != 1)
    return fail(ErrorCode::not_found,
                std::format("'{}': the engine found {} files there, not one", key, (*rows)->num_rows()));
  return std::move(*rows);
}

}  // namespace

Result<std::vector<std::byte>> EngineFiles::get(std::string_view key) {
  LAKE_ASSIGN_OR_RETURN(auto row, file_row(session_, key, "content"));
  auto column = row->GetColumnByName("content");
  if (!column || column->num_chunks() == 0)
    return fail(ErrorCode::io, std::format("'{}': the engine returned no content", key));
  for (const auto& chunk : column->chunks()) {
    if (chunk->length() == 0) continue;
    std::string_view bytes;
    if (chunk->type_id() == arrow::Type::BINARY)
      bytes = static_cast<const arrow::BinaryArray&>(*chunk).GetView(0);
    else if (chunk->type_id() == arrow::Type::LARGE_BINARY)
      bytes = static_cast<const arrow::LargeBinaryArray&>(*chunk).GetView(0);
    else
      return fail(ErrorCode::io, std::format("'{}': the engine returned content as {}", key, chunk->type()->ToString()));
    const auto* begin = reinterpret_cast<const std::byte*>(bytes.data());
    return std::vector<std::byte>(begin, begin + bytes.size());
  }
  return fail(ErrorCode::io, std::format("'{}': the engine returned no content", key));
}

Result<std::vector<std::byte>> EngineFiles::get_range(std::string_view key, std::int64_t offset, std::int64_t length) {
  // Metadata files are small: read whole, then cut.
  LAKE_ASSIGN_OR_RETURN(auto bytes, get(key));
  const auto size = static_cast<std::int64_t>(bytes.size());
  const auto first = std::clamp<std::int64_t>(offset, 0, size);
  const auto last = std::clamp<std::int64_t>(offset + length, first, size);
  return std::vector<std::byte>(bytes.begin() + first, bytes.begin() + last);
}

Result<ObjectInfo> EngineFiles::head(std::string_view key) {
  LAKE_ASSIGN_OR_RETURN(auto row, file_row(session_, key, "length"));
  auto length = row->GetColumnByName("length");
  auto scalar = length ? length->GetScalar(0) : arrow::Result<std::shared_ptr<arrow::Scalar>>(arrow::Status::Invalid(""));
  std::int64_t size = 0;
  if (scalar.ok() && (*scalar)->is_valid)
    if (auto as_int = (*scalar)->CastTo(arrow::int64()); as_int.ok())
      size = std::static_pointer_cast<arrow::Int64Scalar>(*as_int)->value;
  return ObjectInfo{.key = std::string(key), .size = size};
}

Status EngineFiles::put(std::string_view key, std::span<const std::byte>, PutMode) { return read_only(key); }

Result<std::unique_ptr<ObjectWriter>> EngineFiles::open_writer(std::string_view key, PutMode) {
  return std::unexpected(read_only(key).error());
}

Result<std::vector<ObjectInfo>> EngineFiles::list(std::string_view prefix, std::string_view) {
  return std::unexpected(read_only(prefix).error());
}

Status EngineFiles::remove(std::string_view key) { return read_only(key); }

}  // namespace lake::dialects

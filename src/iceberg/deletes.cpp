#include "iceberg/deletes.hpp"

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/schema.h>

#include <algorithm>
#include <format>
#include <map>

#include "core/propagate.hpp"
#include "formats/key_index.hpp"
#include "iceberg/scan.hpp"
#include "iceberg/schema.hpp"
#include "lake/arrow/detail/status.hpp"
#include "lake/storage/arrow_io.hpp"

namespace lake::iceberg {
namespace {

using lake::detail::from_arrow_status;

// Java writes "file:/path", others "file:///path": one spelling.
std::string normalized(std::string_view location) {
  if (location.starts_with("file:/") && !location.starts_with("file://"))
    return "file://" + std::string(location.substr(5));
  return std::string(location);
}

bool same_partition(const std::vector<std::shared_ptr<arrow::Scalar>>& a,
                    const std::vector<std::shared_ptr<arrow::Scalar>>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const bool a_null = !a[i] || !a[i]->is_valid, b_null = !b[i] || !b[i]->is_valid;
    if (a_null != b_null) return false;
    if (!a_null && !a[i]->Equals(*b[i])) return false;
  }
  return true;
}

// The columns of a delete file with the given field ids, read whole, in
// that order.
Result<std::vector<std::shared_ptr<arrow::ChunkedArray>>> read_columns(Backend& backend, const ContentFile& file,
                                                                       const std::vector<std::int32_t>& ids) {
  auto arrow_error = [&](const arrow::Status& status) {
    return fail(from_arrow_status(status, std::format("reading delete file '{}'", file.path)));
  };
  if (file.format != "PARQUET" && file.format != "parquet")
    return fail(ErrorCode::unsupported,
                std::format("delete file '{}' is {}; only Parquet delete files are read", file.path, file.format));
  LAKE_ASSIGN_OR_RETURN(auto key, key_of(backend, file.path));
  LAKE_ASSIGN_OR_RETURN(auto input, open_arrow_input(backend, key));
  parquet::arrow::FileReaderBuilder builder;
  if (auto status = builder.Open(input); !status.ok()) return arrow_error(status);
  auto reader = builder.Build();
  if (!reader.ok()) return arrow_error(reader.status());
  const auto& manifest = (*reader)->manifest();
  std::map<std::int32_t, int> leaf_of;
  for (const auto& field : manifest.schema_fields)
    if (auto id = field_id_of(*field.field); id && field.is_leaf()) leaf_of[*id] = field.column_index;
  std::vector<int> leaves;
  for (std::int32_t id : ids) {
    auto it = leaf_of.find(id);
    if (it == leaf_of.end())
      return fail(ErrorCode::invalid_argument,
                  std::format("delete file '{}' has no primitive column with field id {}", file.path, id));
    leaves.push_back(it->second);
  }
  auto read = (*reader)->ReadTable(leaves);
  if (!read.ok()) return arrow_error(read.status());
  const std::shared_ptr<arrow::Table>& table = *read;
  // ReadTable returns the columns in file order: map each id to its own.
  std::vector<std::shared_ptr<arrow::ChunkedArray>> out;
  for (std::int32_t id : ids) {
    std::shared_ptr<arrow::ChunkedArray> column;
    for (int c = 0; c < table->num_columns(); ++c)
      if (field_id_of(*table->schema()->field(c)) == id) column = table->column(c);
    if (!column)
      return fail(ErrorCode::invalid_argument, std::format("delete file '{}': field id {} was not read", file.path, id));
    out.push_back(std::move(column));
  }
  return out;
}

// Per row: the values of `columns`, NULL-aware (NULL equals NULL, as
// equality deletes compare), as one byte string.
Result<std::vector<std::string>> row_keys(const std::vector<std::shared_ptr<arrow::Array>>& columns, std::int64_t rows) {
  std::vector<std::string> keys(static_cast<std::size_t>(rows));
  for (const auto& column : columns) {
    auto single = arrow::RecordBatch::Make(arrow::schema({arrow::field("c", column->type())}), rows, {column});
    LAKE_ASSIGN_OR_RETURN(auto encoded, formats::encode_keys(*single, {0}));
    for (std::size_t r = 0; r < keys.size(); ++r) {
      if (!encoded[r]) {
        keys[r] += '\0';
        continue;
      }
      const std::uint64_t size = encoded[r]->size();
      keys[r] += '\1';
      keys[r].append(reinterpret_cast<const char*>(&size), sizeof size);
      keys[r] += *encoded[r];
    }
  }
  return keys;
}

Result<std::shared_ptr<arrow::Array>> as_type(const std::shared_ptr<arrow::ChunkedArray>& column,
                                              const std::shared_ptr<arrow::DataType>& type, std::string_view where) {
  auto combined = arrow::Concatenate(column->chunks());
  if (!combined.ok()) return fail(from_arrow_status(combined.status(), where));
  if ((*combined)->type()->Equals(*type)) return *combined;
  auto cast = arrow::compute::Cast(**combined, type, arrow::compute::CastOptions::Safe());
  if (!cast.ok()) return fail(from_arrow_status(cast.status(), where));
  return *cast;
}

}  // namespace

bool applies(const DeleteFile& deletes, const TableMetadata& table, const ContentFile& data, std::int32_t spec_id,
             std::int64_t sequence_number) {
  const bool positions = deletes.file.content == FileContent::position_deletes;
  if (positions ? sequence_number > deletes.sequence_number : sequence_number >= deletes.sequence_number) return false;
  const PartitionSpec* spec = table.spec(deletes.spec_id);
  const bool global = spec == nullptr || spec->unpartitioned();
  if (!global && (deletes.spec_id != spec_id || !same_partition(deletes.file.partition, data.partition))) return false;
  if (positions) {
    const std::string path = normalized(data.path);
    if (auto it = deletes.file.lower_bounds.find(kDeleteFilePathId);
        it != deletes.file.lower_bounds.end() && path < normalized(it->second))
      return false;
    if (auto it = deletes.file.upper_bounds.find(kDeleteFilePathId);
        it != deletes.file.upper_bounds.end() && path > normalized(it->second))
      return false;
  }
  return true;
}

Result<RowDeletes> RowDeletes::load(Backend& backend, const Schema& schema, const std::string& data_path,
                                    const std::vector<DeleteFile>& deletes) {
  RowDeletes out;
  const std::string path = normalized(data_path);
  for (const auto& d : deletes) {
    if (d.file.content == FileContent::position_deletes) {
      LAKE_ASSIGN_OR_RETURN(auto columns, read_columns(backend, d.file, {kDeleteFilePathId, kDeletePosId}));
      LAKE_ASSIGN_OR_RETURN(auto paths, as_type(columns[0], arrow::utf8(), d.file.path));
      LAKE_ASSIGN_OR_RETURN(auto positions, as_type(columns[1], arrow::int64(), d.file.path));
      const auto& p = static_cast<const arrow::StringArray&>(*paths);
      const auto& pos = static_cast<const arrow::Int64Array&>(*positions);
      for (std::int64_t r = 0; r < p.length(); ++r)
        if (!p.IsNull(r) && !pos.IsNull(r) && normalized(p.GetView(r)) == path) out.positions_.insert(pos.Value(r));
      continue;
    }
    if (d.file.equality_ids.empty())
      return fail(ErrorCode::invalid_argument, std::format("equality delete file '{}' names no equality field", d.file.path));
    std::vector<std::int32_t> ids = d.file.equality_ids;
    std::ranges::sort(ids);
    LAKE_ASSIGN_OR_RETURN(auto columns, read_columns(backend, d.file, ids));
    std::vector<std::shared_ptr<arrow::Array>> typed;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const NestedField* field = schema.find(ids[i]);
      if (!field || !field->type || field->type->kind != Type::Kind::primitive)
        return fail(ErrorCode::unsupported,
                    std::format("equality delete file '{}' compares field id {}, which is not a primitive column of "
                                "the table",
                                d.file.path, ids[i]));
      LAKE_ASSIGN_OR_RETURN(auto type, to_arrow(*field->type));
      LAKE_ASSIGN_OR_RETURN(auto column, as_type(columns[i], type, d.file.path));
      typed.push_back(std::move(column));
    }
    const std::int64_t rows = typed.empty() ? 0 : typed.front()->length();
    LAKE_ASSIGN_OR_RETURN(auto keys, row_keys(typed, rows));
    auto set = std::ranges::find(out.equality_, ids, &EqualityKeys::ids);
    if (set == out.equality_.end()) set = out.equality_.insert(out.equality_.end(), EqualityKeys{ids, {}});
    set->keys.insert(std::make_move_iterator(keys.begin()), std::make_move_iterator(keys.end()));
  }
  return out;
}

std::set<std::int32_t> RowDeletes::equality_ids() const {
  std::set<std::int32_t> ids;
  for (const auto& set : equality_) ids.insert(set.ids.begin(), set.ids.end());
  return ids;
}

Result<std::shared_ptr<arrow::BooleanArray>> RowDeletes::keep(const arrow::RecordBatch& batch,
                                                             std::int64_t first_position) const {
  const std::int64_t rows = batch.num_rows();
  std::vector<bool> kept(static_cast<std::size_t>(rows), true);
  for (auto it = positions_.lower_bound(first_position); it != positions_.end() && *it < first_position + rows; ++it)
    kept[static_cast<std::size_t>(*it - first_position)] = false;
  for (const auto& set : equality_) {
    std::vector<std::shared_ptr<arrow::Array>> columns;
    for (std::int32_t id : set.ids) {
      std::shared_ptr<arrow::Array> column;
      for (int c = 0; c < batch.num_columns(); ++c)
        if (field_id_of(*batch.schema()->field(c)) == id) column = batch.column(c);
      if (!column)
        return fail(ErrorCode::internal, std::format("the rows read lack field id {}, which equality deletes compare", id));
      columns.push_back(std::move(column));
    }
    LAKE_ASSIGN_OR_RETURN(auto keys, row_keys(columns, rows));
    for (std::size_t r = 0; r < keys.size(); ++r)
      if (kept[r] && set.keys.contains(keys[r])) kept[r] = false;
  }
  arrow::BooleanBuilder builder;
  if (auto st = builder.Reserve(rows); !st.ok()) return fail(from_arrow_status(st, "deletes"));
  for (bool k : kept) builder.UnsafeAppend(k);
  std::shared_ptr<arrow::BooleanArray> mask;
  if (auto st = builder.Finish(&mask); !st.ok()) return fail(from_arrow_status(st, "deletes"));
  return mask;
}

}  // namespace lake::iceberg

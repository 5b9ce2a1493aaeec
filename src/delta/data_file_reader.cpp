#include "delta/data_file_reader.hpp"

#include <arrow/array/builder_primitive.h>
#include <arrow/array/util.h>
#include <arrow/util/key_value_metadata.h>
#include <arrow/table.h>
#include <parquet/arrow/schema.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>
#include <parquet/properties.h>

#include <algorithm>
#include <charconv>
#include <format>

#include "core/propagate.hpp"
#include "formats/compute.hpp"
#include "formats/row_ops.hpp"
#include "delta/conform.hpp"
#include "delta/partition_values.hpp"
#include "delta/scan.hpp"
#include "lake/arrow/convert.hpp"
#include "lake/storage/arrow_io.hpp"

namespace lake::delta {
namespace {

void collect_leaf_columns(const parquet::arrow::SchemaField& field, std::vector<int>& out) {
  if (field.is_leaf()) out.push_back(field.column_index);
  for (const auto& child : field.children) collect_leaf_columns(child, out);
}

// The Parquet field id Arrow read from a file's field, if it has one.
std::optional<std::int32_t> field_id_of(const arrow::Field& field) {
  if (!field.metadata()) return std::nullopt;
  auto id = field.metadata()->Get("PARQUET:field_id");
  if (!id.ok()) return std::nullopt;
  std::int32_t value = 0;
  const std::string& text = *id;
  if (std::from_chars(text.data(), text.data() + text.size(), value).ec != std::errc{}) return std::nullopt;
  return value;
}

// Where a struct field is among a file struct's fields: in id mode by its
// Parquet field id (a file without ids: by physical name), else by
// physical name. -1 when the file lacks it.
int file_field_index(const arrow::StructType& file_type, const PhysicalField& field, bool by_id) {
  if (by_id && field.id)
    for (int i = 0; i < file_type.num_fields(); ++i)
      if (field_id_of(*file_type.field(i)) == field.id) return i;
  return file_type.GetFieldIndex(field.name);
}

// A file column's data with the nested fields renamed from their physical
// names to the table's (and reordered, fields the file lacks as NULLs,
// dropped ones left out); its types are the file's still, for conform to
// cast. `logical` is the table's type of the column; `by_id`: id mode.
Result<std::shared_ptr<arrow::ArrayData>> with_logical_names(const std::shared_ptr<arrow::ArrayData>& data,
                                                             const arrow::DataType& logical, const PhysicalField& physical,
                                                             std::string_view column, bool by_id) {
  auto out = std::make_shared<arrow::ArrayData>(*data);
  if (logical.id() == arrow::Type::STRUCT && data->type->id() == arrow::Type::STRUCT) {
    const auto& file_type = static_cast<const arrow::StructType&>(*data->type);
    arrow::FieldVector fields;
    out->child_data.clear();
    for (int i = 0; i < logical.num_fields(); ++i) {
      const auto& want = logical.field(i);
      const PhysicalField& child = physical.children.at(static_cast<std::size_t>(i));
      const int index = file_field_index(file_type, child, by_id);
      std::shared_ptr<arrow::ArrayData> child_data;
      if (index < 0) {
        auto nulls = arrow::MakeArrayOfNull(want->type(), data->offset + data->length);
        if (!nulls.ok()) return fail(lake::detail::from_arrow_status(nulls.status(), std::format("column '{}'", column)));
        child_data = (*nulls)->data();
      } else {
        LAKE_ASSIGN_OR_RETURN(child_data, with_logical_names(data->child_data[static_cast<std::size_t>(index)],
                                                             *want->type(), child, column, by_id));
      }
      fields.push_back(arrow::field(want->name(), child_data->type, true));
      out->child_data.push_back(std::move(child_data));
    }
    out->type = arrow::struct_(std::move(fields));
    return out;
  }
  if ((logical.id() == arrow::Type::LIST && data->type->id() == arrow::Type::LIST) ||
      (logical.id() == arrow::Type::MAP && data->type->id() == arrow::Type::MAP)) {
    // A map's one child is its entries struct<key, value>, as a list's is
    // its element; the entries' own two fields keep the file's names.
    const bool map = logical.id() == arrow::Type::MAP;
    const std::shared_ptr<arrow::DataType> element = logical.field(0)->type();
    PhysicalField entries;
    if (map) {
      const auto& file_entries = *data->child_data[0]->type;
      if (file_entries.num_fields() != 2 || physical.children.size() != 2)
        return fail(ErrorCode::schema_mismatch, std::format("column '{}': a map in the file is not key and value", column));
      entries.children = physical.children;
      entries.children[0].name = file_entries.field(0)->name();
      entries.children[1].name = file_entries.field(1)->name();
    }
    LAKE_ASSIGN_OR_RETURN(auto child, with_logical_names(data->child_data[0], *element,
                                                         map ? entries : physical.children.at(0), column, by_id));
    if (map) {
      out->type = arrow::map(child->type->field(0)->type(), child->type->field(1)->type());
    } else {
      out->type = arrow::list(arrow::field(logical.field(0)->name(), child->type, true));
    }
    out->child_data = {std::move(child)};
    return out;
  }
  return out;
}

// Where the table's column is among the file's top-level fields: by name,
// by physical name, or in id mode by field id (falling back to the
// physical name for files without ids). -1 when the file lacks it.
int file_column_index(const arrow::Schema& file, const TableLayout& layout, std::string_view column) {
  const PhysicalField* physical = layout.physical_field(column);
  if (physical == nullptr) return file.GetFieldIndex(std::string(column));
  if (layout.mapping == ColumnMapping::id && physical->id)
    for (int i = 0; i < file.num_fields(); ++i)
      if (field_id_of(*file.field(i)) == physical->id) return i;
  return file.GetFieldIndex(physical->name);
}

}  // namespace

Result<std::unique_ptr<DataFileReader>> DataFileReader::open(Backend& backend, const TableLayout& layout,
                                                             const Add& file, const std::vector<std::string>& columns,
                                                             std::int64_t batch_rows) {
  LAKE_RETURN_IF_ERROR(formats::ensure_compute_initialized());
  auto key = layout.key_of(file.path);
  LAKE_RETURN_IF_ERROR(key);
  auto input = open_arrow_input(backend, *key);
  if (!input) return std::unexpected(input.error().with_context(std::format("data file '{}'", file.path)));

  std::unique_ptr<DataFileReader> self(new DataFileReader());
  self->path_ = file.path;
  self->batch_rows_ = std::max<std::int64_t>(1, batch_rows);
  auto arrow_error = [&](const arrow::Status& status) {
    return fail(lake::detail::from_arrow_status(status, std::format("reading data file '{}'", file.path)));
  };

  parquet::ArrowReaderProperties properties;
  properties.set_batch_size(self->batch_rows_);
  properties.set_use_threads(false);
  // Fetch each row group's column chunks in few coalesced ranged reads.
  properties.set_pre_buffer(true);
  // Spark and older writers store timestamps as INT96; nanoseconds would
  // overflow for dates Spark accepts, and the table holds microseconds.
  properties.set_coerce_int96_timestamp_unit(arrow::TimeUnit::MICRO);
  parquet::arrow::FileReaderBuilder builder;
  if (auto status = builder.Open(*input); !status.ok()) return arrow_error(status);
  builder.properties(properties);
  auto reader = builder.Build();
  if (!reader.ok()) return arrow_error(reader.status());
  self->reader_ = std::move(*reader);
  std::shared_ptr<arrow::Schema> file_schema;
  if (auto status = self->reader_->GetSchema(&file_schema); !status.ok()) return arrow_error(status);

  arrow::FieldVector fields;
  for (const auto& name : columns) {
    auto field = layout.arrow_schema->GetFieldByName(name);
    if (!field)
      return fail(ErrorCode::schema_mismatch,
                  std::format("the table has no column '{}'; it has columns: {}", name,
                              lake::detail::column_list(*layout.arrow_schema)));
    fields.push_back(field);
    Source source;
    if (std::ranges::contains(layout.partition_columns, name)) {
      // The log's value is the truth, even if the file also stores the column.
      auto value = file.partition_values.find(std::string(layout.physical_name(name)));
      auto scalar = parse_partition_value(value == file.partition_values.end() ? std::nullopt : value->second,
                                          field->type(), name);
      if (!scalar) return std::unexpected(scalar.error().with_context(std::format("data file '{}'", file.path)));
      if (!(*scalar)->is_valid && !field->nullable())
        return fail(ErrorCode::schema_mismatch,
                    std::format("data file '{}' has a NULL value for the non-nullable partition column '{}'",
                                file.path, name));
      source.constant = std::move(*scalar);
    } else if (int index = file_column_index(*file_schema, layout, name); index >= 0) {
      source.file_column = file_schema->field(index)->name();
      if (const PhysicalField* physical = layout.physical_field(name)) source.physical = *physical;
      source.by_id = layout.mapping == ColumnMapping::id;
      collect_leaf_columns(self->reader_->manifest().schema_fields[static_cast<std::size_t>(index)],
                           self->leaf_columns_);
    } else {
      if (!field->nullable())
        return fail(ErrorCode::schema_mismatch,
                    std::format("data file '{}' lacks column '{}', which is not nullable", file.path, name));
      source.constant = arrow::MakeNullScalar(field->type());
    }
    self->sources_.push_back(std::move(source));
  }
  std::ranges::sort(self->leaf_columns_);
  self->schema_ = arrow::schema(std::move(fields));
  if (file.deletion_vector) {
    LAKE_ASSIGN_OR_RETURN(self->deleted_, load_deleted_rows(backend, layout, *file.deletion_vector, file.path));
  }
  return self;
}

Status DataFileReader::start_row_group() {
  const int index = next_row_group_++;
  if (leaf_columns_.empty()) {
    rows_left_without_columns_ = reader_->parquet_reader()->metadata()->RowGroup(index)->num_rows();
    return {};
  }
  auto row_group = reader_->GetRecordBatchReader({index}, leaf_columns_);
  if (!row_group.ok())
    return fail(lake::detail::from_arrow_status(row_group.status(), std::format("reading data file '{}'", path_)));
  row_group_ = std::move(*row_group);
  return {};
}

Result<std::shared_ptr<arrow::RecordBatch>> DataFileReader::next() {
  while (true) {
    const std::int64_t first = next_row_;
    LAKE_ASSIGN_OR_RETURN(auto batch, next_in_file());
    if (!batch) return nullptr;
    if (deleted_) {
      LAKE_ASSIGN_OR_RETURN(batch, without_deleted(std::move(batch), first));
    }
    if (batch->num_rows() > 0) return batch;
  }
}

Result<std::shared_ptr<arrow::RecordBatch>> DataFileReader::next_in_file() {
  while (true) {
    if (row_group_) {
      std::shared_ptr<arrow::RecordBatch> batch;
      if (auto status = row_group_->ReadNext(&batch); !status.ok())
        return fail(lake::detail::from_arrow_status(status, std::format("reading data file '{}'", path_)));
      if (batch) {
        next_row_ += batch->num_rows();
        return assemble(batch.get(), batch->num_rows());
      }
      row_group_.reset();
    } else if (rows_left_without_columns_ > 0) {
      std::int64_t rows = std::min(rows_left_without_columns_, batch_rows_);
      rows_left_without_columns_ -= rows;
      next_row_ += rows;
      return assemble(nullptr, rows);
    }
    if (next_row_group_ >= reader_->num_row_groups()) return nullptr;
    LAKE_RETURN_IF_ERROR(start_row_group());
  }
}

Result<std::shared_ptr<arrow::RecordBatch>> DataFileReader::without_deleted(std::shared_ptr<arrow::RecordBatch> batch,
                                                                            std::int64_t first) const {
  const auto begin = static_cast<std::uint64_t>(first);
  const auto rows = static_cast<std::uint64_t>(batch->num_rows());
  const std::uint64_t deleted = deleted_->count_in(begin, begin + rows);
  if (deleted == 0) return batch;
  if (deleted == rows) return batch->Slice(0, 0);
  arrow::BooleanBuilder keep;
  if (auto status = keep.Reserve(batch->num_rows()); !status.ok())
    return fail(lake::detail::from_arrow_status(status, "applying a deletion vector"));
  for (std::uint64_t i = 0; i < rows; ++i) keep.UnsafeAppend(!deleted_->contains(begin + i));
  std::shared_ptr<arrow::BooleanArray> mask;
  if (auto status = keep.Finish(&mask); !status.ok())
    return fail(lake::detail::from_arrow_status(status, "applying a deletion vector"));
  return formats::select_rows(batch, *mask, true);
}

Result<std::shared_ptr<arrow::RecordBatch>> DataFileReader::assemble(const arrow::RecordBatch* from_file,
                                                                     std::int64_t rows) {
  std::vector<std::shared_ptr<arrow::Array>> columns;
  columns.reserve(sources_.size());
  for (std::size_t i = 0; i < sources_.size(); ++i) {
    const Source& source = sources_[i];
    const auto& field = *schema_->field(static_cast<int>(i));
    if (source.constant) {
      auto constant = arrow::MakeArrayFromScalar(*source.constant, rows);
      if (!constant.ok())
        return fail(lake::detail::from_arrow_status(constant.status(), std::format("column '{}'", field.name())));
      columns.push_back(std::move(*constant));
      continue;
    }
    auto column = from_file->GetColumnByName(source.file_column);
    if (!column) return fail(ErrorCode::internal, std::format("data file '{}': column '{}' was not read", path_,
                                                              field.name()));
    if (source.physical && field.type()->num_fields() > 0) {
      LAKE_ASSIGN_OR_RETURN(auto renamed, with_logical_names(column->data(), *field.type(), *source.physical, field.name(),
                                                             source.by_id));
      column = arrow::MakeArray(std::move(renamed));
    }
    auto conformed = conform_file_column(column, field, path_);
    LAKE_RETURN_IF_ERROR(conformed);
    columns.push_back(std::move(*conformed));
  }
  return arrow::RecordBatch::Make(schema_, rows, std::move(columns));
}

Result<std::shared_ptr<arrow::Table>> read_data_file(Backend& backend, const TableLayout& layout, const Add& file,
                                                     std::vector<std::string> columns) {
  if (columns.empty())
    for (const auto& field : layout.arrow_schema->fields()) columns.push_back(field->name());
  auto reader = DataFileReader::open(backend, layout, file, columns, std::int64_t{64} * 1024);
  LAKE_RETURN_IF_ERROR(reader);
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  while (true) {
    auto batch = (*reader)->next();
    LAKE_RETURN_IF_ERROR(batch);
    if (!*batch) break;
    batches.push_back(std::move(*batch));
  }
  auto table = arrow::Table::FromRecordBatches((*reader)->schema(), std::move(batches));
  if (!table.ok()) return fail(lake::detail::from_arrow_status(table.status(), "assembling a data file's rows"));
  return std::move(*table);
}

}  // namespace lake::delta

#include "iceberg/scan.hpp"

#include <arrow/array/util.h>
#include <arrow/compute/api.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/schema.h>
#include <parquet/properties.h>

#include <deque>
#include <functional>
#include <map>
#include <format>

#include "core/propagate.hpp"
#include "formats/compute.hpp"
#include "formats/file_skipping.hpp"
#include "formats/filter.hpp"
#include "iceberg/single_value.hpp"
#include "lake/arrow/convert.hpp"
#include "lake/arrow/detail/status.hpp"
#include "lake/storage/arrow_io.hpp"

namespace lake::iceberg {
namespace {

using lake::detail::from_arrow_status;
using lake::detail::to_arrow_status;

}  // namespace

formats::FileFacts facts_of(const PlannedFile& planned, const TableMetadata& table) {
  return [&planned, &table](const arrow::FieldPath&, const arrow::Field& field) -> std::optional<formats::ColumnFacts> {
    const auto id = field_id_of(field);
    if (!id) return std::nullopt;
    const ContentFile& file = planned.file;
    if (const PartitionSpec* spec = table.spec(planned.spec_id)) {
      for (std::size_t i = 0; i < spec->fields.size() && i < file.partition.size(); ++i) {
        const auto& p = spec->fields[i];
        if (p.source_id != *id || p.transform.kind != formats::Transform::identity) continue;
        auto value = file.partition[i];
        if (!value->type->Equals(*field.type())) {
          auto cast = value->CastTo(field.type());
          if (!cast.ok()) return std::nullopt;
          value = *cast;
        }
        return formats::ColumnFacts{.exact = std::move(value)};
      }
    }
    formats::ColumnFacts facts;
    auto bound = [&](const std::map<std::int32_t, std::string>& bounds) -> std::shared_ptr<arrow::Scalar> {
      auto it = bounds.find(*id);
      if (it == bounds.end()) return nullptr;
      auto value = from_single_value(it->second, field.type());
      return value ? *value : nullptr;  // an unreadable bound bounds nothing
    };
    facts.min = bound(file.lower_bounds);
    facts.max = bound(file.upper_bounds);
    if (auto it = file.null_value_counts.find(*id); it != file.null_value_counts.end()) facts.null_count = it->second;
    if (auto it = file.value_counts.find(*id); it != file.value_counts.end()) facts.value_count = it->second;
    if (!facts.min && !facts.max && !facts.null_count) return std::nullopt;
    return facts;
  };
}

namespace {

// Reads planned files one row group at a time, assembling each batch in
// the output schema by field id.
class FilesReader final : public arrow::RecordBatchReader {
 public:
  FilesReader(std::shared_ptr<Backend> backend, std::shared_ptr<arrow::Schema> schema, std::deque<PlannedFile> files,
              std::int64_t batch_rows)
      : backend_(std::move(backend)), schema_(std::move(schema)), files_(std::move(files)), batch_rows_(batch_rows) {}

  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }

  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    *out = nullptr;
    while (true) {
      if (current_) {
        std::shared_ptr<arrow::RecordBatch> batch;
        ARROW_RETURN_NOT_OK(current_->ReadNext(&batch));
        if (batch) {
          auto assembled = assemble(*batch);
          if (!assembled) return to_arrow_status(assembled.error());
          *out = std::move(*assembled);
          return arrow::Status::OK();
        }
        current_.reset();
        if (rows_without_columns_ > 0) {
          const std::int64_t rows = rows_without_columns_;
          rows_without_columns_ = 0;
          *out = assemble_rows(rows);
          return arrow::Status::OK();
        }
      }
      if (files_.empty()) return arrow::Status::OK();
      if (auto opened = open(std::move(files_.front())); !opened) {
        files_.pop_front();
        return to_arrow_status(opened.error());
      }
      files_.pop_front();
    }
  }

 private:
  // Where one output column comes from: a top-level column of the file
  // (its index in the batches read), or nowhere (NULLs).
  struct Source {
    int batch_column = -1;
  };

  Status open(PlannedFile planned) {
    const std::string& location = planned.file.path;
    location_ = location;
    auto arrow_error = [&](const arrow::Status& status) {
      return fail(from_arrow_status(status, std::format("reading data file '{}'", location)));
    };
    if (planned.file.format != "PARQUET" && planned.file.format != "parquet")
      return fail(ErrorCode::unsupported, std::format("data file '{}' is {}; only Parquet is read", location,
                                                      planned.file.format));
    LAKE_ASSIGN_OR_RETURN(auto key, key_of(*backend_, location));
    LAKE_ASSIGN_OR_RETURN(auto input, open_arrow_input(*backend_, key));
    parquet::ArrowReaderProperties properties;
    properties.set_batch_size(batch_rows_);
    properties.set_use_threads(false);
    properties.set_pre_buffer(true);
    properties.set_coerce_int96_timestamp_unit(arrow::TimeUnit::MICRO);
    parquet::arrow::FileReaderBuilder builder;
    if (auto status = builder.Open(input); !status.ok()) return arrow_error(status);
    builder.properties(properties);
    auto reader = builder.Build();
    if (!reader.ok()) return arrow_error(reader.status());
    reader_ = std::move(*reader);

    // The file's top-level fields by id, and their leaf columns.
    const auto& manifest = reader_->manifest();
    std::map<std::int32_t, std::size_t> by_id;
    for (std::size_t i = 0; i < manifest.schema_fields.size(); ++i) {
      const auto id = field_id_of(*manifest.schema_fields[i].field);
      if (!id)
        return fail(ErrorCode::unsupported,
                    std::format("data file '{}' has a column without a field id ('{}'); files of a table imported "
                                "with a name mapping are not read yet",
                                location, manifest.schema_fields[i].field->name()));
      by_id[*id] = i;
    }
    std::vector<int> leaves;
    std::function<void(const parquet::arrow::SchemaField&)> collect = [&](const parquet::arrow::SchemaField& f) {
      if (f.is_leaf()) leaves.push_back(f.column_index);
      for (const auto& child : f.children) collect(child);
    };
    sources_.clear();
    int batch_columns = 0;
    std::vector<std::size_t> wanted;
    for (const auto& field : schema_->fields()) {
      Source source;
      if (auto id = field_id_of(*field); id && by_id.contains(*id)) {
        wanted.push_back(by_id[*id]);
        source.batch_column = batch_columns++;
      }
      sources_.push_back(source);
    }
    // Batches come back with the file's fields in file order: map them.
    std::vector<std::size_t> order = wanted;
    std::ranges::sort(order);
    for (auto& source : sources_)
      if (source.batch_column >= 0)
        source.batch_column = static_cast<int>(std::ranges::find(order, wanted[static_cast<std::size_t>(source.batch_column)]) - order.begin());
    for (std::size_t index : order) collect(manifest.schema_fields[index]);

    std::vector<int> row_groups(static_cast<std::size_t>(reader_->num_row_groups()));
    for (std::size_t g = 0; g < row_groups.size(); ++g) row_groups[g] = static_cast<int>(g);
    if (leaves.empty()) {
      // No column of the file is asked for (or it has none the table
      // kept): only its row count matters.
      rows_without_columns_ = reader_->parquet_reader()->metadata()->num_rows();
      current_ = std::make_unique<EmptyReader>();
      return {};
    }
    auto batches = reader_->GetRecordBatchReader(row_groups, leaves);
    if (!batches.ok()) return arrow_error(batches.status());
    current_ = std::move(*batches);
    return {};
  }

  Result<std::shared_ptr<arrow::RecordBatch>> assemble(const arrow::RecordBatch& batch) {
    arrow::ArrayVector columns;
    for (std::size_t i = 0; i < sources_.size(); ++i) {
      const auto& target = schema_->field(static_cast<int>(i));
      if (sources_[i].batch_column < 0) {
        auto nulls = arrow::MakeArrayOfNull(target->type(), batch.num_rows());
        if (!nulls.ok()) return fail(from_arrow_status(nulls.status(), target->name()));
        columns.push_back(*nulls);
        continue;
      }
      auto column = batch.column(sources_[i].batch_column);
      if (!column->type()->Equals(*target->type())) {
        auto cast = arrow::compute::Cast(*column, target->type(), arrow::compute::CastOptions::Safe());
        if (!cast.ok())
          return fail(ErrorCode::schema_mismatch,
                      std::format("data file '{}' holds column '{}' as {}, which does not read as the table's {}: {}",
                                  location_, target->name(), column->type()->ToString(), target->type()->ToString(),
                                  cast.status().message()));
        column = *cast;
      }
      columns.push_back(std::move(column));
    }
    return arrow::RecordBatch::Make(schema_, batch.num_rows(), std::move(columns));
  }

  std::shared_ptr<arrow::RecordBatch> assemble_rows(std::int64_t rows) {
    arrow::ArrayVector columns;
    for (const auto& field : schema_->fields()) columns.push_back(arrow::MakeArrayOfNull(field->type(), rows).ValueOrDie());
    return arrow::RecordBatch::Make(schema_, rows, std::move(columns));
  }

  class EmptyReader final : public arrow::RecordBatchReader {
   public:
    std::shared_ptr<arrow::Schema> schema() const override { return arrow::schema({}); }
    arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
      *out = nullptr;
      return arrow::Status::OK();
    }
  };

  std::shared_ptr<Backend> backend_;
  std::shared_ptr<arrow::Schema> schema_;
  std::deque<PlannedFile> files_;
  std::int64_t batch_rows_;
  std::unique_ptr<parquet::arrow::FileReader> reader_;
  std::unique_ptr<arrow::RecordBatchReader> current_;
  std::vector<Source> sources_;
  std::int64_t rows_without_columns_ = 0;
  std::string location_;
};

}  // namespace

Result<std::string> key_of(const Backend& backend, std::string_view location) {
  std::string root = backend.root_uri();
  while (root.ends_with('/')) root.pop_back();
  std::string normalized(location);
  // Java's Hadoop file system writes "file:/path", the others "file:///path".
  if (normalized.starts_with("file:/") && !normalized.starts_with("file://")) normalized = "file://" + normalized.substr(5);
  if (normalized.size() > root.size() + 1 && normalized.starts_with(root) && normalized[root.size()] == '/')
    return normalized.substr(root.size() + 1);
  return fail(ErrorCode::invalid_argument,
              std::format("'{}' is not under the storage root '{}'", location, root));
}

Result<std::vector<ManifestFile>> load_manifest_list(Backend& backend, const Snapshot& snapshot) {
  if (snapshot.manifest_list.empty())
    return fail(ErrorCode::unsupported,
                std::format("snapshot {} lists its manifests inline (an early version 1 writer); not read yet",
                            snapshot.snapshot_id));
  LAKE_ASSIGN_OR_RETURN(auto key, key_of(backend, snapshot.manifest_list));
  LAKE_ASSIGN_OR_RETURN(auto bytes, backend.get(key));
  return read_manifest_list(bytes, snapshot.manifest_list);
}

Result<std::vector<ManifestEntry>> load_manifest(Backend& backend, const TableMetadata& table,
                                                 const ManifestFile& manifest) {
  const PartitionSpec* spec = table.spec(manifest.spec_id);
  if (!spec)
    return fail(ErrorCode::invalid_argument,
                std::format("manifest '{}' names partition spec {}, which the table lacks", manifest.path, manifest.spec_id));
  LAKE_ASSIGN_OR_RETURN(auto types, partition_types(*spec, table));
  LAKE_ASSIGN_OR_RETURN(auto key, key_of(backend, manifest.path));
  LAKE_ASSIGN_OR_RETURN(auto bytes, backend.get(key));
  return read_manifest(bytes, manifest.path, manifest, types);
}

Result<ScanPlanning> plan_files(Backend& backend, const TableMetadata& table, const Snapshot& snapshot,
                                const std::optional<arrow::compute::Expression>& filter, const Schema* schema) {
  LAKE_RETURN_IF_ERROR(formats::ensure_compute_initialized());
  LAKE_ASSIGN_OR_RETURN(auto arrow_schema, to_arrow(schema ? *schema : table.schema_of(snapshot)));
  std::optional<arrow::compute::Expression> bound;
  if (filter) {
    LAKE_ASSIGN_OR_RETURN(bound, formats::bind_filter(*filter, *arrow_schema));
  }
  LAKE_ASSIGN_OR_RETURN(auto manifests, load_manifest_list(backend, snapshot));
  ScanPlanning planning;
  for (const auto& manifest : manifests) {
    LAKE_ASSIGN_OR_RETURN(auto entries, load_manifest(backend, table, manifest));
    for (auto& entry : entries) {
      if (entry.status == EntryStatus::deleted) continue;
      if (manifest.content == ManifestContent::deletes || entry.file.content != FileContent::data)
        return fail(ErrorCode::unsupported,
                    std::format("snapshot {} has delete files (merge-on-read deletes, e.g. '{}'); they are not read "
                                "yet, and reading without them would return deleted rows",
                                snapshot.snapshot_id, entry.file.path));
      ++planning.files_total;
      PlannedFile planned{std::move(entry.file), manifest.spec_id};
      if (bound) {
        LAKE_ASSIGN_OR_RETURN(auto keep, formats::may_match(*bound, *arrow_schema, facts_of(planned, table), planned.file.path));
        if (!keep) continue;
      }
      planning.files.push_back(std::move(planned));
    }
  }
  return planning;
}

Result<std::shared_ptr<arrow::RecordBatchReader>> read_files(std::shared_ptr<Backend> backend, const Schema& schema,
                                                           std::vector<PlannedFile> files,
                                                           const std::vector<std::string>& columns,
                                                           std::int64_t batch_rows) {
  LAKE_RETURN_IF_ERROR(formats::ensure_compute_initialized());
  LAKE_ASSIGN_OR_RETURN(auto arrow_schema, to_arrow(schema));
  if (!columns.empty()) {
    arrow::FieldVector fields;
    for (const auto& name : columns) {
      auto field = arrow_schema->GetFieldByName(name);
      if (!field)
        return fail(ErrorCode::schema_mismatch, std::format("the table has no column '{}'; it has columns: {}", name,
                                                            lake::detail::column_list(*arrow_schema)));
      fields.push_back(std::move(field));
    }
    arrow_schema = arrow::schema(std::move(fields));
  }
  return std::make_shared<FilesReader>(std::move(backend), std::move(arrow_schema),
                                       std::deque<PlannedFile>(std::make_move_iterator(files.begin()),
                                                               std::make_move_iterator(files.end())),
                                       std::max<std::int64_t>(1, batch_rows));
}

}  // namespace lake::iceberg

#include "iceberg/scan.hpp"

#include <arrow/array/util.h>
#include <arrow/compute/api.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/schema.h>
#include <parquet/properties.h>

#include <deque>
#include <mutex>
#include <unordered_map>
#include <functional>
#include <map>
#include <format>

#include "core/propagate.hpp"
#include "formats/row_ops.hpp"
#include "formats/compute.hpp"
#include "formats/file_skipping.hpp"
#include "formats/filter.hpp"
#include "formats/read_ahead.hpp"
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
  // `output`: the columns returned; `table`: the whole table schema (in
  // Arrow, with field ids), where columns equality deletes compare come
  // from when the output lacks them.
  FilesReader(std::shared_ptr<Backend> backend, std::shared_ptr<arrow::Schema> output, std::shared_ptr<arrow::Schema> table,
              Schema table_schema, std::deque<PlannedFile> files, std::int64_t batch_rows)
      : backend_(std::move(backend)), output_(std::move(output)), table_(std::move(table)),
        table_schema_(std::move(table_schema)), files_(std::move(files)), batch_rows_(batch_rows) {}

  std::shared_ptr<arrow::Schema> schema() const override { return output_; }

  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    *out = nullptr;
    while (true) {
      if (current_) {
        std::shared_ptr<arrow::RecordBatch> batch;
        ARROW_RETURN_NOT_OK(current_->ReadNext(&batch));
        if (!batch && rows_without_columns_ > 0) {
          batch = assemble_rows(rows_without_columns_);
          rows_without_columns_ = 0;
        } else if (batch) {
          auto assembled = assemble(*batch);
          if (!assembled) return to_arrow_status(assembled.error());
          batch = std::move(*assembled);
        }
        if (batch) {
          auto finished = finish(std::move(batch));
          if (!finished) return to_arrow_status(finished.error());
          if ((*finished)->num_rows() == 0) continue;
          *out = std::move(*finished);
          return arrow::Status::OK();
        }
        current_.reset();
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

  // A batch in the read schema: deleted rows dropped, then the output
  // columns (the read schema's first ones).
  Result<std::shared_ptr<arrow::RecordBatch>> finish(std::shared_ptr<arrow::RecordBatch> batch) {
    if (deletes_) {
      LAKE_ASSIGN_OR_RETURN(auto keep, deletes_->keep(*batch, position_));
      position_ += batch->num_rows();
      if (keep->true_count() != batch->num_rows()) {
        LAKE_ASSIGN_OR_RETURN(batch, formats::select_rows(batch, *keep, true));
      }
    }
    if (schema_->num_fields() == output_->num_fields()) return batch;
    arrow::ArrayVector columns(batch->columns().begin(), batch->columns().begin() + output_->num_fields());
    return arrow::RecordBatch::Make(output_, batch->num_rows(), std::move(columns));
  }

  Status open(PlannedFile planned) {
    const std::string& location = planned.file.path;
    location_ = location;
    // The read schema: the output, and the columns the file's equality
    // deletes compare that it lacks.
    schema_ = output_;
    deletes_.reset();
    position_ = 0;
    if (!planned.deletes.empty()) {
      LAKE_ASSIGN_OR_RETURN(auto deletes, RowDeletes::load(*backend_, table_schema_, location, planned.deletes));
      if (!deletes.empty()) {
        arrow::FieldVector fields = output_->fields();
        for (std::int32_t id : deletes.equality_ids()) {
          if (std::ranges::any_of(fields, [&](const auto& f) { return field_id_of(*f) == id; })) continue;
          auto extra = std::ranges::find_if(table_->fields(), [&](const auto& f) { return field_id_of(*f) == id; });
          if (extra == table_->fields().end())
            return fail(ErrorCode::unsupported,
                        std::format("equality deletes of '{}' compare field id {}, which is not a top-level column",
                                    location, id));
          fields.push_back(*extra);
        }
        schema_ = arrow::schema(std::move(fields));
        deletes_ = std::move(deletes);
      }
    }
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
  std::shared_ptr<arrow::Schema> output_;
  std::shared_ptr<arrow::Schema> table_;
  Schema table_schema_;
  std::shared_ptr<arrow::Schema> schema_;  // the current file's read schema
  std::optional<RowDeletes> deletes_;      // the current file's deletes
  std::int64_t position_ = 0;              // the current file's next row
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
  // A backend without a root (files read through an engine) takes whole
  // locations as its keys.
  if (root.empty()) return normalized;
  if (normalized.size() > root.size() + 1 && normalized.starts_with(root) && normalized[root.size()] == '/')
    return normalized.substr(root.size() + 1);
  return fail(ErrorCode::invalid_argument,
              std::format("'{}' is not under the storage root '{}'", location, root));
}

namespace {

// Manifest lists and manifests never change once written (a commit writes
// new ones under new names), so what one process parsed stays true: every
// handle and write of the process shares these, and a commit or scan reads
// only the files it has not seen. Bounded: the oldest go first.
template <class Value>
class ParsedFiles {
 public:
  explicit ParsedFiles(std::size_t capacity) : capacity_(capacity) {}

  std::shared_ptr<const Value> find(const std::string& location) {
    std::lock_guard lock(mutex_);
    auto it = parsed_.find(location);
    return it == parsed_.end() ? nullptr : it->second;
  }
  void keep(const std::string& location, std::shared_ptr<const Value> value) {
    std::lock_guard lock(mutex_);
    if (!parsed_.emplace(location, std::move(value)).second) return;
    order_.push_back(location);
    if (order_.size() > capacity_) {
      parsed_.erase(order_.front());
      order_.pop_front();
    }
  }

 private:
  std::mutex mutex_;
  std::size_t capacity_;
  std::unordered_map<std::string, std::shared_ptr<const Value>> parsed_;
  std::deque<std::string> order_;
};

ParsedFiles<std::vector<ManifestFile>>& parsed_lists() {
  static ParsedFiles<std::vector<ManifestFile>> lists(256);
  return lists;
}
ParsedFiles<std::vector<ManifestEntry>>& parsed_manifests() {
  static ParsedFiles<std::vector<ManifestEntry>> manifests(1024);
  return manifests;
}

}  // namespace

Result<std::vector<ManifestFile>> load_manifest_list(Backend& backend, const Snapshot& snapshot) {
  if (snapshot.manifest_list.empty())
    return fail(ErrorCode::unsupported,
                std::format("snapshot {} lists its manifests inline (an early version 1 writer); not read yet",
                            snapshot.snapshot_id));
  LAKE_ASSIGN_OR_RETURN(auto key, key_of(backend, snapshot.manifest_list));
  const std::string where = backend.root_uri() + "\n" + key;
  if (auto parsed = parsed_lists().find(where)) return *parsed;
  LAKE_ASSIGN_OR_RETURN(auto bytes, backend.get(key));
  LAKE_ASSIGN_OR_RETURN(auto list, read_manifest_list(bytes, snapshot.manifest_list));
  parsed_lists().keep(where, std::make_shared<const std::vector<ManifestFile>>(list));
  return list;
}

Result<std::vector<ManifestEntry>> load_manifest(Backend& backend, const TableMetadata& table,
                                                 const ManifestFile& manifest) {
  const PartitionSpec* spec = table.spec(manifest.spec_id);
  if (!spec)
    return fail(ErrorCode::invalid_argument,
                std::format("manifest '{}' names partition spec {}, which the table lacks", manifest.path, manifest.spec_id));
  LAKE_ASSIGN_OR_RETURN(auto types, partition_types(*spec, table));
  LAKE_ASSIGN_OR_RETURN(auto key, key_of(backend, manifest.path));
  // Entries inherit numbers from the manifest list's record of the
  // manifest: the same file listed with other numbers is parsed anew.
  std::string where = std::format("{}\n{}\n{}/{}/{}", backend.root_uri(), key, manifest.added_snapshot_id,
                                  manifest.sequence_number, manifest.spec_id);
  for (const auto& type : types) where += "/" + type->ToString();  // partition values typed as the schema has them
  if (auto parsed = parsed_manifests().find(where)) return *parsed;
  LAKE_ASSIGN_OR_RETURN(auto bytes, backend.get(key));
  LAKE_ASSIGN_OR_RETURN(auto entries, read_manifest(bytes, manifest.path, manifest, types));
  parsed_manifests().keep(where, std::make_shared<const std::vector<ManifestEntry>>(entries));
  return entries;
}

namespace {

// What a manifest's partition summaries say about the source columns of
// its identity partition fields: the range of their values in the
// manifest's files (so a filter that no value in the range satisfies
// skips the manifest without reading it).
formats::FileFacts summary_facts(const ManifestFile& manifest, const TableMetadata& table) {
  return [&manifest, &table](const arrow::FieldPath&, const arrow::Field& field) -> std::optional<formats::ColumnFacts> {
    const auto id = field_id_of(field);
    const PartitionSpec* spec = table.spec(manifest.spec_id);
    if (!id || !spec || spec->fields.size() != manifest.partitions.size()) return std::nullopt;
    for (std::size_t i = 0; i < spec->fields.size(); ++i) {
      const auto& p = spec->fields[i];
      if (p.source_id != *id || p.transform.kind != formats::Transform::identity) continue;
      const FieldSummary& summary = manifest.partitions[i];
      formats::ColumnFacts facts;
      auto bound = [&](const std::optional<std::string>& bytes) -> std::shared_ptr<arrow::Scalar> {
        if (!bytes) return nullptr;
        auto value = from_single_value(*bytes, field.type());
        return value ? *value : nullptr;  // an unreadable bound bounds nothing
      };
      facts.min = bound(summary.lower_bound);
      facts.max = bound(summary.upper_bound);
      if (!summary.contains_null) facts.null_count = 0;
      if (!facts.min && !facts.max && !facts.null_count) return std::nullopt;
      return facts;
    }
    return std::nullopt;
  };
}

}  // namespace

Result<ScanPlanning> plan_files(Backend& backend, const TableMetadata& table, const Snapshot& snapshot,
                                const std::optional<arrow::compute::Expression>& filter, const Schema* schema) {
  LAKE_RETURN_IF_ERROR(formats::ensure_compute_initialized());
  LAKE_ASSIGN_OR_RETURN(auto arrow_schema, to_arrow(schema ? *schema : table.schema_of(snapshot)));
  std::optional<formats::FileSkipping> skipping;
  if (filter) {
    LAKE_ASSIGN_OR_RETURN(auto bound, formats::bind_filter(*filter, *arrow_schema));
    skipping.emplace(std::move(bound), *arrow_schema);
  }
  LAKE_ASSIGN_OR_RETURN(auto manifests, load_manifest_list(backend, snapshot));
  // Delete files first: each data file planned carries those that apply.
  std::vector<DeleteFile> deletes;
  for (const auto& manifest : manifests) {
    if (manifest.content != ManifestContent::deletes) continue;
    LAKE_ASSIGN_OR_RETURN(auto entries, load_manifest(backend, table, manifest));
    for (auto& entry : entries)
      if (entry.status != EntryStatus::deleted)
        deletes.push_back({std::move(entry.file), entry.sequence_number, manifest.spec_id});
  }
  ScanPlanning planning;
  for (const auto& manifest : manifests) {
    if (manifest.content != ManifestContent::data) continue;
    // A manifest whose partition ranges rule the filter out is not read
    // (its live files still count in the total).
    if (skipping && !manifest.partitions.empty()) {
      LAKE_ASSIGN_OR_RETURN(auto keep, skipping->may_match(summary_facts(manifest, table), manifest.path));
      if (!keep) {
        planning.files_total += manifest.added_files + manifest.existing_files;
        continue;
      }
    }
    LAKE_ASSIGN_OR_RETURN(auto entries, load_manifest(backend, table, manifest));
    for (auto& entry : entries) {
      if (entry.status == EntryStatus::deleted) continue;
      if (entry.file.content != FileContent::data)
        return fail(ErrorCode::invalid_argument,
                    std::format("data manifest '{}' lists delete file '{}'", manifest.path, entry.file.path));
      ++planning.files_total;
      PlannedFile planned{std::move(entry.file), manifest.spec_id, entry.sequence_number};
      if (skipping) {
        LAKE_ASSIGN_OR_RETURN(auto keep, skipping->may_match(facts_of(planned, table), planned.file.path));
        if (!keep) continue;
      }
      for (const auto& d : deletes)
        if (applies(d, table, planned.file, planned.spec_id, planned.sequence_number)) planned.deletes.push_back(d);
      planning.files.push_back(std::move(planned));
    }
  }
  return planning;
}

Result<std::shared_ptr<arrow::RecordBatchReader>> read_files(std::shared_ptr<Backend> backend, const Schema& schema,
                                                           std::vector<PlannedFile> files,
                                                           const std::vector<std::string>& columns,
                                                           std::int64_t batch_rows, int threads) {
  LAKE_RETURN_IF_ERROR(formats::ensure_compute_initialized());
  LAKE_ASSIGN_OR_RETURN(auto table_arrow, to_arrow(schema));
  auto arrow_schema = table_arrow;
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
  batch_rows = std::max<std::int64_t>(1, batch_rows);
  if (threads < 2 || files.size() < 2)
    return std::make_shared<FilesReader>(std::move(backend), std::move(arrow_schema), std::move(table_arrow), schema,
                                         std::deque<PlannedFile>(std::make_move_iterator(files.begin()),
                                                                 std::make_move_iterator(files.end())),
                                         batch_rows);
  auto planned = std::make_shared<const std::vector<PlannedFile>>(std::move(files));
  auto open = [backend = std::move(backend), arrow_schema, table_arrow, schema, planned,
               batch_rows](std::size_t file) -> Result<std::shared_ptr<arrow::RecordBatchReader>> {
    return std::make_shared<FilesReader>(backend, arrow_schema, table_arrow, schema,
                                         std::deque<PlannedFile>{(*planned)[file]}, batch_rows);
  };
  return formats::read_ahead(arrow_schema, planned->size(), threads, std::move(open));
}

}  // namespace lake::iceberg

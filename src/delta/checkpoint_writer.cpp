// Writing checkpoints (PROTOCOL.md "Checkpoints", "Checkpoint Schema",
// "Last Checkpoint File Schema"): classic V1 ones, and on tables whose
// delta.checkpointPolicy is v2, UUID-named V2 ones whose adds and removes
// are in a sidecar file.
//
// The Parquet schema is the one Spark, delta-rs and delta-kernel-rs
// (DuckDB's delta extension) write and read: one nullable struct column
// per action kind, exactly one of them set in each row, in Spark's column
// order (txn, add, remove, metaData, protocol). Fields delta-kernel-rs
// requires are non-nullable here, as in the files it writes itself, so it
// accepts ours. File actions carry their deletionVector (part of a logical
// file's key; a purged table keeps tombstones with vectors) and their row
// tracking fields. Optional fields this implementation never holds
// (stats_parsed, ...) are left out, which every reader treats as null.
#include "delta/checkpoint_writer.hpp"

#include <arrow/builder.h>
#include <arrow/record_batch.h>
#include <arrow/table_builder.h>
#include <parquet/arrow/writer.h>
#include <parquet/properties.h>

#include <chrono>
#include <format>
#include <map>
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/propagate.hpp"
#include "delta/log_replay.hpp"
#include "delta/table_properties.hpp"
#include "lake/arrow/convert.hpp"
#include "lake/ingest_id.hpp"
#include "lake/storage/arrow_io.hpp"

namespace lake::delta {
namespace {

using std::chrono::milliseconds;

// --- the checkpoint's Arrow schema and builders -----------------------------

std::shared_ptr<arrow::DataType> string_map(bool values_nullable) {
  return arrow::map(arrow::utf8(), arrow::field("value", arrow::utf8(), values_nullable));
}

std::shared_ptr<arrow::DataType> string_list() { return arrow::list(arrow::field("element", arrow::utf8(), false)); }

std::shared_ptr<arrow::DataType> deletion_vector_type() {
  using arrow::field;
  return arrow::struct_({field("storageType", arrow::utf8(), false), field("pathOrInlineDv", arrow::utf8(), false),
                         field("offset", arrow::int32()), field("sizeInBytes", arrow::int32(), false),
                         field("cardinality", arrow::int64(), false)});
}

// What one checkpoint file holds: a V1 checkpoint every action; a V2
// one's top level the table state and the sidecar actions naming its
// files; a sidecar the file actions.
enum class Part { v1, v2_top_level, sidecar };

std::shared_ptr<arrow::Schema> checkpoint_schema(Part part) {
  using arrow::field;
  auto txn = arrow::struct_({field("appId", arrow::utf8(), false), field("version", arrow::int64(), false),
                             field("lastUpdated", arrow::int64())});
  auto add = arrow::struct_({field("path", arrow::utf8(), false),
                             field("partitionValues", string_map(true), false),
                             field("size", arrow::int64(), false),
                             field("modificationTime", arrow::int64(), false),
                             field("dataChange", arrow::boolean(), false),
                             field("stats", arrow::utf8()),
                             field("tags", string_map(true)),
                             field("deletionVector", deletion_vector_type()),
                             field("baseRowId", arrow::int64()),
                             field("defaultRowCommitVersion", arrow::int64()),
                             field("clusteringProvider", arrow::utf8())});
  auto remove = arrow::struct_({field("path", arrow::utf8(), false), field("deletionTimestamp", arrow::int64()),
                                field("dataChange", arrow::boolean(), false),
                                field("extendedFileMetadata", arrow::boolean()),
                                field("partitionValues", string_map(true)), field("size", arrow::int64()),
                                field("deletionVector", deletion_vector_type()),
                                field("baseRowId", arrow::int64()),
                                field("defaultRowCommitVersion", arrow::int64())});
  if (part == Part::sidecar) return arrow::schema({field("add", add), field("remove", remove)});
  auto format = arrow::struct_({field("provider", arrow::utf8(), false), field("options", string_map(false), false)});
  auto metadata = arrow::struct_({field("id", arrow::utf8(), false), field("name", arrow::utf8()),
                                  field("description", arrow::utf8()), field("format", format, false),
                                  field("schemaString", arrow::utf8(), false),
                                  field("partitionColumns", string_list(), false),
                                  field("createdTime", arrow::int64()),
                                  field("configuration", string_map(false), false)});
  auto protocol = arrow::struct_({field("minReaderVersion", arrow::int32(), false),
                                  field("minWriterVersion", arrow::int32(), false),
                                  field("readerFeatures", string_list()), field("writerFeatures", string_list())});
  auto domain = arrow::struct_({field("domain", arrow::utf8(), false), field("configuration", arrow::utf8(), false),
                                field("removed", arrow::boolean(), false)});
  arrow::FieldVector fields{field("txn", txn), field("add", add), field("remove", remove), field("metaData", metadata),
                            field("protocol", protocol), field("domainMetadata", domain)};
  if (part == Part::v2_top_level) {
    fields.push_back(field("checkpointMetadata", arrow::struct_({field("version", arrow::int64(), false),
                                                                 field("tags", string_map(true))})));
    fields.push_back(field("sidecar", arrow::struct_({field("path", arrow::utf8(), false),
                                                      field("sizeInBytes", arrow::int64(), false),
                                                      field("modificationTime", arrow::int64(), false),
                                                      field("tags", string_map(true))})));
  }
  return arrow::schema(std::move(fields));
}

// A struct builder whose fields are found by name. The schema above is
// the only source of the builders, so a wrong name or builder type is a bug
// the unit tests catch, not an input error.
struct StructSlot {
  arrow::StructBuilder& builder;
  const arrow::StructType& type;

  template <class B>
  [[nodiscard]] B& field(std::string_view name) const {
    return static_cast<B&>(*builder.field_builder(type.GetFieldIndex(std::string(name))));
  }
  [[nodiscard]] StructSlot nested(std::string_view name) const {
    int index = type.GetFieldIndex(std::string(name));
    return {static_cast<arrow::StructBuilder&>(*builder.field_builder(index)),
            static_cast<const arrow::StructType&>(*type.field(index)->type())};
  }
};

arrow::Status append_map(arrow::MapBuilder& builder, const std::map<std::string, std::string>& values) {
  ARROW_RETURN_NOT_OK(builder.Append());
  auto& keys = static_cast<arrow::StringBuilder&>(*builder.key_builder());
  auto& items = static_cast<arrow::StringBuilder&>(*builder.item_builder());
  for (const auto& [key, value] : values) {
    ARROW_RETURN_NOT_OK(keys.Append(key));
    ARROW_RETURN_NOT_OK(items.Append(value));
  }
  return arrow::Status::OK();
}

arrow::Status append_partition_values(arrow::MapBuilder& builder, const PartitionValues& values) {
  ARROW_RETURN_NOT_OK(builder.Append());
  auto& keys = static_cast<arrow::StringBuilder&>(*builder.key_builder());
  auto& items = static_cast<arrow::StringBuilder&>(*builder.item_builder());
  for (const auto& [key, value] : values) {
    ARROW_RETURN_NOT_OK(keys.Append(key));
    ARROW_RETURN_NOT_OK(value ? items.Append(*value) : items.AppendNull());
  }
  return arrow::Status::OK();
}

arrow::Status append_list(arrow::ListBuilder& builder, const std::vector<std::string>& values) {
  ARROW_RETURN_NOT_OK(builder.Append());
  auto& items = static_cast<arrow::StringBuilder&>(*builder.value_builder());
  for (const auto& value : values) ARROW_RETURN_NOT_OK(items.Append(value));
  return arrow::Status::OK();
}

template <class B, class T>
arrow::Status append_optional(B& builder, const std::optional<T>& value) {
  return value ? builder.Append(*value) : builder.AppendNull();
}

arrow::Status append_deletion_vector(const StructSlot& s, const std::optional<DeletionVector>& dv) {
  auto slot = s.nested("deletionVector");
  if (!dv) return slot.builder.AppendNull();
  ARROW_RETURN_NOT_OK(slot.builder.Append());
  ARROW_RETURN_NOT_OK(slot.field<arrow::StringBuilder>("storageType").Append(std::string(1, dv->storage_type)));
  ARROW_RETURN_NOT_OK(slot.field<arrow::StringBuilder>("pathOrInlineDv").Append(dv->path_or_inline_dv));
  ARROW_RETURN_NOT_OK(append_optional(slot.field<arrow::Int32Builder>("offset"), dv->offset));
  ARROW_RETURN_NOT_OK(slot.field<arrow::Int32Builder>("sizeInBytes").Append(dv->size_in_bytes));
  return slot.field<arrow::Int64Builder>("cardinality").Append(dv->cardinality);
}

// The V2 checkpoint's own actions (PROTOCOL.md "Checkpoint Metadata",
// "Sidecar File Information"), which never appear in commits.
struct CheckpointMetadataRow {
  std::int64_t version = 0;
};
struct SidecarRow {
  std::string path;  // the file's name in _delta_log/_sidecars/
  std::int64_t size_in_bytes = 0;
  std::int64_t modification_time = 0;
};

// Rows of the checkpoint, a batch at a time: each append fills one action
// column and leaves the others null.
class CheckpointRows {
 public:
  static arrow::Result<CheckpointRows> make(std::shared_ptr<arrow::Schema> schema) {
    ARROW_ASSIGN_OR_RAISE(auto batch, arrow::RecordBatchBuilder::Make(schema, arrow::default_memory_pool()));
    return CheckpointRows(std::move(batch));
  }

  arrow::Status append(const Txn& t) {
    ARROW_ASSIGN_OR_RAISE(auto s, start_row("txn"));
    ARROW_RETURN_NOT_OK(s.field<arrow::StringBuilder>("appId").Append(t.app_id));
    ARROW_RETURN_NOT_OK(s.field<arrow::Int64Builder>("version").Append(t.version));
    return append_optional(s.field<arrow::Int64Builder>("lastUpdated"), t.last_updated);
  }

  // Adds carry dataChange = false: a checkpoint restates the table, it does
  // not change it (Spark and delta-rs write them the same way).
  arrow::Status append(const Add& a, bool with_stats) {
    ARROW_ASSIGN_OR_RAISE(auto s, start_row("add"));
    ARROW_RETURN_NOT_OK(s.field<arrow::StringBuilder>("path").Append(a.path));
    ARROW_RETURN_NOT_OK(
        append_partition_values(s.field<arrow::MapBuilder>("partitionValues"), a.partition_values));
    ARROW_RETURN_NOT_OK(s.field<arrow::Int64Builder>("size").Append(a.size));
    ARROW_RETURN_NOT_OK(s.field<arrow::Int64Builder>("modificationTime").Append(a.modification_time));
    ARROW_RETURN_NOT_OK(s.field<arrow::BooleanBuilder>("dataChange").Append(false));
    auto& stats = s.field<arrow::StringBuilder>("stats");
    ARROW_RETURN_NOT_OK(with_stats ? append_optional(stats, a.stats) : stats.AppendNull());
    auto& tags = s.field<arrow::MapBuilder>("tags");
    ARROW_RETURN_NOT_OK(a.tags.empty() ? tags.AppendNull() : append_map(tags, a.tags));
    ARROW_RETURN_NOT_OK(append_deletion_vector(s, a.deletion_vector));
    ARROW_RETURN_NOT_OK(append_optional(s.field<arrow::Int64Builder>("baseRowId"), a.base_row_id));
    ARROW_RETURN_NOT_OK(
        append_optional(s.field<arrow::Int64Builder>("defaultRowCommitVersion"), a.default_row_commit_version));
    return append_optional(s.field<arrow::StringBuilder>("clusteringProvider"), a.clustering_provider);
  }

  // Tombstones too are restated with dataChange = false; they carry no
  // stats or tags in a checkpoint (only VACUUM reads them).
  arrow::Status append(const Remove& r) {
    ARROW_ASSIGN_OR_RAISE(auto s, start_row("remove"));
    ARROW_RETURN_NOT_OK(s.field<arrow::StringBuilder>("path").Append(r.path));
    ARROW_RETURN_NOT_OK(
        append_optional(s.field<arrow::Int64Builder>("deletionTimestamp"), r.deletion_timestamp));
    ARROW_RETURN_NOT_OK(s.field<arrow::BooleanBuilder>("dataChange").Append(false));
    ARROW_RETURN_NOT_OK(
        s.field<arrow::BooleanBuilder>("extendedFileMetadata").Append(r.extended_file_metadata));
    auto& partition_values = s.field<arrow::MapBuilder>("partitionValues");
    ARROW_RETURN_NOT_OK(r.extended_file_metadata || !r.partition_values.empty()
                            ? append_partition_values(partition_values, r.partition_values)
                            : partition_values.AppendNull());
    ARROW_RETURN_NOT_OK(append_optional(s.field<arrow::Int64Builder>("size"), r.size));
    ARROW_RETURN_NOT_OK(append_deletion_vector(s, r.deletion_vector));
    ARROW_RETURN_NOT_OK(append_optional(s.field<arrow::Int64Builder>("baseRowId"), r.base_row_id));
    return append_optional(s.field<arrow::Int64Builder>("defaultRowCommitVersion"), r.default_row_commit_version);
  }

  arrow::Status append(const DomainMetadata& d) {
    ARROW_ASSIGN_OR_RAISE(auto s, start_row("domainMetadata"));
    ARROW_RETURN_NOT_OK(s.field<arrow::StringBuilder>("domain").Append(d.domain));
    ARROW_RETURN_NOT_OK(s.field<arrow::StringBuilder>("configuration").Append(d.configuration));
    return s.field<arrow::BooleanBuilder>("removed").Append(false);
  }

  arrow::Status append(const CheckpointMetadataRow& c) {
    ARROW_ASSIGN_OR_RAISE(auto s, start_row("checkpointMetadata"));
    ARROW_RETURN_NOT_OK(s.field<arrow::Int64Builder>("version").Append(c.version));
    return s.field<arrow::MapBuilder>("tags").AppendNull();
  }

  arrow::Status append(const SidecarRow& sidecar) {
    ARROW_ASSIGN_OR_RAISE(auto s, start_row("sidecar"));
    ARROW_RETURN_NOT_OK(s.field<arrow::StringBuilder>("path").Append(sidecar.path));
    ARROW_RETURN_NOT_OK(s.field<arrow::Int64Builder>("sizeInBytes").Append(sidecar.size_in_bytes));
    ARROW_RETURN_NOT_OK(s.field<arrow::Int64Builder>("modificationTime").Append(sidecar.modification_time));
    return s.field<arrow::MapBuilder>("tags").AppendNull();
  }

  arrow::Status append(const Metadata& m) {
    ARROW_ASSIGN_OR_RAISE(auto s, start_row("metaData"));
    ARROW_RETURN_NOT_OK(s.field<arrow::StringBuilder>("id").Append(m.id));
    ARROW_RETURN_NOT_OK(append_optional(s.field<arrow::StringBuilder>("name"), m.name));
    ARROW_RETURN_NOT_OK(append_optional(s.field<arrow::StringBuilder>("description"), m.description));
    auto format = s.nested("format");
    ARROW_RETURN_NOT_OK(format.builder.Append());
    // Data files are always Parquet (the only format the protocol allows).
    ARROW_RETURN_NOT_OK(format.field<arrow::StringBuilder>("provider").Append("parquet"));
    ARROW_RETURN_NOT_OK(append_map(format.field<arrow::MapBuilder>("options"), {}));
    ARROW_RETURN_NOT_OK(s.field<arrow::StringBuilder>("schemaString").Append(m.schema_string));
    ARROW_RETURN_NOT_OK(append_list(s.field<arrow::ListBuilder>("partitionColumns"), m.partition_columns));
    ARROW_RETURN_NOT_OK(append_optional(s.field<arrow::Int64Builder>("createdTime"), m.created_time));
    return append_map(s.field<arrow::MapBuilder>("configuration"), m.configuration);
  }

  // readerFeatures / writerFeatures must be non-null exactly when the
  // protocol uses table features (reader version 3, writer version 7).
  arrow::Status append(const Protocol& p) {
    ARROW_ASSIGN_OR_RAISE(auto s, start_row("protocol"));
    ARROW_RETURN_NOT_OK(s.field<arrow::Int32Builder>("minReaderVersion").Append(p.min_reader_version));
    ARROW_RETURN_NOT_OK(s.field<arrow::Int32Builder>("minWriterVersion").Append(p.min_writer_version));
    auto& readers = s.field<arrow::ListBuilder>("readerFeatures");
    ARROW_RETURN_NOT_OK(p.min_reader_version >= 3 ? append_list(readers, p.reader_features) : readers.AppendNull());
    auto& writers = s.field<arrow::ListBuilder>("writerFeatures");
    return p.min_writer_version >= 7 ? append_list(writers, p.writer_features) : writers.AppendNull();
  }

  // Every action column has one entry per row, so any column's length is
  // the number of rows not yet flushed.
  [[nodiscard]] std::int64_t pending() const { return batch_->GetField(0)->length(); }
  arrow::Result<std::shared_ptr<arrow::RecordBatch>> flush() { return batch_->Flush(); }

 private:
  explicit CheckpointRows(std::unique_ptr<arrow::RecordBatchBuilder> batch) : batch_(std::move(batch)) {}

  // Marks the row's action column valid (its fields are appended next) and
  // appends null to every other action column.
  arrow::Result<StructSlot> start_row(std::string_view action) {
    int started = -1;
    for (int i = 0; i < batch_->num_fields(); ++i) {
      auto* column = batch_->GetFieldAs<arrow::StructBuilder>(i);
      if (batch_->schema()->field(i)->name() == action) {
        started = i;
        ARROW_RETURN_NOT_OK(column->Append());
      } else {
        ARROW_RETURN_NOT_OK(column->AppendNull());
      }
    }
    return StructSlot{*batch_->GetFieldAs<arrow::StructBuilder>(started),
                      static_cast<const arrow::StructType&>(*batch_->schema()->field(started)->type())};
  }

  std::unique_ptr<arrow::RecordBatchBuilder> batch_;
};

// Checkpoint rows are built a batch at a time and appended to the current
// row group, so memory stays bounded for tables with millions of files
// while row groups stay large enough for readers.
constexpr std::int64_t kBatchRows = 4 * 1024;
constexpr std::int64_t kRowGroupRows = 64 * 1024;

// What the table's properties ask of its checkpoints. Left out, as log
// timestamps (ms since the epoch): tombstones deleted at or before
// tombstone_cutoff, and, when the table sets
// delta.setTransactionRetentionDuration, txns last updated at or before
// txn_cutoff (or never stamped), as Spark does. Stats JSON is written
// unless delta.checkpoint.writeStatsAsJson is false.
struct CheckpointPolicy {
  std::int64_t tombstone_cutoff = 0;
  std::optional<std::int64_t> txn_cutoff;
  bool stats_as_json = true;
};

Result<CheckpointPolicy> policy_of(const Metadata& metadata, timestamp now) {
  // The protocol makes stats_parsed and partitionValues_parsed (stats and
  // partition values as typed structs) required when a table asks for
  // them; this writer does not produce them.
  if (property_is(metadata.configuration, "delta.checkpoint.writeStatsAsStruct", "true"))
    return fail(ErrorCode::unsupported, "the table sets delta.checkpoint.writeStatsAsStruct = true, and lake-orm "
                                        "does not write stats_parsed / partitionValues_parsed");
  const std::int64_t now_ms = std::chrono::duration_cast<milliseconds>(now.time_since_epoch()).count();
  auto tombstones = deleted_file_retention(metadata);
  LAKE_RETURN_IF_ERROR(tombstones);
  CheckpointPolicy policy{.tombstone_cutoff = now_ms - tombstones->count(),
                          .txn_cutoff = std::nullopt,
                          .stats_as_json = !property_is(metadata.configuration, "delta.checkpoint.writeStatsAsJson", "false")};
  if (auto txns = metadata.configuration.find("delta.setTransactionRetentionDuration");
      txns != metadata.configuration.end()) {
    auto retention = parse_interval(txns->second);
    if (!retention) return std::unexpected(retention.error().with_context("delta.setTransactionRetentionDuration"));
    policy.txn_cutoff = now_ms - retention->count();
  }
  return policy;
}

struct WrittenCheckpoint {
  std::int64_t actions = 0;
  std::int64_t add_files = 0;
  std::int64_t bytes = 0;
};

// One checkpoint file being written: rows are appended a batch at a time
// and the object is published by finish(), once its footer is written.
class CheckpointFile {
 public:
  static arrow::Result<CheckpointFile> open(std::shared_ptr<arrow::io::OutputStream> output, Part part) {
    auto schema = checkpoint_schema(part);
    auto properties = parquet::WriterProperties::Builder()
                          .compression(parquet::Compression::ZSTD)
                          ->max_row_group_length(kRowGroupRows)
                          ->build();
    ARROW_ASSIGN_OR_RAISE(auto writer,
                          parquet::arrow::FileWriter::Open(*schema, arrow::default_memory_pool(), output, properties));
    ARROW_ASSIGN_OR_RAISE(auto rows, CheckpointRows::make(schema));
    return CheckpointFile(std::move(output), std::move(writer), std::move(rows));
  }

  template <class... A>
  arrow::Status append(const A&... action) {
    ARROW_RETURN_NOT_OK(rows_.append(action...));
    ++written_.actions;
    if (rows_.pending() < kBatchRows) return arrow::Status::OK();
    ARROW_ASSIGN_OR_RAISE(auto batch, rows_.flush());
    return writer_->WriteRecordBatch(*batch);
  }

  arrow::Result<WrittenCheckpoint> finish() {
    if (rows_.pending() > 0) {
      ARROW_ASSIGN_OR_RAISE(auto batch, rows_.flush());
      ARROW_RETURN_NOT_OK(writer_->WriteRecordBatch(*batch));
    }
    ARROW_RETURN_NOT_OK(writer_->Close());
    ARROW_RETURN_NOT_OK(output_->Close());
    ARROW_ASSIGN_OR_RAISE(written_.bytes, output_->Tell());
    return written_;
  }

  WrittenCheckpoint& written() { return written_; }

 private:
  CheckpointFile(std::shared_ptr<arrow::io::OutputStream> output, std::unique_ptr<parquet::arrow::FileWriter> writer,
                 CheckpointRows rows)
      : output_(std::move(output)), writer_(std::move(writer)), rows_(std::move(rows)) {}

  std::shared_ptr<arrow::io::OutputStream> output_;
  std::unique_ptr<parquet::arrow::FileWriter> writer_;
  CheckpointRows rows_;
  WrittenCheckpoint written_;
};

// The table state a checkpoint restates besides its files: protocol,
// metadata, unexpired txns and live domains.
arrow::Status append_table_state(CheckpointFile& file, const Snapshot& snapshot, const CheckpointPolicy& policy) {
  ARROW_RETURN_NOT_OK(file.append(snapshot.protocol()));
  ARROW_RETURN_NOT_OK(file.append(snapshot.metadata()));
  for (const auto& [app, txn] : snapshot.transactions()) {
    if (policy.txn_cutoff && txn.last_updated.value_or(0) <= *policy.txn_cutoff) continue;
    ARROW_RETURN_NOT_OK(file.append(txn));
  }
  for (const auto& [name, domain] : snapshot.domains()) ARROW_RETURN_NOT_OK(file.append(domain));
  return arrow::Status::OK();
}

// The live files and unexpired tombstones.
arrow::Status append_files(CheckpointFile& file, const Snapshot& snapshot, const CheckpointPolicy& policy) {
  for (const auto& [key, add] : snapshot.files()) {
    ARROW_RETURN_NOT_OK(file.append(add, policy.stats_as_json));
    ++file.written().add_files;
  }
  for (const auto& [key, remove] : snapshot.tombstones()) {
    // As Spark does: a tombstone without a timestamp counts as infinitely
    // old, and one exactly at the cutoff has expired.
    if (remove.deletion_timestamp.value_or(0) <= policy.tombstone_cutoff) continue;
    ARROW_RETURN_NOT_OK(file.append(remove));
  }
  return arrow::Status::OK();
}

std::string classic_key(const std::string& table, std::int64_t version) {
  return std::format("{}{:020}.checkpoint.parquet", log_prefix(table), version);
}

// Writes one checkpoint file at `key`: `fill` appends its rows, and the
// object is published once they are all written.
template <class Fill>
Result<WrittenCheckpoint> write_file(Backend& backend, const std::string& key, Part part, PutMode mode, Fill&& fill) {
  LAKE_ASSIGN_OR_RETURN(auto output, open_arrow_output(backend, key, mode));
  auto written = [&]() -> arrow::Result<WrittenCheckpoint> {
    ARROW_ASSIGN_OR_RAISE(auto file, CheckpointFile::open(output, part));
    ARROW_RETURN_NOT_OK(fill(file));
    return file.finish();
  }();
  if (!written.ok()) return fail(detail::from_arrow_status(written.status(), std::format("writing {}", key)));
  return *written;
}

// A classic V1 checkpoint: every action in <version>.checkpoint.parquet.
Result<WrittenCheckpoint> write_v1(Backend& backend, const std::string& table, const Snapshot& snapshot,
                                   const CheckpointPolicy& policy) {
  return write_file(backend, classic_key(table, snapshot.version()), Part::v1, PutMode::overwrite,
                    [&](CheckpointFile& file) {
                      ARROW_RETURN_NOT_OK(append_table_state(file, snapshot, policy));
                      return append_files(file, snapshot, policy);
                    });
}

// A UUID-named V2 checkpoint (PROTOCOL.md "V2 Spec"): the file actions go
// to one sidecar, _delta_log/_sidecars/<uuid>.parquet, written first; the
// top level, <version>.checkpoint.<uuid>.parquet, holds the
// checkpointMetadata, the table state and the sidecar action. Readers
// only find a checkpoint by its top level, so a crash between the two
// leaves an unreferenced sidecar, never a partial checkpoint.
Result<WrittenCheckpoint> write_v2(Backend& backend, const std::string& table, const Snapshot& snapshot,
                                   const CheckpointPolicy& policy) {
  const std::string sidecar_name = IngestId::generate().to_string() + ".parquet";
  const std::string sidecar_key = log_prefix(table) + "_sidecars/" + sidecar_name;
  LAKE_ASSIGN_OR_RETURN(auto files, write_file(backend, sidecar_key, Part::sidecar, PutMode::create,
                                               [&](CheckpointFile& file) { return append_files(file, snapshot, policy); }));
  LAKE_ASSIGN_OR_RETURN(auto sidecar_info, backend.head(sidecar_key));
  const SidecarRow sidecar{sidecar_name, files.bytes,
                           std::chrono::duration_cast<milliseconds>(sidecar_info.modified.time_since_epoch()).count()};

  const std::string key =
      std::format("{}{:020}.checkpoint.{}.parquet", log_prefix(table), snapshot.version(), IngestId::generate().to_string());
  LAKE_ASSIGN_OR_RETURN(auto written, write_file(backend, key, Part::v2_top_level, PutMode::create,
                                                 [&](CheckpointFile& file) {
                                                   ARROW_RETURN_NOT_OK(file.append(CheckpointMetadataRow{snapshot.version()}));
                                                   ARROW_RETURN_NOT_OK(append_table_state(file, snapshot, policy));
                                                   return file.append(sidecar);
                                                 }));
  written.actions += files.actions;
  written.add_files = files.add_files;
  return written;
}

// V2 checkpoints when the table asks for them: the v2Checkpoint feature
// and delta.checkpointPolicy = v2, as Spark decides. A table with the
// feature and the classic policy gets V1 checkpoints, which the protocol
// allows.
bool wants_v2(const Snapshot& snapshot) {
  return std::ranges::contains(snapshot.protocol().writer_features, std::string_view("v2Checkpoint")) &&
         property_is(snapshot.metadata().configuration, "delta.checkpointPolicy", "v2");
}

}  // namespace

Status write_checkpoint(Backend& backend, const std::string& table, const Snapshot& snapshot, timestamp now) {
  auto refuse = [&](const Error& why) {
    return fail(why.with_context(std::format("cannot checkpoint table '{}' at version {}", table, snapshot.version())));
  };
  if (snapshot.version() < 0)
    return fail(ErrorCode::invalid_argument, std::format("cannot checkpoint table '{}': the snapshot is empty", table));
  // A checkpoint is a write to the log: it must restate every action the
  // table's features rely on, and this implementation's actions carry
  // only the ones of the features it writes.
  if (auto writable = snapshot.check_writable(false); !writable) return refuse(writable.error());

  auto policy = policy_of(snapshot.metadata(), now);
  if (!policy) return refuse(policy.error());

  auto written = wants_v2(snapshot) ? write_v2(backend, table, snapshot, *policy)
                                    : write_v1(backend, table, snapshot, *policy);
  LAKE_RETURN_IF_ERROR(written);

  // Required: version and size; the rest helps readers size their reads.
  nlohmann::json last{{"version", snapshot.version()},
                      {"size", written->actions},
                      {"sizeInBytes", written->bytes},
                      {"numOfAddFiles", written->add_files}};
  return backend.put_text(log_prefix(table) + "_last_checkpoint", last.dump(), PutMode::overwrite);
}

}  // namespace lake::delta

#include "iceberg/manifest.hpp"

#include <arrow/util/decimal.h>

#include <format>

#include "core/propagate.hpp"
#include "iceberg/avro_file.hpp"

namespace lake::iceberg {
namespace {

using avro::Value;

Result<std::int32_t> int_or(const Value& record, std::string_view name, std::int32_t otherwise) {
  if (auto v = record.optional_field(name)) return v->as_int();
  return otherwise;
}
Result<std::int64_t> long_or(const Value& record, std::string_view name, std::int64_t otherwise) {
  if (auto v = record.optional_field(name)) return v->as_long();
  return otherwise;
}

// Iceberg's maps with non-string keys: arrays of {key, value} records.
template <class V, class Get>
Result<std::map<std::int32_t, V>> id_map(const Value& record, std::string_view name, Get get) {
  std::map<std::int32_t, V> out;
  auto v = record.optional_field(name);
  if (!v) return out;
  LAKE_ASSIGN_OR_RETURN(auto entries, v->elements());
  for (const auto& entry : entries) {
    LAKE_ASSIGN_OR_RETURN(auto key, entry.field("key"));
    LAKE_ASSIGN_OR_RETURN(auto value, entry.field("value"));
    LAKE_ASSIGN_OR_RETURN(auto id, key.as_int());
    LAKE_ASSIGN_OR_RETURN(out[id], get(value));
  }
  return out;
}

Result<std::shared_ptr<arrow::Scalar>> partition_value(const Value& value, const std::shared_ptr<arrow::DataType>& type) {
  if (value.is_null()) return arrow::MakeNullScalar(type);
  auto made = [&](arrow::Result<std::shared_ptr<arrow::Scalar>> scalar) -> Result<std::shared_ptr<arrow::Scalar>> {
    if (!scalar.ok())
      return fail(ErrorCode::invalid_argument,
                  std::format("partition value '{}': {}", value.path(), scalar.status().ToString()));
    return *scalar;
  };
  switch (type->id()) {
    case arrow::Type::INT32:
    case arrow::Type::DATE32: {
      LAKE_ASSIGN_OR_RETURN(auto v, value.as_int());
      return made(arrow::MakeScalar(type, v));
    }
    case arrow::Type::INT64:
    case arrow::Type::TIME64:
    case arrow::Type::TIMESTAMP: {
      LAKE_ASSIGN_OR_RETURN(auto v, value.as_long());
      return made(arrow::MakeScalar(type, v));
    }
    case arrow::Type::BOOL: {
      LAKE_ASSIGN_OR_RETURN(auto v, value.as_bool());
      return made(arrow::MakeScalar(type, v));
    }
    case arrow::Type::STRING: {
      LAKE_ASSIGN_OR_RETURN(auto v, value.as_string());
      return std::static_pointer_cast<arrow::Scalar>(std::make_shared<arrow::StringScalar>(std::move(v)));
    }
    case arrow::Type::BINARY: {
      LAKE_ASSIGN_OR_RETURN(auto v, value.as_bytes());
      return std::static_pointer_cast<arrow::Scalar>(std::make_shared<arrow::BinaryScalar>(std::move(v)));
    }
    case arrow::Type::FIXED_SIZE_BINARY: {
      LAKE_ASSIGN_OR_RETURN(auto v, value.as_bytes());
      return made(arrow::MakeScalar(type, arrow::Buffer::FromString(std::move(v))));
    }
    case arrow::Type::DECIMAL128: {
      LAKE_ASSIGN_OR_RETURN(auto v, value.as_bytes());
      auto decimal = arrow::Decimal128::FromBigEndian(reinterpret_cast<const std::uint8_t*>(v.data()),
                                                      static_cast<std::int32_t>(v.size()));
      if (!decimal.ok()) return fail(ErrorCode::invalid_argument, std::format("partition value '{}' is not a decimal", value.path()));
      return std::static_pointer_cast<arrow::Scalar>(std::make_shared<arrow::Decimal128Scalar>(*decimal, type));
    }
    case arrow::Type::FLOAT:
    case arrow::Type::DOUBLE:
    default: break;
  }
  return fail(ErrorCode::unsupported,
              std::format("partition value '{}' of type {} cannot be read here", value.path(), type->ToString()));
}

}  // namespace

Result<std::vector<std::shared_ptr<arrow::DataType>>> partition_types(const PartitionSpec& spec,
                                                                      const TableMetadata& table) {
  std::vector<std::shared_ptr<arrow::DataType>> out;
  for (const auto& field : spec.fields) {
    const NestedField* source = table.current_schema().find(field.source_id);
    for (auto it = table.schemas.rbegin(); !source && it != table.schemas.rend(); ++it) source = it->find(field.source_id);
    if (!source)
      return fail(ErrorCode::invalid_argument, std::format("partition field '{}' has source id {}, which no schema has",
                                                           field.name, field.source_id));
    LAKE_ASSIGN_OR_RETURN(auto source_type, to_arrow(*source->type));
    LAKE_ASSIGN_OR_RETURN(auto type, result_type(field.transform, *source_type));
    out.push_back(std::move(type));
  }
  return out;
}

Result<std::vector<ManifestFile>> read_manifest_list(std::span<const std::byte> bytes, std::string_view where) {
  std::vector<ManifestFile> out;
  auto read = avro::read(bytes, where, [&](const Value& r) -> Status {
    ManifestFile m;
    LAKE_ASSIGN_OR_RETURN(auto path, r.field("manifest_path"));
    LAKE_ASSIGN_OR_RETURN(m.path, path.as_string());
    LAKE_ASSIGN_OR_RETURN(m.length, long_or(r, "manifest_length", 0));
    LAKE_ASSIGN_OR_RETURN(m.spec_id, int_or(r, "partition_spec_id", 0));
    LAKE_ASSIGN_OR_RETURN(auto content, int_or(r, "content", 0));
    if (content != 0 && content != 1)
      return fail(ErrorCode::invalid_argument, std::format("manifest '{}' has content {}", m.path, content));
    m.content = static_cast<ManifestContent>(content);
    LAKE_ASSIGN_OR_RETURN(m.sequence_number, long_or(r, "sequence_number", 0));
    LAKE_ASSIGN_OR_RETURN(m.min_sequence_number, long_or(r, "min_sequence_number", 0));
    LAKE_ASSIGN_OR_RETURN(m.added_snapshot_id, long_or(r, "added_snapshot_id", 0));
    // Version 1 writers used other names for the counts.
    LAKE_ASSIGN_OR_RETURN(m.added_files, int_or(r, "added_files_count", 0));
    if (!r.optional_field("added_files_count")) {
      LAKE_ASSIGN_OR_RETURN(m.added_files, int_or(r, "added_data_files_count", 0));
    }
    LAKE_ASSIGN_OR_RETURN(m.existing_files, int_or(r, "existing_files_count", 0));
    if (!r.optional_field("existing_files_count")) {
      LAKE_ASSIGN_OR_RETURN(m.existing_files, int_or(r, "existing_data_files_count", 0));
    }
    LAKE_ASSIGN_OR_RETURN(m.deleted_files, int_or(r, "deleted_files_count", 0));
    if (!r.optional_field("deleted_files_count")) {
      LAKE_ASSIGN_OR_RETURN(m.deleted_files, int_or(r, "deleted_data_files_count", 0));
    }
    LAKE_ASSIGN_OR_RETURN(m.added_rows, long_or(r, "added_rows_count", 0));
    LAKE_ASSIGN_OR_RETURN(m.existing_rows, long_or(r, "existing_rows_count", 0));
    LAKE_ASSIGN_OR_RETURN(m.deleted_rows, long_or(r, "deleted_rows_count", 0));
    if (auto partitions = r.optional_field("partitions")) {
      LAKE_ASSIGN_OR_RETURN(auto summaries, partitions->elements());
      for (const auto& s : summaries) {
        FieldSummary summary;
        LAKE_ASSIGN_OR_RETURN(auto contains_null, s.field("contains_null"));
        LAKE_ASSIGN_OR_RETURN(summary.contains_null, contains_null.as_bool());
        if (auto nan = s.optional_field("contains_nan")) {
          LAKE_ASSIGN_OR_RETURN(summary.contains_nan, nan->as_bool());
        }
        if (auto lower = s.optional_field("lower_bound")) {
          LAKE_ASSIGN_OR_RETURN(summary.lower_bound, lower->as_bytes());
        }
        if (auto upper = s.optional_field("upper_bound")) {
          LAKE_ASSIGN_OR_RETURN(summary.upper_bound, upper->as_bytes());
        }
        m.partitions.push_back(std::move(summary));
      }
    }
    out.push_back(std::move(m));
    return {};
  });
  LAKE_RETURN_IF_ERROR(read);
  return out;
}

Result<std::vector<ManifestEntry>> read_manifest(std::span<const std::byte> bytes, std::string_view where,
                                                 const ManifestFile& manifest,
                                                 const std::vector<std::shared_ptr<arrow::DataType>>& partition_types) {
  std::vector<ManifestEntry> out;
  auto read = avro::read(bytes, where, [&](const Value& r) -> Status {
    ManifestEntry entry;
    LAKE_ASSIGN_OR_RETURN(auto status, int_or(r, "status", -1));
    if (status < 0 || status > 2) return fail(ErrorCode::invalid_argument, std::format("an entry has status {}", status));
    entry.status = static_cast<EntryStatus>(status);
    // Inheritance: null means "the snapshot that added this manifest". An
    // existing or deleted entry must carry its own (the spec forbids
    // inheriting there); v1 tables have sequence number 0 throughout.
    auto explicit_snapshot = r.optional_field("snapshot_id");
    auto explicit_sequence = r.optional_field("sequence_number");
    auto explicit_file_sequence = r.optional_field("file_sequence_number");
    if (entry.status != EntryStatus::added && manifest.sequence_number != 0 && !explicit_sequence)
      return fail(ErrorCode::invalid_argument, "an existing or deleted entry has no sequence number to keep");
    if (explicit_snapshot) {
      LAKE_ASSIGN_OR_RETURN(entry.snapshot_id, explicit_snapshot->as_long());
    } else {
      entry.snapshot_id = manifest.added_snapshot_id;
    }
    if (explicit_sequence) {
      LAKE_ASSIGN_OR_RETURN(entry.sequence_number, explicit_sequence->as_long());
    } else {
      entry.sequence_number = manifest.sequence_number;
    }
    if (explicit_file_sequence) {
      LAKE_ASSIGN_OR_RETURN(entry.file_sequence_number, explicit_file_sequence->as_long());
    } else {
      entry.file_sequence_number = entry.status == EntryStatus::added ? manifest.sequence_number : entry.sequence_number;
    }

    LAKE_ASSIGN_OR_RETURN(auto d, r.field("data_file"));
    ContentFile& f = entry.file;
    LAKE_ASSIGN_OR_RETURN(auto content, int_or(d, "content", 0));
    if (content < 0 || content > 2) return fail(ErrorCode::invalid_argument, std::format("a file has content {}", content));
    f.content = static_cast<FileContent>(content);
    LAKE_ASSIGN_OR_RETURN(auto path, d.field("file_path"));
    LAKE_ASSIGN_OR_RETURN(f.path, path.as_string());
    LAKE_ASSIGN_OR_RETURN(auto format, d.field("file_format"));
    LAKE_ASSIGN_OR_RETURN(f.format, format.as_string());
    LAKE_ASSIGN_OR_RETURN(auto count, d.field("record_count"));
    LAKE_ASSIGN_OR_RETURN(f.record_count, count.as_long());
    LAKE_ASSIGN_OR_RETURN(auto size, d.field("file_size_in_bytes"));
    LAKE_ASSIGN_OR_RETURN(f.file_size_in_bytes, size.as_long());
    if (auto partition = d.optional_field("partition")) {
      // The record's fields are the spec's, in order.
      LAKE_ASSIGN_OR_RETURN(auto fields, partition->fields());
      if (fields.size() != partition_types.size())
        return fail(ErrorCode::invalid_argument, std::format("file '{}' has {} partition values; its spec has {} fields",
                                                             f.path, fields.size(), partition_types.size()));
      for (std::size_t i = 0; i < fields.size(); ++i) {
        LAKE_ASSIGN_OR_RETURN(auto value, partition_value(fields[i], partition_types[i]));
        f.partition.push_back(std::move(value));
      }
    } else if (!partition_types.empty()) {
      return fail(ErrorCode::invalid_argument, std::format("file '{}' has no partition values", f.path));
    }
    auto as_long = [](const Value& v) { return v.as_long(); };
    auto as_bytes = [](const Value& v) { return v.as_bytes(); };
    LAKE_ASSIGN_OR_RETURN(f.column_sizes, id_map<std::int64_t>(d, "column_sizes", as_long));
    LAKE_ASSIGN_OR_RETURN(f.value_counts, id_map<std::int64_t>(d, "value_counts", as_long));
    LAKE_ASSIGN_OR_RETURN(f.null_value_counts, id_map<std::int64_t>(d, "null_value_counts", as_long));
    LAKE_ASSIGN_OR_RETURN(f.nan_value_counts, id_map<std::int64_t>(d, "nan_value_counts", as_long));
    LAKE_ASSIGN_OR_RETURN(f.lower_bounds, id_map<std::string>(d, "lower_bounds", as_bytes));
    LAKE_ASSIGN_OR_RETURN(f.upper_bounds, id_map<std::string>(d, "upper_bounds", as_bytes));
    if (auto offsets = d.optional_field("split_offsets")) {
      LAKE_ASSIGN_OR_RETURN(auto values, offsets->elements());
      for (const auto& v : values) {
        LAKE_ASSIGN_OR_RETURN(auto offset, v.as_long());
        f.split_offsets.push_back(offset);
      }
    }
    if (auto ids = d.optional_field("equality_ids")) {
      LAKE_ASSIGN_OR_RETURN(auto values, ids->elements());
      for (const auto& v : values) {
        LAKE_ASSIGN_OR_RETURN(auto id, v.as_int());
        f.equality_ids.push_back(id);
      }
    }
    if (auto order = d.optional_field("sort_order_id")) {
      LAKE_ASSIGN_OR_RETURN(f.sort_order_id, order->as_int());
    }
    out.push_back(std::move(entry));
    return {};
  });
  LAKE_RETURN_IF_ERROR(read);
  return out;
}

}  // namespace lake::iceberg

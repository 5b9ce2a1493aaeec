// Manifests and manifest lists, written in format version 2 with the
// spec's field ids on every Avro field (readers resolve by id, not name).
#include <arrow/util/decimal.h>

#include <algorithm>
#include <cmath>
#include <compare>
#include <format>

#include <nlohmann/json.hpp>

#include "core/propagate.hpp"
#include "iceberg/avro_file.hpp"
#include "iceberg/manifest.hpp"
#include "iceberg/scalar_order.hpp"
#include "iceberg/single_value.hpp"

namespace lake::iceberg {
namespace {

using nlohmann::json;

json optional_of(json type) { return json::array({"null", std::move(type)}); }

json field(const char* name, json type, int id, bool optional = false) {
  json f = {{"name", name}, {"type", optional ? optional_of(std::move(type)) : std::move(type)}, {"field-id", id}};
  if (optional) f["default"] = nullptr;
  return f;
}

// Iceberg's maps with int keys: an array of {key, value} records.
json id_map(int key_id, int value_id, const char* value_type) {
  json entry = {{"type", "record"},
                {"name", std::format("k{}_v{}", key_id, value_id)},
                {"fields", json::array({field("key", "int", key_id), field("value", value_type, value_id)})}};
  return json{{"type", "array"}, {"items", std::move(entry)}, {"logicalType", "map"}};
}

// The fewest bytes that hold every unscaled value of a decimal(precision).
int decimal_bytes(int precision) {
  int bytes = 1;
  while ((8.0 * bytes - 1) * std::log10(2.0) < precision) ++bytes;
  return bytes;
}

Result<json> partition_avro_type(const arrow::DataType& type, std::int32_t field_id) {
  switch (type.id()) {
    case arrow::Type::BOOL: return json("boolean");
    case arrow::Type::INT32: return json("int");
    case arrow::Type::INT64: return json("long");
    case arrow::Type::FLOAT: return json("float");
    case arrow::Type::DOUBLE: return json("double");
    case arrow::Type::STRING: return json("string");
    case arrow::Type::BINARY: return json("bytes");
    case arrow::Type::DATE32: return json{{"type", "int"}, {"logicalType", "date"}};
    case arrow::Type::TIME64: return json{{"type", "long"}, {"logicalType", "time-micros"}};
    case arrow::Type::TIMESTAMP: {
      const auto& ts = static_cast<const arrow::TimestampType&>(type);
      return json{{"type", "long"},
                  {"logicalType", ts.unit() == arrow::TimeUnit::NANO ? "timestamp-nanos" : "timestamp-micros"},
                  {"adjust-to-utc", !ts.timezone().empty()}};
    }
    case arrow::Type::FIXED_SIZE_BINARY:
      return json{{"type", "fixed"},
                  {"name", std::format("fixed_{}", field_id)},
                  {"size", static_cast<const arrow::FixedSizeBinaryType&>(type).byte_width()}};
    case arrow::Type::DECIMAL128: {
      const auto& d = static_cast<const arrow::Decimal128Type&>(type);
      return json{{"type", "fixed"},
                  {"name", std::format("decimal_{}", field_id)},
                  {"size", decimal_bytes(d.precision())},
                  {"logicalType", "decimal"},
                  {"precision", d.precision()},
                  {"scale", d.scale()}};
    }
    default: break;
  }
  return fail(ErrorCode::unsupported, std::format("a partition value of type {} cannot be written", type.ToString()));
}

Result<std::string> entry_schema(const PartitionSpec& spec, const std::vector<std::shared_ptr<arrow::DataType>>& types) {
  json partition_fields = json::array();
  for (std::size_t i = 0; i < spec.fields.size(); ++i) {
    LAKE_ASSIGN_OR_RETURN(auto type, partition_avro_type(*types[i], spec.fields[i].field_id));
    partition_fields.push_back(field(spec.fields[i].name.c_str(), std::move(type), spec.fields[i].field_id, true));
  }
  json data_file = {
      {"type", "record"},
      {"name", "r2"},
      {"fields",
       json::array({field("content", "int", 134), field("file_path", "string", 100), field("file_format", "string", 101),
                    field("partition", json{{"type", "record"}, {"name", "r102"}, {"fields", partition_fields}}, 102),
                    field("record_count", "long", 103), field("file_size_in_bytes", "long", 104),
                    field("column_sizes", id_map(117, 118, "long"), 108, true),
                    field("value_counts", id_map(119, 120, "long"), 109, true),
                    field("null_value_counts", id_map(121, 122, "long"), 110, true),
                    field("nan_value_counts", id_map(138, 139, "long"), 137, true),
                    field("lower_bounds", id_map(126, 127, "bytes"), 125, true),
                    field("upper_bounds", id_map(129, 130, "bytes"), 128, true),
                    field("key_metadata", "bytes", 131, true),
                    field("split_offsets", json{{"type", "array"}, {"items", "long"}, {"element-id", 133}}, 132, true),
                    field("equality_ids", json{{"type", "array"}, {"items", "int"}, {"element-id", 136}}, 135, true),
                    field("sort_order_id", "int", 140, true)})}};
  json entry = {{"type", "record"},
                {"name", "manifest_entry"},
                {"fields", json::array({field("status", "int", 0), field("snapshot_id", "long", 1, true),
                                        field("sequence_number", "long", 3, true),
                                        field("file_sequence_number", "long", 4, true),
                                        field("data_file", std::move(data_file), 2)})}};
  return entry.dump();
}

std::string manifest_list_schema() {
  json summary = {{"type", "record"},
                  {"name", "r508"},
                  {"fields", json::array({field("contains_null", "boolean", 509), field("contains_nan", "boolean", 518, true),
                                          field("lower_bound", "bytes", 510, true),
                                          field("upper_bound", "bytes", 511, true)})}};
  json list = {
      {"type", "record"},
      {"name", "manifest_file"},
      {"fields",
       json::array({field("manifest_path", "string", 500), field("manifest_length", "long", 501),
                    field("partition_spec_id", "int", 502), field("content", "int", 517),
                    field("sequence_number", "long", 515), field("min_sequence_number", "long", 516),
                    field("added_snapshot_id", "long", 503), field("added_files_count", "int", 504),
                    field("existing_files_count", "int", 505), field("deleted_files_count", "int", 506),
                    field("added_rows_count", "long", 512), field("existing_rows_count", "long", 513),
                    field("deleted_rows_count", "long", 514),
                    field("partitions", json{{"type", "array"}, {"items", summary}, {"element-id", 508}}, 507, true),
                    field("key_metadata", "bytes", 519, true)})}};
  return list.dump();
}

// ---- filling Avro values ----

Status set_string(avro_value_t& v, const std::string& text) {
  return avro::check(avro_value_set_string_len(&v, text.c_str(), text.size() + 1), "string");
}

Status set_bytes(avro_value_t& v, std::string data) {
  return avro::check(avro_value_set_bytes(&v, data.data(), data.size()), "bytes");
}

template <class Setter>
Status set_field(avro_value_t& record, const char* name, Setter set) {
  LAKE_ASSIGN_OR_RETURN(auto child, avro::field(record, name));
  return set(child);
}

Status set_long_field(avro_value_t& record, const char* name, std::int64_t value) {
  return set_field(record, name, [&](avro_value_t& v) { return avro::check(avro_value_set_long(&v, value), name); });
}
Status set_int_field(avro_value_t& record, const char* name, std::int32_t value) {
  return set_field(record, name, [&](avro_value_t& v) { return avro::check(avro_value_set_int(&v, value), name); });
}
Status set_optional_long(avro_value_t& record, const char* name, std::optional<std::int64_t> value) {
  return set_field(record, name, [&](avro_value_t& v) -> Status {
    if (!value) return avro::set_null(v);
    LAKE_ASSIGN_OR_RETURN(auto present, avro::set_present(v));
    return avro::check(avro_value_set_long(&present, *value), name);
  });
}

template <class V, class Set>
Status set_id_map(avro_value_t& record, const char* name, const std::map<std::int32_t, V>& values, Set set) {
  return set_field(record, name, [&](avro_value_t& v) -> Status {
    if (values.empty()) return avro::set_null(v);
    LAKE_ASSIGN_OR_RETURN(auto array, avro::set_present(v));
    for (const auto& [id, value] : values) {
      avro_value_t element;
      LAKE_RETURN_IF_ERROR(avro::check(avro_value_append(&array, &element, nullptr), name));
      LAKE_RETURN_IF_ERROR(set_int_field(element, "key", id));
      LAKE_ASSIGN_OR_RETURN(auto slot, avro::field(element, "value"));
      LAKE_RETURN_IF_ERROR(set(slot, value));
    }
    return {};
  });
}

Status set_partition_value(avro_value_t& union_value, const arrow::Scalar& value) {
  if (!value.is_valid) return avro::set_null(union_value);
  LAKE_ASSIGN_OR_RETURN(auto v, avro::set_present(union_value));
  switch (value.type->id()) {
    case arrow::Type::BOOL:
      return avro::check(avro_value_set_boolean(&v, static_cast<const arrow::BooleanScalar&>(value).value), "boolean");
    case arrow::Type::INT32:
      return avro::check(avro_value_set_int(&v, static_cast<const arrow::Int32Scalar&>(value).value), "int");
    case arrow::Type::DATE32:
      return avro::check(avro_value_set_int(&v, static_cast<const arrow::Date32Scalar&>(value).value), "date");
    case arrow::Type::INT64:
      return avro::check(avro_value_set_long(&v, static_cast<const arrow::Int64Scalar&>(value).value), "long");
    case arrow::Type::TIME64:
      return avro::check(avro_value_set_long(&v, static_cast<const arrow::Time64Scalar&>(value).value), "time");
    case arrow::Type::TIMESTAMP:
      return avro::check(avro_value_set_long(&v, static_cast<const arrow::TimestampScalar&>(value).value), "timestamp");
    case arrow::Type::FLOAT:
      return avro::check(avro_value_set_float(&v, static_cast<const arrow::FloatScalar&>(value).value), "float");
    case arrow::Type::DOUBLE:
      return avro::check(avro_value_set_double(&v, static_cast<const arrow::DoubleScalar&>(value).value), "double");
    case arrow::Type::STRING:
      return set_string(v, static_cast<const arrow::StringScalar&>(value).value->ToString());
    case arrow::Type::BINARY:
      return set_bytes(v, static_cast<const arrow::BinaryScalar&>(value).value->ToString());
    case arrow::Type::FIXED_SIZE_BINARY: {
      std::string bytes = static_cast<const arrow::FixedSizeBinaryScalar&>(value).value->ToString();
      return avro::check(avro_value_set_fixed(&v, bytes.data(), bytes.size()), "fixed");
    }
    case arrow::Type::DECIMAL128: {
      // The unscaled value, big-endian and sign-extended to the fixed size.
      const auto& d = static_cast<const arrow::Decimal128Scalar&>(value);
      const int size = decimal_bytes(static_cast<const arrow::Decimal128Type&>(*value.type).precision());
      const std::string minimal = unscaled_bytes(d.value);
      const char fill = d.value.IsNegative() ? '\xff' : '\0';
      std::string bytes(static_cast<std::size_t>(size) - std::min<std::size_t>(minimal.size(), static_cast<std::size_t>(size)), fill);
      bytes += minimal.substr(minimal.size() - std::min<std::size_t>(minimal.size(), static_cast<std::size_t>(size)));
      return avro::check(avro_value_set_fixed(&v, bytes.data(), bytes.size()), "decimal");
    }
    default: break;
  }
  return fail(ErrorCode::unsupported, std::format("a partition value of type {} cannot be written", value.type->ToString()));
}

Result<std::vector<FieldSummary>> summarize(const std::vector<ManifestEntry>& entries, std::size_t fields) {
  std::vector<FieldSummary> out(fields);
  std::vector<std::shared_ptr<arrow::Scalar>> lower(fields), upper(fields);
  for (const auto& entry : entries) {
    if (entry.status == EntryStatus::deleted) continue;
    for (std::size_t i = 0; i < fields; ++i) {
      const auto& value = entry.file.partition[i];
      if (!value->is_valid) {
        out[i].contains_null = true;
      } else if (is_nan(*value)) {
        out[i].contains_nan = true;
      } else {
        if (!lower[i] || compare_values(*value, *lower[i]) == std::partial_ordering::less) lower[i] = value;
        if (!upper[i] || compare_values(*value, *upper[i]) == std::partial_ordering::greater) upper[i] = value;
      }
    }
  }
  for (std::size_t i = 0; i < fields; ++i) {
    const bool floating = !entries.empty() && (entries.front().file.partition[i]->type->id() == arrow::Type::FLOAT ||
                                               entries.front().file.partition[i]->type->id() == arrow::Type::DOUBLE);
    if (floating && !out[i].contains_nan) out[i].contains_nan = false;
    if (lower[i]) {
      LAKE_ASSIGN_OR_RETURN(out[i].lower_bound, to_single_value(*lower[i]));
      LAKE_ASSIGN_OR_RETURN(out[i].upper_bound, to_single_value(*upper[i]));
    }
  }
  return out;
}

}  // namespace

Result<WrittenManifest> write_manifest(const ManifestWrite& write, const std::vector<ManifestEntry>& entries) {
  const TableMetadata& table = *write.table;
  const PartitionSpec* spec = table.spec(write.spec_id);
  if (!spec) return fail(ErrorCode::invalid_argument, std::format("partition spec {} is not the table's", write.spec_id));
  LAKE_ASSIGN_OR_RETURN(auto types, partition_types(*spec, table));
  LAKE_ASSIGN_OR_RETURN(auto schema_json, entry_schema(*spec, types));
  json spec_fields = json::array();
  for (const auto& f : spec->fields)
    spec_fields.push_back(
        {{"source-id", f.source_id}, {"field-id", f.field_id}, {"name", f.name}, {"transform", to_string(f.transform)}});
  LAKE_ASSIGN_OR_RETURN(auto writer,
                        avro::Writer::make(schema_json, {{"schema", to_json(table.current_schema()).dump()},
                                                         {"schema-id", std::to_string(table.current_schema_id)},
                                                         {"partition-spec", spec_fields.dump()},
                                                         {"partition-spec-id", std::to_string(spec->spec_id)},
                                                         {"format-version", "2"},
                                                         {"content", write.content == ManifestContent::data ? "data" : "deletes"}}));

  ManifestFile file;
  file.spec_id = spec->spec_id;
  file.content = write.content;
  file.sequence_number = -1;  // the commit's, assigned when the manifest list is written
  file.min_sequence_number = -1;
  file.added_snapshot_id = write.snapshot_id;
  std::optional<std::int64_t> min_kept;
  for (const auto& entry : entries) {
    const ContentFile& f = entry.file;
    if (f.partition.size() != types.size())
      return fail(ErrorCode::invalid_argument, std::format("file '{}' has {} partition values; spec {} has {} fields",
                                                           f.path, f.partition.size(), spec->spec_id, types.size()));
    const bool added = entry.status == EntryStatus::added;
    switch (entry.status) {
      case EntryStatus::added: ++file.added_files, file.added_rows += f.record_count; break;
      case EntryStatus::existing: ++file.existing_files, file.existing_rows += f.record_count; break;
      case EntryStatus::deleted: ++file.deleted_files, file.deleted_rows += f.record_count; break;
    }
    if (entry.status == EntryStatus::existing)
      min_kept = std::min(min_kept.value_or(entry.sequence_number), entry.sequence_number);

    avro_value_t& r = writer->record();
    LAKE_RETURN_IF_ERROR(set_int_field(r, "status", static_cast<std::int32_t>(entry.status)));
    LAKE_RETURN_IF_ERROR(set_optional_long(r, "snapshot_id", added ? std::nullopt : std::optional(entry.snapshot_id)));
    LAKE_RETURN_IF_ERROR(set_optional_long(r, "sequence_number", added ? std::nullopt : std::optional(entry.sequence_number)));
    LAKE_RETURN_IF_ERROR(set_optional_long(r, "file_sequence_number",
                                           added ? std::nullopt : std::optional(entry.file_sequence_number)));
    LAKE_ASSIGN_OR_RETURN(auto d, avro::field(r, "data_file"));
    LAKE_RETURN_IF_ERROR(set_int_field(d, "content", static_cast<std::int32_t>(f.content)));
    LAKE_RETURN_IF_ERROR(set_field(d, "file_path", [&](avro_value_t& v) { return set_string(v, f.path); }));
    LAKE_RETURN_IF_ERROR(set_field(d, "file_format", [&](avro_value_t& v) { return set_string(v, f.format); }));
    LAKE_ASSIGN_OR_RETURN(auto partition, avro::field(d, "partition"));
    for (std::size_t i = 0; i < spec->fields.size(); ++i) {
      LAKE_ASSIGN_OR_RETURN(auto slot, avro::field(partition, spec->fields[i].name.c_str()));
      LAKE_RETURN_IF_ERROR(set_partition_value(slot, *f.partition[i]));
    }
    LAKE_RETURN_IF_ERROR(set_long_field(d, "record_count", f.record_count));
    LAKE_RETURN_IF_ERROR(set_long_field(d, "file_size_in_bytes", f.file_size_in_bytes));
    auto set_long = [](avro_value_t& v, std::int64_t value) { return avro::check(avro_value_set_long(&v, value), "long"); };
    auto set_bound = [](avro_value_t& v, const std::string& value) { return set_bytes(v, value); };
    LAKE_RETURN_IF_ERROR(set_id_map(d, "column_sizes", f.column_sizes, set_long));
    LAKE_RETURN_IF_ERROR(set_id_map(d, "value_counts", f.value_counts, set_long));
    LAKE_RETURN_IF_ERROR(set_id_map(d, "null_value_counts", f.null_value_counts, set_long));
    LAKE_RETURN_IF_ERROR(set_id_map(d, "nan_value_counts", f.nan_value_counts, set_long));
    LAKE_RETURN_IF_ERROR(set_id_map(d, "lower_bounds", f.lower_bounds, set_bound));
    LAKE_RETURN_IF_ERROR(set_id_map(d, "upper_bounds", f.upper_bounds, set_bound));
    LAKE_RETURN_IF_ERROR(set_field(d, "key_metadata", [](avro_value_t& v) { return avro::set_null(v); }));
    LAKE_RETURN_IF_ERROR(set_field(d, "split_offsets", [&](avro_value_t& v) -> Status {
      if (f.split_offsets.empty()) return avro::set_null(v);
      LAKE_ASSIGN_OR_RETURN(auto array, avro::set_present(v));
      for (std::int64_t offset : f.split_offsets) {
        avro_value_t element;
        LAKE_RETURN_IF_ERROR(avro::check(avro_value_append(&array, &element, nullptr), "split_offsets"));
        LAKE_RETURN_IF_ERROR(avro::check(avro_value_set_long(&element, offset), "split_offsets"));
      }
      return {};
    }));
    LAKE_RETURN_IF_ERROR(set_field(d, "equality_ids", [&](avro_value_t& v) -> Status {
      if (f.equality_ids.empty()) return avro::set_null(v);
      LAKE_ASSIGN_OR_RETURN(auto array, avro::set_present(v));
      for (std::int32_t id : f.equality_ids) {
        avro_value_t element;
        LAKE_RETURN_IF_ERROR(avro::check(avro_value_append(&array, &element, nullptr), "equality_ids"));
        LAKE_RETURN_IF_ERROR(avro::check(avro_value_set_int(&element, id), "equality_ids"));
      }
      return {};
    }));
    LAKE_RETURN_IF_ERROR(set_field(d, "sort_order_id", [&](avro_value_t& v) -> Status {
      if (!f.sort_order_id) return avro::set_null(v);
      LAKE_ASSIGN_OR_RETURN(auto present, avro::set_present(v));
      return avro::check(avro_value_set_int(&present, *f.sort_order_id), "sort_order_id");
    }));
    LAKE_RETURN_IF_ERROR(writer->append());
  }
  // Added entries take the commit's sequence number, the highest there is;
  // kept ones their own.
  if (min_kept) file.min_sequence_number = *min_kept;
  LAKE_ASSIGN_OR_RETURN(file.partitions, summarize(entries, types.size()));
  LAKE_ASSIGN_OR_RETURN(auto bytes, writer->finish());
  file.length = static_cast<std::int64_t>(bytes.size());
  return WrittenManifest{std::move(bytes), std::move(file)};
}

Result<std::vector<std::byte>> write_manifest_list(const ManifestListWrite& write, std::vector<ManifestFile> manifests) {
  std::map<std::string, std::string> metadata = {{"snapshot-id", std::to_string(write.snapshot_id)},
                                                 {"sequence-number", std::to_string(write.sequence_number)},
                                                 {"format-version", "2"}};
  metadata["parent-snapshot-id"] = write.parent_snapshot_id ? std::to_string(*write.parent_snapshot_id) : "null";
  LAKE_ASSIGN_OR_RETURN(auto writer, avro::Writer::make(manifest_list_schema(), std::move(metadata)));
  for (auto& m : manifests) {
    if (m.sequence_number < 0) m.sequence_number = write.sequence_number;
    if (m.min_sequence_number < 0) m.min_sequence_number = write.sequence_number;
    avro_value_t& r = writer->record();
    LAKE_RETURN_IF_ERROR(set_field(r, "manifest_path", [&](avro_value_t& v) { return set_string(v, m.path); }));
    LAKE_RETURN_IF_ERROR(set_long_field(r, "manifest_length", m.length));
    LAKE_RETURN_IF_ERROR(set_int_field(r, "partition_spec_id", m.spec_id));
    LAKE_RETURN_IF_ERROR(set_int_field(r, "content", static_cast<std::int32_t>(m.content)));
    LAKE_RETURN_IF_ERROR(set_long_field(r, "sequence_number", m.sequence_number));
    LAKE_RETURN_IF_ERROR(set_long_field(r, "min_sequence_number", m.min_sequence_number));
    LAKE_RETURN_IF_ERROR(set_long_field(r, "added_snapshot_id", m.added_snapshot_id));
    LAKE_RETURN_IF_ERROR(set_int_field(r, "added_files_count", m.added_files));
    LAKE_RETURN_IF_ERROR(set_int_field(r, "existing_files_count", m.existing_files));
    LAKE_RETURN_IF_ERROR(set_int_field(r, "deleted_files_count", m.deleted_files));
    LAKE_RETURN_IF_ERROR(set_long_field(r, "added_rows_count", m.added_rows));
    LAKE_RETURN_IF_ERROR(set_long_field(r, "existing_rows_count", m.existing_rows));
    LAKE_RETURN_IF_ERROR(set_long_field(r, "deleted_rows_count", m.deleted_rows));
    LAKE_RETURN_IF_ERROR(set_field(r, "partitions", [&](avro_value_t& v) -> Status {
      LAKE_ASSIGN_OR_RETURN(auto array, avro::set_present(v));
      for (const auto& s : m.partitions) {
        avro_value_t element;
        LAKE_RETURN_IF_ERROR(avro::check(avro_value_append(&array, &element, nullptr), "partitions"));
        LAKE_RETURN_IF_ERROR(set_field(element, "contains_null", [&](avro_value_t& b) {
          return avro::check(avro_value_set_boolean(&b, s.contains_null), "contains_null");
        }));
        LAKE_RETURN_IF_ERROR(set_field(element, "contains_nan", [&](avro_value_t& b) -> Status {
          if (!s.contains_nan) return avro::set_null(b);
          LAKE_ASSIGN_OR_RETURN(auto present, avro::set_present(b));
          return avro::check(avro_value_set_boolean(&present, *s.contains_nan), "contains_nan");
        }));
        for (const auto& [name, bound] : {std::pair{"lower_bound", &s.lower_bound}, std::pair{"upper_bound", &s.upper_bound}})
          LAKE_RETURN_IF_ERROR(set_field(element, name, [&](avro_value_t& b) -> Status {
            if (!*bound) return avro::set_null(b);
            LAKE_ASSIGN_OR_RETURN(auto present, avro::set_present(b));
            return set_bytes(present, **bound);
          }));
      }
      return {};
    }));
    LAKE_RETURN_IF_ERROR(set_field(r, "key_metadata", [](avro_value_t& v) { return avro::set_null(v); }));
    LAKE_RETURN_IF_ERROR(writer->append());
  }
  return writer->finish();
}

}  // namespace lake::iceberg

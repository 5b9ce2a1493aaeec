#include "iceberg/table_metadata.hpp"

#include <charconv>

#include <algorithm>
#include <format>

#include "core/propagate.hpp"

namespace lake::iceberg {
namespace {

using nlohmann::json;

// The keys parse() models; anything else is kept in TableMetadata::other.
constexpr std::string_view kModelled[] = {
    "format-version", "table-uuid", "location", "last-sequence-number", "last-updated-ms", "last-column-id",
    "schema", "schemas", "current-schema-id", "partition-spec", "partition-specs", "default-spec-id",
    "last-partition-id", "sort-orders", "default-sort-order-id", "properties", "current-snapshot-id",
    "snapshots", "refs", "snapshot-log", "metadata-log"};

struct Reader {
  const json& j;
  std::string_view where;

  Error malformed(std::string_view what) const {
    return Error(ErrorCode::invalid_argument, std::format("Iceberg metadata '{}': {}", where, what));
  }
  // Names the file in an error from a part it is made of.
  auto context() const {
    return [where = where](Error error) { return error.with_context(std::format("Iceberg metadata '{}'", where)); };
  }
  template <class T>
  Result<T> required(const json& object, const char* key) const {
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) return fail(malformed(std::format("\"{}\" is missing", key)));
    try {
      return it->get<T>();
    } catch (const json::exception&) {
      return fail(malformed(std::format("\"{}\" has the wrong type", key)));
    }
  }
  template <class T>
  Result<std::optional<T>> optional(const json& object, const char* key) const {
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) return std::optional<T>{};
    try {
      return std::optional<T>(it->get<T>());
    } catch (const json::exception&) {
      return fail(malformed(std::format("\"{}\" has the wrong type", key)));
    }
  }
};

Result<PartitionSpec> parse_spec(const Reader& r, const json& fields_json, std::int32_t spec_id,
                                 std::int32_t& next_v1_field_id) {
  if (!fields_json.is_array()) return fail(r.malformed("a partition spec's fields are not an array"));
  PartitionSpec spec{.spec_id = spec_id, .fields = {}};
  for (const auto& f : fields_json) {
    PartitionSpecField field;
    LAKE_ASSIGN_OR_RETURN(field.source_id, r.required<std::int32_t>(f, "source-id"));
    LAKE_ASSIGN_OR_RETURN(field.name, r.required<std::string>(f, "name"));
    LAKE_ASSIGN_OR_RETURN(auto transform, r.required<std::string>(f, "transform"));
    LAKE_ASSIGN_OR_RETURN(field.transform, parse_transform(transform).transform_error(r.context()));
    // v1 specs may lack field ids; the spec assigns them from 1000 in order.
    LAKE_ASSIGN_OR_RETURN(auto id, r.optional<std::int32_t>(f, "field-id"));
    field.field_id = id ? *id : next_v1_field_id;
    next_v1_field_id = std::max(next_v1_field_id, field.field_id) + 1;
    spec.fields.push_back(std::move(field));
  }
  return spec;
}

Result<Snapshot> parse_snapshot(const Reader& r, const json& s) {
  Snapshot snapshot;
  LAKE_ASSIGN_OR_RETURN(snapshot.snapshot_id, r.required<std::int64_t>(s, "snapshot-id"));
  LAKE_ASSIGN_OR_RETURN(snapshot.parent_snapshot_id, r.optional<std::int64_t>(s, "parent-snapshot-id"));
  LAKE_ASSIGN_OR_RETURN(auto sequence, r.optional<std::int64_t>(s, "sequence-number"));
  snapshot.sequence_number = sequence.value_or(0);
  LAKE_ASSIGN_OR_RETURN(snapshot.timestamp_ms, r.required<std::int64_t>(s, "timestamp-ms"));
  LAKE_ASSIGN_OR_RETURN(auto list, r.optional<std::string>(s, "manifest-list"));
  snapshot.manifest_list = list.value_or("");
  LAKE_ASSIGN_OR_RETURN(auto manifests, r.optional<std::vector<std::string>>(s, "manifests"));
  snapshot.manifests = manifests.value_or(std::vector<std::string>{});
  if (snapshot.manifest_list.empty() && !manifests)
    return fail(r.malformed(std::format("snapshot {} has neither a manifest list nor manifests", snapshot.snapshot_id)));
  if (auto summary = s.find("summary"); summary != s.end() && summary->is_object())
    for (const auto& [key, value] : summary->items())
      snapshot.summary[key] = value.is_string() ? value.get<std::string>() : value.dump();
  LAKE_ASSIGN_OR_RETURN(snapshot.schema_id, r.optional<std::int32_t>(s, "schema-id"));
  return snapshot;
}

json spec_json(const PartitionSpec& spec) {
  json fields = json::array();
  for (const auto& f : spec.fields)
    fields.push_back({{"source-id", f.source_id},
                      {"field-id", f.field_id},
                      {"name", f.name},
                      {"transform", to_string(f.transform)}});
  return {{"spec-id", spec.spec_id}, {"fields", std::move(fields)}};
}

json order_json(const SortOrder& order) {
  json fields = json::array();
  for (const auto& f : order.fields)
    fields.push_back({{"transform", to_string(f.transform)},
                      {"source-id", f.source_id},
                      {"direction", f.ascending ? "asc" : "desc"},
                      {"null-order", f.nulls_first ? "nulls-first" : "nulls-last"}});
  return {{"order-id", order.order_id}, {"fields", std::move(fields)}};
}

json snapshot_json(const Snapshot& s) {
  json j = {{"snapshot-id", s.snapshot_id},
            {"sequence-number", s.sequence_number},
            {"timestamp-ms", s.timestamp_ms},
            {"summary", s.summary}};
  if (s.parent_snapshot_id) j["parent-snapshot-id"] = *s.parent_snapshot_id;
  if (!s.manifest_list.empty()) j["manifest-list"] = s.manifest_list;
  else j["manifests"] = s.manifests;
  if (s.schema_id) j["schema-id"] = *s.schema_id;
  return j;
}

}  // namespace

bool PartitionSpec::unpartitioned() const {
  return std::ranges::all_of(fields, [](const auto& f) { return f.transform.kind == formats::Transform::void_; });
}

std::string Snapshot::operation() const {
  auto it = summary.find("operation");
  return it == summary.end() ? std::string() : it->second;
}

const Schema* TableMetadata::schema(std::int32_t id) const {
  auto it = std::ranges::find(schemas, id, &Schema::schema_id);
  return it == schemas.end() ? nullptr : &*it;
}

const Schema& TableMetadata::current_schema() const { return *schema(current_schema_id); }

const PartitionSpec* TableMetadata::spec(std::int32_t id) const {
  auto it = std::ranges::find(specs, id, &PartitionSpec::spec_id);
  return it == specs.end() ? nullptr : &*it;
}

const PartitionSpec& TableMetadata::default_spec() const { return *spec(default_spec_id); }

const Snapshot* TableMetadata::snapshot(std::int64_t id) const {
  auto it = std::ranges::find(snapshots, id, &Snapshot::snapshot_id);
  return it == snapshots.end() ? nullptr : &*it;
}

const Snapshot* TableMetadata::current_snapshot() const {
  return current_snapshot_id ? snapshot(*current_snapshot_id) : nullptr;
}

const Snapshot* TableMetadata::parent_of(const Snapshot& child) const {
  return child.parent_snapshot_id ? snapshot(*child.parent_snapshot_id) : nullptr;
}

std::int64_t TableMetadata::numeric_property(const std::string& key, std::int64_t fallback) const {
  auto it = properties.find(key);
  std::int64_t value = 0;
  if (it == properties.end() ||
      std::from_chars(it->second.data(), it->second.data() + it->second.size(), value).ec != std::errc{})
    return fallback;
  return value;
}

const Schema& TableMetadata::schema_of(const Snapshot& s) const {
  if (s.schema_id)
    if (const Schema* found = schema(*s.schema_id)) return *found;
  return current_schema();
}

Result<TableMetadata> parse_table_metadata(std::string_view text, std::string_view where) {
  const json j = json::parse(text, nullptr, false);
  const Reader r{j, where};
  if (!j.is_object()) return fail(r.malformed("not a JSON object"));
  TableMetadata m;
  LAKE_ASSIGN_OR_RETURN(m.format_version, r.required<int>(j, "format-version"));
  if (m.format_version >= 3)
    return fail(ErrorCode::unsupported,
                std::format("Iceberg metadata '{}': format version {} (deletion vectors, row lineage and default "
                            "values change which rows a reader returns; this reader supports versions 1 and 2)",
                            where, m.format_version));
  if (m.format_version < 1) return fail(r.malformed(std::format("format version {}", m.format_version)));
  const bool v2 = m.format_version == 2;

  LAKE_ASSIGN_OR_RETURN(auto uuid, r.optional<std::string>(j, "table-uuid"));
  if (v2 && !uuid) return fail(r.malformed("\"table-uuid\" is missing"));
  m.table_uuid = uuid.value_or("");
  LAKE_ASSIGN_OR_RETURN(m.location, r.required<std::string>(j, "location"));
  LAKE_ASSIGN_OR_RETURN(auto last_sequence, r.optional<std::int64_t>(j, "last-sequence-number"));
  if (v2 && !last_sequence) return fail(r.malformed("\"last-sequence-number\" is missing"));
  m.last_sequence_number = last_sequence.value_or(0);
  LAKE_ASSIGN_OR_RETURN(m.last_updated_ms, r.required<std::int64_t>(j, "last-updated-ms"));
  LAKE_ASSIGN_OR_RETURN(m.last_column_id, r.required<std::int32_t>(j, "last-column-id"));

  // Schemas: v2's list, or v1's single "schema".
  if (auto list = j.find("schemas"); list != j.end() && list->is_array()) {
    for (const auto& s : *list) {
      LAKE_ASSIGN_OR_RETURN(auto schema, parse_schema(s).transform_error(r.context()));
      m.schemas.push_back(std::move(schema));
    }
    LAKE_ASSIGN_OR_RETURN(m.current_schema_id, r.required<std::int32_t>(j, "current-schema-id"));
  } else if (auto single = j.find("schema"); single != j.end()) {
    LAKE_ASSIGN_OR_RETURN(auto schema, parse_schema(*single).transform_error(r.context()));
    m.current_schema_id = schema.schema_id;
    m.schemas.push_back(std::move(schema));
  } else {
    return fail(r.malformed("there is no schema"));
  }
  if (!m.schema(m.current_schema_id))
    return fail(r.malformed(std::format("current-schema-id {} names no schema", m.current_schema_id)));

  std::int32_t next_v1_field_id = 1000;
  if (auto list = j.find("partition-specs"); list != j.end() && list->is_array()) {
    for (const auto& s : *list) {
      LAKE_ASSIGN_OR_RETURN(auto id, r.required<std::int32_t>(s, "spec-id"));
      LAKE_ASSIGN_OR_RETURN(auto spec, parse_spec(r, s.value("fields", json::array()), id, next_v1_field_id));
      m.specs.push_back(std::move(spec));
    }
    LAKE_ASSIGN_OR_RETURN(m.default_spec_id, r.required<std::int32_t>(j, "default-spec-id"));
  } else if (auto single = j.find("partition-spec"); single != j.end()) {
    LAKE_ASSIGN_OR_RETURN(auto spec, parse_spec(r, *single, 0, next_v1_field_id));
    m.specs.push_back(std::move(spec));
    m.default_spec_id = 0;
  } else {
    return fail(r.malformed("there is no partition spec"));
  }
  if (!m.spec(m.default_spec_id))
    return fail(r.malformed(std::format("default-spec-id {} names no partition spec", m.default_spec_id)));
  for (const auto& spec : m.specs)
    for (const auto& field : spec.fields)
      if (!m.current_schema().find(field.source_id) &&
          std::ranges::none_of(m.schemas, [&](const Schema& s) { return s.find(field.source_id) != nullptr; }))
        return fail(r.malformed(std::format("partition field '{}' has source id {}, which no schema has", field.name,
                                            field.source_id)));
  LAKE_ASSIGN_OR_RETURN(auto last_partition, r.optional<std::int32_t>(j, "last-partition-id"));
  m.last_partition_id = last_partition.value_or(next_v1_field_id - 1);

  if (auto orders = j.find("sort-orders"); orders != j.end() && orders->is_array()) {
    for (const auto& o : *orders) {
      SortOrder order;
      LAKE_ASSIGN_OR_RETURN(order.order_id, r.required<std::int32_t>(o, "order-id"));
      for (const auto& f : o.value("fields", json::array())) {
        SortField field;
        LAKE_ASSIGN_OR_RETURN(field.source_id, r.required<std::int32_t>(f, "source-id"));
        LAKE_ASSIGN_OR_RETURN(auto transform, r.required<std::string>(f, "transform"));
        LAKE_ASSIGN_OR_RETURN(field.transform, parse_transform(transform).transform_error(r.context()));
        field.ascending = f.value("direction", std::string("asc")) == "asc";
        field.nulls_first = f.value("null-order", std::string("nulls-first")) == "nulls-first";
        order.fields.push_back(std::move(field));
      }
      m.sort_orders.push_back(std::move(order));
    }
  }
  if (m.sort_orders.empty()) m.sort_orders.push_back(SortOrder{});
  LAKE_ASSIGN_OR_RETURN(auto sort_order, r.optional<std::int32_t>(j, "default-sort-order-id"));
  m.default_sort_order_id = sort_order.value_or(0);

  if (auto properties = j.find("properties"); properties != j.end() && properties->is_object())
    for (const auto& [key, value] : properties->items())
      m.properties[key] = value.is_string() ? value.get<std::string>() : value.dump();

  // -1 is how version 1 writers said "no snapshot".
  LAKE_ASSIGN_OR_RETURN(auto current, r.optional<std::int64_t>(j, "current-snapshot-id"));
  if (current && *current != -1) m.current_snapshot_id = current;
  if (auto snapshots = j.find("snapshots"); snapshots != j.end() && snapshots->is_array())
    for (const auto& s : *snapshots) {
      LAKE_ASSIGN_OR_RETURN(auto snapshot, parse_snapshot(r, s));
      m.snapshots.push_back(std::move(snapshot));
    }
  if (m.current_snapshot_id && !m.current_snapshot())
    return fail(r.malformed(std::format("current-snapshot-id {} names no snapshot", *m.current_snapshot_id)));

  if (auto refs = j.find("refs"); refs != j.end() && refs->is_object()) {
    for (const auto& [name, value] : refs->items()) {
      SnapshotRef ref;
      LAKE_ASSIGN_OR_RETURN(ref.snapshot_id, r.required<std::int64_t>(value, "snapshot-id"));
      LAKE_ASSIGN_OR_RETURN(ref.type, r.required<std::string>(value, "type"));
      LAKE_ASSIGN_OR_RETURN(ref.min_snapshots_to_keep, r.optional<std::int32_t>(value, "min-snapshots-to-keep"));
      LAKE_ASSIGN_OR_RETURN(ref.max_snapshot_age_ms, r.optional<std::int64_t>(value, "max-snapshot-age-ms"));
      LAKE_ASSIGN_OR_RETURN(ref.max_ref_age_ms, r.optional<std::int64_t>(value, "max-ref-age-ms"));
      m.refs.emplace(name, std::move(ref));
    }
  }
  // A v1 table (or an older v2 writer) without refs: main is the current snapshot.
  if (!m.refs.contains("main") && m.current_snapshot_id) m.refs["main"] = SnapshotRef{.snapshot_id = *m.current_snapshot_id};
  if (auto main = m.refs.find("main"); main != m.refs.end() && m.current_snapshot_id != main->second.snapshot_id)
    return fail(r.malformed(std::format("the main branch is at snapshot {} but current-snapshot-id is {}",
                                        main->second.snapshot_id, m.current_snapshot_id.value_or(-1))));

  if (auto log = j.find("snapshot-log"); log != j.end() && log->is_array())
    for (const auto& e : *log) {
      SnapshotLogEntry entry;
      LAKE_ASSIGN_OR_RETURN(entry.timestamp_ms, r.required<std::int64_t>(e, "timestamp-ms"));
      LAKE_ASSIGN_OR_RETURN(entry.snapshot_id, r.required<std::int64_t>(e, "snapshot-id"));
      m.snapshot_log.push_back(entry);
    }
  if (auto log = j.find("metadata-log"); log != j.end() && log->is_array())
    for (const auto& e : *log) {
      MetadataLogEntry entry;
      LAKE_ASSIGN_OR_RETURN(entry.timestamp_ms, r.required<std::int64_t>(e, "timestamp-ms"));
      LAKE_ASSIGN_OR_RETURN(entry.metadata_file, r.required<std::string>(e, "metadata-file"));
      m.metadata_log.push_back(std::move(entry));
    }

  for (const auto& [key, value] : j.items())
    if (std::ranges::find(kModelled, key) == std::end(kModelled)) m.other[key] = value;
  return m;
}

std::string to_json_text(const TableMetadata& m) {
  json schemas = json::array();
  for (const auto& s : m.schemas) schemas.push_back(to_json(s));
  json specs = json::array();
  for (const auto& s : m.specs) specs.push_back(spec_json(s));
  json orders = json::array();
  for (const auto& o : m.sort_orders) orders.push_back(order_json(o));
  json snapshots = json::array();
  for (const auto& s : m.snapshots) snapshots.push_back(snapshot_json(s));
  json refs = json::object();
  for (const auto& [name, ref] : m.refs) {
    json r = {{"snapshot-id", ref.snapshot_id}, {"type", ref.type}};
    if (ref.min_snapshots_to_keep) r["min-snapshots-to-keep"] = *ref.min_snapshots_to_keep;
    if (ref.max_snapshot_age_ms) r["max-snapshot-age-ms"] = *ref.max_snapshot_age_ms;
    if (ref.max_ref_age_ms) r["max-ref-age-ms"] = *ref.max_ref_age_ms;
    refs[name] = std::move(r);
  }
  json snapshot_log = json::array();
  for (const auto& e : m.snapshot_log) snapshot_log.push_back({{"timestamp-ms", e.timestamp_ms}, {"snapshot-id", e.snapshot_id}});
  json metadata_log = json::array();
  for (const auto& e : m.metadata_log)
    metadata_log.push_back({{"timestamp-ms", e.timestamp_ms}, {"metadata-file", e.metadata_file}});

  json j = m.other;
  j["format-version"] = 2;
  j["table-uuid"] = m.table_uuid;
  j["location"] = m.location;
  j["last-sequence-number"] = m.last_sequence_number;
  j["last-updated-ms"] = m.last_updated_ms;
  j["last-column-id"] = m.last_column_id;
  j["current-schema-id"] = m.current_schema_id;
  j["schemas"] = std::move(schemas);
  j["default-spec-id"] = m.default_spec_id;
  j["partition-specs"] = std::move(specs);
  j["last-partition-id"] = m.last_partition_id;
  j["default-sort-order-id"] = m.default_sort_order_id;
  j["sort-orders"] = std::move(orders);
  j["properties"] = m.properties;
  if (m.current_snapshot_id) j["current-snapshot-id"] = *m.current_snapshot_id;
  j["snapshots"] = std::move(snapshots);
  j["refs"] = std::move(refs);
  j["snapshot-log"] = std::move(snapshot_log);
  j["metadata-log"] = std::move(metadata_log);
  return j.dump(2);
}

Status check_writable(const TableMetadata& metadata, std::string_view table) {
  if (metadata.format_version == 2) return {};
  return fail(ErrorCode::unsupported,
              std::format("Iceberg table '{}' is format version {}; lake-orm writes version 2 only. Upgrade the table "
                          "first (Spark: ALTER TABLE ... SET TBLPROPERTIES ('format-version' = '2'); pyiceberg: "
                          "transaction().upgrade_table_version(2)); every engine since Iceberg 0.12 reads version 2",
                          table, metadata.format_version));
}

}  // namespace lake::iceberg

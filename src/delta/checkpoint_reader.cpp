// Reading checkpoints into a snapshot (PROTOCOL.md "Checkpoints",
// "Checkpoint Schema"): classic ones (single and multi-part Parquet) and
// V2 ones (UUID-named or classic-named, Parquet or JSON, whose file and
// sidecar actions may move the adds and removes into Parquet sidecar
// files under _delta_log/_sidecars/).
//
// Fields are found by name inside the action structs, so checkpoints from
// Spark, delta-rs and lake-orm read alike, whatever extra fields
// (stats_parsed, partitionValues_parsed, checkpointMetadata, ...)
// they carry.
#include <arrow/array.h>
#include <arrow/table.h>
#include <parquet/arrow/reader.h>

#include <format>

#include <nlohmann/json.hpp>

#include "core/propagate.hpp"
#include "delta/log_replay.hpp"
#include "lake/arrow/convert.hpp"
#include "lake/storage/arrow_io.hpp"

namespace lake::delta {
namespace {

using ArrayPtr = std::shared_ptr<arrow::Array>;

ArrayPtr child(const arrow::StructArray& s, std::string_view name) { return s.GetFieldByName(std::string(name)); }

std::optional<std::string> string_at(const ArrayPtr& a, std::int64_t i) {
  if (!a || a->IsNull(i)) return std::nullopt;
  switch (a->type_id()) {
    case arrow::Type::STRING: return std::string(static_cast<const arrow::StringArray&>(*a).GetView(i));
    case arrow::Type::LARGE_STRING: return std::string(static_cast<const arrow::LargeStringArray&>(*a).GetView(i));
    case arrow::Type::STRING_VIEW: return std::string(static_cast<const arrow::StringViewArray&>(*a).GetView(i));
    default: return std::nullopt;
  }
}

std::optional<std::int64_t> integer_at(const ArrayPtr& a, std::int64_t i) {
  if (!a || a->IsNull(i)) return std::nullopt;
  switch (a->type_id()) {
    case arrow::Type::INT64: return static_cast<const arrow::Int64Array&>(*a).Value(i);
    case arrow::Type::INT32: return static_cast<const arrow::Int32Array&>(*a).Value(i);
    default: return std::nullopt;
  }
}

std::optional<bool> bool_at(const ArrayPtr& a, std::int64_t i) {
  if (!a || a->IsNull(i) || a->type_id() != arrow::Type::BOOL) return std::nullopt;
  return static_cast<const arrow::BooleanArray&>(*a).Value(i);
}

PartitionValues string_map_at(const ArrayPtr& a, std::int64_t i) {
  PartitionValues out;
  if (!a || a->IsNull(i) || a->type_id() != arrow::Type::MAP) return out;
  const auto& map = static_cast<const arrow::MapArray&>(*a);
  for (std::int64_t k = map.value_offset(i); k < map.value_offset(i) + map.value_length(i); ++k) {
    auto key = string_at(map.keys(), k);
    if (key) out[*key] = string_at(map.items(), k);
  }
  return out;
}

std::map<std::string, std::string> plain_map_at(const ArrayPtr& a, std::int64_t i) {
  std::map<std::string, std::string> out;
  for (auto& [k, v] : string_map_at(a, i))
    if (v) out[k] = *v;
  return out;
}

std::vector<std::string> string_list_at(const ArrayPtr& a, std::int64_t i) {
  std::vector<std::string> out;
  if (!a || a->IsNull(i) || a->type_id() != arrow::Type::LIST) return out;
  const auto& list = static_cast<const arrow::ListArray&>(*a);
  for (std::int64_t k = list.value_offset(i); k < list.value_offset(i) + list.value_length(i); ++k)
    if (auto s = string_at(list.values(), k)) out.push_back(*s);
  return out;
}

// A file action's deletionVector struct; absent or null is none, and a
// present one must be whole (it is part of the file's identity).
Result<std::optional<DeletionVector>> deletion_vector_at(const arrow::StructArray& action, std::int64_t i,
                                                         std::string_view where) {
  auto column = child(action, "deletionVector");
  if (!column || column->IsNull(i)) return std::optional<DeletionVector>{};
  if (column->type_id() != arrow::Type::STRUCT)
    return fail(ErrorCode::invalid_argument, std::format("{}: row {} has a deletionVector that is not a struct", where, i));
  const auto& dv = static_cast<const arrow::StructArray&>(*column);
  auto storage = string_at(child(dv, "storageType"), i);
  auto path = string_at(child(dv, "pathOrInlineDv"), i);
  auto size = integer_at(child(dv, "sizeInBytes"), i);
  auto cardinality = integer_at(child(dv, "cardinality"), i);
  if (!storage || storage->size() != 1 || std::string_view("uip").find((*storage)[0]) == std::string_view::npos ||
      !path || !size || !cardinality)
    return fail(ErrorCode::invalid_argument,
                std::format("{}: row {} has a deletionVector without a valid storageType, pathOrInlineDv, "
                            "sizeInBytes and cardinality",
                            where, i));
  DeletionVector out{.storage_type = (*storage)[0],
                     .path_or_inline_dv = std::move(*path),
                     .offset = std::nullopt,
                     .size_in_bytes = static_cast<std::int32_t>(*size),
                     .cardinality = *cardinality};
  if (auto offset = integer_at(child(dv, "offset"), i)) out.offset = static_cast<std::int32_t>(*offset);
  return std::optional<DeletionVector>(std::move(out));
}

const arrow::StructArray* struct_column(const arrow::RecordBatch& batch, std::string_view name) {
  auto column = batch.GetColumnByName(std::string(name));
  if (!column || column->type_id() != arrow::Type::STRUCT) return nullptr;
  return static_cast<const arrow::StructArray*>(column.get());
}

// The actions in one batch of checkpoint rows, in row order.
Result<std::vector<Action>> actions_of(const arrow::RecordBatch& batch, std::string_view where) {
  std::vector<Action> out;
  const auto* protocol = struct_column(batch, "protocol");
  const auto* metadata = struct_column(batch, "metaData");
  const auto* add = struct_column(batch, "add");
  const auto* remove = struct_column(batch, "remove");
  const auto* txn = struct_column(batch, "txn");
  const auto* domain = struct_column(batch, "domainMetadata");
  auto bad = [&](std::string_view what, std::int64_t row) {
    return fail(ErrorCode::invalid_argument, std::format("{}: row {} has a '{}' action without its required fields",
                                                         where, row, what));
  };
  for (std::int64_t i = 0; i < batch.num_rows(); ++i) {
    if (protocol && protocol->IsValid(i)) {
      auto reader = integer_at(child(*protocol, "minReaderVersion"), i);
      auto writer = integer_at(child(*protocol, "minWriterVersion"), i);
      if (!reader || !writer) return bad("protocol", i);
      out.emplace_back(Protocol{static_cast<int>(*reader), static_cast<int>(*writer),
                                string_list_at(child(*protocol, "readerFeatures"), i),
                                string_list_at(child(*protocol, "writerFeatures"), i)});
    }
    if (metadata && metadata->IsValid(i)) {
      Metadata m;
      auto id = string_at(child(*metadata, "id"), i);
      auto schema = string_at(child(*metadata, "schemaString"), i);
      if (!id || !schema) return bad("metaData", i);
      m.id = *id;
      m.schema_string = *schema;
      m.name = string_at(child(*metadata, "name"), i);
      m.description = string_at(child(*metadata, "description"), i);
      m.partition_columns = string_list_at(child(*metadata, "partitionColumns"), i);
      m.configuration = plain_map_at(child(*metadata, "configuration"), i);
      m.created_time = integer_at(child(*metadata, "createdTime"), i);
      out.emplace_back(std::move(m));
    }
    if (add && add->IsValid(i)) {
      Add a;
      auto path = string_at(child(*add, "path"), i);
      auto size = integer_at(child(*add, "size"), i);
      if (!path || !size) return bad("add", i);
      a.path = *path;
      a.size = *size;
      a.partition_values = string_map_at(child(*add, "partitionValues"), i);
      a.modification_time = integer_at(child(*add, "modificationTime"), i).value_or(0);
      a.data_change = bool_at(child(*add, "dataChange"), i).value_or(false);
      a.stats = string_at(child(*add, "stats"), i);
      a.tags = plain_map_at(child(*add, "tags"), i);
      auto dv = deletion_vector_at(*add, i, where);
      LAKE_RETURN_IF_ERROR(dv);
      a.deletion_vector = std::move(*dv);
      a.base_row_id = integer_at(child(*add, "baseRowId"), i);
      a.default_row_commit_version = integer_at(child(*add, "defaultRowCommitVersion"), i);
      a.clustering_provider = string_at(child(*add, "clusteringProvider"), i);
      out.emplace_back(std::move(a));
    }
    if (remove && remove->IsValid(i)) {
      Remove r;
      auto path = string_at(child(*remove, "path"), i);
      if (!path) return bad("remove", i);
      r.path = *path;
      r.deletion_timestamp = integer_at(child(*remove, "deletionTimestamp"), i);
      r.data_change = bool_at(child(*remove, "dataChange"), i).value_or(false);
      r.extended_file_metadata = bool_at(child(*remove, "extendedFileMetadata"), i).value_or(false);
      r.partition_values = string_map_at(child(*remove, "partitionValues"), i);
      r.size = integer_at(child(*remove, "size"), i);
      auto dv = deletion_vector_at(*remove, i, where);
      LAKE_RETURN_IF_ERROR(dv);
      r.deletion_vector = std::move(*dv);
      r.base_row_id = integer_at(child(*remove, "baseRowId"), i);
      r.default_row_commit_version = integer_at(child(*remove, "defaultRowCommitVersion"), i);
      out.emplace_back(std::move(r));
    }
    if (txn && txn->IsValid(i)) {
      auto app = string_at(child(*txn, "appId"), i);
      auto version = integer_at(child(*txn, "version"), i);
      if (!app || !version) return bad("txn", i);
      out.emplace_back(Txn{*app, *version, integer_at(child(*txn, "lastUpdated"), i)});
    }
    if (domain && domain->IsValid(i)) {
      auto name = string_at(child(*domain, "domain"), i);
      auto configuration = string_at(child(*domain, "configuration"), i);
      if (!name || !configuration) return bad("domainMetadata", i);
      out.emplace_back(DomainMetadata{*name, *configuration, bool_at(child(*domain, "removed"), i).value_or(false)});
    }
  }
  return out;
}

// The sidecar files a V2 checkpoint's rows name (their `sidecar.path`).
void sidecars_of(const arrow::RecordBatch& batch, std::vector<std::string>& paths) {
  const auto* sidecar = struct_column(batch, "sidecar");
  if (sidecar == nullptr) return;
  for (std::int64_t i = 0; i < batch.num_rows(); ++i)
    if (sidecar->IsValid(i))
      if (auto path = string_at(child(*sidecar, "path"), i)) paths.push_back(std::move(*path));
}

// The backend key of a sidecar named in checkpoint `key`: sidecars live
// in _delta_log/_sidecars/, and their path is the file's (URI-encoded)
// name there. Anything else is refused rather than read from elsewhere.
Result<std::string> sidecar_key(const std::string& key, const std::string& path) {
  auto name = decode_path(path);
  if (!name || name->empty() || name->find('/') != std::string::npos || name->find(':') != std::string::npos ||
      name->starts_with('.'))
    return fail(ErrorCode::unsupported,
                std::format("{}: sidecar '{}' is not a file name in _delta_log/_sidecars/; lake-orm reads sidecars "
                            "only there",
                            key, path));
  return key.substr(0, key.rfind('/') + 1) + "_sidecars/" + *name;
}

// Applies every action of one Parquet file (a checkpoint or a sidecar);
// the sidecars it names are added to `sidecars`.
template <class Apply>
Status read_parquet_actions(Backend& backend, const std::string& key, Apply&& apply,
                            std::vector<std::string>* sidecars) {
  auto input = open_arrow_input(backend, key);
  if (!input) return fail(input.error().with_context("opening checkpoint"));
  auto reader = parquet::arrow::OpenFile(*input, arrow::default_memory_pool());
  if (!reader.ok()) return fail(detail::from_arrow_status(reader.status(), std::format("reading {}", key)));
  auto table = (*reader)->ReadTable();
  if (!table.ok()) return fail(detail::from_arrow_status(table.status(), std::format("reading {}", key)));
  arrow::TableBatchReader batches(**table);
  std::shared_ptr<arrow::RecordBatch> batch;
  while (true) {
    if (auto status = batches.ReadNext(&batch); !status.ok())
      return fail(detail::from_arrow_status(status, std::format("reading {}", key)));
    if (!batch) break;
    auto actions = actions_of(*batch, key);
    LAKE_RETURN_IF_ERROR(actions);
    for (auto& action : *actions) apply(std::move(action));
    if (sidecars != nullptr) sidecars_of(*batch, *sidecars);
  }
  return {};
}

// A V2 checkpoint in JSON: one action per line, as in a commit.
template <class Apply>
Status read_json_actions(Backend& backend, const std::string& key, Apply&& apply, std::vector<std::string>& sidecars) {
  auto text = backend.get_text(key);
  if (!text) return fail(text.error().with_context("reading checkpoint"));
  auto actions = parse_commit_text(*text, key);
  LAKE_RETURN_IF_ERROR(actions);
  for (auto& action : *actions) apply(std::move(action));
  // parse_commit_text knows the commit actions; sidecars are a
  // checkpoint's own.
  for (std::string_view rest = *text; !rest.empty();) {
    const auto newline = rest.find('\n');
    const std::string_view line = rest.substr(0, newline);
    rest = newline == std::string_view::npos ? std::string_view{} : rest.substr(newline + 1);
    if (line.find("\"sidecar\"") == std::string_view::npos) continue;
    auto doc = nlohmann::json::parse(line, nullptr, false);
    if (!doc.is_object() || !doc.contains("sidecar")) continue;
    const auto& sidecar = doc["sidecar"];
    if (!sidecar.is_object() || !sidecar.contains("path") || !sidecar["path"].is_string())
      return fail(ErrorCode::invalid_argument, std::format("{}: a sidecar action without its path", key));
    sidecars.push_back(sidecar["path"].get<std::string>());
  }
  return {};
}

}  // namespace

Status LogReplay::load_checkpoint(Snapshot& snapshot, Backend& backend, const CheckpointFiles& checkpoint) {
  auto apply_one = [&](Action action) { apply(snapshot, std::move(action)); };
  for (const auto& file : checkpoint.files) {
    std::vector<std::string> sidecars;
    if (file.key.ends_with(".json")) {
      LAKE_RETURN_IF_ERROR(read_json_actions(backend, file.key, apply_one, sidecars));
    } else {
      LAKE_RETURN_IF_ERROR(read_parquet_actions(backend, file.key, apply_one, &sidecars));
    }
    for (const auto& path : sidecars) {
      LAKE_ASSIGN_OR_RETURN(auto key, sidecar_key(file.key, path));
      LAKE_RETURN_IF_ERROR(read_parquet_actions(backend, key, apply_one, nullptr));
    }
  }
  return {};
}

}  // namespace lake::delta

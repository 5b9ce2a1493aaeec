// Delta actions <-> newline-delimited JSON.
#include "lake/delta/actions.hpp"

#include <format>

#include <nlohmann/json.hpp>

#include "delta/percent_encoding.hpp"
#include "delta/z85.hpp"

namespace lake::delta {
namespace {

using nlohmann::json;

json partition_values_json(const PartitionValues& values) {
  json out = json::object();
  for (const auto& [column, value] : values) out[column] = value ? json(*value) : json(nullptr);
  return out;
}

template <class T>
void put_optional(json& out, const char* key, const std::optional<T>& value) {
  if (value) out[key] = *value;
}

json action_json(const Protocol& p) {
  json body{{"minReaderVersion", p.min_reader_version}, {"minWriterVersion", p.min_writer_version}};
  if (p.min_reader_version >= 3) body["readerFeatures"] = p.reader_features;
  if (p.min_writer_version >= 7) body["writerFeatures"] = p.writer_features;
  return {{"protocol", body}};
}

json action_json(const Metadata& m) {
  json body{{"id", m.id},
            {"format", {{"provider", "parquet"}, {"options", json::object()}}},
            {"schemaString", m.schema_string},
            {"partitionColumns", m.partition_columns},
            {"configuration", m.configuration}};
  put_optional(body, "name", m.name);
  put_optional(body, "description", m.description);
  put_optional(body, "createdTime", m.created_time);
  return {{"metaData", body}};
}

json deletion_vector_json(const DeletionVector& dv) {
  json body{{"storageType", std::string(1, dv.storage_type)},
            {"pathOrInlineDv", dv.path_or_inline_dv},
            {"sizeInBytes", dv.size_in_bytes},
            {"cardinality", dv.cardinality}};
  put_optional(body, "offset", dv.offset);
  return body;
}

json action_json(const Add& a) {
  json body{{"path", a.path},
            {"partitionValues", partition_values_json(a.partition_values)},
            {"size", a.size},
            {"modificationTime", a.modification_time},
            {"dataChange", a.data_change}};
  put_optional(body, "stats", a.stats);
  if (!a.tags.empty()) body["tags"] = a.tags;
  if (a.deletion_vector) body["deletionVector"] = deletion_vector_json(*a.deletion_vector);
  put_optional(body, "baseRowId", a.base_row_id);
  put_optional(body, "defaultRowCommitVersion", a.default_row_commit_version);
  put_optional(body, "clusteringProvider", a.clustering_provider);
  return {{"add", body}};
}

json action_json(const Remove& r) {
  json body{{"path", r.path}, {"dataChange", r.data_change}};
  put_optional(body, "deletionTimestamp", r.deletion_timestamp);
  if (r.extended_file_metadata) {
    body["extendedFileMetadata"] = true;
    body["partitionValues"] = partition_values_json(r.partition_values);
    put_optional(body, "size", r.size);
  }
  if (r.deletion_vector) body["deletionVector"] = deletion_vector_json(*r.deletion_vector);
  put_optional(body, "baseRowId", r.base_row_id);
  put_optional(body, "defaultRowCommitVersion", r.default_row_commit_version);
  return {{"remove", body}};
}

json action_json(const Txn& t) {
  json body{{"appId", t.app_id}, {"version", t.version}};
  put_optional(body, "lastUpdated", t.last_updated);
  return {{"txn", body}};
}

json action_json(const DomainMetadata& d) {
  json body{{"domain", d.domain}, {"configuration", d.configuration}, {"removed", d.removed}};
  return {{"domainMetadata", body}};
}

json action_json(const CommitInfo& c) {
  auto body = json::parse(c.json, nullptr, false);
  if (body.is_discarded() || !body.is_object()) body = json::object();
  return {{"commitInfo", body}};
}

// --- parsing ---------------------------------------------------------------

struct Reader {
  const json& body;
  std::string_view where;
  std::string_view action;
  std::optional<Error> error;

  void missing(std::string_view field) {
    if (!error)
      error = Error(ErrorCode::invalid_argument,
                    std::format("{}: '{}' action has no valid '{}'", where, action, field));
  }
  // The value of `key` as T. Absent or null: nullopt, and an error when
  // required. Present with the wrong JSON type: always an error.
  template <class T>
  std::optional<T> get(const char* key, bool required) {
    auto it = body.find(key);
    if (it == body.end() || it->is_null()) {
      if (required) missing(key);
      return std::nullopt;
    }
    bool right_type;
    if constexpr (std::same_as<T, std::string>) right_type = it->is_string();
    else if constexpr (std::same_as<T, bool>) right_type = it->is_boolean();
    else right_type = it->is_number_integer();
    if (!right_type) {
      missing(key);
      return std::nullopt;
    }
    return it->get<T>();
  }
  std::string string(const char* key) { return get<std::string>(key, true).value_or(""); }
  std::int64_t integer(const char* key) { return get<std::int64_t>(key, true).value_or(0); }
  std::optional<std::int64_t> optional_integer(const char* key) { return get<std::int64_t>(key, false); }
  std::optional<std::string> optional_string(const char* key) { return get<std::string>(key, false); }
  bool boolean(const char* key, bool fallback) { return get<bool>(key, false).value_or(fallback); }
  std::vector<std::string> strings(const char* key) {
    std::vector<std::string> out;
    auto it = body.find(key);
    if (it == body.end() || it->is_null()) return out;
    if (!it->is_array()) {
      missing(key);
      return out;
    }
    for (const auto& v : *it) {
      if (!v.is_string()) {
        missing(key);
        return {};
      }
      out.push_back(v.get<std::string>());
    }
    return out;
  }
  std::map<std::string, std::string> string_map(const char* key) {
    std::map<std::string, std::string> out;
    auto it = body.find(key);
    if (it == body.end() || it->is_null()) return out;
    if (!it->is_object()) {
      missing(key);
      return out;
    }
    for (const auto& [k, v] : it->items()) {
      if (v.is_string()) out[k] = v.get<std::string>();
      else if (!v.is_null()) out[k] = v.dump();
    }
    return out;
  }
  // A file action's deletionVector: absent or null is none; present, it
  // must be a whole descriptor, since it is part of the file's identity.
  std::optional<DeletionVector> deletion_vector() {
    auto it = body.find("deletionVector");
    if (it == body.end() || it->is_null()) return std::nullopt;
    if (!it->is_object()) {
      missing("deletionVector");
      return std::nullopt;
    }
    Reader inner{*it, where, "deletionVector", std::nullopt};
    DeletionVector dv;
    const std::string storage = inner.string("storageType");
    dv.path_or_inline_dv = inner.string("pathOrInlineDv");
    auto offset = inner.optional_integer("offset");
    dv.size_in_bytes = static_cast<std::int32_t>(inner.integer("sizeInBytes"));
    dv.cardinality = inner.integer("cardinality");
    if (inner.error) {
      error = inner.error;
      return std::nullopt;
    }
    if (storage.size() != 1 || std::string_view("uip").find(storage[0]) == std::string_view::npos) {
      error = Error(ErrorCode::invalid_argument,
                    std::format("{}: '{}' action has a deletionVector with storageType '{}' (the protocol knows "
                                "'u', 'i' and 'p')",
                                where, action, storage));
      return std::nullopt;
    }
    dv.storage_type = storage[0];
    if (offset) dv.offset = static_cast<std::int32_t>(*offset);
    return dv;
  }
  PartitionValues partition_values(const char* key) {
    PartitionValues out;
    auto it = body.find(key);
    if (it == body.end() || it->is_null()) return out;
    if (!it->is_object()) {
      missing(key);
      return out;
    }
    for (const auto& [k, v] : it->items()) {
      if (v.is_null()) out[k] = std::nullopt;
      else if (v.is_string()) out[k] = v.get<std::string>();
      else missing(key);
    }
    return out;
  }
};

}  // namespace

std::string DeletionVector::unique_id() const {
  std::string id = std::string(1, storage_type) + path_or_inline_dv;
  if (offset) id += std::format("@{}", *offset);
  return id;
}

Result<std::string> DeletionVector::file_path() const {
  if (storage_type == 'p') return path_or_inline_dv;
  if (storage_type != 'u')
    return fail(ErrorCode::invalid_argument, "an inline deletion vector is stored in the log, not in a file");
  // <random prefix><20 characters of Z85: the UUID's 16 bytes>.
  constexpr std::size_t kEncodedUuid = 20;
  auto bad = [&] {
    return fail(ErrorCode::invalid_argument,
                std::format("deletion vector '{}' does not end in a Z85-encoded UUID", path_or_inline_dv));
  };
  if (path_or_inline_dv.size() < kEncodedUuid) return bad();
  const std::string_view prefix = std::string_view(path_or_inline_dv).substr(0, path_or_inline_dv.size() - kEncodedUuid);
  auto uuid = z85_decode(std::string_view(path_or_inline_dv).substr(prefix.size()));
  if (!uuid) return bad();
  std::string name = "deletion_vector_";
  for (std::size_t i = 0; i < uuid->size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) name += '-';
    name += std::format("{:02x}", static_cast<unsigned char>((*uuid)[i]));
  }
  name += ".bin";
  return prefix.empty() ? name : std::string(prefix) + "/" + name;
}

LogicalFileKey Add::key() const {
  return {path, deletion_vector ? deletion_vector->unique_id() : std::string()};
}

LogicalFileKey Remove::key() const {
  return {path, deletion_vector ? deletion_vector->unique_id() : std::string()};
}

std::string to_json_line(const Action& action) {
  json j = std::visit([](const auto& a) { return action_json(a); }, action);
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string to_commit_text(const std::vector<Action>& actions) {
  std::string out;
  for (const auto& action : actions) {
    out += to_json_line(action);
    out += '\n';
  }
  return out;
}

Result<std::vector<Action>> parse_commit_text(std::string_view text, std::string_view where) {
  std::vector<Action> actions;
  std::size_t line_number = 0;
  while (!text.empty()) {
    auto newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    auto doc = json::parse(line, nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
      return fail(ErrorCode::invalid_argument, std::format("{}: line {} is not a JSON object", where, line_number));
    for (const auto& [kind, body] : doc.items()) {
      if (!body.is_object()) continue;
      Reader r{body, where, kind, std::nullopt};
      if (kind == "protocol") {
        Protocol p;
        p.min_reader_version = static_cast<int>(r.integer("minReaderVersion"));
        p.min_writer_version = static_cast<int>(r.integer("minWriterVersion"));
        p.reader_features = r.strings("readerFeatures");
        p.writer_features = r.strings("writerFeatures");
        actions.emplace_back(std::move(p));
      } else if (kind == "metaData") {
        Metadata m;
        m.id = r.string("id");
        m.name = r.optional_string("name");
        m.description = r.optional_string("description");
        m.schema_string = r.string("schemaString");
        m.partition_columns = r.strings("partitionColumns");
        m.configuration = r.string_map("configuration");
        m.created_time = r.optional_integer("createdTime");
        actions.emplace_back(std::move(m));
      } else if (kind == "add") {
        Add a;
        a.path = r.string("path");
        a.partition_values = r.partition_values("partitionValues");
        a.size = r.integer("size");
        a.modification_time = r.optional_integer("modificationTime").value_or(0);
        a.data_change = r.boolean("dataChange", true);
        a.stats = r.optional_string("stats");
        a.tags = r.string_map("tags");
        a.deletion_vector = r.deletion_vector();
        a.base_row_id = r.optional_integer("baseRowId");
        a.default_row_commit_version = r.optional_integer("defaultRowCommitVersion");
        a.clustering_provider = r.optional_string("clusteringProvider");
        actions.emplace_back(std::move(a));
      } else if (kind == "remove") {
        Remove rm;
        rm.path = r.string("path");
        rm.deletion_timestamp = r.optional_integer("deletionTimestamp");
        rm.data_change = r.boolean("dataChange", true);
        rm.extended_file_metadata = r.boolean("extendedFileMetadata", false);
        rm.partition_values = r.partition_values("partitionValues");
        rm.size = r.optional_integer("size");
        rm.deletion_vector = r.deletion_vector();
        rm.base_row_id = r.optional_integer("baseRowId");
        rm.default_row_commit_version = r.optional_integer("defaultRowCommitVersion");
        actions.emplace_back(std::move(rm));
      } else if (kind == "txn") {
        Txn t;
        t.app_id = r.string("appId");
        t.version = r.integer("version");
        t.last_updated = r.optional_integer("lastUpdated");
        actions.emplace_back(std::move(t));
      } else if (kind == "domainMetadata") {
        DomainMetadata d;
        d.domain = r.string("domain");
        d.configuration = r.string("configuration");
        d.removed = r.boolean("removed", false);
        actions.emplace_back(std::move(d));
      } else if (kind == "commitInfo") {
        actions.emplace_back(CommitInfo{body.dump(-1, ' ', false, json::error_handler_t::replace)});
      }
      if (r.error) return fail(*r.error);
    }
  }
  return actions;
}

namespace {
bool unreserved(unsigned char c) {
  // Letters, digits, and the characters Delta writers leave as they are in
  // paths (including '/', which separates partition directories).
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '~' || c == '/' || c == '=' || c == ':' || c == '@' || c == '!' || c == '$' || c == '&' ||
         c == '\'' || c == '(' || c == ')' || c == '*' || c == '+' || c == ',' || c == ';';
}
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::string encode_path(std::string_view path) {
  return percent_encode(path, [](unsigned char c) { return !unreserved(c); });
}

Result<std::string> decode_path(std::string_view uri) {
  std::string out;
  out.reserve(uri.size());
  for (std::size_t i = 0; i < uri.size(); ++i) {
    if (uri[i] != '%') {
      out += uri[i];
      continue;
    }
    int hi = i + 2 < uri.size() ? hex_value(uri[i + 1]) : -1;
    int lo = i + 2 < uri.size() ? hex_value(uri[i + 2]) : -1;
    if (hi < 0 || lo < 0)
      return fail(ErrorCode::invalid_argument, std::format("path '{}' has a malformed %-escape", uri));
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

}  // namespace lake::delta

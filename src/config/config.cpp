#include "lake/config.hpp"

#include <toml++/toml.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

#include "config/config_dialect.hpp"
#include "core/propagate.hpp"
#include "lake/dialect.hpp"
#include "lake/drivers/spark.hpp"
#include "lake/local.hpp"

namespace lake {
namespace {

// Where a value came from, for error messages: "lakeorm.toml:12: [client] fast_path_threshold".
struct Where {
  std::string_view source;
  std::string_view section;
  std::string_view key;
  std::uint32_t line = 0;

  [[nodiscard]] Error invalid(std::string_view what) const {
    return Error(ErrorCode::invalid_argument, std::format("{}:{}: [{}] {}: {}", source, line, section, key, what));
  }
};

Result<std::string> as_string(const toml::node& node, const Where& where) {
  if (const auto* value = node.as_string()) return value->get();
  return std::unexpected(where.invalid("expected a string"));
}

Result<std::int64_t> as_integer(const toml::node& node, const Where& where) {
  if (const auto* value = node.as_integer()) return value->get();
  return std::unexpected(where.invalid("expected an integer"));
}

Result<bool> as_bool(const toml::node& node, const Where& where) {
  if (const auto* value = node.as_boolean()) return value->get();
  return std::unexpected(where.invalid("expected true or false"));
}

Result<std::int64_t> positive(Result<std::int64_t> value, const Where& where) {
  if (value && *value <= 0) return std::unexpected(where.invalid(std::format("must be positive, got {}", *value)));
  return value;
}

Result<int> positive_int(const toml::node& node, const Where& where) {
  auto value = positive(as_integer(node, where), where);
  LAKE_RETURN_IF_ERROR(value);
  if (*value > std::numeric_limits<int>::max()) return std::unexpected(where.invalid("too large"));
  return static_cast<int>(*value);
}

// A thread count: 0 (one per core) up to 4096.
Result<int> thread_count(const toml::node& node, const Where& where) {
  auto value = as_integer(node, where);
  LAKE_RETURN_IF_ERROR(value);
  if (*value < 0 || *value > 4096) return std::unexpected(where.invalid("must be between 0 and 4096"));
  return static_cast<int>(*value);
}

using Units = std::map<std::string, std::int64_t, std::less<>>;

const Units& byte_units() {
  static const Units units{{"", 1},          {"B", 1},          {"KB", 1'000},
                           {"MB", 1'000'000}, {"GB", 1'000'000'000}, {"KiB", 1 << 10},
                           {"MiB", 1 << 20},  {"GiB", std::int64_t{1} << 30}};
  return units;
}

const Units& duration_units() {
  static const Units units{{"", 1}, {"s", 1}, {"m", 60}, {"h", 3'600}, {"d", 86'400}};
  return units;
}

// A non-negative integer with an optional unit suffix, e.g. "128MiB" or "24h".
Result<std::int64_t> scaled_text(std::string_view text, const Units& units, std::string_view kind) {
  std::int64_t number = 0;
  const char* begin = text.data();
  const char* end = begin + text.size();
  auto [rest, ec] = std::from_chars(begin, end, number);
  if (ec != std::errc{} || number < 0) {
    return fail(ErrorCode::invalid_argument, std::format("'{}' is not a {}", text, kind));
  }
  std::string_view unit(rest, end);
  while (unit.starts_with(' ')) unit.remove_prefix(1);
  auto found = units.find(unit);
  if (found == units.end()) {
    std::string known;
    for (const auto& [name, _] : units) {
      if (!name.empty()) known += std::format("{}{}", known.empty() ? "" : ", ", name);
    }
    return fail(ErrorCode::invalid_argument, std::format("unknown unit '{}' in '{}' (known: {})", unit, text, known));
  }
  if (number > std::numeric_limits<std::int64_t>::max() / found->second) {
    return fail(ErrorCode::invalid_argument, std::format("'{}' is too large", text));
  }
  return number * found->second;
}

// A TOML integer, or a string with a unit.
Result<std::int64_t> scaled(const toml::node& node, const Where& where, const Units& units, std::string_view kind) {
  if (node.is_integer()) return positive(as_integer(node, where), where);
  const auto* text = node.as_string();
  if (text == nullptr) {
    return std::unexpected(where.invalid(std::format("expected a {} (an integer, or a string with a unit)", kind)));
  }
  auto value = scaled_text(text->get(), units, kind);
  if (!value) return std::unexpected(where.invalid(value.error().message()));
  if (*value == 0) return std::unexpected(where.invalid(std::format("must be positive, got '{}'", text->get())));
  return value;
}

Result<std::int64_t> byte_size(const toml::node& node, const Where& where) {
  return scaled(node, where, byte_units(), "byte size");
}

Result<std::int64_t> duration_seconds(const toml::node& node, const Where& where) {
  return scaled(node, where, duration_units(), "duration");
}

// A short pause (a retry's backoff): an integer is milliseconds.
Result<std::int64_t> pause_milliseconds(const toml::node& node, const Where& where) {
  static const Units units{{"", 1}, {"ms", 1}, {"s", 1'000}, {"m", 60'000}};
  return scaled(node, where, units, "pause");
}

// One of a fixed set of names.
template <class E>
Result<E> choice(const toml::node& node, const Where& where, std::initializer_list<std::pair<std::string_view, E>> names) {
  auto text = as_string(node, where);
  LAKE_RETURN_IF_ERROR(text);
  std::string known;
  for (const auto& [name, value] : names) {
    if (*text == name) return value;
    known += std::format("{}{}", known.empty() ? "" : ", ", name);
  }
  return std::unexpected(where.invalid(std::format("unknown value '{}' (expected one of: {})", *text, known)));
}

// Applies each key of one section through its handler; a key without one
// is an error (a typo must not silently keep a default).
using KeyHandler = std::function<Status(const toml::node&, const Where&)>;

Status apply_section(const toml::table& section, std::string_view source, std::string_view section_name,
                     const std::map<std::string, KeyHandler, std::less<>>& handlers) {
  for (const auto& [key, node] : section) {
    const Where where{source, section_name, key.str(), key.source().begin.line};
    auto handler = handlers.find(key.str());
    if (handler == handlers.end()) {
      std::string known;
      for (const auto& [name, _] : handlers) known += std::format("{}{}", known.empty() ? "" : ", ", name);
      return std::unexpected(where.invalid(std::format("unknown key (known: {})", known)));
    }
    LAKE_RETURN_IF_ERROR(handler->second(node, where));
  }
  return {};
}

// Turns a Result<V> into a Status that stores the value on success.
template <class V, class Target>
Status store(Result<V> value, Target& target) {
  LAKE_RETURN_IF_ERROR(value);
  target = static_cast<Target>(*value);
  return {};
}

// A key that only some kinds of its section have ([storage] kinds,
// [engine] kinds), and the error if the kind is another.
template <class Kind>
struct KindOnlyKey {
  std::vector<Kind> kinds;
  Error error;
};

bool has_token_parameter(std::string_view remote) {
  std::string lowered(remote);
  std::ranges::transform(lowered, lowered.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lowered.find(";token=") != std::string::npos;
}

// The [storage] kind, from `kind` or the uri's scheme, and the keys given
// checked against it.
Status settle_storage(Config& config, std::optional<StorageKind> kind, const std::optional<Where>& uri_where,
                      const std::vector<KindOnlyKey<StorageKind>>& kind_only_keys, std::string_view source) {
  const bool has_uri = !config.uri.empty();
  const StorageKind from_uri = config.uri.starts_with("gs://") ? StorageKind::gcs : StorageKind::s3;
  if (!kind) kind = has_uri ? from_uri : StorageKind::file;
  config.storage = *kind;
  const bool object_store = *kind == StorageKind::s3 || *kind == StorageKind::gcs;
  if (object_store && !has_uri)
    return fail(ErrorCode::invalid_argument,
                std::format("{}: [storage] uri: required for kind = \"{}\" (\"{}://bucket/prefix\")", source,
                            *kind == StorageKind::s3 ? "s3" : "gcs", *kind == StorageKind::s3 ? "s3" : "gs"));
  if (has_uri && *kind != from_uri)
    return fail(uri_where->invalid(std::format("'{}' does not match the storage kind", config.uri)));
  for (const auto& key : kind_only_keys)
    if (!std::ranges::contains(key.kinds, *kind)) return fail(key.error);
  return {};
}

}  // namespace

Result<Config> parse_config(std::string_view text, const std::filesystem::path& base_dir, std::string_view source) {
  toml::table document;
  try {
    document = toml::parse(text, source);
  } catch (const toml::parse_error& error) {
    return std::unexpected(Error(ErrorCode::invalid_argument,
                                 std::format("{}:{}:{}: invalid TOML: {}", source, error.source().begin.line,
                                             error.source().begin.column, error.description())));
  }

  Config config;
  // [storage]: which keys were given, and where, checked against the kind
  // once every key is read (the kind may follow them, or come from the uri).
  std::optional<StorageKind> storage_kind;
  std::vector<KindOnlyKey<StorageKind>> kind_only_keys;
  std::optional<Where> uri_where;
  std::vector<KindOnlyKey<EngineKind>> engine_only_keys;
  std::optional<Where> format_where;
  std::optional<Where> catalog_where;  // the first [catalog] key read
  std::optional<Where> catalog_uri_where;
  std::string catalog_uri;               // [catalog] uri as written
  std::optional<Where> rest_only_where;  // a [catalog] key only a REST catalog has
  auto engine_only = [&](std::initializer_list<EngineKind> kinds, std::string_view names, const Where& where,
                         Status status) -> Status {
    if (status) engine_only_keys.push_back({kinds, where.invalid(std::format("applies to kind = {} only", names))});
    return status;
  };
  auto for_duckdb = [&](const Where& where, Status status) {
    return engine_only({EngineKind::duckdb}, "\"duckdb\"", where, std::move(status));
  };
  auto only_for = [&](std::initializer_list<StorageKind> kinds, std::string_view names, const Where& where,
                      Status status) -> Status {
    if (status) kind_only_keys.push_back({kinds, where.invalid(std::format("applies to kind = {} only", names))});
    return status;
  };
  auto for_s3 = [&](const Where& where, Status status) {
    return only_for({StorageKind::s3}, "\"s3\"", where, std::move(status));
  };
  auto for_gcs = [&](const Where& where, Status status) {
    return only_for({StorageKind::gcs}, "\"gcs\"", where, std::move(status));
  };
  // Keys both object stores have (stored in both option sets).
  auto for_object_stores = [&](const Where& where, Status status) {
    return only_for({StorageKind::s3, StorageKind::gcs}, "\"s3\" or \"gcs\"", where, std::move(status));
  };
  auto path_of = [&](const toml::node& node, const Where& where) -> Result<std::string> {
    auto value = as_string(node, where);
    LAKE_RETURN_IF_ERROR(value);
    if (value->empty()) return std::unexpected(where.invalid("must not be empty"));
    const std::filesystem::path path(*value);
    return (path.is_absolute() ? path : base_dir / path).string();
  };
  // [log]: output is derived once every key is read, so the keys' order
  // does not matter: "off" silences; a level alone means stderr.
  bool log_off = false;
  bool log_level_given = false;
  std::optional<LogOutput> log_output;
  const std::map<std::string, std::map<std::string, KeyHandler, std::less<>>, std::less<>> sections{
      {"storage",
       {{"kind", [&](const auto& node, const auto& where) {
           return store(choice<StorageKind>(node, where,
                                            {{"file", StorageKind::file},
                                             {"memory", StorageKind::memory},
                                             {"s3", StorageKind::s3},
                                             {"gcs", StorageKind::gcs}}),
                        storage_kind);
         }},
        {"root", [&](const auto& node, const auto& where) -> Status {
           auto root = path_of(node, where);
           LAKE_RETURN_IF_ERROR(root);
           config.root = *root;
           return only_for({StorageKind::file}, "\"file\"", where, {});
         }},
        {"uri", [&](const auto& node, const auto& where) -> Status {
           auto uri = as_string(node, where);
           LAKE_RETURN_IF_ERROR(uri);
           if (!uri->starts_with("s3://") && !uri->starts_with("gs://"))
             return std::unexpected(where.invalid(std::format("'{}' must start with s3:// or gs://", *uri)));
           config.uri = *uri;
           uri_where = where;
           return {};
         }},
        {"endpoint", [&](const auto& node, const auto& where) -> Status {
           auto endpoint = as_string(node, where);
           LAKE_RETURN_IF_ERROR(endpoint);
           config.s3.endpoint = config.gcs.endpoint = *endpoint;
           return for_object_stores(where, {});
         }},
        {"verify_tls", [&](const auto& node, const auto& where) -> Status {
           auto verify = as_bool(node, where);
           LAKE_RETURN_IF_ERROR(verify);
           config.s3.connection.verify_tls = config.gcs.connection.verify_tls = *verify;
           return for_object_stores(where, {});
         }},
        {"ca_file", [&](const auto& node, const auto& where) -> Status {
           auto file = path_of(node, where);
           LAKE_RETURN_IF_ERROR(file);
           config.s3.connection.ca_file = config.gcs.connection.ca_file = *file;
           return for_object_stores(where, {});
         }},
        {"max_attempts", [&](const auto& node, const auto& where) -> Status {
           auto attempts = positive_int(node, where);
           LAKE_RETURN_IF_ERROR(attempts);
           config.s3.connection.max_attempts = config.gcs.connection.max_attempts = *attempts;
           return for_object_stores(where, {});
         }},
        {"region",
         [&](const auto& node, const auto& where) { return for_s3(where, store(as_string(node, where), config.s3.region)); }},
        {"path_style",
         [&](const auto& node, const auto& where) { return for_s3(where, store(as_bool(node, where), config.s3.path_style)); }},
        {"profile",
         [&](const auto& node, const auto& where) { return for_s3(where, store(as_string(node, where), config.s3.profile)); }},
        {"single_writer", [&](const auto& node, const auto& where) {
           return for_s3(where, store(as_bool(node, where), config.s3.single_writer));
         }},
        {"part_bytes",
         [&](const auto& node, const auto& where) { return for_s3(where, store(byte_size(node, where), config.s3.part_bytes)); }},
        {"parts_in_flight", [&](const auto& node, const auto& where) {
           return for_s3(where, store(positive_int(node, where), config.s3.parts_in_flight));
         }},
        {"service_account_key_file", [&](const auto& node, const auto& where) {
           return for_gcs(where, store(path_of(node, where), config.gcs.service_account_key_file));
         }},
        {"anonymous",
         [&](const auto& node, const auto& where) { return for_gcs(where, store(as_bool(node, where), config.gcs.anonymous)); }},
        {"chunk_bytes", [&](const auto& node, const auto& where) {
           return for_gcs(where, store(byte_size(node, where), config.gcs.chunk_bytes));
         }}}},
      {"engine",
       {{"kind", [&](const auto& node, const auto& where) {
           return store(choice<EngineKind>(node, where,
                                           {{"duckdb", EngineKind::duckdb},
                                            {"spark", EngineKind::spark},
                                            {"databricks", EngineKind::databricks}}),
                        config.engine_kind);
         }},
        {"threads", [&](const auto& node, const auto& where) {
           return for_duckdb(where, store(thread_count(node, where), config.engine.threads));
         }},
        {"memory_limit",
         [&](const auto& node, const auto& where) {
           return for_duckdb(where, store(as_string(node, where), config.engine.memory_limit));
         }},
        {"scan_batch_rows",
         [&](const auto& node, const auto& where) {
           return for_duckdb(where, store(positive(as_integer(node, where), where), config.engine.scan_batch_rows));
         }},
        {"remote", [&](const auto& node, const auto& where) -> Status {
           auto remote = as_string(node, where);
           LAKE_RETURN_IF_ERROR(remote);
           if (!remote->starts_with("sc://"))
             return std::unexpected(where.invalid(std::format("'{}' must start with sc://", *remote)));
           // The message never repeats the value: it holds a secret.
           if (has_token_parameter(*remote))
             return std::unexpected(where.invalid(
                 "holds a token; secrets are never read from this file (set SPARK_CONNECT_AUTHENTICATE_TOKEN)"));
           config.spark_remote = *remote;
           return engine_only({EngineKind::spark}, "\"spark\"", where, {});
         }},
        {"host", [&](const auto& node, const auto& where) {
           return engine_only({EngineKind::databricks}, "\"databricks\"", where,
                              store(as_string(node, where), config.databricks_host));
         }},
        {"cluster_id", [&](const auto& node, const auto& where) {
           return engine_only({EngineKind::databricks}, "\"databricks\"", where,
                              store(as_string(node, where), config.databricks_cluster_id));
         }}}},
      {"table",
       {{"format", [&](const auto& node, const auto& where) -> Status {
           format_where = where;
           return store(choice<TableFormat>(node, where,
                                            {{"delta", TableFormat::delta}, {"iceberg", TableFormat::iceberg}}),
                        config.format);
         }},
        {"catalog",
         [&](const auto& node, const auto& where) { return store(as_string(node, where), config.client.default_catalog); }},
        {"database", [&](const auto& node, const auto& where) {
           return store(as_string(node, where), config.client.default_database);
         }}}},
      {"catalog",
       {{"kind", [&](const auto& node, const auto& where) -> Status {
           if (!catalog_where) catalog_where = where;
           return store(choice<IcebergCatalogKind>(node, where,
                                                   {{"filesystem", IcebergCatalogKind::file_system},
                                                    {"sql", IcebergCatalogKind::sql},
                                                    {"rest", IcebergCatalogKind::rest}}),
                        config.iceberg_catalog.kind);
         }},
        {"uri", [&](const auto& node, const auto& where) -> Status {
           if (!catalog_where) catalog_where = where;
           catalog_uri_where = where;
           // Read once the kind is known (keys come in any order).
           return store(as_string(node, where), catalog_uri);
         }},
        {"name", [&](const auto& node, const auto& where) -> Status {
           if (!catalog_where) catalog_where = where;
           return store(as_string(node, where), config.iceberg_catalog.name);
         }},
        {"namespace", [&](const auto& node, const auto& where) -> Status {
           if (!catalog_where) catalog_where = where;
           return store(as_string(node, where), config.iceberg_catalog.default_namespace);
         }},
        {"warehouse", [&](const auto& node, const auto& where) -> Status {
           if (!catalog_where) catalog_where = where;
           rest_only_where = where;
           return store(as_string(node, where), config.iceberg_catalog.warehouse);
         }},
        {"scope", [&](const auto& node, const auto& where) -> Status {
           if (!catalog_where) catalog_where = where;
           rest_only_where = where;
           return store(as_string(node, where), config.iceberg_catalog.scope);
         }},
        {"oauth2_server_uri", [&](const auto& node, const auto& where) -> Status {
           if (!catalog_where) catalog_where = where;
           rest_only_where = where;
           return store(as_string(node, where), config.iceberg_catalog.oauth2_server_uri);
         }}}},
      {"client",
       {{"compression", [&](const auto& node, const auto& where) {
           return store(choice<Compression>(node, where,
                                            {{"zstd", Compression::zstd},
                                             {"snappy", Compression::snappy},
                                             {"gzip", Compression::gzip},
                                             {"uncompressed", Compression::uncompressed}}),
                        config.client.compression);
         }},
        {"row_changes", [&](const auto& node, const auto& where) {
           return store(choice<RowChanges>(node, where,
                                           {{"automatic", RowChanges::automatic},
                                            {"copy_on_write", RowChanges::copy_on_write},
                                            {"merge_on_read", RowChanges::merge_on_read}}),
                        config.client.row_changes);
         }},
        {"fast_path_threshold",
         [&](const auto& node, const auto& where) { return store(byte_size(node, where), config.client.fast_path_threshold); }},
        {"staging_batch_bytes",
         [&](const auto& node, const auto& where) { return store(byte_size(node, where), config.client.staging_batch_bytes); }},
        {"staging_part_bytes",
         [&](const auto& node, const auto& where) { return store(byte_size(node, where), config.client.staging_part_bytes); }},
        {"max_inflight_ingests",
         [&](const auto& node, const auto& where) { return store(positive_int(node, where), config.client.max_inflight_ingests); }},
        {"writer_threads",
         [&](const auto& node, const auto& where) { return store(thread_count(node, where), config.client.writer_threads); }},
        {"session_pool_size",
         [&](const auto& node, const auto& where) -> Status {
           auto size = positive_int(node, where);
           LAKE_RETURN_IF_ERROR(size);
           // One setting, two places: the Client's pool and the engine's connections.
           config.client.session_pool_size = *size;
           config.engine.max_connections = *size;
           return {};
         }},
        {"default_idempotency_ttl", [&](const auto& node, const auto& where) -> Status {
           auto seconds = duration_seconds(node, where);
           LAKE_RETURN_IF_ERROR(seconds);
           config.client.default_idempotency_ttl = std::chrono::seconds(*seconds);
           return {};
         }},
        {"write_attempts",
         [&](const auto& node, const auto& where) {
           return store(positive_int(node, where), config.client.write_retry.max_attempts);
         }},
        {"write_backoff", [&](const auto& node, const auto& where) -> Status {
           auto ms = pause_milliseconds(node, where);
           LAKE_RETURN_IF_ERROR(ms);
           config.client.write_retry.initial_backoff = std::chrono::milliseconds(*ms);
           return {};
         }},
        {"write_backoff_max", [&](const auto& node, const auto& where) -> Status {
           auto ms = pause_milliseconds(node, where);
           LAKE_RETURN_IF_ERROR(ms);
           config.client.write_retry.max_backoff = std::chrono::milliseconds(*ms);
           return {};
         }}}},
      {"log",
       {{"level", [&](const auto& node, const auto& where) -> Status {
           auto level = choice<int>(node, where, {{"debug", 0}, {"info", 1}, {"warn", 2}, {"error", 3}, {"off", -1}});
           LAKE_RETURN_IF_ERROR(level);
           log_level_given = true;
           log_off = *level < 0;
           if (!log_off) config.log_level = static_cast<LogLevel>(*level);
           return {};
         }},
        {"output", [&](const auto& node, const auto& where) {
           return store(choice<LogOutput>(node, where,
                                          {{"stderr", LogOutput::stderr_lines}, {"stdout", LogOutput::stdout_lines}}),
                        log_output);
         }}}},
  };

  for (const auto& [name, node] : document) {
    const Where where{source, "", name.str(), name.source().begin.line};
    if (!sections.contains(name.str())) {
      return std::unexpected(Error(ErrorCode::invalid_argument,
                                   std::format("{}:{}: unknown section [{}] (known: catalog, client, engine, log, storage, table)",
                                               source, where.line, name.str())));
    }
    if (!node.is_table()) {
      return std::unexpected(Error(ErrorCode::invalid_argument,
                                   std::format("{}:{}: '{}' must be a [{}] section", source, where.line, name.str(), name.str())));
    }
  }
  for (const auto& [name, handlers] : sections) {
    const auto* section = document[name].as_table();
    if (section == nullptr) continue;
    LAKE_RETURN_IF_ERROR(apply_section(*section, source, name, handlers));
  }
  LAKE_RETURN_IF_ERROR(settle_storage(config, storage_kind, uri_where, kind_only_keys, source));
  for (const auto& key : engine_only_keys)
    if (!std::ranges::contains(key.kinds, config.engine_kind)) return std::unexpected(key.error);
  const bool on_spark = config.engine_kind != EngineKind::duckdb;
  if (on_spark && config.storage == StorageKind::memory)
    return fail(ErrorCode::invalid_argument,
                std::format("{}: [storage] kind = \"memory\": a Spark engine cannot reach this process's memory", source));
  if (config.format == TableFormat::iceberg && on_spark && config.client.default_catalog.empty())
    return std::unexpected(format_where->invalid(
        "\"iceberg\" needs [table] catalog (the Iceberg catalog the Spark server names, e.g. \"ice\")"));
  if (catalog_where) {
    if (on_spark)
      return std::unexpected(catalog_where->invalid(
          "the embedded engine's Iceberg catalog; on Spark the server's catalog serves the tables ([table] catalog names it)"));
    if (config.format != TableFormat::iceberg)
      return std::unexpected(catalog_where->invalid("[catalog] is for Iceberg tables: set [table] format = \"iceberg\""));
    const IcebergCatalogKind kind = config.iceberg_catalog.kind;
    if (kind == IcebergCatalogKind::sql && !catalog_uri_where)
      return std::unexpected(catalog_where->invalid("kind = \"sql\" needs uri, the SQLite catalog file"));
    if (kind == IcebergCatalogKind::rest && !catalog_uri_where)
      return std::unexpected(catalog_where->invalid("kind = \"rest\" needs uri, the catalog service's URL"));
    if (kind == IcebergCatalogKind::file_system && catalog_uri_where)
      return std::unexpected(catalog_uri_where->invalid("only a \"sql\" or \"rest\" catalog has a uri"));
    if (kind != IcebergCatalogKind::rest && rest_only_where)
      return std::unexpected(rest_only_where->invalid("applies to kind = \"rest\" only"));
    if (kind == IcebergCatalogKind::sql) {
      // A path, or pyiceberg's SQLAlchemy URL for the same file; a
      // relative one is relative to this file, as [storage] root is.
      constexpr std::string_view kScheme = "sqlite:///";
      std::string_view path = catalog_uri;
      if (path.starts_with(kScheme)) path.remove_prefix(kScheme.size());
      if (path.empty() || path.find("://") != std::string_view::npos)
        return std::unexpected(catalog_uri_where->invalid("must be a SQLite file: a path or \"sqlite:///path\""));
      const std::filesystem::path file(path);
      config.iceberg_catalog.uri = (file.is_absolute() ? file : base_dir / file).string();
    }
    if (kind == IcebergCatalogKind::rest) {
      if (!catalog_uri.starts_with("http://") && !catalog_uri.starts_with("https://"))
        return std::unexpected(catalog_uri_where->invalid(std::format("'{}' must start with http:// or https://", catalog_uri)));
      config.iceberg_catalog.uri = catalog_uri;
    }
    if (config.iceberg_catalog.name.empty() || config.iceberg_catalog.default_namespace.empty())
      return std::unexpected(catalog_where->invalid("name and namespace must not be empty"));
  }
  if (log_off) {
    config.log_output = LogOutput::off;
  } else if (log_output) {
    config.log_output = *log_output;
  } else if (log_level_given) {
    config.log_output = LogOutput::stderr_lines;
  }
  return config;
}

Result<std::int64_t> parse_byte_size(std::string_view text) { return scaled_text(text, byte_units(), "byte size"); }

Result<std::chrono::seconds> parse_duration(std::string_view text) {
  auto seconds = scaled_text(text, duration_units(), "duration");
  LAKE_RETURN_IF_ERROR(seconds);
  return std::chrono::seconds(*seconds);
}

Result<Config> load_config(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    const auto code = std::filesystem::exists(file) ? ErrorCode::io : ErrorCode::not_found;
    return std::unexpected(Error(code, std::format("cannot read config file '{}'", file.string())));
  }
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::unexpected(Error(ErrorCode::io, std::format("reading config file '{}' failed", file.string())));
  return parse_config(text.str(), file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path(),
                      file.string());
}

namespace {

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

// The engine a configuration names. Secrets come from the environment.
Result<std::shared_ptr<Driver>> driver_for(const Config& config) {
  switch (config.engine_kind) {
    case EngineKind::duckdb: return duckdb::driver(config.engine);
    case EngineKind::spark: {
      std::string remote = config.spark_remote.empty() ? environment("SPARK_REMOTE") : config.spark_remote;
      if (remote.empty())
        return fail(ErrorCode::invalid_argument,
                    "[engine] kind = \"spark\" needs remote = \"sc://host:port\" (or SPARK_REMOTE set)");
      if (const std::string token = environment("SPARK_CONNECT_AUTHENTICATE_TOKEN");
          !token.empty() && !has_token_parameter(remote)) {
        // sc://host:port[/;params...]: parameters follow the path's '/'.
        if (remote.find('/', 5) == std::string::npos) remote += '/';
        remote += ";token=" + token;
      }
      return spark::driver(remote);
    }
    case EngineKind::databricks: {
      auto settings = spark::databricks_settings_from_environment(config.databricks_host, config.databricks_cluster_id);
      LAKE_RETURN_IF_ERROR(settings);
      return spark::databricks_driver(*settings);
    }
  }
  return fail(ErrorCode::internal, "unknown engine kind");
}

}  // namespace

Result<Client> open(const Config& config) {
  // The engine first: what it misses from the environment is the likelier
  // mistake, and nothing is contacted to find it.
  auto driver = driver_for(config);
  LAKE_RETURN_IF_ERROR(driver);
  ClientOptions options = config.client;
  switch (config.log_output) {
    case LogOutput::off: break;
    case LogOutput::stderr_lines: options.logger = json_lines_logger(std::clog, config.log_level); break;
    case LogOutput::stdout_lines: options.logger = json_lines_logger(std::cout, config.log_level); break;
  }
  std::shared_ptr<Backend> backend;
  if (config.storage == StorageKind::memory) {
    backend = memory_backend();
  } else if (config.storage == StorageKind::s3) {
    auto opened = s3_backend(config.uri, config.s3);
    LAKE_RETURN_IF_ERROR(opened);
    backend = std::move(*opened);
  } else if (config.storage == StorageKind::gcs) {
    auto opened = gcs_backend(config.uri, config.gcs);
    LAKE_RETURN_IF_ERROR(opened);
    backend = std::move(*opened);
  } else {
    const auto root = config.root.empty() ? local::default_data_dir() : config.root;
    auto opened = file_backend(root);
    if (!opened) return std::unexpected(opened.error().with_context(std::format("opening '{}'", root.string())));
    backend = std::move(*opened);
  }
  return Client::open(std::move(*driver), dialect_of(config), std::move(backend), std::move(options));
}

std::shared_ptr<const Dialect> dialect_of(const Config& config) {
  if (config.format != TableFormat::iceberg) return delta_dialect();
  IcebergCatalog catalog = config.iceberg_catalog;
  if (catalog.kind == IcebergCatalogKind::rest) {
    if (catalog.credential.empty()) catalog.credential = environment("LAKE_ICEBERG_REST_CREDENTIAL");
    if (catalog.token.empty()) catalog.token = environment("LAKE_ICEBERG_REST_TOKEN");
  }
  return iceberg_dialect(catalog);
}

Result<Client> open_from_config(const std::filesystem::path& file) {
  auto config = load_config(file);
  LAKE_RETURN_IF_ERROR(config);
  return open(*config);
}

}  // namespace lake

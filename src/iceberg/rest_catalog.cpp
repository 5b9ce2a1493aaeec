#include "iceberg/rest_catalog.hpp"

#include <format>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/propagate.hpp"
#include "iceberg/scan.hpp"
#include "iceberg/table_updates.hpp"
#include "storage/object_store/retry.hpp"

namespace lake::iceberg {
namespace {

using nlohmann::json;
using object_store::HttpRequest;
using object_store::HttpResponse;
using object_store::percent_encode;

// The namespace's levels ("a.b" is ["a", "b"]).
json levels(const std::string& ns) {
  json out = json::array();
  std::size_t start = 0;
  for (;;) {
    const auto dot = ns.find('.', start);
    out.push_back(ns.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) return out;
    start = dot + 1;
  }
}

// A namespace in a path: its levels joined by the unit separator (0x1F),
// each percent-encoded.
std::string namespace_path(const std::string& ns) {
  std::string out;
  for (const auto& level : levels(ns)) out += (out.empty() ? "" : "%1F") + percent_encode(level.get<std::string>());
  return out;
}

std::string table_path(const TableIdentifier& id) {
  return std::format("namespaces/{}/tables/{}", namespace_path(id.ns), percent_encode(id.name));
}

// The service's error: {"error": {"message": ..., "type": ..., "code": ...}}.
std::string service_message(const HttpResponse& response) {
  const auto document = json::parse(response.body_text(), nullptr, false);
  if (document.is_object())
    if (auto error = document.find("error"); error != document.end() && error->is_object()) {
      std::string message = error->value("message", std::string());
      if (const std::string type = error->value("type", std::string()); !type.empty())
        message = type + (message.empty() ? "" : ": " + message);
      return message;
    }
  return std::string(response.body_text().substr(0, 200));
}

ErrorCode code_of(long status) {
  switch (status) {
    case 400: return ErrorCode::invalid_argument;
    case 401:
    case 403: return ErrorCode::permission_denied;
    case 404: return ErrorCode::not_found;
    case 406: return ErrorCode::unsupported;
    case 409: return ErrorCode::conflict;
    default: return ErrorCode::io;
  }
}

Error service_error(const HttpResponse& response, std::string_view what) {
  return Error(code_of(response.status),
               std::format("Iceberg REST catalog: {}: HTTP {} {}", what, response.status, service_message(response)));
}

// Whether `loaded` shows the change from `base` to `next`: after a commit
// whose answer was lost, this decides whether it happened. Each commit here
// adds or drops snapshots, moves refs, or changes the schema, so those say.
bool shows(const TableMetadata& loaded, const TableMetadata* base, const TableMetadata& next) {
  if (loaded.table_uuid != next.table_uuid) return false;
  if (!base) return true;
  for (const auto& snapshot : next.snapshots)
    if (!base->snapshot(snapshot.snapshot_id) && !loaded.snapshot(snapshot.snapshot_id)) return false;
  for (const auto& snapshot : base->snapshots)
    if (!next.snapshot(snapshot.snapshot_id) && loaded.snapshot(snapshot.snapshot_id)) return false;
  for (const auto& [name, ref] : next.refs) {
    const auto it = loaded.refs.find(name);
    if (it == loaded.refs.end() || it->second.snapshot_id != ref.snapshot_id) return false;
  }
  if (next.last_column_id != base->last_column_id && loaded.last_column_id != next.last_column_id) return false;
  for (const auto& [key, value] : next.properties)
    if (auto it = loaded.properties.find(key); it == loaded.properties.end() || it->second != value) return false;
  return true;
}

}  // namespace

RestCatalog::RestCatalog(std::shared_ptr<Backend> backend, IcebergCatalog settings)
    : backend_(std::move(backend)), settings_(std::move(settings)), base_url_(settings_.uri) {
  while (base_url_.ends_with('/')) base_url_.pop_back();
}

std::string RestCatalog::default_location(const std::string& table) const { return folder_location(*backend_, table); }

Result<std::optional<std::string>> RestCatalog::authorization() {
  if (!settings_.credential.empty()) {
    LAKE_ASSIGN_OR_RETURN(auto token, tokens_.get([&]() -> Result<object_store::OAuthToken> {
      const std::string endpoint =
          settings_.oauth2_server_uri.empty() ? base_url_ + "/v1/oauth/tokens" : settings_.oauth2_server_uri;
      // "id:secret", or just a secret (pyiceberg's and Java's reading).
      const auto colon = settings_.credential.find(':');
      const std::string id = colon == std::string::npos ? "" : settings_.credential.substr(0, colon);
      const std::string secret = colon == std::string::npos ? settings_.credential : settings_.credential.substr(colon + 1);
      std::string form = "grant_type=client_credentials";
      if (!id.empty()) form += "&client_id=" + percent_encode(id);
      form += "&client_secret=" + percent_encode(secret) + "&scope=" + percent_encode(settings_.scope);
      return object_store::exchange_token(object_store::OAuthExchange{
          .what = std::format("OAuth token for the Iceberg REST catalog from {}", endpoint),
          .service = "OAuth",
          .connection = settings_.connection,
          .prepare = [endpoint, form = std::move(form)](int) -> Result<HttpRequest> {
            // The body outlives the request: `form` is the lambda's own.
            // Field by field: GCC 16 at -O3 takes a designated initializer's
            // defaulted members for uninitialized (-Wmaybe-uninitialized).
            HttpRequest request;
            request.method = "POST";
            request.url = endpoint;
            request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
            request.body = std::as_bytes(std::span(form));
            request.description = "POST " + endpoint;
            return request;
          }});
    }));
    return std::optional("Bearer " + token);
  }
  if (!settings_.token.empty()) return std::optional("Bearer " + settings_.token);
  return std::optional<std::string>{};
}

Result<HttpResponse> RestCatalog::send_authorized(const std::string& url, const Call& call, bool once) {
  LAKE_ASSIGN_OR_RETURN(auto auth, authorization());
  auto prepare = [&](int) -> Result<HttpRequest> {
    HttpRequest request;
    request.method = call.method;
    request.url = url;
    request.headers = {{"Accept", "application/json"}};
    if (call.body) {
      request.headers.emplace_back("Content-Type", "application/json");
      request.body = std::as_bytes(std::span(*call.body));
    }
    if (auth) request.headers.emplace_back("Authorization", *auth);
    request.description = call.method + " " + url;
    request.fresh_connection = once;
    return request;
  };
  if (once) {
    LAKE_ASSIGN_OR_RETURN(auto request, prepare(1));
    request.connection = settings_.connection;
    auto response = object_store::send(request);
    if (!response) return std::unexpected(response.error().error.with_context("Iceberg REST catalog: " + call.what));
    return std::move(*response);
  }
  auto transient = [&](const HttpResponse& response) -> std::optional<Error> {
    if (!object_store::transient_status(response.status)) return std::nullopt;
    return service_error(response, call.what);
  };
  return object_store::send_with_retries(settings_.connection, "Iceberg REST catalog", prepare, transient);
}

Result<HttpResponse> RestCatalog::send(const Call& call, bool once) {
  LAKE_ASSIGN_OR_RETURN(auto root, prefix());
  return send_to(base_url_ + "/v1/" + root + call.path, call, once);
}

Result<HttpResponse> RestCatalog::send_to(const std::string& url, const Call& call, bool once) {
  LAKE_ASSIGN_OR_RETURN(auto response, send_authorized(url, call, once));
  // A token the service no longer takes (revoked, or expired early): one
  // new one, when the credentials can bring it.
  if (response.status == 401 && !settings_.credential.empty()) {
    tokens_.invalidate();
    return send_authorized(url, call, once);
  }
  return response;
}

Result<std::string> RestCatalog::prefix() {
  std::lock_guard lock(mutex_);
  if (prefix_) return *prefix_;
  if (base_url_.empty()) return fail(ErrorCode::invalid_argument, "Iceberg REST catalog: no uri given");
  std::string url = base_url_ + "/v1/config";
  if (!settings_.warehouse.empty()) url += "?warehouse=" + percent_encode(settings_.warehouse);
  LAKE_ASSIGN_OR_RETURN(auto response, send_to(url, Call{.method = "GET", .path = {}, .what = "reading its config"}, false));
  if (response.status != 200) return fail(service_error(response, std::format("reading its config at {}", url)));
  const auto config = json::parse(response.body_text(), nullptr, false);
  if (!config.is_object()) return fail(ErrorCode::io, std::format("Iceberg REST catalog: {} answered with no JSON object", url));
  // overrides win over defaults; "prefix" goes between /v1/ and the rest.
  std::string root;
  for (const char* section : {"defaults", "overrides"})
    if (auto it = config.find(section); it != config.end() && it->is_object())
      if (auto p = it->find("prefix"); p != it->end() && p->is_string()) root = p->get<std::string>();
  while (root.ends_with('/')) root.pop_back();
  prefix_ = root.empty() ? std::string() : root + "/";
  return *prefix_;
}

Result<CurrentMetadata> RestCatalog::parse_loaded(const HttpResponse& response, const std::string& table) {
  const auto document = json::parse(response.body_text(), nullptr, false);
  if (!document.is_object() || !document.contains("metadata-location") || !document["metadata-location"].is_string() ||
      !document.contains("metadata") || !document["metadata"].is_object())
    return fail(ErrorCode::io,
                std::format("Iceberg REST catalog: table '{}': the answer has no metadata-location and metadata", table));
  CurrentMetadata current{.location = document["metadata-location"].get<std::string>(), .metadata = {}};
  LAKE_ASSIGN_OR_RETURN(current.metadata, parse_table_metadata(document["metadata"].dump(), current.location));
  // The files must be where this client's storage reaches.
  if (auto key = key_of(*backend_, current.metadata.location); !key)
    return std::unexpected(key.error().with_context(std::format("Iceberg table '{}' of the REST catalog", table)));
  return current;
}

Result<std::optional<CurrentMetadata>> RestCatalog::load(const std::string& table) {
  const auto id = identify_folder(table, settings_.default_namespace);
  const std::string what = std::format("loading table '{}.{}'", id.ns, id.name);
  LAKE_ASSIGN_OR_RETURN(auto response, send(Call{.method = "GET", .path = table_path(id), .what = what}, false));
  if (response.status == 404) return std::optional<CurrentMetadata>{};
  if (response.status != 200) return fail(service_error(response, what));
  LAKE_ASSIGN_OR_RETURN(auto current, parse_loaded(response, id.ns + "." + id.name));
  return std::optional(std::move(current));
}

Status RestCatalog::drop(const std::string& table) {
  const auto id = identify_folder(table, settings_.default_namespace);
  const std::string what = std::format("dropping table '{}.{}'", id.ns, id.name);
  // purgeRequested=false: the caller removes the files from storage it owns.
  LAKE_ASSIGN_OR_RETURN(auto response,
                        send(Call{.method = "DELETE", .path = table_path(id) + "?purgeRequested=false", .what = what},
                             false));
  if (response.status == 200 || response.status == 204 || response.status == 404) return {};
  return fail(service_error(response, what));
}

Status RestCatalog::create_namespace(const TableIdentifier& id) {
  const std::string what = std::format("creating namespace '{}'", id.ns);
  const std::string body = json{{"namespace", levels(id.ns)}, {"properties", json::object()}}.dump();
  LAKE_ASSIGN_OR_RETURN(auto response, send(Call{.method = "POST", .path = "namespaces", .body = body, .what = what}, false));
  if (response.status == 200 || response.status == 409) return {};  // 409: it exists
  return fail(service_error(response, what));
}

Result<CurrentMetadata> RestCatalog::commit(const std::string& table, const CurrentMetadata* base,
                                            const TableMetadata& next) {
  const auto id = identify_folder(table, settings_.default_namespace);
  const std::string name = id.ns + "." + id.name;
  if (!base) LAKE_RETURN_IF_ERROR(create_namespace(id));
  const TableUpdates change = updates_between(base ? &base->metadata : nullptr, next);
  const std::string body = json{{"identifier", {{"namespace", levels(id.ns)}, {"name", id.name}}},
                                {"requirements", change.requirements},
                                {"updates", change.updates}}
                               .dump();
  const std::string what = std::format("{} table '{}'", base ? "committing to" : "creating", name);
  // Sent once: a repeat behind our back could apply the change twice or
  // make our own success look like a conflict.
  auto response = send(Call{.method = "POST", .path = table_path(id), .body = body, .what = what}, true);
  if (response && response->status == 200) return parse_loaded(*response, name);
  if (response && response->status == 409)
    return fail(base ? ErrorCode::conflict : ErrorCode::already_exists,
                std::format("Iceberg REST catalog: {}: {}", what, service_message(*response)));
  const bool unknown = !response || response->status >= 500;
  if (!unknown) return fail(service_error(*response, what));
  // The service may have applied it: the table says.
  const Error cause = response ? service_error(*response, what) : response.error();
  auto loaded = load(table);
  if (!loaded) return std::unexpected(cause.with_context("and the table could not be loaded to see whether it happened"));
  if (*loaded && shows((*loaded)->metadata, base ? &base->metadata : nullptr, next)) return std::move(**loaded);
  if (!base) return std::unexpected(cause);  // nothing was created
  return fail(ErrorCode::conflict,
              std::format("{} (the table does not show the commit: it is planned again)", cause.message()));
}

}  // namespace lake::iceberg

// An Iceberg catalog behind the REST protocol (the Iceberg project's
// OpenAPI "REST Catalog API"): the service keeps each table's pointer to
// its current metadata file and writes that file itself.
//
//   GET  /v1/config                        once: the service's prefix
//   GET  /v1/{prefix}/namespaces/{ns}/tables/{t}     load
//   POST /v1/{prefix}/namespaces                     create a namespace
//   POST /v1/{prefix}/namespaces/{ns}/tables/{t}     commit: requirements
//        and updates (iceberg/table_updates); a create is the same request
//        with the requirement assert-create
//
// A commit the service refuses because a requirement failed (409) is
// ErrorCode::conflict, and the caller plans again on the reloaded table.
// A commit whose outcome is unknown (the connection dropped, or a 5xx: the
// service may have applied it) is settled by loading the table: when it
// shows the change, the commit succeeded; otherwise it is a conflict and is
// planned again — never reported as a failure whose files the caller
// would delete while the table uses them.
//
// Authentication: a fixed bearer token, or OAuth2 client credentials
// exchanged at the token endpoint for tokens kept until shortly before they
// expire (storage/object_store/oauth_token); a 401 fetches a new token
// once. Tokens and secrets never reach errors or logs.
//
// Table naming and locations are the SQL catalog's: the table in folder
// "sales/events" is "events" in namespace "sales", and its files are under
// that folder of the client's storage (the location the create sends). A
// table whose location is elsewhere is refused when loaded.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "iceberg/catalog.hpp"
#include "lake/iceberg_catalog.hpp"
#include "storage/object_store/http.hpp"
#include "storage/object_store/oauth_token.hpp"

namespace lake::iceberg {

class RestCatalog final : public Catalog {
 public:
  RestCatalog(std::shared_ptr<Backend> backend, IcebergCatalog settings);

  [[nodiscard]] Result<std::optional<CurrentMetadata>> load(const std::string& table) override;
  [[nodiscard]] Result<CurrentMetadata> commit(const std::string& table, const CurrentMetadata* base,
                                               const TableMetadata& next) override;
  [[nodiscard]] Status drop(const std::string& table) override;
  [[nodiscard]] std::string default_location(const std::string& table) const override;

  // OAuth2 tokens fetched so far (tests: refreshed before they expire).
  [[nodiscard]] int token_fetches() const { return tokens_.fetches(); }

 private:
  struct Call {
    std::string method;
    std::string path;  // after /v1/{prefix}/
    std::optional<std::string> body{};
    std::string what;  // for errors: "loading table 'ns.t'"
  };
  // The service's prefix, from GET /v1/config (once).
  [[nodiscard]] Result<std::string> prefix();
  // The Authorization header's value, or nullopt without credentials.
  [[nodiscard]] Result<std::optional<std::string>> authorization();
  // Sends `call` to its path under the prefix; see send_to.
  [[nodiscard]] Result<object_store::HttpResponse> send(const Call& call, bool once);
  // Sends `call` to `url` (retrying transient failures unless `once`), a
  // new token after a 401 when the credentials can bring one.
  [[nodiscard]] Result<object_store::HttpResponse> send_to(const std::string& url, const Call& call, bool once);
  [[nodiscard]] Result<object_store::HttpResponse> send_authorized(const std::string& url, const Call& call, bool once);
  [[nodiscard]] Result<CurrentMetadata> parse_loaded(const object_store::HttpResponse& response, const std::string& table);
  [[nodiscard]] Status create_namespace(const TableIdentifier& id);

  std::shared_ptr<Backend> backend_;
  IcebergCatalog settings_;
  std::string base_url_;  // settings_.uri without a trailing '/'
  std::mutex mutex_;
  std::optional<std::string> prefix_;  // guarded by mutex_
  object_store::TokenCache tokens_;
};

}  // namespace lake::iceberg

// Iceberg catalogs: where a table's current metadata file is, and the one
// atomic step of every commit, replacing it with the next. A commit writes
// its data files, manifests, manifest list and next metadata file first;
// nothing is visible until the catalog swaps the pointer, and a swap that
// finds the pointer moved is ErrorCode::conflict (the caller reloads,
// checks its change against the winner's and tries again).
//
// FileSystemCatalog: tables without a catalog service ("Hadoop" tables),
// the layout Iceberg's HadoopCatalog and HadoopTables use: the metadata
// files are <table>/metadata/v<N>.metadata.json, and creating v<N+1>
// exclusively (PutMode::create, a conditional write on object stores) is
// the swap; <table>/metadata/version-hint.text names the newest N for
// readers that want a hint, and is only a hint (a reader checks for newer
// files after it; without it, the listing of metadata/ decides).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "iceberg/table_metadata.hpp"
#include "lake/storage/backend.hpp"

namespace lake::iceberg {

// A table's current metadata: where it is, and what it says.
struct CurrentMetadata {
  std::string location;  // the metadata file
  TableMetadata metadata;
};

class Catalog {
 public:
  virtual ~Catalog() = default;

  // The table's current metadata; nullopt when there is no such table.
  [[nodiscard]] virtual Result<std::optional<CurrentMetadata>> load(const std::string& table) = 0;

  // Makes `next` the table's current metadata if `base` still is (no base:
  // creates the table, ErrorCode::already_exists if it is there). Returns
  // the table's metadata as committed: `next` in its new file, or, from a
  // catalog service that writes the file itself, what the service made of
  // it (its own metadata log and timestamps). ErrorCode::conflict when
  // another commit replaced `base` first; nothing of this one is then
  // visible.
  [[nodiscard]] virtual Result<CurrentMetadata> commit(const std::string& table, const CurrentMetadata* base,
                                                       const TableMetadata& next) = 0;

  // Forgets the table (its files stay: the caller removes them, after).
  // A table the catalog does not know is nothing to do.
  [[nodiscard]] virtual Status drop(const std::string& table) = 0;

  // Where a new table's files go.
  [[nodiscard]] virtual std::string default_location(const std::string& table) const = 0;
};

// Where a table's files go when it is created through a catalog that
// names tables by their folder: the backend's root URI + "/" + folder.
[[nodiscard]] std::string folder_location(const Backend& backend, const std::string& table);

// The (namespace, name) a catalog service knows the table in folder
// `table` by: "sales/events" is "events" in namespace "sales" ("a/b/t" in
// "a.b"); a table at the storage root is in `default_namespace`.
struct TableIdentifier {
  std::string ns;  // levels joined by '.'
  std::string name;
};
[[nodiscard]] TableIdentifier identify_folder(const std::string& table, const std::string& default_namespace);

class FileSystemCatalog final : public Catalog {
 public:
  // Tables are folders under the backend's root: table "db/events" is
  // <root>/db/events, its location the backend's root URI + "/db/events".
  explicit FileSystemCatalog(std::shared_ptr<Backend> backend) : backend_(std::move(backend)) {}

  [[nodiscard]] Result<std::optional<CurrentMetadata>> load(const std::string& table) override;
  [[nodiscard]] Result<CurrentMetadata> commit(const std::string& table, const CurrentMetadata* base,
                                               const TableMetadata& next) override;
  // The metadata files are the table's own: removing its folder drops it.
  [[nodiscard]] Status drop(const std::string&) override { return {}; }

  [[nodiscard]] std::string default_location(const std::string& table) const override;

 private:
  [[nodiscard]] Result<std::optional<std::int64_t>> newest_version(const std::string& table);

  std::shared_ptr<Backend> backend_;
};

}  // namespace lake::iceberg

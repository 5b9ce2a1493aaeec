#include "iceberg/catalog.hpp"

#include <algorithm>
#include <charconv>
#include <format>

#include "core/propagate.hpp"

namespace lake::iceberg {
namespace {

std::string metadata_key(const std::string& table, std::int64_t version) {
  return std::format("{}/metadata/v{}.metadata.json", table, version);
}

// N of ".../v<N>.metadata.json"; nullopt for any other name.
std::optional<std::int64_t> version_of(std::string_view key) {
  const auto slash = key.rfind('/');
  std::string_view name = slash == std::string_view::npos ? key : key.substr(slash + 1);
  constexpr std::string_view kSuffix = ".metadata.json";
  if (!name.starts_with('v') || !name.ends_with(kSuffix)) return std::nullopt;
  name = name.substr(1, name.size() - 1 - kSuffix.size());
  std::int64_t version = 0;
  auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), version);
  if (error != std::errc{} || end != name.data() + name.size() || version < 1) return std::nullopt;
  return version;
}

}  // namespace

std::string folder_location(const Backend& backend, const std::string& table) {
  std::string root = backend.root_uri();
  while (root.ends_with('/')) root.pop_back();
  return root + "/" + table;
}

TableIdentifier identify_folder(const std::string& table, const std::string& default_namespace) {
  const auto slash = table.rfind('/');
  if (slash == std::string::npos) return {default_namespace, table};
  std::string ns = table.substr(0, slash);
  std::ranges::replace(ns, '/', '.');
  return {std::move(ns), table.substr(slash + 1)};
}

std::string FileSystemCatalog::default_location(const std::string& table) const {
  return folder_location(*backend_, table);
}

Result<std::optional<std::int64_t>> FileSystemCatalog::newest_version(const std::string& table) {
  // version-hint.text is written after a commit and may lag behind it (or
  // be lost with a crash): it is only where the search starts. Versions
  // are created one after the other, so from any existing one the newest
  // is the last of the following ones that exist. Without a usable hint,
  // the listing decides.
  if (auto hint = backend_->get_text(table + "/metadata/version-hint.text")) {
    std::int64_t version = 0;
    const std::string& text = *hint;
    const auto begin = text.data(), end = text.data() + text.size();
    if (auto [at, error] = std::from_chars(begin, end, version);
        error == std::errc{} && version >= 1 && backend_->head(metadata_key(table, version))) {
      for (;;) {
        auto next = backend_->head(metadata_key(table, version + 1));
        if (!next) {
          if (next.error().code() != ErrorCode::not_found) return std::unexpected(next.error());
          return std::optional(version);
        }
        ++version;
      }
    }
  }
  LAKE_ASSIGN_OR_RETURN(auto objects, backend_->list(table + "/metadata/v"));
  std::optional<std::int64_t> newest;
  for (const auto& object : objects)
    if (auto version = version_of(object.key); version && (!newest || *version > *newest)) newest = version;
  return newest;
}

Result<std::optional<CurrentMetadata>> FileSystemCatalog::load(const std::string& table) {
  LAKE_ASSIGN_OR_RETURN(auto newest, newest_version(table));
  if (!newest) return std::optional<CurrentMetadata>{};
  const std::string key = metadata_key(table, *newest);
  LAKE_ASSIGN_OR_RETURN(auto text, backend_->get_text(key));
  CurrentMetadata current{.location = default_location(table) + key.substr(table.size()), .metadata = {}};
  LAKE_ASSIGN_OR_RETURN(current.metadata, parse_table_metadata(text, current.location));
  return std::optional(std::move(current));
}

Result<CurrentMetadata> FileSystemCatalog::commit(const std::string& table, const CurrentMetadata* base,
                                              const TableMetadata& next) {
  std::int64_t version = 1;
  if (base) {
    auto base_version = version_of(base->location);
    if (!base_version)
      return fail(ErrorCode::invalid_argument,
                  std::format("'{}' is not a file-system table's metadata file (v<N>.metadata.json)", base->location));
    version = *base_version + 1;
  }
  const std::string key = metadata_key(table, version);
  const std::string text = to_json_text(next);
  if (auto created = backend_->put_text(key, text, PutMode::create); !created) {
    if (created.error().code() != ErrorCode::already_exists) return std::unexpected(created.error());
    if (!base)
      return fail(ErrorCode::already_exists, std::format("Iceberg table '{}' already exists", table));
    return fail(ErrorCode::conflict,
                std::format("Iceberg table '{}': another commit made version {} first", table, version));
  }
  // Only a hint for readers: the commit above is what counts.
  (void)backend_->put_text(table + "/metadata/version-hint.text", std::to_string(version), PutMode::overwrite);
  return CurrentMetadata{default_location(table) + key.substr(table.size()), next};
}

}  // namespace lake::iceberg

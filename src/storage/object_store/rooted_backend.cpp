#include "storage/object_store/rooted_backend.hpp"
#include "core/propagate.hpp"

#include <format>

namespace lake::object_store {

std::string RootedBackend::rooted_uri(std::string_view scheme, std::string_view bucket) const {
  std::string uri = std::format("{}://{}", scheme, bucket);
  if (!root_.empty()) uri += "/" + root_.substr(0, root_.size() - 1);
  return uri;
}

Status RootedBackend::put(std::string_view key, std::span<const std::byte> data, PutMode mode) {
  LAKE_RETURN_IF_ERROR(check_key(key));
  if (static_cast<std::int64_t>(data.size()) > single_request_bytes_) {
    auto writer = open_writer(key, mode);
    LAKE_RETURN_IF_ERROR(writer);
    LAKE_RETURN_IF_ERROR((*writer)->write(data));
    return (*writer)->close();
  }
  return put_object(full_key(key), data, mode == PutMode::create);
}

Result<std::unique_ptr<ObjectWriter>> RootedBackend::open_writer(std::string_view key, PutMode mode) {
  LAKE_RETURN_IF_ERROR(check_key(key));
  return make_writer(full_key(key), mode == PutMode::create);
}

Result<std::vector<std::byte>> RootedBackend::get(std::string_view key) {
  LAKE_RETURN_IF_ERROR(check_key(key));
  return read_object(full_key(key), std::nullopt);
}

Result<std::vector<std::byte>> RootedBackend::get_range(std::string_view key, std::int64_t offset,
                                                        std::int64_t length) {
  LAKE_RETURN_IF_ERROR(check_key(key));
  if (offset < 0 || length < 0)
    return fail(ErrorCode::invalid_argument,
                std::format("get_range {}: negative offset or length ({}, {})", key, offset, length));
  if (length == 0) {
    // Nothing to read, but a missing object is still not_found.
    auto info = stat_object(full_key(key));
    LAKE_RETURN_IF_ERROR(info);
    return std::vector<std::byte>{};
  }
  return read_object(full_key(key), std::pair{offset, offset + length - 1});
}

Result<ObjectInfo> RootedBackend::head(std::string_view key) {
  LAKE_RETURN_IF_ERROR(check_key(key));
  auto info = stat_object(full_key(key));
  if (info) info->key = std::string(key);
  return info;
}

Result<std::vector<ObjectInfo>> RootedBackend::list(std::string_view prefix, std::string_view start_after) {
  LAKE_RETURN_IF_ERROR(check_prefix(prefix));
  std::vector<ObjectInfo> out;
  std::string token;
  const std::string after = start_after.empty() ? std::string() : full_key(start_after);
  do {
    auto page = list_page(full_key(prefix), after, token);
    LAKE_RETURN_IF_ERROR(page);
    for (auto& object : page->objects) {
      if (!after.empty() && object.key <= after) continue;
      object.key.erase(0, root_.size());
      out.push_back(std::move(object));
    }
    token = std::move(page->next_token);
  } while (!token.empty());
  return out;
}

Status RootedBackend::remove(std::string_view key) {
  LAKE_RETURN_IF_ERROR(check_key(key));
  return delete_object(full_key(key));
}

Status RootedBackend::remove_all(std::span<const std::string> keys) {
  std::vector<std::string> full;
  full.reserve(keys.size());
  for (const auto& key : keys) {
    LAKE_RETURN_IF_ERROR(check_key(key));
    full.push_back(full_key(key));
  }
  return delete_objects(full);
}

Status RootedBackend::delete_objects(std::span<const std::string> full_keys) {
  for (const auto& key : full_keys)
    LAKE_RETURN_IF_ERROR(delete_object(key));
  return {};
}

}  // namespace lake::object_store

// The parts of the storage contract every backend shares: key validation
// and the conveniences built on the virtual operations.
#include "lake/storage/backend.hpp"
#include "core/propagate.hpp"

#include <format>

namespace lake {
namespace {

Status bad_key(std::string_view key, std::string_view why) {
  return fail(ErrorCode::invalid_argument, std::format("invalid storage key '{}': {}", key, why));
}

}  // namespace

Status check_key(std::string_view key) {
  if (key.empty()) return bad_key(key, "empty");
  if (key.front() == '/') return bad_key(key, "must be relative (starts with '/')");
  // Backslashes are separators on some systems and NULs end C strings, so
  // either could make two backends resolve one key to different objects.
  if (key.find('\\') != std::string_view::npos) return bad_key(key, "contains a backslash");
  if (key.find('\0') != std::string_view::npos) return bad_key(key, "contains a NUL byte");
  std::size_t start = 0;
  while (true) {
    const std::size_t end = key.find('/', start);
    const std::string_view segment = key.substr(start, end == std::string_view::npos ? key.npos : end - start);
    // An empty segment ("a//b", "a/") would name the same file as "a/b" on
    // a file system but a different object on an object store.
    if (segment.empty()) return bad_key(key, "has an empty path segment");
    if (segment == "." || segment == "..") return bad_key(key, "has a '.' or '..' path segment");
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return {};
}

Status check_prefix(std::string_view prefix) {
  if (prefix.empty()) return {};
  if (prefix.ends_with('/')) prefix.remove_suffix(1);
  return check_key(prefix);
}

Status Backend::remove_all(std::span<const std::string> keys) {
  for (const auto& key : keys)
    LAKE_RETURN_IF_ERROR(remove(key));
  return {};
}

Status Backend::put_text(std::string_view key, std::string_view text, PutMode mode) {
  return put(key, std::as_bytes(std::span(text.data(), text.size())), mode);
}

Result<std::string> Backend::get_text(std::string_view key) {
  auto data = get(key);
  LAKE_RETURN_IF_ERROR(data);
  std::string text(data->size(), '\0');
  for (std::size_t i = 0; i < data->size(); ++i) text[i] = static_cast<char>((*data)[i]);
  return text;
}

Result<std::size_t> Backend::remove_prefix(std::string_view prefix) {
  auto objects = list(prefix);
  LAKE_RETURN_IF_ERROR(objects);
  std::vector<std::string> keys;
  keys.reserve(objects->size());
  for (ObjectInfo& object : *objects) keys.push_back(std::move(object.key));
  LAKE_RETURN_IF_ERROR(remove_all(keys));
  return keys.size();
}

std::string Backend::uri_of(std::string_view key) const {
  std::string uri = root_uri();
  if (key.empty()) return uri;
  if (!uri.ends_with('/')) uri += '/';
  uri += key;
  return uri;
}

}  // namespace lake

// What every object-store backend (S3, GCS) does the same way around its
// client: check keys and prefixes against the contract, put them under the
// backend's root prefix in the bucket, send large puts through the
// streaming writer, validate ranges, follow listing pages, and strip the
// root from the keys that come back. A store implements the primitives
// below on full object names.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lake/storage/backend.hpp"

namespace lake::object_store {

class RootedBackend : public Backend {
 public:
  // root: "" or "prefix/". single_request_bytes: puts larger than this go
  // through open_writer (multipart / resumable).
  RootedBackend(std::string root, std::int64_t single_request_bytes)
      : root_(std::move(root)), single_request_bytes_(single_request_bytes) {}

  Status put(std::string_view key, std::span<const std::byte> data, PutMode mode) final;
  Result<std::unique_ptr<ObjectWriter>> open_writer(std::string_view key, PutMode mode) final;
  Result<std::vector<std::byte>> get(std::string_view key) final;
  Result<std::vector<std::byte>> get_range(std::string_view key, std::int64_t offset, std::int64_t length) final;
  Result<ObjectInfo> head(std::string_view key) final;
  Result<std::vector<ObjectInfo>> list(std::string_view prefix, std::string_view start_after) final;
  Status remove(std::string_view key) final;
  Status remove_all(std::span<const std::string> keys) final;

 protected:
  // "scheme://bucket[/root]" without a trailing '/'.
  [[nodiscard]] std::string rooted_uri(std::string_view scheme, std::string_view bucket) const;

  struct ListPage {
    std::vector<ObjectInfo> objects;  // full names, sorted
    std::string next_token;           // empty on the last page
  };
  // One request's worth of put (create: exclusive).
  [[nodiscard]] virtual Status put_object(const std::string& full_key, std::span<const std::byte> data,
                                          bool create) = 0;
  [[nodiscard]] virtual std::unique_ptr<ObjectWriter> make_writer(std::string full_key, bool create) = 0;
  // range: inclusive [first, last]; a range past the end reads nothing.
  [[nodiscard]] virtual Result<std::vector<std::byte>> read_object(
      const std::string& full_key, std::optional<std::pair<std::int64_t, std::int64_t>> range) = 0;
  [[nodiscard]] virtual Result<ObjectInfo> stat_object(const std::string& full_key) = 0;
  // Names under full_prefix from `after` on (the store may include `after`
  // itself: it is filtered out here).
  [[nodiscard]] virtual Result<ListPage> list_page(const std::string& full_prefix, const std::string& after,
                                                   const std::string& token) = 0;
  // Missing objects are fine.
  [[nodiscard]] virtual Status delete_object(const std::string& full_key) = 0;
  // Default: one delete_object a key.
  [[nodiscard]] virtual Status delete_objects(std::span<const std::string> full_keys);

 private:
  [[nodiscard]] std::string full_key(std::string_view key) const { return root_ + std::string(key); }

  std::string root_;
  std::int64_t single_request_bytes_;
};

}  // namespace lake::object_store

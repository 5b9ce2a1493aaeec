// Where the bytes live: the storage contract every backend (file, memory,
// S3, GCS) implements, and everything above it (the Delta and Iceberg
// table formats, staging, cleanup) relies on.
//
// The contract is deliberately small and exact, because table-format
// correctness rests on it:
//   - keys are '/'-separated paths relative to the backend's root, never
//     starting with '/', never containing "..";
//   - put(..., PutMode::create) is atomic put-if-absent: of two writers
//     racing for one key exactly one succeeds, the other gets
//     ErrorCode::already_exists, and a reader never sees a partial object
//     (this is what makes a Delta commit atomic);
//   - an object becomes visible whole, at once, or not at all;
//   - list(prefix) returns every object under prefix (recursively), sorted
//     by key in byte order (optionally only those after a given key);
//   - remove() of a missing key succeeds (idempotent);
//   - a missing key on get/get_range/head is ErrorCode::not_found.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lake/error.hpp"
#include "lake/ingest_id.hpp"
#include "lake/types.hpp"

namespace lake {

struct ObjectInfo {
  std::string key;
  std::int64_t size = 0;
  timestamp modified{};
};

enum class PutMode {
  overwrite,  // replace whatever is there
  create,     // atomic put-if-absent: ErrorCode::already_exists if the key exists
};

// Streams one object; nothing is visible until close() succeeds. Destroying
// a writer without close() discards what was written.
class ObjectWriter {
 public:
  virtual ~ObjectWriter() = default;
  [[nodiscard]] virtual Status write(std::span<const std::byte> data) = 0;
  // Publishes the object. Idempotent once it has succeeded.
  [[nodiscard]] virtual Status close() = 0;
  [[nodiscard]] virtual std::int64_t bytes_written() const noexcept = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;

  // "file", "memory", "s3", "gcs".
  [[nodiscard]] virtual std::string_view name() const noexcept = 0;
  // The URI engines use for the root, e.g. "file:///data/lake" or
  // "s3://bucket/lake". Client and driver must resolve it to the same place.
  [[nodiscard]] virtual std::string root_uri() const = 0;

  [[nodiscard]] virtual Status put(std::string_view key, std::span<const std::byte> data, PutMode mode) = 0;
  [[nodiscard]] virtual Result<std::unique_ptr<ObjectWriter>> open_writer(std::string_view key, PutMode mode) = 0;
  [[nodiscard]] virtual Result<std::vector<std::byte>> get(std::string_view key) = 0;
  // Bytes [offset, offset + length) of the object, fewer at its end.
  [[nodiscard]] virtual Result<std::vector<std::byte>> get_range(std::string_view key, std::int64_t offset,
                                                                 std::int64_t length) = 0;
  [[nodiscard]] virtual Result<ObjectInfo> head(std::string_view key) = 0;
  // prefix is a plain string prefix of keys: "" (everything), a directory
  // ("t/_delta_log/") or part of a name ("t/_delta_log/0000"). Otherwise it
  // follows check_key's rules; a prefix nothing is under gives an empty list.
  // Only keys sorting strictly after start_after (byte order) are returned,
  // as with S3's ListObjectsV2 StartAfter: a Delta reader lists its log
  // from the newest checkpoint on instead of from version 0.
  [[nodiscard]] virtual Result<std::vector<ObjectInfo>> list(std::string_view prefix,
                                                             std::string_view start_after) = 0;
  [[nodiscard]] Result<std::vector<ObjectInfo>> list(std::string_view prefix) { return list(prefix, {}); }
  [[nodiscard]] virtual Status remove(std::string_view key) = 0;
  // Removes every key given (missing ones are fine). Object stores do it
  // in batch requests; the default removes one key at a time. On failure
  // some keys may already be gone.
  [[nodiscard]] virtual Status remove_all(std::span<const std::string> keys);

  // --- conveniences shared by every backend ----------------------------
  [[nodiscard]] Status put_text(std::string_view key, std::string_view text, PutMode mode);
  [[nodiscard]] Result<std::string> get_text(std::string_view key);
  // Removes every object under prefix; returns how many were removed.
  [[nodiscard]] Result<std::size_t> remove_prefix(std::string_view prefix);
  // root_uri() joined with a key.
  [[nodiscard]] std::string uri_of(std::string_view key) const;
};

// Checks a key against the contract's rules: not empty, relative (no
// leading '/'), no empty, "." or ".." segments ("a//b", "a/", "a/./b"; a
// ".." inside a name, "a..b", is fine), no backslash, no NUL. Backends call
// it on every key they are given; ErrorCode::invalid_argument names the key.
[[nodiscard]] Status check_key(std::string_view key);
// Checks a listing prefix: empty (everything), or a key that may end in
// '/' (a directory) or stop inside a name.
[[nodiscard]] Status check_prefix(std::string_view prefix);

// A backend over a local directory (created if missing). Exclusive create
// is a hard link of a fully written temporary file, so it is atomic and
// never check-then-write.
[[nodiscard]] Result<std::unique_ptr<Backend>> file_backend(const std::filesystem::path& root);
// A process-local backend for tests and the fast-path harness.
[[nodiscard]] std::unique_ptr<Backend> memory_backend();

}  // namespace lake

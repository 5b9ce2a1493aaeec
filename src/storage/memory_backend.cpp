// A process-local backend: one ordered map under one mutex. It follows the
// contract exactly (put-if-absent is atomic because it happens under the
// lock; std::map's order is byte order), so tests written against it hold
// for the real backends too.
#include <algorithm>
#include <atomic>
#include <format>
#include <map>
#include <mutex>

#include "core/propagate.hpp"
#include "lake/storage/backend.hpp"

namespace lake {
namespace {

struct Object {
  std::vector<std::byte> data;
  timestamp modified{};
};

// Shared between the backend and its writers, so a writer closed after its
// backend is gone still has somewhere to publish (harmlessly).
struct Store {
  std::mutex mutex;
  std::map<std::string, Object, std::less<>> objects;

  Status publish(std::string_view key, std::vector<std::byte> data, PutMode mode) {
    std::scoped_lock lock(mutex);
    auto it = objects.find(key);
    if (it == objects.end()) {
      objects.emplace(std::string(key), Object{std::move(data), now()});
      return {};
    }
    if (mode == PutMode::create) return fail(ErrorCode::already_exists, std::format("{} already exists", key));
    it->second = Object{std::move(data), now()};
    return {};
  }
};

std::unexpected<Error> not_found(std::string_view key) { return fail(ErrorCode::not_found, std::format("{} not found", key)); }

class MemoryWriter final : public ObjectWriter {
 public:
  MemoryWriter(std::shared_ptr<Store> store, std::string key, PutMode mode)
      : store_(std::move(store)), key_(std::move(key)), mode_(mode) {}

  Status write(std::span<const std::byte> data) override {
    if (closed_) return fail(ErrorCode::closed, std::format("writer for {} is closed", key_));
    buffer_.insert(buffer_.end(), data.begin(), data.end());
    return {};
  }

  Status close() override {
    if (closed_) return result_;
    closed_ = true;
    written_ = static_cast<std::int64_t>(buffer_.size());
    result_ = store_->publish(key_, std::move(buffer_), mode_);
    buffer_ = {};
    return result_;
  }

  std::int64_t bytes_written() const noexcept override {
    return closed_ ? written_ : static_cast<std::int64_t>(buffer_.size());
  }

 private:
  std::shared_ptr<Store> store_;
  std::string key_;
  PutMode mode_;
  std::vector<std::byte> buffer_;
  bool closed_ = false;
  std::int64_t written_ = 0;
  Status result_;
};

class MemoryBackend final : public Backend {
 public:
  MemoryBackend() : uri_(std::format("memory://store-{}", next_id_.fetch_add(1) + 1)) {}

  std::string_view name() const noexcept override { return "memory"; }
  std::string root_uri() const override { return uri_; }

  Status put(std::string_view key, std::span<const std::byte> data, PutMode mode) override {
    LAKE_RETURN_IF_ERROR(check_key(key));
    return store_->publish(key, std::vector<std::byte>(data.begin(), data.end()), mode);
  }

  Result<std::unique_ptr<ObjectWriter>> open_writer(std::string_view key, PutMode mode) override {
    LAKE_RETURN_IF_ERROR(check_key(key));
    return std::make_unique<MemoryWriter>(store_, std::string(key), mode);
  }

  Result<std::vector<std::byte>> get(std::string_view key) override {
    LAKE_RETURN_IF_ERROR(check_key(key));
    std::scoped_lock lock(store_->mutex);
    auto it = store_->objects.find(key);
    if (it == store_->objects.end()) return not_found(key);
    return it->second.data;
  }

  Result<std::vector<std::byte>> get_range(std::string_view key, std::int64_t offset, std::int64_t length) override {
    LAKE_RETURN_IF_ERROR(check_key(key));
    if (offset < 0 || length < 0)
      return fail(ErrorCode::invalid_argument,
                  std::format("{}: negative range (offset {}, length {})", key, offset, length));
    std::scoped_lock lock(store_->mutex);
    auto it = store_->objects.find(key);
    if (it == store_->objects.end()) return not_found(key);
    const auto& data = it->second.data;
    const auto size = static_cast<std::int64_t>(data.size());
    if (offset >= size) return std::vector<std::byte>{};
    const std::int64_t count = std::min(length, size - offset);
    return std::vector<std::byte>(data.begin() + offset, data.begin() + offset + count);
  }

  Result<ObjectInfo> head(std::string_view key) override {
    LAKE_RETURN_IF_ERROR(check_key(key));
    std::scoped_lock lock(store_->mutex);
    auto it = store_->objects.find(key);
    if (it == store_->objects.end()) return not_found(key);
    return ObjectInfo{it->first, static_cast<std::int64_t>(it->second.data.size()), it->second.modified};
  }

  Result<std::vector<ObjectInfo>> list(std::string_view prefix, std::string_view start_after) override {
    LAKE_RETURN_IF_ERROR(check_prefix(prefix));
    std::vector<ObjectInfo> out;
    std::scoped_lock lock(store_->mutex);
    auto it = start_after < prefix ? store_->objects.lower_bound(prefix) : store_->objects.upper_bound(start_after);
    for (; it != store_->objects.end() && it->first.starts_with(prefix); ++it)
      out.push_back({it->first, static_cast<std::int64_t>(it->second.data.size()), it->second.modified});
    return out;
  }

  Status remove(std::string_view key) override {
    LAKE_RETURN_IF_ERROR(check_key(key));
    std::scoped_lock lock(store_->mutex);
    if (auto it = store_->objects.find(key); it != store_->objects.end()) store_->objects.erase(it);
    return {};
  }

 private:
  static inline std::atomic<std::uint64_t> next_id_{0};
  std::shared_ptr<Store> store_ = std::make_shared<Store>();
  std::string uri_;
};

}  // namespace

std::unique_ptr<Backend> memory_backend() { return std::make_unique<MemoryBackend>(); }

}  // namespace lake

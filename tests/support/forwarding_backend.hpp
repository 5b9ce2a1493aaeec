// A backend that passes every call to another one; tests derive from it to
// observe (count bytes, note keys) the calls they care about.
#pragma once

#include <memory>

#include <lake/storage/backend.hpp>

namespace lake::testing {

class ForwardingBackend : public Backend {
 public:
  explicit ForwardingBackend(std::unique_ptr<Backend> inner) : inner_(std::move(inner)) {}

  std::string_view name() const noexcept override { return inner_->name(); }
  std::string root_uri() const override { return inner_->root_uri(); }
  Status put(std::string_view key, std::span<const std::byte> data, PutMode mode) override {
    return inner_->put(key, data, mode);
  }
  Result<std::unique_ptr<ObjectWriter>> open_writer(std::string_view key, PutMode mode) override {
    return inner_->open_writer(key, mode);
  }
  Result<std::vector<std::byte>> get(std::string_view key) override { return inner_->get(key); }
  Result<std::vector<std::byte>> get_range(std::string_view key, std::int64_t offset, std::int64_t length) override {
    return inner_->get_range(key, offset, length);
  }
  Result<ObjectInfo> head(std::string_view key) override { return inner_->head(key); }
  using Backend::list;  // list(prefix), which the override below would hide
  Result<std::vector<ObjectInfo>> list(std::string_view prefix, std::string_view start_after) override {
    return inner_->list(prefix, start_after);
  }
  Status remove(std::string_view key) override { return inner_->remove(key); }
  Status remove_all(std::span<const std::string> keys) override { return inner_->remove_all(keys); }

 private:
  std::unique_ptr<Backend> inner_;
};

}  // namespace lake::testing

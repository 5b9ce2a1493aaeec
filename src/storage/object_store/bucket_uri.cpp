#include "storage/object_store/bucket_uri.hpp"

#include <format>

#include "lake/storage/backend.hpp"

namespace lake::object_store {

Result<BucketUri> parse_bucket_uri(std::string_view uri, const BucketRule& rule) {
  if (!uri.starts_with(rule.scheme))
    return fail(ErrorCode::invalid_argument,
                std::format("{} URI '{}' must start with {}", rule.store, uri, rule.scheme));
  std::string_view rest = uri.substr(rule.scheme.size());
  const auto slash = rest.find('/');
  BucketUri out{.bucket = std::string(rest.substr(0, slash)),
                .root = std::string(slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1))};
  while (out.root.ends_with('/')) out.root.pop_back();
  if (!rule.valid(out.bucket))
    return fail(ErrorCode::invalid_argument, std::format("{} URI '{}': bucket '{}' is not a valid bucket name ({})",
                                                         rule.store, uri, out.bucket, rule.allowed));
  if (!out.root.empty()) {
    if (auto ok = check_key(out.root); !ok)
      return std::unexpected(ok.error().with_context(std::format("{} URI '{}'", rule.store, uri)));
    out.root += '/';
  }
  return out;
}

}  // namespace lake::object_store

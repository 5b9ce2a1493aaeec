// A bucket URI as the object-store backends take it: "<scheme>://bucket"
// or "<scheme>://bucket/prefix/inside", parsed and checked once for every
// store (the bucket-name rule is the store's).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "lake/error.hpp"

namespace lake::object_store {

struct BucketUri {
  std::string bucket;
  std::string root;  // "" or a checked key prefix ending in '/'
};

struct BucketRule {
  std::string_view scheme;  // "s3://"
  std::string_view store;   // "S3", for messages
  std::function<bool(std::string_view bucket)> valid;
  std::string_view allowed;  // the rule in words: "3-63 of a-z, 0-9, '-', '.'"
};

// invalid_argument naming the URI (and the bucket or the prefix) when the
// scheme is not the store's, the bucket breaks its rule or the prefix is
// not a valid key.
[[nodiscard]] Result<BucketUri> parse_bucket_uri(std::string_view uri, const BucketRule& rule);

}  // namespace lake::object_store

// Arrow scalars of the types the Iceberg tests build by hand.
#pragma once

#include <arrow/api.h>

#include <cstdint>
#include <memory>
#include <string>

namespace lake::iceberg::testing {

inline std::shared_ptr<arrow::Scalar> decimal(std::int64_t unscaled, int precision, int scale) {
  return std::make_shared<arrow::Decimal128Scalar>(arrow::Decimal128(unscaled), arrow::decimal128(precision, scale));
}

inline std::shared_ptr<arrow::Scalar> fixed(std::string bytes) {
  const auto width = static_cast<std::int32_t>(bytes.size());
  return std::make_shared<arrow::FixedSizeBinaryScalar>(arrow::Buffer::FromString(std::move(bytes)),
                                                        arrow::fixed_size_binary(width));
}

}  // namespace lake::iceberg::testing

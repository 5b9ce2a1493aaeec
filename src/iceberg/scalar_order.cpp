#include "iceberg/scalar_order.hpp"

#include <cmath>

namespace lake::iceberg {

std::partial_ordering compare_values(const arrow::Scalar& a, const arrow::Scalar& b) {
  switch (a.type->id()) {
    case arrow::Type::BOOL:
      return static_cast<const arrow::BooleanScalar&>(a).value <=> static_cast<const arrow::BooleanScalar&>(b).value;
    case arrow::Type::FLOAT:
      return static_cast<const arrow::FloatScalar&>(a).value <=> static_cast<const arrow::FloatScalar&>(b).value;
    case arrow::Type::DOUBLE:
      return static_cast<const arrow::DoubleScalar&>(a).value <=> static_cast<const arrow::DoubleScalar&>(b).value;
    case arrow::Type::DECIMAL128: {
      const auto& x = static_cast<const arrow::Decimal128Scalar&>(a).value;
      const auto& y = static_cast<const arrow::Decimal128Scalar&>(b).value;
      return x < y ? std::partial_ordering::less : y < x ? std::partial_ordering::greater : std::partial_ordering::equivalent;
    }
    case arrow::Type::STRING:
    case arrow::Type::BINARY:
    case arrow::Type::FIXED_SIZE_BINARY:
      return static_cast<const arrow::BaseBinaryScalar&>(a).view() <=> static_cast<const arrow::BaseBinaryScalar&>(b).view();
    default: break;
  }
  // The integer kinds: int and date in 32 bits, long, time and timestamps in 64.
  auto as_long = [](const arrow::Scalar& s) -> std::int64_t {
    switch (s.type->id()) {
      case arrow::Type::INT32: return static_cast<const arrow::Int32Scalar&>(s).value;
      case arrow::Type::DATE32: return static_cast<const arrow::Date32Scalar&>(s).value;
      case arrow::Type::TIME64: return static_cast<const arrow::Time64Scalar&>(s).value;
      case arrow::Type::TIMESTAMP: return static_cast<const arrow::TimestampScalar&>(s).value;
      default: return static_cast<const arrow::Int64Scalar&>(s).value;
    }
  };
  return as_long(a) <=> as_long(b);
}

bool is_nan(const arrow::Scalar& s) {
  if (s.type->id() == arrow::Type::FLOAT) return std::isnan(static_cast<const arrow::FloatScalar&>(s).value);
  if (s.type->id() == arrow::Type::DOUBLE) return std::isnan(static_cast<const arrow::DoubleScalar&>(s).value);
  return false;
}

}  // namespace lake::iceberg

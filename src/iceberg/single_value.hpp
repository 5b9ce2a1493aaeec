// Iceberg's binary single-value serialization (the table spec's Appendix
// D): the form of a data file's lower and upper bounds in manifests and of a
// manifest's partition summaries in manifest lists.
//
// Arrow types map onto Iceberg's as in transforms.hpp. The encodings:
// boolean one byte (0 false, anything else true); int and date 4 bytes
// little-endian; long, time and timestamps 8 bytes little-endian (micros,
// or nanos for the _ns types); float and double IEEE 754 little-endian;
// string its UTF-8 bytes; uuid its 16 bytes big-endian, as stored; fixed
// and binary the bytes; decimal the unscaled value in two's complement,
// big-endian, in as few bytes as hold it. Nothing carries a length or a
// type: the reader brings the column's type.
#pragma once

#include <arrow/scalar.h>
#include <arrow/type.h>
#include <arrow/util/decimal.h>

#include <memory>
#include <string>
#include <string_view>

#include "lake/error.hpp"

namespace lake::iceberg {

// The bytes of a non-null value; its Arrow type chooses the encoding. A
// null is ErrorCode::invalid_argument, as is an Arrow type with no Iceberg
// counterpart; a nested type (the spec gives it no single-value form) is
// ErrorCode::unsupported.
[[nodiscard]] Result<std::string> to_single_value(const arrow::Scalar& value);

// The value of type `type` that `bytes` encode. Bounds written before a
// type promotion keep their old form (manifests record no type for them),
// so, as the spec's promotion table says, a long also reads 4 bytes (an
// int), a double 4 bytes (a float), and a timestamp or timestamp_ns without
// zone 4 bytes (a date, at midnight). A length the type cannot have, or a
// string that is not UTF-8, is ErrorCode::invalid_argument naming the type
// and the length.
[[nodiscard]] Result<std::shared_ptr<arrow::Scalar>> from_single_value(
    std::string_view bytes, const std::shared_ptr<arrow::DataType>& type);

// A decimal's unscaled value in two's complement, big-endian, in the fewest
// bytes that keep its sign (at least one): its single-value form, which the
// bucket hash also consumes.
[[nodiscard]] std::string unscaled_bytes(const arrow::Decimal128& unscaled);

}  // namespace lake::iceberg

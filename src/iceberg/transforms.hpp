// Iceberg's partition transforms (the table spec's "Partition Transforms",
// "Bucket Transform Details", "Truncate Transform Details" and Appendix B):
// how a partition value derives from a source column's value, for writing
// partition tuples and for projecting row predicates onto partitions.
//
// Types are Arrow's, mapped one-to-one onto Iceberg's primitives:
//   boolean  boolean          | decimal(P,S)    decimal128(P, S)
//   int      int32            | date            date32
//   long     int64            | time            time64(us)
//   float    float32          | timestamp[_ns]  timestamp(us|ns), no zone
//   double   float64          | timestamptz[_ns] timestamp(us|ns, zone)
//   string   utf8, large_utf8 | uuid, fixed(L)  fixed_size_binary(16 | L)
//   binary   binary, large_binary
// A zoned timestamp holds UTC instants whatever zone it names, so any zone
// reads as timestamptz and the time transforms count in UTC.
//
// Result types follow the spec's table: bucket, year, month, day and hour
// give int (int32). The Java and Python implementations annotate day's
// result as date; the values are the same days from 1970-01-01, so an int32
// partition value casts to date32 unchanged where a manifest wants the
// annotation.
#pragma once

#include <arrow/array.h>
#include <arrow/scalar.h>
#include <arrow/type.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "formats/table_format.hpp"
#include "lake/error.hpp"

namespace lake::iceberg {

struct PartitionTransform {
  formats::Transform kind = formats::Transform::identity;
  std::int32_t param = 0;  // bucket's N, truncate's W; 0 for the others

  friend bool operator==(const PartitionTransform&, const PartitionTransform&) = default;
};

// The spec's text form: "identity", "bucket[16]", "truncate[4]", "year",
// "month", "day", "hour", "void", exactly so spelled. Any other text is
// ErrorCode::unsupported naming it: the spec lets new transforms appear, and
// a reader must ignore a field it cannot evaluate rather than guess. A
// bucket count or width below 1 (or beyond int) is ErrorCode::invalid_argument.
[[nodiscard]] Result<PartitionTransform> parse_transform(std::string_view text);
[[nodiscard]] std::string to_string(const PartitionTransform& transform);

// The partition value's type for a source column of type `source`: int32
// for bucket, year, month, day and hour; the source type for identity,
// truncate and void. ErrorCode::invalid_argument naming transform and type
// when the transform does not apply to the type (year of a string, truncate
// of a boolean, bucket of a double, anything but void of a nested type).
[[nodiscard]] Result<std::shared_ptr<arrow::DataType>> result_type(const PartitionTransform& transform,
                                                                   const arrow::DataType& source);

// The partition values of every row of `source`, in result_type; a null
// stays null. ErrorCode::invalid_argument as result_type, and for a
// truncated int or long, or an hour, outside the int or long range.
[[nodiscard]] Result<std::shared_ptr<arrow::Array>> apply(const PartitionTransform& transform,
                                                          const arrow::Array& source);
// The same for one value, as predicate projection needs it.
[[nodiscard]] Result<std::shared_ptr<arrow::Scalar>> apply(const PartitionTransform& transform,
                                                           const arrow::Scalar& source);

// Whether v <= w implies t(v) <= t(w) (identity, truncate, year, month,
// day, hour), so a range predicate on the column projects onto the
// partition values; bucket and void do not.
[[nodiscard]] bool preserves_order(const PartitionTransform& transform) noexcept;

// Appendix B's 32-bit hash of a value (Murmur3 x86_32, seed 0), which
// bucket[N] reduces to (hash & INT32_MAX) % N. Defined for every type
// bucket accepts, and for boolean, float and double as the appendix
// specifies them though bucket refuses those types. A null value has no
// hash: ErrorCode::invalid_argument, as for a type without one.
[[nodiscard]] Result<std::int32_t> bucket_hash(const arrow::Scalar& value);

}  // namespace lake::iceberg

// Reading an add's stats JSON, whoever wrote it, as typed per-column
// bounds that are safe to skip files with. Internal to the Delta
// implementation.
//
// Writers differ, so bounds are read to stay valid for all of them:
// timestamp maxima get 999 µs added (Spark and delta-rs truncate them to
// milliseconds), decimal bounds are rounded outwards to the column's scale
// and, above 15 digits, widened by a double's precision (delta-rs writes
// decimals as binary floats), float bounds are rounded outwards when
// narrowed to float. Number texts are kept verbatim while parsing, so
// decimal bounds never pass through a double here.
#pragma once

#include <arrow/scalar.h>
#include <arrow/type.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace lake::delta {

struct ColumnStats {
  std::shared_ptr<arrow::Scalar> min;  // <= every non-NULL value; null when unknown
  std::shared_ptr<arrow::Scalar> max;  // >= every non-NULL value; null when unknown
  std::optional<std::int64_t> null_count;
};

class StatsReader {
 public:
  // nullopt when there are no stats or they are not a JSON object (either
  // way, nothing is known about the file).
  [[nodiscard]] static std::optional<StatsReader> parse(const std::optional<std::string>& stats);

  [[nodiscard]] std::optional<std::int64_t> num_records() const;
  // The leaf column at `path` (a top-level column, then struct fields),
  // its bounds read as `type`.
  [[nodiscard]] ColumnStats column(std::span<const std::string> path,
                                   const std::shared_ptr<arrow::DataType>& type) const;

  struct Node;  // a parsed JSON value (defined where it is parsed)

 private:
  explicit StatsReader(std::shared_ptr<const Node> root) : root_(std::move(root)) {}
  std::shared_ptr<const Node> root_;
};

}  // namespace lake::delta

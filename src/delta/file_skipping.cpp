// Delta's file facts for file skipping (scan.hpp: may_match, prune_files):
// a partition column's value from the add's partition values, any other
// column's bounds and null count from its stats (StatsReader reads any
// writer's stats conservatively). The skipping itself is the formats'
// (formats/file_skipping.hpp).
#include <arrow/scalar.h>

#include <format>

#include "core/propagate.hpp"
#include "delta/partition_values.hpp"
#include "delta/scan.hpp"
#include "delta/stats_reader.hpp"
#include "formats/file_skipping.hpp"
#include "formats/filter.hpp"

namespace lake::delta {
namespace {

Result<bool> may_match_bound(const TableLayout& layout, const Add& file, const arrow::compute::Expression& bound_filter) {
  const arrow::Schema& schema = *layout.arrow_schema;
  const std::optional<StatsReader> stats = StatsReader::parse(file.stats);
  auto facts = [&](const arrow::FieldPath& path, const arrow::Field& field) -> std::optional<formats::ColumnFacts> {
    const std::string& top = schema.field(path.indices().front())->name();
    if (std::ranges::contains(layout.partition_columns, top)) {
      auto value = file.partition_values.find(std::string(layout.physical_name(top)));
      if (value == file.partition_values.end()) return std::nullopt;
      auto scalar = parse_partition_value(value->second, field.type(), top);
      if (!scalar) return std::nullopt;  // reading the file reports the bad value
      return formats::ColumnFacts{.exact = *scalar};
    }
    if (!stats || field.type()->id() == arrow::Type::STRUCT) return std::nullopt;
    const ColumnStats column = stats->column(layout.physical_path(path.indices()), field.type());
    return formats::ColumnFacts{.min = column.min, .max = column.max, .null_count = column.null_count,
                                .value_count = stats->num_records()};
  };
  return formats::may_match(bound_filter, schema, facts, file.path);
}

}  // namespace

Result<bool> may_match(const TableLayout& layout, const Add& file, const arrow::compute::Expression& filter) {
  auto bound = formats::bind_filter(filter, *layout.arrow_schema);
  LAKE_RETURN_IF_ERROR(bound);
  return may_match_bound(layout, file, *bound);
}

Result<std::vector<Add>> prune_files(const TableLayout& layout, const std::vector<Add>& files,
                                     const std::optional<arrow::compute::Expression>& filter) {
  if (!filter) return files;
  auto bound = formats::bind_filter(*filter, *layout.arrow_schema);
  LAKE_RETURN_IF_ERROR(bound);
  std::vector<Add> kept;
  for (const auto& file : files) {
    auto keep = may_match_bound(layout, file, *bound);
    LAKE_RETURN_IF_ERROR(keep);
    if (*keep) kept.push_back(file);
  }
  return kept;
}

}  // namespace lake::delta

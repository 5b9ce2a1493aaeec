// Delta's file facts for file skipping (scan.hpp: may_match, prune_files):
// a partition column's value from the add's partition values, any other
// column's bounds and null count from its stats (StatsReader reads any
// writer's stats conservatively). The skipping itself is the formats'
// (formats/file_skipping.hpp).
#include <arrow/scalar.h>

#include <format>
#include <memory>
#include <optional>

#include "core/propagate.hpp"
#include "delta/partition_values.hpp"
#include "delta/scan.hpp"
#include "delta/stats_reader.hpp"
#include "formats/file_skipping.hpp"
#include "formats/filter.hpp"

namespace lake::delta {
namespace {

// What `file` says about the filter's columns. The stats are parsed on the
// first question, and not at all when the filter reads only partition
// columns.
formats::FileFacts facts_of(const TableLayout& layout, const Add& file) {
  struct ParsedStats {
    bool parsed = false;
    std::optional<StatsReader> reader;  // nullopt: the add has no stats
  };
  auto stats = std::make_shared<ParsedStats>();
  return [&layout, &file, stats](const arrow::FieldPath& path,
                                 const arrow::Field& field) -> std::optional<formats::ColumnFacts> {
    const arrow::Schema& schema = *layout.arrow_schema;
    const std::string& top = schema.field(path.indices().front())->name();
    if (std::ranges::contains(layout.partition_columns, top)) {
      auto value = file.partition_values.find(std::string(layout.physical_name(top)));
      if (value == file.partition_values.end()) return std::nullopt;
      auto scalar = parse_partition_value(value->second, field.type(), top);
      if (!scalar) return std::nullopt;  // reading the file reports the bad value
      return formats::ColumnFacts{.exact = *scalar};
    }
    if (field.type()->id() == arrow::Type::STRUCT) return std::nullopt;
    if (!stats->parsed) {
      stats->reader = StatsReader::parse(file.stats);
      stats->parsed = true;
    }
    if (!stats->reader) return std::nullopt;
    const StatsReader& reader = *stats->reader;
    const ColumnStats column = reader.column(layout.physical_path(path.indices()), field.type());
    return formats::ColumnFacts{.min = column.min, .max = column.max, .null_count = column.null_count,
                                .value_count = reader.num_records()};
  };
}

}  // namespace

Result<bool> may_match(const TableLayout& layout, const Add& file, const arrow::compute::Expression& filter) {
  auto bound = formats::bind_filter(filter, *layout.arrow_schema);
  LAKE_RETURN_IF_ERROR(bound);
  return formats::may_match(*bound, *layout.arrow_schema, facts_of(layout, file), file.path);
}

Result<std::vector<Add>> prune_files(const TableLayout& layout, const std::vector<Add>& files,
                                     const std::optional<arrow::compute::Expression>& filter) {
  if (!filter) return files;
  auto bound = formats::bind_filter(*filter, *layout.arrow_schema);
  LAKE_RETURN_IF_ERROR(bound);
  const formats::FileSkipping skipping(*std::move(bound), *layout.arrow_schema);
  std::vector<Add> kept;
  for (const auto& file : files) {
    auto keep = skipping.may_match(facts_of(layout, file), file.path);
    LAKE_RETURN_IF_ERROR(keep);
    if (*keep) kept.push_back(file);
  }
  return kept;
}

}  // namespace lake::delta

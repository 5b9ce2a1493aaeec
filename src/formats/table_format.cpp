#include "formats/table_format.hpp"

#include <format>

#include "formats/lake_properties.hpp"

namespace lake::formats {

std::string_view to_string(Transform transform) noexcept {
  switch (transform) {
    case Transform::identity: return "identity";
    case Transform::bucket: return "bucket";
    case Transform::truncate: return "truncate";
    case Transform::year: return "year";
    case Transform::month: return "month";
    case Transform::day: return "day";
    case Transform::hour: return "hour";
    case Transform::void_: return "void";
  }
  return "identity";
}

std::string partition_label(const PartitionField& field) {
  const std::string& column = field.source_column;
  switch (field.transform) {
    case Transform::identity: return column;
    case Transform::bucket: return std::format("bucket({}, {})", field.param, column);
    case Transform::truncate: return std::format("truncate({}, {})", field.param, column);
    case Transform::year: return std::format("years({})", column);
    case Transform::month: return std::format("months({})", column);
    case Transform::day: return std::format("days({})", column);
    case Transform::hour: return std::format("hours({})", column);
    case Transform::void_: return std::format("void({})", column);
  }
  return column;
}

std::vector<std::string> FormatTable::primary_keys() const {
  return list_property(metadata().properties, kPrimaryKeysProperty);
}
std::vector<std::string> FormatTable::merge_keys() const {
  return list_property(metadata().properties, kMergeKeysProperty);
}
std::vector<std::string> FormatTable::cluster_by() const {
  return list_property(metadata().properties, kClusterByProperty);
}

TableInfo table_info(const TableRef& table, const FormatTable& handle) {
  const TableMetadata& metadata = handle.metadata();
  TableInfo info{.table = table,
                 .format = metadata.format,
                 .version = metadata.snapshot.id,
                 .columns = {},
                 .partition_columns = {},
                 .properties = metadata.properties};
  info.columns.reserve(metadata.columns.size());
  for (const Column& column : metadata.columns) info.columns.push_back(column.field);
  for (const PartitionField& field : metadata.partitioning) info.partition_columns.push_back(partition_label(field));
  return info;
}

Error missing_table(const TableRef& table, const Backend& backend) {
  return Error(ErrorCode::not_found, std::format("table '{}' does not exist at '{}' (migrate it first)", table.name,
                                                 backend.uri_of(table.location)));
}

}  // namespace lake::formats

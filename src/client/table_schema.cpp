// lake::schema_of_table (see lake/table_schema.hpp).
#include "lake/table_schema.hpp"

#include <algorithm>

#include "formats/lake_properties.hpp"

namespace lake {

Schema schema_of_table(const TableInfo& table) {
  Schema schema;
  schema.table_name = table.table.name;
  const auto primary = formats::list_property(table.properties, formats::kPrimaryKeysProperty);
  const auto merge = formats::list_property(table.properties, formats::kMergeKeysProperty);
  for (const Field& column : table.columns) {
    if (column.column == kIngestIdColumn) continue;
    Field field = column;
    field.primary_key = std::ranges::contains(primary, column.column);
    field.merge_key = std::ranges::contains(merge, column.column);
    schema.fields.push_back(std::move(field));
  }
  // Keys in the order the table records them (a composite key's order).
  for (const auto& [names, indexes] : {std::pair{&primary, &schema.primary_keys}, std::pair{&merge, &schema.merge_keys}})
    for (const auto& name : *names)
      if (auto index = schema.column_index(name)) indexes->push_back(*index);
  return schema;
}

}  // namespace lake

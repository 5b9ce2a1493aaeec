// What the data-file layer needs to know about a table at one version: where
// it lives in the backend, its columns and partition columns, and the Arrow
// schema its rows have once read (all columns, in table order, partition
// columns included). Internal to the Delta implementation.
#pragma once

#include <arrow/type.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lake/delta/snapshot.hpp"
#include "lake/error.hpp"
#include "lake/schema/schema.hpp"

namespace lake::delta {

// Column mapping (delta.columnMapping.mode): in `name` and `id` modes a
// field's name in data files, partition values and stats is its physical
// name, so renames and drops change only the schema; in `id` mode data
// files are matched by Parquet field id.
enum class ColumnMapping : std::uint8_t { none, name, id };

// A field's physical identity, aligned with the logical DataType: a
// struct's fields as its children, a list's element and a map's key and
// value (unnamed) likewise.
struct PhysicalField {
  std::string name;
  std::optional<std::int32_t> id{};
  std::vector<PhysicalField> children{};
};

struct TableLayout {
  std::string root;  // the table's key prefix in the backend ("" = the backend root)
  std::vector<Field> columns;
  std::vector<std::string> partition_columns;
  std::shared_ptr<arrow::Schema> arrow_schema;
  // delta.dataSkippingNumIndexedCols: stats are collected for the first N
  // leaf columns (-1 = all).
  int stats_columns = 32;
  // A clustered table's clustering columns, whose stats every file must
  // have whatever stats_columns says.
  std::vector<std::string> clustering_columns{};
  ColumnMapping mapping = ColumnMapping::none;
  // With a mapping, one per column (in `columns`' order).
  std::vector<PhysicalField> physical{};

  // A column's physical identity; null without a mapping (or for a
  // column the table does not have).
  [[nodiscard]] const PhysicalField* physical_field(std::string_view column) const;
  // A column's name in data files, partition values and stats (its own
  // name without a mapping).
  [[nodiscard]] std::string_view physical_name(std::string_view column) const;
  // The physical names along a path of field indices (top-level column,
  // then struct fields), as stats key nested fields.
  [[nodiscard]] std::vector<std::string> physical_path(std::span<const int> indices) const;

  // The key of a file given its (URI-encoded) path from an add action.
  [[nodiscard]] Result<std::string> key_of(const std::string& add_path) const;
};

// ErrorCode::unsupported for a column lake-orm does not partition by: a
// nested one, or a binary one (writers disagree on how binary partition
// values are spelled, so no reading of them could be trusted).
[[nodiscard]] Status check_partition_column(const Field& column);

[[nodiscard]] Result<TableLayout> layout_of(const std::string& root, const Snapshot& snapshot);

}  // namespace lake::delta

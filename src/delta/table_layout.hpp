// What the data-file layer needs to know about a table at one version: where
// it lives in the backend, its columns and partition columns, and the Arrow
// schema its rows have once read (all columns, in table order, partition
// columns included). Internal to the Delta implementation.
#pragma once

#include <arrow/type.h>

#include <memory>
#include <string>
#include <vector>

#include "lake/delta/snapshot.hpp"
#include "lake/error.hpp"
#include "lake/schema/schema.hpp"

namespace lake::delta {

struct TableLayout {
  std::string root;  // the table's key prefix in the backend ("" = the backend root)
  std::vector<Field> columns;
  std::vector<std::string> partition_columns;
  std::shared_ptr<arrow::Schema> arrow_schema;
  // delta.dataSkippingNumIndexedCols: stats are collected for the first N
  // leaf columns (-1 = all).
  int stats_columns = 32;

  // The key of a file given its (URI-encoded) path from an add action.
  [[nodiscard]] Result<std::string> key_of(const std::string& add_path) const;
};

[[nodiscard]] Result<TableLayout> layout_of(const std::string& root, const Snapshot& snapshot);

}  // namespace lake::delta

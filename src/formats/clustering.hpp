// The row order optimize writes when it clusters a partition's rows: along
// a Z-order curve over some columns, or sorted by them. Both formats
// cluster the same way, so a table compacts alike whichever format holds
// it; what marks a file as already clustered is the format's own (Delta:
// a tag on the add action; Iceberg: the summary of the snapshot that
// wrote it).
#pragma once

#include <arrow/array.h>
#include <arrow/table.h>

#include <memory>
#include <string>
#include <vector>

#include "lake/error.hpp"
#include "lake/maintenance.hpp"

namespace lake::formats {

struct Clustering {
  enum class Kind { none, zorder, sort };
  Kind kind = Kind::none;
  std::vector<std::string> columns{};

  // "zorder:a,b" / "sort:a,b"; empty for none. Files written under one tag
  // are clustered the same way.
  [[nodiscard]] std::string tag() const;
};

// What optimize's options ask for: zorder_by, else sort_by, else a Z-order
// on the table's clustering columns (`cluster_by`), else none. Each column
// must be a top-level, non-nested column of `schema` and not one every
// file holds a single value of (`single_valued`: Delta's partition
// columns, Iceberg's identity-partition sources), else
// ErrorCode::invalid_argument / schema_mismatch naming it.
[[nodiscard]] Result<Clustering> clustering_of(const OptimizeOptions& options, const std::vector<std::string>& cluster_by,
                                               const arrow::Schema& schema,
                                               const std::vector<std::string>& single_valued);

// `rows` in the clustering's order (unchanged for none).
[[nodiscard]] Result<std::shared_ptr<arrow::Table>> clustered(const std::shared_ptr<arrow::Table>& rows,
                                                              const Clustering& clustering);

}  // namespace lake::formats

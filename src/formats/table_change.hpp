// The schema changes a table format applies to a table in place, one list
// per commit (FormatTable::alter): what a migration file's statements say,
// in the contract's words. A format refuses what its own evolution rules
// forbid, with ErrorCode::schema_mismatch or unsupported naming the
// column; a refused list changes nothing.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "lake/schema/schema.hpp"

namespace lake::formats {

// New nullable columns at the end.
struct AddColumns {
  std::vector<Field> columns;
};
struct DropColumn {
  std::string column;
};
struct RenameColumn {
  std::string from;
  std::string to;
};
// A widening the format allows (Delta's type widening, Iceberg's promotions).
struct ChangeColumnType {
  std::string column;
  DataType type;
};
// NOT NULL → nullable.
struct DropNotNull {
  std::string column;
};
struct SetProperties {
  std::map<std::string, std::string> properties;
};
struct UnsetProperties {
  std::vector<std::string> keys;
};
// Iceberg's partition evolution: a field added to, or dropped from, the
// default spec.
struct PartitionFieldChange {
  bool add = true;
  std::string column;
  PartitionKind kind = PartitionKind::raw;
  std::int64_t param = 0;
};
// A change of partitioning that rewrites the table (Delta's REPLACE TABLE
// ... AS SELECT * FROM itself): every row kept, in new files laid out by
// `partitioning`, `properties` set, one commit. A format that evolves
// partitioning in place (Iceberg) refuses it. It is a list of its own.
struct Repartition {
  struct Term {
    std::string column;
    PartitionKind kind = PartitionKind::raw;
    std::int64_t param = 0;
  };
  std::vector<Term> partitioning;
  std::map<std::string, std::string> properties;
};
using TableChange = std::variant<AddColumns, DropColumn, RenameColumn, ChangeColumnType, DropNotNull, SetProperties,
                                 UnsetProperties, PartitionFieldChange, Repartition>;

}  // namespace lake::formats

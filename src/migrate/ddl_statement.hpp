// The statements migrate_generate writes, read back as typed changes: the
// subset of Spark SQL DDL that lake-orm's embedded engine applies to Delta
// and Iceberg tables itself. A statement outside it (a hand-written
// UPDATE, say) is ErrorCode::unsupported naming the statement: Spark runs
// such files, the embedded engine does not guess. Internal to the
// migrations.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "lake/error.hpp"
#include "formats/table_change.hpp"
#include "lake/schema/schema.hpp"
#include "migrate/table_state.hpp"

namespace lake::migrate {

struct ColumnDefinition {
  std::string name;
  DataType type;
  bool nullable = true;
  friend bool operator==(const ColumnDefinition&, const ColumnDefinition&) = default;
};

// CREATE TABLE t (columns) USING <format> [PARTITIONED BY (...)] [TBLPROPERTIES (...)]
struct CreateTableStatement {
  std::string table;
  std::vector<ColumnDefinition> columns;  // _ingest_id included, as written
  std::string format;                     // "delta", "iceberg" (lower case)
  std::vector<PartitionState> partitions;
  std::map<std::string, std::string> properties;
  friend bool operator==(const CreateTableStatement&, const CreateTableStatement&) = default;
};
struct DropTableStatement {
  std::string table;
  friend bool operator==(const DropTableStatement&, const DropTableStatement&) = default;
};
struct AddColumnsStatement {
  std::string table;
  std::vector<ColumnDefinition> columns;
  friend bool operator==(const AddColumnsStatement&, const AddColumnsStatement&) = default;
};
struct DropColumnStatement {
  std::string table;
  std::string column;
  friend bool operator==(const DropColumnStatement&, const DropColumnStatement&) = default;
};
struct RenameColumnStatement {
  std::string table;
  std::string from;
  std::string to;
  friend bool operator==(const RenameColumnStatement&, const RenameColumnStatement&) = default;
};
struct ChangeColumnTypeStatement {
  std::string table;
  std::string column;
  DataType type;
  friend bool operator==(const ChangeColumnTypeStatement&, const ChangeColumnTypeStatement&) = default;
};
struct ChangeNullabilityStatement {
  std::string table;
  std::string column;
  bool nullable = true;  // DROP NOT NULL; false: SET NOT NULL
  friend bool operator==(const ChangeNullabilityStatement&, const ChangeNullabilityStatement&) = default;
};
struct SetPropertiesStatement {
  std::string table;
  std::map<std::string, std::string> properties;
  friend bool operator==(const SetPropertiesStatement&, const SetPropertiesStatement&) = default;
};
struct UnsetPropertiesStatement {
  std::string table;
  std::vector<std::string> keys;
  friend bool operator==(const UnsetPropertiesStatement&, const UnsetPropertiesStatement&) = default;
};
// ALTER TABLE t ADD / DROP PARTITION FIELD <term> (Iceberg's evolution).
struct PartitionFieldStatement {
  std::string table;
  bool add = true;
  PartitionState field;
  friend bool operator==(const PartitionFieldStatement&, const PartitionFieldStatement&) = default;
};
// REPLACE TABLE t USING <format> [PARTITIONED BY (...)] [TBLPROPERTIES (...)]
// AS SELECT * FROM t: the table rewritten with other partitioning.
struct ReplaceTableStatement {
  std::string table;
  std::string format;
  std::vector<PartitionState> partitions;
  std::map<std::string, std::string> properties;
  friend bool operator==(const ReplaceTableStatement&, const ReplaceTableStatement&) = default;
};

using DdlStatement =
    std::variant<CreateTableStatement, DropTableStatement, AddColumnsStatement, DropColumnStatement,
                 RenameColumnStatement, ChangeColumnTypeStatement, ChangeNullabilityStatement, SetPropertiesStatement,
                 UnsetPropertiesStatement, PartitionFieldStatement, ReplaceTableStatement>;

// The table a statement changes.
[[nodiscard]] const std::string& table_of(const DdlStatement& statement);

// ErrorCode::unsupported (with the statement's start) for SQL outside the
// subset, ErrorCode::invalid_argument for malformed SQL inside it.
[[nodiscard]] Result<DdlStatement> parse_ddl(std::string_view sql);

// An ALTER or REPLACE TABLE statement as the change the format layer
// applies (FormatTable::alter; REPLACE is formats::Repartition); nullopt
// for CREATE and DROP TABLE, which are not changes to a table. SET NOT NULL is refused
// (ErrorCode::unsupported): neither format makes a nullable column NOT NULL.
[[nodiscard]] Result<std::optional<formats::TableChange>> table_change(const DdlStatement& statement);

}  // namespace lake::migrate

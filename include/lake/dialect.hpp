// The data dialect: a table format's public face. It owns the format's
// native implementation (what the embedded engine reads and writes
// through), answers what the format asks of writes and DDL, and the
// Client asks it where an insert goes and which table properties a
// declared schema implies. Drivers are engines: they never ask which
// format they serve, only the dialect.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lake/driver.hpp"
#include "lake/error.hpp"
#include "lake/iceberg_catalog.hpp"
#include "lake/schema/schema.hpp"

namespace lake {

namespace formats {
class NativeFormat;  // the table-format contract (internal)
class SqlFormat;    // the format as an engine that implements it drives it (internal)
}
namespace migrate {
class MigrationRules;  // the format's schema-evolution rules (internal)
}

// What a client asks of the tables it creates.
struct TableDefaults {
  std::chrono::seconds idempotency_ttl{std::chrono::hours(24)};
  RowChanges row_changes = RowChanges::automatic;
};

class Dialect {
 public:
  virtual ~Dialect() = default;
  // "delta", "iceberg".
  [[nodiscard]] virtual std::string_view name() const noexcept = 0;

  // The path an insert of about `bytes` takes: `requested` unless it is
  // automatic, then direct below `fast_path_threshold` and staged above.
  [[nodiscard]] virtual WritePath route(WritePath requested, std::int64_t bytes,
                                        std::int64_t fast_path_threshold) const noexcept;

  // The format's own implementation, which an embedded engine reads and
  // writes tables through; null when this build has none (then only an
  // engine with its own implementation of the format, Spark, serves it).
  [[nodiscard]] virtual std::shared_ptr<const formats::NativeFormat> native_format() const = 0;
  // What an engine that implements the format itself (Spark) runs for its
  // tables, and how it reads their metadata.
  [[nodiscard]] virtual std::shared_ptr<const formats::SqlFormat> sql_format() const = 0;
  // What the format's own evolution rules allow a migration to change, and
  // the statements that change it (lake/migrate.hpp).
  [[nodiscard]] virtual std::shared_ptr<const migrate::MigrationRules> migration_rules() const = 0;

  // Table properties a new table for `schema` gets, beyond what the table
  // format records from the schema itself (keys, clustering): e.g. how
  // long the format keeps idempotency records, whether changes are
  // merge-on-read.
  [[nodiscard]] virtual std::map<std::string, std::string> table_properties(const Schema& schema,
                                                                            const TableDefaults& defaults) const = 0;
  // ErrorCode::unsupported when the format's writes cannot change rows
  // the way `mode` asks (Client::open checks it).
  [[nodiscard]] virtual Status check_row_changes(RowChanges mode) const = 0;

  // The partitioning a table created for `schema` has, as TableInfo and
  // TableStats show it (what assert_schema compares): Delta's partition
  // columns (the plain partition annotations); Iceberg's partition fields
  // ("bucket(8, visitor)", "truncate(4, page)", "day").
  [[nodiscard]] virtual std::vector<std::string> partition_columns(const Schema& schema) const = 0;

  // The CREATE TABLE statement a SQL engine (Spark) runs for `schema` at
  // `location_uri`, with identifiers quoted and properties included.
  [[nodiscard]] virtual Result<std::string> create_table_sql(
      const TableRef& table, const Schema& schema, std::string_view location_uri,
      const std::map<std::string, std::string>& properties) const = 0;
};

// Delta Lake.
[[nodiscard]] std::shared_ptr<const Dialect> delta_dialect();

// Apache Iceberg (format version 2), partitioned with Iceberg's identity,
// bucket and truncate transforms; embedded engines keep tables in a
// file-system catalog, or in `catalog` (lake/iceberg_catalog.hpp).
[[nodiscard]] std::shared_ptr<const Dialect> iceberg_dialect();
[[nodiscard]] std::shared_ptr<const Dialect> iceberg_dialect(const IcebergCatalog& catalog);

}  // namespace lake

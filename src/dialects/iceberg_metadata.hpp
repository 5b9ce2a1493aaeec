// Iceberg tables on an engine that implements Iceberg (Spark): their
// metadata, read by this project's Iceberg implementation from the files
// the engine's catalog names (an Iceberg table's current metadata file is
// known only to its catalog, so the engine is asked, and reads the files
// for us); what Iceberg's metadata tables (snapshots, files, all_files)
// say where a query over them is the question; and the statements of its
// maintenance procedures. Internal to the Iceberg dialect.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/compute/expression.h>

#include "formats/sql_format.hpp"
#include "lake/driver.hpp"

namespace lake::dialects::iceberg {

using formats::SqlSession;
using formats::SqlStatement;

// The session setting that puts `key` into the summary of the snapshot a
// statement commits (spark.sql.iceberg.snapshot-property.<key>).
[[nodiscard]] std::string snapshot_property_setting(std::string_view key);

// Where a table lives, for Spark's SQL: `sql` is the quoted, catalog-
// qualified name (`ice`.`db`.`t`), `procedure_argument` the name as the
// catalog's procedures take it (a string literal, catalog left out).
struct TableName {
  std::string catalog;  // quoted
  std::string sql;
  std::string procedure_argument;
};
[[nodiscard]] TableName name_of(const formats::SqlTable& table);

struct Snapshot {
  std::int64_t id = 0;
  timestamp committed_at{};
  std::string operation;
  std::string summary_json;  // the snapshot summary as a JSON object
  [[nodiscard]] std::int64_t summary_count(std::string_view key) const;
};

struct Description {
  TableInfo info;
  std::string location;  // the table's root, as Spark reports it
};

// The table's schema, partition fields, properties and current snapshot;
// none when the catalog has no such table. Read by src/iceberg from the
// metadata files the engine's catalog names, each read through the engine
// (dialects/engine_files): one implementation of Iceberg metadata.
[[nodiscard]] Result<std::optional<Description>> describe(SqlSession& session, const TableRef& table,
                                                          const TableName& name);

// Snapshots (Spark's snapshots metadata table), newest first; only those
// whose summary has `tag` = value when a tag is given.
[[nodiscard]] Result<std::vector<Snapshot>> snapshots(
    SqlSession& session, const TableName& name, std::optional<std::size_t> limit,
    std::optional<std::pair<std::string_view, std::string_view>> tag = std::nullopt);

// The table's files, rows, bytes and versions, and its history, newest
// first: as src/iceberg reads them, through the engine.
[[nodiscard]] Result<TableStats> stats(SqlSession& session, const TableName& name);
[[nodiscard]] Result<std::vector<HistoryEntry>> history(SqlSession& session, const TableName& name,
                                                        std::optional<std::size_t> limit);

// CALL <catalog>.system.rewrite_data_files: bins of two or more small
// files are rewritten (Delta's OPTIMIZE rule), z-ordered when columns are
// given, only in partitions matching `where`.
[[nodiscard]] Result<SqlStatement> rewrite_data_files_statement(const TableName& name,
                                                             const std::optional<arrow::compute::Expression>& where,
                                                             const std::vector<std::string>& zorder_by,
                                                             std::optional<std::int64_t> target_file_bytes);

// The files expiring the snapshots older than `cutoff` (keeping the
// current one) deletes: those no retained snapshot references.
[[nodiscard]] Result<std::vector<std::pair<std::string, std::int64_t>>> files_only_in_snapshots_before(
    SqlSession& session, const TableName& name, timestamp cutoff);

[[nodiscard]] SqlStatement expire_snapshots_statement(const TableName& name, timestamp cutoff);

}  // namespace lake::dialects::iceberg

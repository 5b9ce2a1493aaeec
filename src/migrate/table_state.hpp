// The state a migration directory describes: for every table it covers,
// the columns, partitioning, keys, managed properties and the format
// features migrations turned on. Each generated file carries the full
// state after it as its `-- State-JSON:` header, so the next generation
// replays only the newest file (Django's loader pattern) and diffs the
// structs against it. Internal to the migrations.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lake/error.hpp"
#include "lake/schema/schema.hpp"

namespace lake::migrate {

struct ColumnState {
  std::string name;
  DataType type;
  bool nullable = false;
  bool indexed = false;   // declaration hints: no table change,
  bool sortable = false;  // but part of the state the structs declare
  // The declared previous name (lake::renamed_from). Never stored: it only
  // says how a target column relates to the state before it.
  std::string renamed_from{};
  friend bool operator==(const ColumnState& a, const ColumnState& b) {
    return a.name == b.name && a.type == b.type && a.nullable == b.nullable && a.indexed == b.indexed &&
           a.sortable == b.sortable;
  }
};

struct PartitionState {
  std::string column;
  PartitionKind kind = PartitionKind::raw;
  std::int64_t param = 0;
  friend bool operator==(const PartitionState&, const PartitionState&) = default;
};

struct TableState {
  std::string name;
  std::vector<ColumnState> columns;  // declaration order, without _ingest_id
  std::vector<PartitionState> partitions;
  std::vector<std::string> primary_keys;
  std::vector<std::string> merge_keys;
  // The table properties the struct implies (the lake.* key properties,
  // the dialect's own): a migration sets and unsets them to match.
  std::map<std::string, std::string> properties;
  // Format features a migration turned on to make a change possible
  // (Delta's columnMapping, typeWidening). Sticky: never turned off.
  std::vector<std::string> features;

  [[nodiscard]] const ColumnState* find(std::string_view column) const noexcept;
  [[nodiscard]] bool has_feature(std::string_view feature) const noexcept;
  void add_feature(std::string_view feature);
  friend bool operator==(const TableState&, const TableState&) = default;
};

// Every table a migration directory covers, by name (sorted, so the JSON
// form is deterministic).
struct State {
  std::string format;  // "delta", "iceberg"
  std::map<std::string, TableState> tables;
  friend bool operator==(const State&, const State&) = default;
};

// The one-line JSON form the State-JSON header holds: keys in a fixed
// order, no whitespace, so equal states are equal bytes.
[[nodiscard]] std::string to_json(const State& state);
// ErrorCode::invalid_argument naming what is malformed.
[[nodiscard]] Result<State> parse_state(std::string_view json);

// The state a declared schema asks for, with `properties` (what the
// dialect's migration rules say the struct implies).
[[nodiscard]] TableState declared_state(const Schema& schema, std::map<std::string, std::string> properties);

}  // namespace lake::migrate

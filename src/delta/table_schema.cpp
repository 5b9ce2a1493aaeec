// Schema evolution: new nullable columns at the end and dropping a NOT
// NULL constraint (files written before read the new columns as NULL, see
// read_data_file); under column mapping also renames and drops, which
// change only the schema; turning column mapping on; and widening a
// column's type (type_widening.hpp). Each is one commit; alter()
// (table_alter.hpp) folds a migration's list of them into one.
#include <algorithm>
#include <cctype>
#include <format>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/propagate.hpp"
#include "delta/column_mapping.hpp"
#include "delta/liquid_clustering.hpp"
#include "delta/schema_json.hpp"
#include "delta/table_alter.hpp"
#include "delta/table_properties.hpp"
#include "delta/table_writer.hpp"
#include "delta/type_widening.hpp"
#include "formats/lake_properties.hpp"

namespace lake::delta {
namespace {

bool same_name(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

// Commits a metadata action (and a protocol, when it changes) as one
// version; a concurrent write conflicts with it (metadata_changed).
Result<CommitResult> commit_metadata(TableWriter& writer, Metadata metadata, std::string operation,
                                     std::map<std::string, std::string> parameters,
                                     std::optional<Protocol> protocol = std::nullopt) {
  PendingCommit pending{.operation = std::move(operation), .parameters = std::move(parameters)};
  if (protocol) pending.actions.emplace_back(std::move(*protocol));
  pending.actions.emplace_back(std::move(metadata));
  return writer.commit(std::move(pending), {}, CommitResult{});
}

// The table's columns after a change: existing fields keep their schema
// entries (physical names and ids under column mapping, comments), new
// ones get their own.
Result<CommitResult> commit_columns(TableWriter& writer, const std::vector<Field>& columns, std::string operation,
                                    const nlohmann::json& parameters) {
  Metadata metadata = writer.snapshot().metadata();
  LAKE_ASSIGN_OR_RETURN(auto edit, schema_with_columns(metadata, columns));
  metadata.schema_string = std::move(edit.schema_string);
  metadata.configuration = std::move(edit.configuration);
  // The first timestamp_ntz column brings its table feature.
  std::optional<Protocol> protocol;
  const Protocol& current = writer.snapshot().protocol();
  if (uses_timestamp_ntz(columns) && !std::ranges::contains(current.reader_features, std::string_view("timestampNtz")))
    protocol = with_table_feature(current, "timestampNtz", true);
  return commit_metadata(writer, std::move(metadata), std::move(operation), {{"columns", parameters.dump()}},
                         std::move(protocol));
}

// `current` with `added` appended as new nullable columns (files written
// before read them as NULL); schema_mismatch naming a column that is not a
// usable name, is there already, or is NOT NULL (rows already in the table
// have no value for it).
Result<std::vector<Field>> with_new_columns(std::vector<Field> current, const std::vector<Field>& added) {
  for (const auto& field : added) {
    if (!is_valid_identifier(field.column))
      return fail(ErrorCode::schema_mismatch, std::format("'{}' is not a valid column name", field.column));
    if (std::ranges::any_of(current, [&](const Field& f) { return same_name(f.column, field.column); }))
      return fail(ErrorCode::schema_mismatch, std::format("the table already has a column '{}'", field.column));
    if (!field.nullable)
      return fail(ErrorCode::schema_mismatch,
                  std::format("new column '{}' must be nullable (rows already in the table have no value for it)",
                              field.column));
    Field column;
    column.column = field.column;
    column.type = field.type;
    column.nullable = true;
    current.push_back(std::move(column));
  }
  return current;
}

// The lake.* key and clustering lists naming `column`.
std::vector<std::string_view> key_lists_naming(const Metadata& metadata, std::string_view column) {
  std::vector<std::string_view> lists;
  for (std::string_view key : {formats::kPrimaryKeysProperty, formats::kMergeKeysProperty, formats::kClusterByProperty})
    if (std::ranges::contains(formats::list_property(metadata.configuration, key), column)) lists.push_back(key);
  return lists;
}

}  // namespace

Result<CommitResult> Table::add_columns(const std::vector<Field>& columns) {
  LAKE_RETURN_IF_ERROR(snapshot_.check_writable(false));
  if (columns.empty()) return fail(ErrorCode::invalid_argument, "add_columns: no columns given");
  auto next = with_new_columns(snapshot_.columns(), columns);
  if (!next) return std::unexpected(next.error().with_context("add_columns"));
  nlohmann::json added = nlohmann::json::array();
  for (const auto& field : columns) added.push_back(field.column);
  TableWriter writer(*this);
  return commit_columns(writer, *next, "ADD COLUMNS", added);
}

Result<CommitResult> Table::evolve_to(const Schema& schema) {
  LAKE_RETURN_IF_ERROR(snapshot_.check_writable(false));
  const std::vector<Field> declared = table_columns(schema);
  const std::vector<Field>& current = snapshot_.columns();
  std::vector<std::string> problems;
  std::vector<Field> next = current;
  nlohmann::json changed = nlohmann::json::array();

  std::vector<std::string> declared_partitions;
  for (const auto& spec : schema.partitions)
    if (spec.kind == PartitionKind::raw) declared_partitions.push_back(schema.fields[spec.field].column);
  if (declared_partitions != snapshot_.partition_columns())
    problems.push_back("the partition columns differ (Delta cannot repartition a table in place)");

  for (const auto& field : declared) {
    auto it = std::ranges::find_if(next, [&](const Field& f) { return same_name(f.column, field.column); });
    if (it == next.end()) {
      if (!field.nullable) {
        problems.push_back(std::format("new column '{}' is not nullable (existing rows have no value for it)",
                                       field.column));
        continue;
      }
      Field column;
      column.column = field.column;
      column.type = field.type;
      column.nullable = true;
      next.push_back(std::move(column));
      changed.push_back("add " + field.column);
      continue;
    }
    if (it->column != field.column)
      problems.push_back(std::format("column '{}' is declared as '{}' (renaming needs column mapping)", it->column,
                                     field.column));
    if (!(it->type == field.type))
      problems.push_back(std::format("column '{}' is {} in the table and {} in the declaration", it->column,
                                     it->type.to_string(), field.type.to_string()));
    if (it->nullable && !field.nullable)
      problems.push_back(std::format("column '{}' is nullable in the table and may hold NULLs; it cannot become "
                                     "non-nullable",
                                     it->column));
    if (!it->nullable && field.nullable) {
      it->nullable = true;
      changed.push_back("drop not null " + it->column);
    }
  }
  for (const auto& column : current)
    if (std::ranges::none_of(declared, [&](const Field& f) { return same_name(f.column, column.column); }))
      problems.push_back(std::format("column '{}' is in the table but not declared (dropping columns needs column "
                                     "mapping)",
                                     column.column));
  if (!problems.empty())
    return fail(ErrorCode::schema_mismatch,
                std::format("table '{}' cannot evolve to '{}': {}", root_, schema.type_name, join(problems, "; ")));
  if (changed.empty()) return CommitResult{.version = version()};
  TableWriter writer(*this);
  return commit_columns(writer, next, "CHANGE COLUMNS", changed);
}

Result<CommitResult> Table::rename_column(std::string_view from, std::string_view to) {
  LAKE_RETURN_IF_ERROR(snapshot_.check_writable(false));
  if (!is_valid_identifier(to))
    return fail(ErrorCode::schema_mismatch, std::format("rename_column: '{}' is not a valid column name", to));
  Metadata metadata = snapshot_.metadata();
  LAKE_ASSIGN_OR_RETURN(auto edit, schema_with_rename(metadata, from, to));
  metadata.schema_string = std::move(edit.schema_string);
  metadata.configuration = std::move(edit.configuration);
  // The partition columns and lake-orm's key lists name columns by
  // their (logical) names: they follow the rename.
  std::ranges::replace(metadata.partition_columns, std::string(from), std::string(to));
  for (std::string_view key : key_lists_naming(metadata, from)) {
    auto items = formats::list_property(metadata.configuration, key);
    std::ranges::replace(items, std::string(from), std::string(to));
    metadata.configuration[std::string(key)] = formats::list_value(items);
  }
  TableWriter writer(*this);
  return commit_metadata(writer, std::move(metadata), "RENAME COLUMN",
                         {{"oldColumnPath", std::string(from)}, {"newColumnPath", std::string(to)}});
}

Result<CommitResult> Table::drop_column(std::string_view column) {
  LAKE_RETURN_IF_ERROR(snapshot_.check_writable(false));
  Metadata metadata = snapshot_.metadata();
  if (std::ranges::contains(metadata.partition_columns, column))
    return fail(ErrorCode::invalid_argument,
                std::format("drop_column: '{}' is a partition column; Delta cannot drop one in place", column));
  if (auto lists = key_lists_naming(metadata, column); !lists.empty())
    return fail(ErrorCode::invalid_argument,
                std::format("drop_column: '{}' is one of the table's keys or clustering columns ({})", column,
                            lists.front()));
  TableWriter writer(*this);
  LAKE_ASSIGN_OR_RETURN(auto layout, writer.layout());
  if (std::ranges::contains(layout.clustering_columns, column))
    return fail(ErrorCode::invalid_argument,
                std::format("drop_column: '{}' is a clustering column of the table (the {} domain); change the "
                            "clustering first",
                            column, kClusteringDomain));
  LAKE_ASSIGN_OR_RETURN(auto edit, schema_without(metadata, column));
  LAKE_ASSIGN_OR_RETURN(auto left, parse_schema_string(edit.schema_string));
  if (left.size() <= metadata.partition_columns.size())
    return fail(ErrorCode::invalid_argument,
                std::format("drop_column: '{}' is the table's last data column", column));
  metadata.schema_string = std::move(edit.schema_string);
  metadata.configuration = std::move(edit.configuration);
  return commit_metadata(writer, std::move(metadata), "DROP COLUMNS",
                         {{"columns", nlohmann::json::array({std::string(column)}).dump()}});
}

Result<CommitResult> Table::change_column_type(std::string_view column, const DataType& to) {
  LAKE_RETURN_IF_ERROR(snapshot_.check_writable(false));
  Metadata metadata = snapshot_.metadata();
  const auto before = std::ranges::find(snapshot_.columns(), column, &Field::column);
  const Protocol& protocol = snapshot_.protocol();
  const bool stable = std::ranges::contains(protocol.writer_features, std::string("typeWidening"));
  const bool preview = std::ranges::contains(protocol.writer_features, std::string("typeWidening-preview"));
  // The preview form records the table version of each change, which a
  // commit that may land later than planned cannot know for certain.
  if (preview && !stable)
    return fail(ErrorCode::unsupported, "change_column_type: the table has typeWidening-preview, whose type changes "
                                        "record their table version; lake-orm writes the stable form only");
  LAKE_ASSIGN_OR_RETURN(auto edit, schema_with_type_change(metadata, column, to));
  metadata.schema_string = std::move(edit.schema_string);
  metadata.configuration = std::move(edit.configuration);
  std::optional<Protocol> upgraded;
  if (!stable) upgraded = with_table_feature(protocol, "typeWidening", true);
  if (to.id == TypeId::timestamp_ntz && !std::ranges::contains(protocol.reader_features, std::string("timestampNtz")))
    upgraded = with_table_feature(upgraded.value_or(protocol), "timestampNtz", true);
  TableWriter writer(*this);
  return commit_metadata(writer, std::move(metadata), "CHANGE COLUMN",
                         {{"column", nlohmann::json({{"name", std::string(column)},
                                                     {"fromType", before->type.to_string()},
                                                     {"toType", to.to_string()}})
                                         .dump()}},
                         std::move(upgraded));
}

Result<CommitResult> Table::enable_column_mapping(ColumnMappingMode mode) {
  LAKE_RETURN_IF_ERROR(snapshot_.check_writable(false));
  Metadata metadata = snapshot_.metadata();
  LAKE_ASSIGN_OR_RETURN(
      auto edit, schema_with_mapping(metadata, mode == ColumnMappingMode::id ? ColumnMapping::id : ColumnMapping::name));
  metadata.schema_string = std::move(edit.schema_string);
  metadata.configuration = std::move(edit.configuration);
  const Protocol protocol = with_table_feature(snapshot_.protocol(), "columnMapping", true);
  TableWriter writer(*this);
  return commit_metadata(
      writer, std::move(metadata), "SET TBLPROPERTIES",
      {{"properties", nlohmann::json({{std::string(kColumnMappingMode), mode == ColumnMappingMode::id ? "id" : "name"}})
                          .dump()}},
      protocol);
}

Result<CommitResult> Table::cluster_by(const std::vector<std::string>& columns) {
  LAKE_RETURN_IF_ERROR(snapshot_.check_writable(false));
  if (!snapshot_.partition_columns().empty())
    return fail(ErrorCode::invalid_argument,
                std::format("cluster_by: table '{}' is partitioned by [{}]; a Delta table is clustered or partitioned, "
                            "not both",
                            root_, join(snapshot_.partition_columns(), ", ")));
  TableWriter writer(*this);
  LAKE_ASSIGN_OR_RETURN(auto layout, writer.layout());
  const std::vector<std::string>& before = layout.clustering_columns;
  LAKE_ASSIGN_OR_RETURN(auto domain, clustering_domain(columns, layout));
  // Every file must have stats on a clustering column (PROTOCOL.md
  // "Writer Requirements for Clustered Table"); files are not rewritten
  // here, so a column some file has no stats for is refused.
  for (const auto& name : columns) {
    if (std::ranges::contains(before, name)) continue;
    const std::string physical(layout.physical_name(name));
    for (const auto& [key, add] : snapshot_.files()) {
      const auto stats = add.stats ? nlohmann::json::parse(*add.stats, nullptr, false) : nlohmann::json();
      const bool has = stats.is_object() && stats.contains("nullCount") && stats["nullCount"].is_object() &&
                       stats["nullCount"].contains(physical);
      if (!has)
        return fail(ErrorCode::invalid_argument,
                    std::format("cluster_by: data file '{}' has no statistics for '{}' (the table collects stats on "
                                "its first delta.dataSkippingNumIndexedCols columns); a clustering column needs them "
                                "in every file",
                                key.path, name));
    }
  }
  PendingCommit pending{.operation = "CLUSTER BY",
                        .parameters = {{"oldClusteringColumns", join(before, ",")},
                                       {"newClusteringColumns", join(columns, ",")}}};
  Protocol protocol = with_table_feature(with_table_feature(snapshot_.protocol(), "domainMetadata", false),
                                         "clustering", false);
  if (!(protocol == snapshot_.protocol())) pending.actions.emplace_back(std::move(protocol));
  pending.actions.emplace_back(std::move(domain));
  return writer.commit(std::move(pending), {}, CommitResult{});
}

}  // namespace lake::delta

namespace lake::delta {
namespace {

// The table's state as a list of changes is folded over it.
struct Draft {
  Metadata metadata;
  Protocol protocol;
  bool protocol_changed = false;
  std::vector<std::string> operations;

  void need(std::string_view feature, bool reader) {
    if (std::ranges::contains(protocol.writer_features, feature)) return;
    protocol = with_table_feature(protocol, feature, reader);
    protocol_changed = true;
  }
  Status edit(Result<SchemaEdit> edit) {
    LAKE_RETURN_IF_ERROR(edit);
    metadata.schema_string = std::move(edit->schema_string);
    metadata.configuration = std::move(edit->configuration);
    return {};
  }
  Result<std::vector<Field>> columns() const { return parse_schema_string(metadata.schema_string); }

  Status apply(const formats::AddColumns& change) {
    LAKE_ASSIGN_OR_RETURN(auto current, columns());
    LAKE_ASSIGN_OR_RETURN(auto next, with_new_columns(std::move(current), change.columns));
    if (uses_timestamp_ntz(next)) need("timestampNtz", true);
    operations.push_back("ADD COLUMNS");
    return edit(schema_with_columns(metadata, next));
  }

  Status apply(const formats::DropNotNull& change) {
    LAKE_ASSIGN_OR_RETURN(auto next, columns());
    auto it = std::ranges::find(next, change.column, &Field::column);
    if (it == next.end())
      return fail(ErrorCode::schema_mismatch, std::format("column '{}': the table has no such column", change.column));
    it->nullable = true;
    operations.push_back("CHANGE COLUMN");
    return edit(schema_with_columns(metadata, next));
  }

  Status apply(const formats::RenameColumn& change) {
    if (!is_valid_identifier(change.to))
      return fail(ErrorCode::schema_mismatch, std::format("column '{}': not a valid column name", change.to));
    LAKE_RETURN_IF_ERROR(edit(schema_with_rename(metadata, change.from, change.to)));
    std::ranges::replace(metadata.partition_columns, change.from, change.to);
    for (std::string_view key : key_lists_naming(metadata, change.from)) {
      auto items = formats::list_property(metadata.configuration, key);
      std::ranges::replace(items, change.from, change.to);
      metadata.configuration[std::string(key)] = formats::list_value(items);
    }
    operations.push_back("RENAME COLUMN");
    return {};
  }

  Status apply(const formats::DropColumn& change) {
    if (std::ranges::contains(metadata.partition_columns, change.column))
      return fail(ErrorCode::invalid_argument,
                  std::format("column '{}': a partition column; Delta cannot drop one in place", change.column));
    if (auto lists = key_lists_naming(metadata, change.column); !lists.empty())
      return fail(ErrorCode::invalid_argument,
                  std::format("column '{}': one of the table's keys or clustering columns ({})", change.column,
                              lists.front()));
    operations.push_back("DROP COLUMNS");
    return edit(schema_without(metadata, change.column));
  }

  Status apply(const formats::ChangeColumnType& change) {
    if (std::ranges::contains(protocol.writer_features, std::string("typeWidening-preview")) &&
        !std::ranges::contains(protocol.writer_features, std::string("typeWidening")))
      return fail(ErrorCode::unsupported, "the table has typeWidening-preview, whose type changes record their table "
                                          "version; lake-orm writes the stable form only");
    LAKE_RETURN_IF_ERROR(edit(schema_with_type_change(metadata, change.column, change.type)));
    need("typeWidening", true);
    if (change.type.id == TypeId::timestamp_ntz) need("timestampNtz", true);
    operations.push_back("CHANGE COLUMN");
    return {};
  }

  Status apply(const formats::SetProperties& change) {
    for (const auto& [key, value] : change.properties) {
      if (key == kColumnMappingMode) {
        if (property_is(metadata.configuration, kColumnMappingMode, value)) continue;
        if (value != "name" && value != "id")
          return fail(ErrorCode::unsupported, std::format("{} = '{}': column mapping cannot be turned off or changed",
                                                          key, value));
        LAKE_RETURN_IF_ERROR(
            edit(schema_with_mapping(metadata, value == "id" ? ColumnMapping::id : ColumnMapping::name)));
        continue;
      }
      metadata.configuration[key] = value;
    }
    // The features the properties now ask for, as a new table with them
    // would have them.
    auto configuration = metadata.configuration;
    LAKE_ASSIGN_OR_RETURN(auto wanted, protocol_for_new_table(configuration));
    metadata.configuration = std::move(configuration);  // delta.feature.* taken out
    for (const auto& feature : wanted.writer_features)
      need(feature, std::ranges::contains(wanted.reader_features, feature));
    operations.push_back("SET TBLPROPERTIES");
    return {};
  }

  Status apply(const formats::UnsetProperties& change) {
    for (const auto& key : change.keys) {
      if (key == kColumnMappingMode && metadata.configuration.contains(key))
        return fail(ErrorCode::unsupported, "column mapping cannot be turned off");
      metadata.configuration.erase(key);
    }
    operations.push_back("UNSET TBLPROPERTIES");
    return {};
  }

  Status apply(const formats::PartitionFieldChange&) {
    return fail(ErrorCode::unsupported, "Delta has no partition evolution: a change of partitioning rewrites the "
                                        "table");
  }

  Status apply(const formats::Repartition&) {
    return fail(ErrorCode::invalid_argument, "a repartition rewrites the table: it is a list of its own");
  }
};

// REPLACE TABLE t PARTITIONED BY (...) AS SELECT * FROM t, as Spark's
// Delta commits it: one version with the new metaData (partitionColumns,
// properties), a remove of every live file and the same rows in new files
// laid out by the new partition columns, read one file at a time.
Result<CommitResult> repartition(TableWriter& writer, Draft draft, const formats::Repartition& change) {
  const Snapshot& snapshot = writer.snapshot();
  LAKE_RETURN_IF_ERROR(draft.apply(formats::SetProperties{change.properties}));
  LAKE_ASSIGN_OR_RETURN(auto columns, draft.columns());
  std::vector<std::string> partition_columns;
  for (const auto& term : change.partitioning) {
    if (term.kind != PartitionKind::raw)
      return fail(ErrorCode::unsupported,
                  std::format("column '{}': Delta partitions by a column's value only (no bucket or truncate)",
                              term.column));
    if (!std::ranges::contains(columns, term.column, &Field::column))
      return fail(ErrorCode::schema_mismatch, std::format("partition column '{}': the table has no such column",
                                                          term.column));
    partition_columns.push_back(term.column);
  }
  if (!partition_columns.empty() && is_clustered_table(snapshot))
    return fail(ErrorCode::invalid_argument, "a clustered Delta table (liquid clustering) cannot be partitioned");
  LAKE_ASSIGN_OR_RETURN(auto from, writer.layout());
  TableLayout to = from;
  to.partition_columns = partition_columns;
  draft.metadata.partition_columns = partition_columns;
  for (const auto& name : partition_columns)
    LAKE_RETURN_IF_ERROR(check_partition_column(*std::ranges::find(columns, name, &Field::column)));

  PendingCommit pending{.operation = "REPLACE TABLE AS SELECT",
                        .parameters = {{"partitionBy", nlohmann::json(partition_columns).dump()}}};
  if (draft.protocol_changed) pending.actions.emplace_back(draft.protocol);
  pending.actions.emplace_back(draft.metadata);
  const auto file_options = writer.file_options();
  std::vector<Add> written;
  std::int64_t rows = 0;
  for (const auto& [key, file] : snapshot.files()) {
    auto batch = read_whole(writer.backend(), from, file);
    if (!batch) return writer.discard(written), std::unexpected(batch.error());
    rows += (*batch)->num_rows();
    auto added = write_rows(writer.backend(), to, {*batch}, file_options);
    if (!added) return writer.discard(written), std::unexpected(added.error());
    for (auto& add : *added) written.push_back(std::move(add));
    pending.actions.emplace_back(remove_of(file));
    pending.read_files.insert(file.key());
  }
  for (const auto& add : written) pending.actions.emplace_back(add);
  pending.metrics = {{"numFiles", static_cast<std::int64_t>(written.size())}, {"numOutputRows", rows}};
  return writer.commit(std::move(pending), written, CommitResult{});
}

}  // namespace

Result<CommitResult> alter(Table& table, std::span<const formats::TableChange> changes) {
  TableWriter writer(table);
  LAKE_RETURN_IF_ERROR(writer.snapshot().check_writable(false));
  Draft draft{.metadata = writer.snapshot().metadata(),
              .protocol = writer.snapshot().protocol(),
              .protocol_changed = false,
              .operations = {}};
  if (changes.size() == 1)
    if (const auto* rewrite = std::get_if<formats::Repartition>(&changes.front()))
      return repartition(writer, std::move(draft), *rewrite);
  for (const auto& change : changes) {
    LAKE_RETURN_IF_ERROR(std::visit([&](const auto& c) { return draft.apply(c); }, change));
  }
  if (draft.operations.empty()) return CommitResult{.version = table.version()};
  std::string operation = draft.operations.size() == 1 ? draft.operations.front() : "ALTER TABLE";
  nlohmann::json parameters = draft.operations;
  return commit_metadata(writer, std::move(draft.metadata), std::move(operation),
                         {{"operations", parameters.dump()}},
                         draft.protocol_changed ? std::optional<Protocol>(std::move(draft.protocol)) : std::nullopt);
}

}  // namespace lake::delta

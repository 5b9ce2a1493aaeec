// Table: creating and opening, time travel and history, scans and appends.
// The commit step every write shares is in table_writer.cpp.
#include "lake/delta/table.hpp"

#include <arrow/table.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <format>
#include <span>

#include <nlohmann/json.hpp>

#include "core/propagate.hpp"
#include "delta/checkpoint_writer.hpp"
#include "delta/column_mapping.hpp"
#include "delta/log_replay.hpp"
#include "delta/scan.hpp"
#include "delta/schema_json.hpp"
#include "delta/table_properties.hpp"
#include "delta/table_writer.hpp"
#include "formats/lake_properties.hpp"
#include "lake/arrow/convert.hpp"
#include "lake/ingest_id.hpp"

namespace lake::delta {
namespace {

using nlohmann::json;

std::string json_array(const std::vector<std::string>& items) { return json(items).dump(); }

// Commit times as Delta defines them for time travel: the commit file's
// modification time, made strictly increasing (a commit whose clock ran
// behind its predecessor's counts as 1 ms after it).
// When each listed commit happened. On tables with in-commit timestamps
// (delta.enableInCommitTimestamps in `latest`), the commits from the one
// that turned them on (delta.inCommitTimestampEnablementVersion, the first
// when unset) have theirs in commitInfo, which is what Spark uses for
// history and time travel (PROTOCOL.md "In-Commit Timestamps"); other
// commits have their file's modification time, nudged to be strictly
// increasing so that each version has a moment of its own.
Result<std::vector<std::pair<std::int64_t, timestamp>>> commit_times(Backend& backend, const LogListing& listing,
                                                                     const Metadata& latest) {
  std::optional<std::int64_t> enabled_from;
  if (in_commit_timestamps_enabled(latest)) {
    enabled_from = 0;
    if (auto it = latest.configuration.find("delta.inCommitTimestampEnablementVersion");
        it != latest.configuration.end()) {
      std::int64_t version = 0;
      auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), version);
      if (ec != std::errc{} || end != it->second.data() + it->second.size())
        return fail(ErrorCode::invalid_argument,
                    std::format("delta.inCommitTimestampEnablementVersion is not a version: '{}'", it->second));
      enabled_from = version;
    }
  }
  std::vector<std::pair<std::int64_t, timestamp>> times;
  times.reserve(listing.commits.size());
  for (const auto& commit : listing.commits) {
    timestamp t = commit.object.modified;
    if (enabled_from && commit.version >= *enabled_from) {
      LAKE_ASSIGN_OR_RETURN(const auto recorded, read_in_commit_timestamp(backend, commit.object.key));
      if (!recorded)
        return fail(ErrorCode::invalid_argument,
                    std::format("{}: the table records in-commit timestamps, and this commit has none",
                                commit.object.key));
      times.emplace_back(commit.version, timestamp(std::chrono::milliseconds(*recorded)));
      continue;
    }
    if (!times.empty() && t <= times.back().second) t = times.back().second + std::chrono::milliseconds(1);
    times.emplace_back(commit.version, t);
  }
  return times;
}

Result<Snapshot> build_snapshot(Backend& backend, const std::string& root, std::optional<std::int64_t> version) {
  auto listing = version ? list_log(backend, root) : list_log_for_latest(backend, root);
  LAKE_RETURN_IF_ERROR(listing);
  LogReplay replay;
  auto snapshot = replay.build(backend, root, *listing, version);
  LAKE_RETURN_IF_ERROR(snapshot);
  LAKE_RETURN_IF_ERROR(snapshot->check_readable());
  return snapshot;
}

Status same_layout(const Snapshot& existing, const std::vector<Field>& columns,
                   const std::vector<std::string>& partitions, const std::string& root) {
  std::vector<std::string> differences;
  if (existing.partition_columns() != partitions)
    differences.push_back(std::format("partitioned by [{}], declared [{}]", join(existing.partition_columns(), ", "),
                                      join(partitions, ", ")));
  for (const auto& field : columns) {
    auto it = std::ranges::find(existing.columns(), field.column, &Field::column);
    if (it == existing.columns().end())
      differences.push_back(std::format("column '{}' is missing", field.column));
    else if (!(it->type == field.type) || it->nullable != field.nullable)
      differences.push_back(std::format("column '{}' is {}{}, declared {}{}", field.column, it->type.to_string(),
                                        it->nullable ? "?" : "", field.type.to_string(), field.nullable ? "?" : ""));
  }
  for (const auto& column : existing.columns())
    if (std::ranges::find(columns, column.column, &Field::column) == columns.end())
      differences.push_back(std::format("column '{}' is not declared", column.column));
  if (differences.empty()) return {};
  return fail(ErrorCode::schema_mismatch,
              std::format("table '{}' exists with a different schema: {}", root, join(differences, "; ")));
}

// Completes rows written by a caller that does not know every column: the
// _ingest_id system column gets one id for the whole write, and nullable
// columns the rows lack (added to the table after the caller was written)
// read as NULL. Every other column must be there (write_data_files checks).
class MissingColumnFiller final : public arrow::RecordBatchReader {
 public:
  MissingColumnFiller(arrow::RecordBatchReader& input, arrow::FieldVector missing, std::string ingest_id)
      : input_(input), missing_(std::move(missing)), ingest_id_(std::move(ingest_id)) {
    arrow::FieldVector fields = input.schema()->fields();
    fields.insert(fields.end(), missing_.begin(), missing_.end());
    schema_ = arrow::schema(std::move(fields));
  }
  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }
  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override {
    ARROW_RETURN_NOT_OK(input_.ReadNext(batch));
    if (*batch == nullptr) return arrow::Status::OK();
    std::vector<std::shared_ptr<arrow::Array>> columns = (*batch)->columns();
    for (const auto& field : missing_) {
      if (field->name() == kIngestIdColumn) {
        auto ids = detail::constant_string_array(ingest_id_, (*batch)->num_rows(), arrow::default_memory_pool());
        if (!ids) return arrow::Status::Invalid(ids.error().message());
        columns.push_back(std::move(*ids));
      } else {
        ARROW_ASSIGN_OR_RAISE(auto nulls, arrow::MakeArrayOfNull(field->type(), (*batch)->num_rows()));
        columns.push_back(std::move(nulls));
      }
    }
    *batch = arrow::RecordBatch::Make(schema_, (*batch)->num_rows(), std::move(columns));
    return arrow::Status::OK();
  }

 private:
  arrow::RecordBatchReader& input_;
  arrow::FieldVector missing_;
  std::string ingest_id_;
  std::shared_ptr<arrow::Schema> schema_;
};

}  // namespace

// ---- creating and opening --------------------------------------------------

Result<Table> Table::create(std::shared_ptr<Backend> backend, std::string root, const Schema& schema,
                            CreateOptions options, TableOptions table_options) {
  if (!backend) return fail(ErrorCode::invalid_argument, "Table::create needs a backend");
  if (schema.fields.empty())
    return fail(ErrorCode::invalid_argument, std::format("schema '{}' has no columns", schema.type_name));
  std::vector<Field> columns = table_columns(schema);
  std::vector<std::string> partitions, cluster_by;
  for (const auto& spec : schema.partitions) {
    const std::string& column = schema.fields[spec.field].column;
    (spec.kind == PartitionKind::raw ? partitions : cluster_by).push_back(column);
  }
  for (const auto& column : partitions) {
    const Field& field = *schema.find_column(column);
    if (field.type.is_nested())
      return fail(ErrorCode::invalid_argument,
                  std::format("partition column '{}' has nested type {}; Delta partitions by primitive values",
                              column, field.type.to_string()));
  }
  if (partitions.size() == columns.size() - 1)
    return fail(ErrorCode::invalid_argument,
                std::format("schema '{}' partitions by every column; Delta needs at least one data column",
                            schema.type_name));

  auto existing = list_log_for_latest(*backend, root);
  LAKE_RETURN_IF_ERROR(existing);
  auto open_existing = [&]() -> Result<Table> {
    auto table = open(backend, root, table_options);
    if (!table) return table;
    LAKE_RETURN_IF_ERROR(same_layout(table->snapshot(), columns, partitions, root));
    return table;
  };
  if (!existing->commits.empty() || !existing->checkpoints.empty()) {
    if (options.if_not_exists) return open_existing();
    return fail(ErrorCode::already_exists, std::format("a Delta table already exists at '{}'", root));
  }

  Metadata metadata;
  metadata.id = IngestId::generate().to_string();
  metadata.name = schema.table_name.empty() ? std::nullopt : std::optional(schema.table_name);
  metadata.description = options.description;
  metadata.schema_string = to_schema_string(columns);
  metadata.partition_columns = partitions;
  metadata.configuration = options.properties;
  // A timestamp_ntz column needs its table feature (readers without it
  // would read the local readings as instants).
  if (uses_timestamp_ntz(columns)) metadata.configuration.try_emplace("delta.feature.timestampNtz", "supported");
  for (auto& [key, value] : formats::key_properties(schema, cluster_by))
    metadata.configuration.insert_or_assign(key, value);
  // Column mapping from the start: every field gets a physical name and id.
  LAKE_ASSIGN_OR_RETURN(auto mapping, column_mapping_of(metadata.configuration));
  LAKE_ASSIGN_OR_RETURN(auto mapped, new_table_schema(metadata.schema_string, metadata.configuration, mapping));
  metadata.schema_string = std::move(mapped.schema_string);
  metadata.configuration = std::move(mapped.configuration);
  metadata.created_time = now_ms();

  json info = {{"timestamp", now_ms()},
               {"operation", "CREATE TABLE"},
               {"operationParameters",
                {{"partitionBy", json_array(partitions)},
                 {"description", options.description.value_or("")},
                 {"properties", json(metadata.configuration).dump()}}},
               {"isBlindAppend", true},
               {"engineInfo", "lake-orm/0.1.0"}};
  LAKE_ASSIGN_OR_RETURN(Protocol protocol, protocol_for_new_table(metadata.configuration));
  if (auto writable = check_protocol_writable(protocol); !writable)
    return std::unexpected(writable.error().with_context(std::format("creating table '{}'", root)));
  if (std::ranges::contains(protocol.writer_features, std::string_view("rowTracking")) &&
      metadata.configuration.contains("delta.enableRowTracking")) {
    // Enabling row tracking names the hidden columns that would hold
    // preserved row ids and commit versions (PROTOCOL.md "Row Tracking").
    const std::string id = IngestId::generate().to_string();
    metadata.configuration.try_emplace("delta.rowTracking.materializedRowIdColumnName", "_row-id-col-" + id);
    metadata.configuration.try_emplace("delta.rowTracking.materializedRowCommitVersionColumnName",
                                       "_row-commit-version-col-" + id);
  }
  if (in_commit_timestamps_enabled(metadata)) info["inCommitTimestamp"] = info["timestamp"];
  std::vector<Action> actions{CommitInfo{info.dump()}, std::move(protocol), std::move(metadata)};
  const std::string text = to_commit_text(actions);
  if (auto put = backend->put(commit_key(root, 0), std::as_bytes(std::span(text)), PutMode::create); !put) {
    if (put.error().code() == ErrorCode::already_exists) {
      if (options.if_not_exists) return open_existing();
      return fail(ErrorCode::already_exists,
                  std::format("a Delta table already exists at '{}' (created concurrently)", root));
    }
    return std::unexpected(put.error().with_context(std::format("creating table '{}'", root)));
  }
  return open(std::move(backend), std::move(root), table_options);
}

Result<Table> Table::open(std::shared_ptr<Backend> backend, std::string root, TableOptions table_options) {
  if (!backend) return fail(ErrorCode::invalid_argument, "Table::open needs a backend");
  auto snapshot = build_snapshot(*backend, root, std::nullopt);
  LAKE_RETURN_IF_ERROR(snapshot);
  return Table(std::move(backend), std::move(root), table_options, std::move(*snapshot));
}

std::shared_ptr<arrow::Schema> Table::arrow_schema() const {
  Schema schema;
  schema.fields = snapshot_.columns();
  return to_arrow_schema(schema, false);
}

Status Table::refresh() {
  auto next = catch_up(*backend_, root_, snapshot_);
  if (!next) {
    // The commits after our version were cleaned up (log retention):
    // rebuild from the newest checkpoint instead.
    next = build_snapshot(*backend_, root_, std::nullopt);
    LAKE_RETURN_IF_ERROR(next);
  }
  LAKE_RETURN_IF_ERROR(next->check_readable());
  snapshot_ = std::move(*next);
  return {};
}

// ---- time travel and history -----------------------------------------------

Result<Snapshot> Table::snapshot_at(std::int64_t version) const { return build_snapshot(*backend_, root_, version); }

Result<Table> Table::as_of(std::int64_t version) const {
  auto snapshot = snapshot_at(version);
  LAKE_RETURN_IF_ERROR(snapshot);
  return Table(backend_, root_, options_, std::move(*snapshot));
}

Result<Table> Table::as_of(timestamp moment) const {
  auto snapshot = snapshot_as_of(moment);
  LAKE_RETURN_IF_ERROR(snapshot);
  return Table(backend_, root_, options_, std::move(*snapshot));
}

Result<Snapshot> Table::snapshot_as_of(timestamp moment) const {
  auto listing = list_log(*backend_, root_);
  LAKE_RETURN_IF_ERROR(listing);
  LAKE_ASSIGN_OR_RETURN(auto times, commit_times(*backend_, *listing, snapshot_.metadata()));
  std::optional<std::int64_t> version;
  for (const auto& [v, t] : times) {
    if (t > moment) break;
    version = v;
  }
  if (!version)
    return fail(ErrorCode::not_found,
                std::format("table '{}' has no version committed at or before {} (the oldest retained commit is "
                            "from {})",
                            root_, format_timestamp(moment),
                            times.empty() ? std::string("-") : format_timestamp(times.front().second)));
  return build_snapshot(*backend_, root_, version);
}

Result<std::vector<CommitSummary>> Table::history(std::optional<std::size_t> limit) const {
  auto listing = list_log(*backend_, root_);
  LAKE_RETURN_IF_ERROR(listing);
  LAKE_ASSIGN_OR_RETURN(auto times, commit_times(*backend_, *listing, snapshot_.metadata()));
  std::vector<CommitSummary> history;
  for (std::size_t i = listing->commits.size(); i-- > 0;) {
    if (limit && history.size() >= *limit) break;
    const auto& commit = listing->commits[i];
    auto text = backend_->get_text(commit.object.key);
    LAKE_RETURN_IF_ERROR(text);
    auto actions = parse_commit_text(*text, commit.object.key);
    LAKE_RETURN_IF_ERROR(actions);
    CommitSummary summary{commit.version, times[i].second, "", "{}", "", "{}"};
    for (const auto& action : *actions) {
      const auto* info = std::get_if<CommitInfo>(&action);
      if (info == nullptr) continue;
      auto doc = json::parse(info->json, nullptr, false);
      if (!doc.is_object()) continue;
      if (doc.contains("operation") && doc["operation"].is_string()) summary.operation = doc["operation"];
      if (doc.contains("operationParameters")) summary.parameters = doc["operationParameters"].dump();
      if (doc.contains("userMetadata") && doc["userMetadata"].is_string()) summary.user_metadata = doc["userMetadata"];
      if (doc.contains("operationMetrics")) summary.metrics = doc["operationMetrics"].dump();
    }
    history.push_back(std::move(summary));
  }
  return history;
}

// ---- reading -----------------------------------------------------------------

Result<std::shared_ptr<arrow::RecordBatchReader>> Table::scan(ReadOptions options) const {
  return scan(snapshot_, std::move(options));
}

Result<std::shared_ptr<arrow::RecordBatchReader>> Table::scan(const Snapshot& at, ReadOptions options) const {
  LAKE_RETURN_IF_ERROR(at.check_readable());
  auto layout = layout_of(root_, at);
  LAKE_RETURN_IF_ERROR(layout);
  std::vector<Add> files;
  files.reserve(at.files().size());
  for (const auto& [key, add] : at.files()) files.push_back(add);
  return scan_files(backend_, *layout, std::move(files),
                    ScanOptions{std::move(options.columns), std::move(options.filter), options.batch_rows, options.threads});
}

Result<std::shared_ptr<arrow::RecordBatchReader>> Table::scan(std::vector<Add> files, ReadOptions options) const {
  LAKE_RETURN_IF_ERROR(snapshot_.check_readable());
  for (const auto& file : files)
    if (!snapshot_.files().contains(file.key()))
      return fail(ErrorCode::invalid_argument,
                  std::format("'{}' is not a live file of table '{}' at version {}", file.path, root_, version()));
  auto layout = layout_of(root_, snapshot_);
  LAKE_RETURN_IF_ERROR(layout);
  return scan_files(backend_, *layout, std::move(files),
                    ScanOptions{std::move(options.columns), std::move(options.filter), options.batch_rows, options.threads});
}

Result<std::vector<Add>> Table::files(const std::optional<Predicate>& filter) const {
  auto layout = layout_of(root_, snapshot_);
  LAKE_RETURN_IF_ERROR(layout);
  std::vector<Add> all;
  all.reserve(snapshot_.files().size());
  for (const auto& [key, add] : snapshot_.files()) all.push_back(add);
  return prune_files(*layout, all, filter);
}

Result<std::string> Table::key_of(const Add& file) const {
  auto layout = layout_of(root_, snapshot_);
  LAKE_RETURN_IF_ERROR(layout);
  return layout->key_of(file.path);
}

// ---- appending ---------------------------------------------------------------

Result<std::vector<Add>> Table::write_files(arrow::RecordBatchReader& rows) {
  LAKE_RETURN_IF_ERROR(snapshot_.check_writable(false));
  TableWriter writer(*this);
  auto layout = writer.layout();
  LAKE_RETURN_IF_ERROR(layout);

  arrow::FieldVector missing;
  for (const auto& field : layout->arrow_schema->fields())
    if (rows.schema()->GetFieldIndex(field->name()) < 0 && (field->nullable() || field->name() == kIngestIdColumn))
      missing.push_back(field);
  std::optional<MissingColumnFiller> filler;
  arrow::RecordBatchReader* input = &rows;
  if (!missing.empty()) {
    filler.emplace(rows, std::move(missing), IngestId::generate().to_string());
    input = &*filler;
  }
  return write_data_files(*backend_, *layout, *input, writer.file_options());
}

void Table::discard_files(const std::vector<Add>& files) const {
  TableWriter(const_cast<Table&>(*this)).discard(files);
}

Result<CommitResult> Table::append(arrow::RecordBatchReader& rows, WriteOptions options) {
  if (options.idempotency) {
    if (auto applied = snapshot_.app_version(options.idempotency->app_id);
        applied && *applied >= options.idempotency->version)
      return CommitResult{.skipped_as_duplicate = true, .version = version()};
  }
  auto written = write_files(rows);
  LAKE_RETURN_IF_ERROR(written);
  CommitResult result;
  if (written->empty()) {
    result.version = version();
    return result;
  }
  result.rows_inserted = rows_in(*written);
  result.files_added = static_cast<std::int64_t>(written->size());
  TableWriter writer(*this);
  return writer.commit(
      PendingCommit{
          .operation = "WRITE",
          .parameters = {{"mode", "Append"}, {"partitionBy", json_array(snapshot_.partition_columns())}},
          .metrics = {{"numFiles", result.files_added}, {"numOutputRows", result.rows_inserted}},
          .user_metadata = options.user_metadata,
          .actions = {written->begin(), written->end()},
          .blind_append = true,
          .txn = txn_of(options),
      },
      *written, result);
}

Result<CommitResult> Table::append(const std::shared_ptr<arrow::RecordBatch>& rows, WriteOptions options) {
  if (!rows) return fail(ErrorCode::invalid_argument, "append: no record batch given");
  auto reader = arrow::RecordBatchReader::Make({rows}, rows->schema());
  if (!reader.ok()) return fail(lake::detail::from_arrow_status(reader.status(), "append"));
  return append(**reader, std::move(options));
}

Result<CommitResult> Table::append_files(std::vector<Add> files, WriteOptions options) {
  LAKE_RETURN_IF_ERROR(snapshot_.check_writable(false));
  if (options.idempotency) {
    if (auto applied = snapshot_.app_version(options.idempotency->app_id);
        applied && *applied >= options.idempotency->version)
      return CommitResult{.skipped_as_duplicate = true, .version = version()};
  }
  const auto& partitions = snapshot_.partition_columns();
  for (const auto& file : files) {
    if (file.path.empty() || file.path.find("://") != std::string::npos || file.path.starts_with("/"))
      return fail(ErrorCode::invalid_argument,
                  std::format("append_files: '{}' is not a path relative to the table root", file.path));
    for (const auto& column : partitions)
      if (!file.partition_values.contains(column))
        return fail(ErrorCode::invalid_argument,
                    std::format("append_files: '{}' has no value for partition column '{}'", file.path, column));
    if (file.partition_values.size() != partitions.size())
      return fail(ErrorCode::invalid_argument,
                  std::format("append_files: '{}' has partition values for columns the table is not partitioned by",
                              file.path));
  }
  CommitResult result;
  if (files.empty()) {
    result.version = version();
    return result;
  }
  result.rows_inserted = rows_in(files);
  result.files_added = static_cast<std::int64_t>(files.size());
  TableWriter writer(*this);
  return writer.commit(
      PendingCommit{
          .operation = "WRITE",
          .parameters = {{"mode", "Append"}, {"partitionBy", json_array(partitions)}},
          .metrics = {{"numFiles", result.files_added}, {"numOutputRows", result.rows_inserted}},
          .user_metadata = options.user_metadata,
          .actions = {files.begin(), files.end()},
          .blind_append = true,
          .txn = txn_of(options),
      },
      {}, result);
}

Status Table::checkpoint() { return write_checkpoint(*backend_, root_, snapshot_, now()); }

}  // namespace lake::delta

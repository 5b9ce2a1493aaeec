// The table-format contract on Iceberg. A handle holds the table's current
// metadata as last loaded (and, after time travel, the snapshot it reads);
// writes are planned on that metadata and committed through the catalog
// with snapshot_commit.hpp's rules, planned again (merges) or refused
// (deletes, updates) when a concurrent commit took files they rewrite.
// What lake-orm records per write lives in snapshot summaries:
// lake.ingest_id, and lake.idempotency_key (a write whose key a snapshot of
// the main branch carries within the key's TTL is a duplicate; the record
// lasts as long as the snapshot, as on the Spark path).
#include "iceberg/iceberg_format.hpp"

#include <arrow/api.h>
#include <arrow/compute/api.h>

#include <algorithm>
#include <format>
#include <mutex>
#include <set>

#include <nlohmann/json.hpp>

#include "core/propagate.hpp"
#include "formats/clustering.hpp"
#include "formats/filter.hpp"
#include "formats/lake_properties.hpp"
#include "formats/merge_planner.hpp"
#include "formats/row_ops.hpp"
#include "formats/scan_projection.hpp"
#include "iceberg/commits.hpp"
#include "iceberg/row_changes.hpp"
#include "iceberg/schema_update.hpp"
#include "iceberg/snapshot_commit.hpp"
#include "iceberg/rest_catalog.hpp"
#include "iceberg/sql_catalog.hpp"
#include "lake/arrow/convert.hpp"
#include "lake/arrow/detail/status.hpp"

namespace lake::iceberg {
namespace {

using lake::detail::from_arrow_status;

// Iceberg's default snapshot retention (history.expire.max-snapshot-age-ms).
constexpr std::int64_t kDefaultMaxSnapshotAgeMs = 5LL * 24 * 60 * 60 * 1000;
// The summary entry of a snapshot whose files optimize clustered, and how
// (formats::Clustering::tag): running it again leaves them alone.
constexpr std::string_view kClusteredSummary = "lake.clustered-by";
// Compaction's default target (write.target-file-size-bytes).
constexpr std::int64_t kDefaultTargetFileBytes = 512LL << 20;

timestamp time_of(std::int64_t ms) { return timestamp(std::chrono::milliseconds(ms)); }

// The main branch from `from` back: newest first.
std::vector<const Snapshot*> ancestry(const TableMetadata& table, const Snapshot* from) {
  std::vector<const Snapshot*> out;
  for (const Snapshot* s = from; s; s = table.parent_of(*s))
    out.push_back(s);
  return out;
}

// The newest main-branch snapshot recording `key`, if any.
const Snapshot* recorded(const TableMetadata& table, const std::string& key) {
  for (const Snapshot* s : ancestry(table, table.current_snapshot())) {
    auto it = s->summary.find(std::string(formats::kIdempotencyKeySummary));
    if (it != s->summary.end() && it->second == key) return s;
  }
  return nullptr;
}

bool within_ttl(const Snapshot& snapshot, const IdempotencyKey& key) {
  return now_ms() - snapshot.timestamp_ms < std::chrono::duration_cast<std::chrono::milliseconds>(key.ttl).count();
}

Result<formats::TableMetadata> describe(const TableMetadata& table, const Snapshot* snapshot, const Schema& schema) {
  formats::TableMetadata out{.format = "iceberg",
                             .snapshot = {.id = snapshot ? snapshot->snapshot_id : -1,
                                          .sequence_number = snapshot ? snapshot->sequence_number : 0,
                                          .committed_at = time_of(snapshot ? snapshot->timestamp_ms : table.last_updated_ms)},
                             .columns = {},
                             .partitioning = {},
                             .properties = table.properties};
  for (const auto& field : schema.fields) {
    LAKE_ASSIGN_OR_RETURN(auto type, to_lake_type(*field.type, field.name));
    Field column;
    column.column = field.name;
    column.type = std::move(type);
    column.nullable = !field.required;
    out.columns.push_back({.field = std::move(column), .field_id = field.id});
  }
  for (const auto& p : table.default_spec().fields) {
    const NestedField* source = schema.find(p.source_id);
    if (!source || p.transform.kind == formats::Transform::void_) continue;
    out.partitioning.push_back({.source_column = source->name, .transform = p.transform.kind, .param = p.transform.param});
  }
  return out;
}

// A table's partition spec for lake's declared one.
PartitionSpec spec_of(const lake::Schema& declared, const Schema& schema) {
  PartitionSpec spec;
  std::int32_t next_id = 1000;
  for (const auto& p : declared.partitions) {
    const std::string& column = declared.fields[p.field].column;
    const NestedField* source = schema.find(column);
    if (!source || p.kind == PartitionKind::none) continue;
    PartitionSpecField field{.source_id = source->id, .field_id = next_id++, .name = column, .transform = {}};
    if (p.kind == PartitionKind::bucket) {
      field.transform = {formats::Transform::bucket, static_cast<std::int32_t>(p.param)};
      field.name = column + "_bucket";
    } else if (p.kind == PartitionKind::truncate) {
      field.transform = {formats::Transform::truncate, static_cast<std::int32_t>(p.param)};
      field.name = column + "_trunc";
    }
    spec.fields.push_back(std::move(field));
  }
  return spec;
}

// What every handle of one table shares.
struct Where {
  std::shared_ptr<Backend> backend;
  std::shared_ptr<Catalog> catalog;
  std::string table;  // the catalog's name for it
  formats::HandleOptions options;
};

WriteResult result_of(const PlannedChange& change, const IngestId& ingest_id) {
  return WriteResult{.ingest_id = ingest_id,
                     .path = WritePath::direct,
                     .rows_inserted = change.rows_inserted,
                     .rows_updated = change.rows_updated,
                     .rows_deleted = change.rows_deleted};
}

// A write that changes nothing (a delete that matched no row), or whose
// idempotency key the table already recorded.
class NoCommit final : public formats::PreparedCommit {
 public:
  explicit NoCommit(WriteResult result) : result_(std::move(result)) {}
  Result<WriteResult> commit() override { return result_; }
  void abort() override {}

 private:
  WriteResult result_;
};

// Plans a change again on a newer table (merges); unset for changes that
// a lost race over their files makes a conflict.
using Replan = std::function<Result<PlannedChange>(const CurrentMetadata& newer)>;

class SnapshotWrite final : public formats::PreparedCommit {
 public:
  // `latest` is the preparing handle's metadata, moved to the committed
  // snapshot so the handle sees its own write.
  SnapshotWrite(Where where, std::shared_ptr<CurrentMetadata> latest, PlannedChange change, RaceJudge judge,
                Replan replan, IngestId ingest_id, std::string what)
      : where_(std::move(where)), latest_(std::move(latest)), base_(*latest_), change_(std::move(change)),
        judge_(std::move(judge)), replan_(std::move(replan)), ingest_id_(ingest_id), what_(std::move(what)) {}
  ~SnapshotWrite() override { abort(); }

  Result<WriteResult> commit() override {
    if (outcome_) return *outcome_;
    if (!pending_) return fail(ErrorCode::invalid_argument, std::format("the {} was aborted", what_));
    outcome_ = run();
    pending_ = false;
    return *outcome_;
  }

  void abort() override {
    if (!pending_) return;
    pending_ = false;
    discard(*where_.backend, change_.changes);
  }

 private:
  Result<WriteResult> run() {
    const auto& retry = where_.options.retry;
    int attempts = 0;
    for (int round = 1;; ++round) {
      auto outcome = commit_changes(*where_.catalog, *where_.backend, where_.table, base_, change_.changes, judge_,
                                    retry, attempts);
      if (!outcome || outcome->how != Rebase::commit_on_top) discard(*where_.backend, change_.changes);
      LAKE_RETURN_IF_ERROR(outcome);
      WriteResult result = result_of(change_, ingest_id_);
      result.attempts = attempts;
      switch (outcome->how) {
        case Rebase::commit_on_top:
          result.committed = true;
          result.version = outcome->table.metadata.current_snapshot_id.value_or(-1);
          if (outcome->table.metadata.last_sequence_number > latest_->metadata.last_sequence_number)
            *latest_ = std::move(outcome->table);
          return result;
        case Rebase::duplicate:
          return WriteResult{.ingest_id = ingest_id_,
                             .version = outcome->table.metadata.current_snapshot_id.value_or(-1),
                             .skipped_as_duplicate = true,
                             .attempts = attempts};
        case Rebase::plan_again: break;
      }
      if (!replan_)
        return fail(ErrorCode::conflict,
                    std::format("Iceberg table '{}': a concurrent commit deleted or rewrote files this {} rewrites",
                                where_.table, what_));
      if (attempts >= retry.max_attempts)
        return fail(ErrorCode::conflict, std::format("{} on Iceberg table '{}' gave up after {} commit attempts",
                                                     what_, where_.table, attempts));
      back_off(retry, round);
      change_ = {};
      base_ = std::move(outcome->table);
      LAKE_ASSIGN_OR_RETURN(change_, replan_(base_));
      if (change_.empty()) {
        WriteResult nothing = result_of(change_, ingest_id_);
        nothing.version = base_.metadata.current_snapshot_id.value_or(-1);
        nothing.attempts = attempts;
        return nothing;
      }
    }
  }

  Where where_;
  std::shared_ptr<CurrentMetadata> latest_;
  CurrentMetadata base_;
  PlannedChange change_;
  RaceJudge judge_;
  Replan replan_;
  IngestId ingest_id_;
  std::string what_;
  bool pending_ = true;
  std::optional<Result<WriteResult>> outcome_;
};

// The merge source in the table's Arrow schema: every batch read, a
// missing _ingest_id filled with the write's.
Result<std::shared_ptr<arrow::RecordBatch>> merge_rows(const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches,
                                                       const arrow::Schema& schema, const IngestId& ingest_id) {
  std::vector<std::shared_ptr<arrow::RecordBatch>> conformed;
  for (auto batch : batches) {
    if (schema.GetFieldIndex(std::string(kIngestIdColumn)) >= 0 &&
        batch->schema()->GetFieldIndex(std::string(kIngestIdColumn)) < 0) {
      LAKE_ASSIGN_OR_RETURN(auto ids, lake::detail::constant_string_array(ingest_id.to_string(), batch->num_rows(),
                                                                          arrow::default_memory_pool()));
      auto with_id = batch->AddColumn(batch->num_columns(), std::string(kIngestIdColumn), ids);
      if (!with_id.ok()) return fail(from_arrow_status(with_id.status(), "merge source"));
      batch = *with_id;
    }
    auto fitted = conform(*batch, schema);
    if (!fitted) return std::unexpected(fitted.error().with_context("merge source"));
    conformed.push_back(std::move(*fitted));
  }
  auto table = arrow::Table::FromRecordBatches(std::make_shared<arrow::Schema>(schema.fields()), conformed);
  if (!table.ok()) return fail(from_arrow_status(table.status(), "merge source"));
  auto rows = (*table)->CombineChunksToBatch();
  if (!rows.ok()) return fail(from_arrow_status(rows.status(), "merge source"));
  return *rows;
}

class IcebergFormatTable final : public formats::FormatTable {
 public:
  static Result<std::unique_ptr<formats::FormatTable>> make(Where where, CurrentMetadata current,
                                                            std::optional<std::int64_t> pinned = std::nullopt) {
    auto table = std::unique_ptr<IcebergFormatTable>(new IcebergFormatTable(std::move(where), std::move(current), pinned));
    LAKE_RETURN_IF_ERROR(table->describe_snapshot());
    return std::unique_ptr<formats::FormatTable>(std::move(table));
  }

  std::unique_ptr<formats::FormatTable> clone() const override {
    auto copy = std::unique_ptr<IcebergFormatTable>(new IcebergFormatTable(*this));
    copy->current_ = std::make_shared<CurrentMetadata>(*current_);  // its own, not this handle's
    return copy;
  }

  const formats::TableMetadata& metadata() const override {
    sync();
    return metadata_;
  }
  std::shared_ptr<arrow::Schema> arrow_schema() const override {
    sync();
    return arrow_schema_;
  }

  Status refresh() override {
    LAKE_ASSIGN_OR_RETURN(auto loaded, where_.catalog->load(where_.table));
    if (!loaded)
      return fail(ErrorCode::not_found, std::format("Iceberg table '{}' no longer exists", where_.table));
    *current_ = std::move(*loaded);
    pinned_.reset();
    planned_.clear();
    return describe_snapshot();
  }

  Result<std::unique_ptr<formats::FormatTable>> at(formats::SnapshotSelector which) const override {
    const TableMetadata& m = current_->metadata;
    if (const auto* id = std::get_if<std::int64_t>(&which)) {
      if (!m.snapshot(*id))
        return fail(ErrorCode::not_found, std::format("Iceberg table '{}' has no snapshot {}", where_.table, *id));
      return make(where_, *current_, *id);
    }
    const auto moment = std::get<timestamp>(which);
    const std::int64_t ms =
        std::chrono::floor<std::chrono::milliseconds>(moment.time_since_epoch()).count();
    for (const Snapshot* s : ancestry(m, m.current_snapshot()))
      if (s->timestamp_ms <= ms) return make(where_, *current_, s->snapshot_id);
    return fail(ErrorCode::not_found, std::format("Iceberg table '{}' has no snapshot committed at or before {:%FT%TZ}",
                                                  where_.table, moment));
  }

  Result<std::vector<HistoryEntry>> history(std::optional<std::size_t> limit) const override {
    std::vector<HistoryEntry> entries;
    for (const Snapshot* s : ancestry(current_->metadata, snapshot())) {
      if (limit && entries.size() >= *limit) break;
      entries.push_back({.version = s->snapshot_id,
                         .committed_at = time_of(s->timestamp_ms),
                         .operation = s->operation(),
                         .parameters = nlohmann::json(s->summary).dump()});
    }
    return entries;
  }

  Result<TableStats> stats() const override {
    const TableMetadata& m = current_->metadata;
    TableStats stats{.version = -1, .versions = static_cast<std::int64_t>(m.snapshots.size())};
    for (const auto& p : metadata().partitioning) stats.partition_columns.push_back(formats::partition_label(p));
    if (!m.snapshots.empty()) {
      const auto oldest = std::ranges::min_element(m.snapshots, {}, &Snapshot::timestamp_ms);
      stats.oldest_version = oldest->snapshot_id;
    }
    const Snapshot* s = snapshot();
    if (!s) return stats;
    stats.version = s->snapshot_id;
    stats.last_commit = time_of(s->timestamp_ms);
    LAKE_ASSIGN_OR_RETURN(auto planning, plan_files(*where_.backend, m, *s, std::nullopt, &snapshot_schema()));
    for (const auto& f : planning.files) {
      stats.bytes += f.file.file_size_in_bytes;
      ++stats.files;
      if (f.deletes.empty()) {
        stats.rows += f.file.record_count;
        continue;
      }
      // Merge-on-read deletes apply: count what the file still holds.
      const std::string first = snapshot_schema().fields.front().name;
      LAKE_ASSIGN_OR_RETURN(auto rows, read_files(where_.backend, snapshot_schema(), {f}, {first}));
      for (;;) {
        std::shared_ptr<arrow::RecordBatch> batch;
        if (auto st = rows->ReadNext(&batch); !st.ok())
          return fail(from_arrow_status(st, std::format("counting the rows of '{}'", f.file.path)));
        if (!batch) break;
        stats.rows += batch->num_rows();
      }
    }
    return stats;
  }

  Result<formats::ScanPlan> plan_scan(const std::optional<formats::Predicate>& predicate) const override {
    const Snapshot* s = snapshot();
    if (!s) {
      if (predicate) LAKE_RETURN_IF_ERROR(formats::bind_filter(*predicate, *arrow_schema()));
      return formats::ScanPlan{};
    }
    LAKE_ASSIGN_OR_RETURN(auto planning, plan_files(*where_.backend, current_->metadata, *s, predicate, &snapshot_schema()));
    formats::ScanPlan plan{.files = {}, .files_total = planning.files_total};
    for (auto& file : planning.files) {
      std::string deletes;  // the delete files applied, as the file's identity includes them
      for (const auto& d : file.deletes) deletes += (deletes.empty() ? "" : ",") + d.file.path;
      plan.files.push_back({.path = file.file.path, .deletes = std::move(deletes), .size_bytes = file.file.file_size_in_bytes});
      planned_.insert_or_assign(file.file.path, std::move(file));
    }
    return plan;
  }

  Result<std::shared_ptr<arrow::RecordBatchReader>> read(const formats::ScanPlan& plan,
                                                         const formats::ScanOptions& options) const override {
    std::vector<PlannedFile> files;
    for (const auto& file : plan.files) {
      if (!planned_.contains(file.path)) LAKE_RETURN_IF_ERROR(plan_scan(std::nullopt));
      auto it = planned_.find(file.path);
      if (it == planned_.end())
        return fail(ErrorCode::invalid_argument, std::format("'{}' is not a live file of Iceberg table '{}' at snapshot {}",
                                                             file.path, where_.table, metadata().snapshot.id));
      files.push_back(it->second);
    }
    LAKE_ASSIGN_OR_RETURN(auto columns, formats::scan_columns(*arrow_schema(), options.columns, options.row_filter));
    std::vector<std::string> output;
    for (const auto& field : columns.output->fields()) output.push_back(field->name());
    if (!columns.filter)
      return read_files(where_.backend, snapshot_schema(), std::move(files), output, options.batch_rows, options.threads);
    LAKE_ASSIGN_OR_RETURN(auto reader, read_files(where_.backend, snapshot_schema(), std::move(files), columns.read,
                                                  options.batch_rows, options.threads));
    return formats::filtered_reader(std::move(reader), std::move(columns));
  }

  Result<std::unique_ptr<formats::PreparedCommit>> prepare(formats::RowChange change,
                                                           const formats::CommitOptions& options) override {
    const TableMetadata& table = current_->metadata;
    LAKE_RETURN_IF_ERROR(check_writable(table, where_.table));
    std::map<std::string, std::string> summary{{std::string(formats::kIngestIdSummary), options.ingest_id.to_string()}};
    RaceJudge judge;
    if (options.idempotency) {
      const IdempotencyKey key = *options.idempotency;
      if (const Snapshot* s = recorded(table, key.key); s && within_ttl(*s, key))
        return prepared(std::make_unique<NoCommit>(WriteResult{.ingest_id = options.ingest_id,
                                                               .version = table.current_snapshot_id.value_or(-1),
                                                               .skipped_as_duplicate = true}));
      summary[std::string(formats::kIdempotencyKeySummary)] = key.key;
      // A winner with the same key makes this write its duplicate.
      judge = [key](const CurrentMetadata& newer, const std::vector<PlannedFile>&) -> Result<Rebase> {
        const Snapshot* s = recorded(newer.metadata, key.key);
        return s && within_ttl(*s, key) ? Rebase::duplicate : Rebase::commit_on_top;
      };
    }
    const ChangeBase base{where_.backend, &table, file_options()};
    Replan replan;
    std::string what;
    Result<PlannedChange> planned = fail(ErrorCode::invalid_argument, "unknown row change");
    if (auto* append = std::get_if<formats::Append>(&change)) {
      if (!append->rows) return fail(ErrorCode::invalid_argument, "an append needs rows");
      what = "append";
      planned = plan_append(base, *append->rows);
    } else if (auto* removal = std::get_if<formats::DeleteWhere>(&change)) {
      what = "delete";
      planned = plan_delete(base, removal->predicate);
    } else if (auto* update = std::get_if<formats::UpdateWhere>(&change)) {
      what = "update";
      planned = plan_update(base, update->predicate, update->assignments);
    } else if (auto* replace = std::get_if<formats::ReplaceWhere>(&change)) {
      if (!replace->rows) return fail(ErrorCode::invalid_argument, "a replace needs rows");
      what = "replace";
      planned = plan_replace(base, replace->predicate, *replace->rows);
    } else if (auto* merge = std::get_if<formats::Merge>(&change)) {
      what = "merge";
      LAKE_ASSIGN_OR_RETURN(auto merging, prepare_merge(*merge, options.ingest_id, judge));
      planned = merging.first(*current_);
      replan = std::move(merging.first);
      judge = std::move(merging.second);
    }
    LAKE_RETURN_IF_ERROR(planned);
    if (planned->empty())
      return prepared(std::make_unique<NoCommit>(
          WriteResult{.ingest_id = options.ingest_id, .version = table.current_snapshot_id.value_or(-1)}));
    planned->changes.summary = std::move(summary);
    return prepared(std::make_unique<SnapshotWrite>(where_, current_, std::move(*planned), std::move(judge),
                                                    std::move(replan), options.ingest_id, what));
  }

  Status evolve_to(const lake::Schema& declared) override {
    for (int attempt = 1;; ++attempt) {
      LAKE_RETURN_IF_ERROR(refresh());
      const TableMetadata& m = current_->metadata;
      const Schema& schema = m.current_schema();
      std::vector<std::string> problems, changed;
      Schema next = schema;
      next.schema_id = 0;
      for (const auto& s : m.schemas) next.schema_id = std::max(next.schema_id, s.schema_id + 1);
      std::int32_t last_id = m.last_column_id;
      const Schema wanted = from_lake(declared, true);
      for (const auto& field : wanted.fields) {
        auto it = std::ranges::find(next.fields, field.name, &NestedField::name);
        if (it == next.fields.end()) {
          if (field.required) {
            problems.push_back(std::format("new column '{}' is not nullable (existing rows have no value for it)",
                                           field.name));
            continue;
          }
          NestedField added = field;
          // Nested fields get ids past the table's too.
          std::int32_t first = ++last_id;
          added = renumbered(field, first, last_id);
          next.fields.push_back(std::move(added));
          changed.push_back("add " + field.name);
          continue;
        }
        if (it->type->to_string() != field.type->to_string()) {
          if (promotes_to(*it->type, *field.type)) {
            changed.push_back(std::format("promote {} from {} to {}", field.name, it->type->to_string(),
                                          field.type->to_string()));
            it->type = field.type;
          } else {
            problems.push_back(std::format("column '{}' is {} in the table and {} in the declaration (Iceberg "
                                           "promotes only int to long, float to double and a decimal's precision)",
                                           field.name, it->type->to_string(), field.type->to_string()));
          }
        }
        if (!it->required && field.required)
          problems.push_back(std::format("column '{}' is optional in the table and may hold NULLs; it cannot become "
                                         "required",
                                         field.name));
        if (it->required && !field.required) {
          it->required = false;
          changed.push_back("drop not null " + field.name);
        }
      }
      for (const auto& field : schema.fields)
        if (std::ranges::none_of(wanted.fields, [&](const NestedField& f) { return f.name == field.name; }))
          problems.push_back(std::format("column '{}' is in the table but not declared", field.name));
      const PartitionSpec declared_spec = spec_of(declared, schema);
      auto same_spec = [&](const PartitionSpec& a, const PartitionSpec& b) {
        return std::ranges::equal(a.fields, b.fields, [](const PartitionSpecField& x, const PartitionSpecField& y) {
          return x.source_id == y.source_id && x.transform == y.transform;
        });
      };
      if (!same_spec(declared_spec, m.default_spec()))
        problems.push_back("the partitioning differs (changing it is a migration: partition-spec evolution)");
      if (!problems.empty()) {
        std::string list;
        for (const auto& p : problems) list += (list.empty() ? "" : "; ") + p;
        return fail(ErrorCode::schema_mismatch,
                    std::format("Iceberg table '{}' cannot evolve to '{}': {}", where_.table, declared.type_name, list));
      }
      if (changed.empty()) return {};
      LAKE_RETURN_IF_ERROR(check_writable(m, where_.table));
      TableMetadata updated = m;
      updated.schemas.push_back(next);
      updated.current_schema_id = next.schema_id;
      updated.last_column_id = last_id;
      updated.last_updated_ms = std::max(now_ms(), m.last_updated_ms);
      log_previous(updated, *current_);
      auto committed = where_.catalog->commit(where_.table, current_.get(), updated);
      if (committed) return refresh();
      if (committed.error().code() != ErrorCode::conflict || attempt >= where_.options.retry.max_attempts)
        return std::unexpected(committed.error());
      back_off(where_.options.retry, attempt);
    }
  }

  Status alter(std::span<const formats::TableChange> changes) override {
    for (int attempt = 1;; ++attempt) {
      LAKE_RETURN_IF_ERROR(refresh());
      const TableMetadata& m = current_->metadata;
      LAKE_RETURN_IF_ERROR(check_writable(m, where_.table));
      auto updated = altered(m, changes, now_ms());
      if (!updated)
        return std::unexpected(updated.error().with_context(std::format("Iceberg table '{}'", where_.table)));
      log_previous(*updated, *current_);
      auto committed = where_.catalog->commit(where_.table, current_.get(), *updated);
      if (committed) return refresh();
      if (committed.error().code() != ErrorCode::conflict || attempt >= where_.options.retry.max_attempts)
        return std::unexpected(committed.error());
      back_off(where_.options.retry, attempt);
    }
  }

  Result<OptimizeReport> optimize(const OptimizeOptions& options) override {
    LAKE_RETURN_IF_ERROR(refresh());
    const TableMetadata& m = current_->metadata;
    LAKE_RETURN_IF_ERROR(check_writable(m, where_.table));
    const Snapshot* s = m.current_snapshot();
    OptimizeReport report{.version = -1, .partitions_optimized = 0};
    // Every file of an identity partition holds one value of its source
    // column: clustering on it would change nothing.
    std::vector<std::string> single_valued;
    for (const auto& p : m.default_spec().fields)
      if (const NestedField* f = m.current_schema().find(p.source_id); f && p.transform.kind == formats::Transform::identity)
        single_valued.push_back(f->name);
    LAKE_ASSIGN_OR_RETURN(auto clustering, formats::clustering_of(options, cluster_by(), *arrow_schema(), single_valued));
    if (!s) return report;
    const std::int64_t target = options.target_file_bytes.value_or(
        m.numeric_property("write.target-file-size-bytes", kDefaultTargetFileBytes));
    LAKE_ASSIGN_OR_RETURN(auto planning, plan_files(*where_.backend, m, *s, options.where, &m.current_schema()));
    // A file is clustered when the snapshot that wrote it says so (its
    // data sequence number is that snapshot's).
    const std::string tag = clustering.tag();
    std::set<std::int64_t> clustered_sequences;
    for (const Snapshot* a : ancestry(m, s))
      if (auto it = a->summary.find(std::string(kClusteredSummary)); it != a->summary.end() && it->second == tag)
        clustered_sequences.insert(a->sequence_number);
    // The files of one partition (spec and values) are written as one:
    // its small files when bin-packing; all of them when clustering,
    // unless each already is.
    std::map<std::string, std::vector<PlannedFile>> groups;
    for (auto& file : planning.files) {
      if (clustering.kind == formats::Clustering::Kind::none && file.file.file_size_in_bytes >= target) continue;
      std::string group = std::to_string(file.spec_id);
      for (const auto& value : file.file.partition) group += "/" + value->ToString();
      groups[group].push_back(std::move(file));
    }
    std::erase_if(groups, [&](const auto& group) {
      if (clustering.kind == formats::Clustering::Kind::none) return group.second.size() < 2;
      return std::ranges::all_of(group.second, [&](const PlannedFile& f) {
        return f.deletes.empty() && clustered_sequences.contains(f.sequence_number);
      });
    });
    PlannedChange change;
    change.changes.operation = "replace";
    if (!tag.empty()) change.changes.summary[std::string(kClusteredSummary)] = tag;
    auto rewrite = [&]() -> Status {
      for (auto& [group, files] : groups) {
        for (const auto& f : files) change.changes.removed.push_back(f.file);
        LAKE_ASSIGN_OR_RETURN(auto reader, read_files(where_.backend, m.current_schema(), files, {}));
        std::shared_ptr<arrow::RecordBatchReader> rows = reader;
        if (clustering.kind != formats::Clustering::Kind::none) {
          auto all = reader->ToTable();
          if (!all.ok()) return fail(from_arrow_status(all.status(), "optimize: reading a partition"));
          LAKE_ASSIGN_OR_RETURN(auto ordered, formats::clustered(*all, clustering));
          rows = std::make_shared<arrow::TableBatchReader>(ordered);
        }
        LAKE_ASSIGN_OR_RETURN(auto added, write_data_files(*where_.backend, m, *rows, file_options()));
        change.changes.added.insert(change.changes.added.end(), added.begin(), added.end());
        ++report.partitions_optimized;
      }
      return {};
    };
    if (auto done = rewrite(); !done) {
      discard(*where_.backend, change.changes);
      return std::unexpected(done.error());
    }
    if (change.changes.removed.empty()) return report;
    int attempts = 0;
    auto outcome = commit_changes(*where_.catalog, *where_.backend, where_.table, *current_, change.changes, nullptr,
                                  where_.options.retry, attempts);
    if (!outcome || outcome->how != Rebase::commit_on_top) discard(*where_.backend, change.changes);
    LAKE_RETURN_IF_ERROR(outcome);
    if (outcome->how != Rebase::commit_on_top)
      return fail(ErrorCode::conflict,
                  std::format("optimize of Iceberg table '{}': a concurrent commit removed files it compacts", where_.table));
    report.version = outcome->table.metadata.current_snapshot_id.value_or(-1);
    report.files_removed = static_cast<std::int64_t>(change.changes.removed.size());
    report.files_added = static_cast<std::int64_t>(change.changes.added.size());
    for (const auto& f : change.changes.removed) report.bytes_removed += f.file_size_in_bytes;
    for (const auto& f : change.changes.added) report.bytes_added += f.file_size_in_bytes;
    LAKE_RETURN_IF_ERROR(refresh());
    return report;
  }

  Result<VacuumReport> vacuum(const VacuumOptions& options) override {
    LAKE_RETURN_IF_ERROR(refresh());
    const TableMetadata& m = current_->metadata;
    const auto table_retention = std::chrono::milliseconds(
        m.numeric_property("history.expire.max-snapshot-age-ms", kDefaultMaxSnapshotAgeMs));
    const auto retention = options.retention.value_or(table_retention);
    if (retention < table_retention && !options.allow_short_retention)
      return fail(ErrorCode::invalid_argument,
                  std::format("vacuum: a retention of {} is shorter than the table's history.expire.max-snapshot-age-ms "
                              "({}); readers of older snapshots could lose files. Set allow_short_retention to do it "
                              "anyway",
                              retention, table_retention));
    if (retention.count() < 0) return fail(ErrorCode::invalid_argument, "vacuum: the retention is negative");
    LAKE_ASSIGN_OR_RETURN(
        auto expired,
        expire_snapshots(*where_.catalog, where_.backend, where_.table,
                         {.older_than_ms = now_ms() - retention.count(),
                          .retain_last = static_cast<int>(m.numeric_property("history.expire.min-snapshots-to-keep", 1)),
                          .retry = where_.options.retry,
                          .dry_run = options.dry_run,
                          .remove_orphans = true}));
    LAKE_RETURN_IF_ERROR(refresh());
    return VacuumReport{.files = std::move(expired.files), .bytes = expired.bytes, .dry_run = options.dry_run};
  }

 private:
  IcebergFormatTable(Where where, CurrentMetadata current, std::optional<std::int64_t> pinned)
      : where_(std::move(where)), current_(std::make_shared<CurrentMetadata>(std::move(current))), pinned_(pinned) {}
  IcebergFormatTable(const IcebergFormatTable&) = default;

  // How this handle's writes cut and encode data files.
  DataFileOptions file_options() const { return {.writer_threads = where_.options.writer_threads}; }

  static Result<std::unique_ptr<formats::PreparedCommit>> prepared(std::unique_ptr<formats::PreparedCommit> commit) {
    return commit;
  }

  // A copy of `field` with ids from `next` on (nested fields included);
  // `last` ends as the highest id given.
  static NestedField renumbered(const NestedField& field, std::int32_t id, std::int32_t& last) {
    NestedField out = field;
    out.id = id;
    if (field.type && !field.type->fields.empty()) {
      auto type = std::make_shared<Type>(*field.type);
      for (auto& child : type->fields) child = renumbered(child, ++last, last);
      out.type = std::move(type);
    }
    return out;
  }

  const Snapshot* snapshot() const {
    return pinned_ ? current_->metadata.snapshot(*pinned_) : current_->metadata.current_snapshot();
  }
  // The schema reads see: the table's current one at the latest snapshot,
  // the one a snapshot was written with after time travel.
  const Schema& snapshot_schema() const {
    const Snapshot* s = snapshot();
    return s && pinned_ ? current_->metadata.schema_of(*s) : current_->metadata.current_schema();
  }

  Status describe_snapshot() const {
    LAKE_ASSIGN_OR_RETURN(metadata_, describe(current_->metadata, snapshot(), snapshot_schema()));
    LAKE_ASSIGN_OR_RETURN(arrow_schema_, to_arrow(snapshot_schema()));
    described_ = current_->location;
    return {};
  }
  // After a commit through this handle moved it on (describe_snapshot()
  // already succeeded for the schema, which a row change keeps).
  void sync() const {
    if (described_ != current_->location) (void)describe_snapshot();
  }

  // A merge's planning (on a given table) and its race judge: a winner
  // that wrote one of the merge's keys makes it plan again; `also` (the
  // idempotency judge) is asked first.
  Result<std::pair<Replan, RaceJudge>> prepare_merge(const formats::Merge& merge, const IngestId& ingest_id,
                                                     RaceJudge also) {
    if (!merge.rows) return fail(ErrorCode::invalid_argument, "a merge needs rows");
    std::vector<std::string> keys = merge.keys;
    if (keys.empty()) keys = merge_keys();
    if (keys.empty()) keys = primary_keys();
    if (keys.empty())
      return fail(ErrorCode::invalid_argument,
                  "merge: no key columns given and the table declares no merge or primary keys");
    std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
    for (;;) {
      std::shared_ptr<arrow::RecordBatch> batch;
      if (auto st = merge.rows->ReadNext(&batch); !st.ok())
        return fail(from_arrow_status(st, "reading the merge source"));
      if (!batch) break;
      batches.push_back(std::move(batch));
    }
    const formats::MergeRules rules{.on_match = merge.on_match, .on_no_match = merge.on_no_match};
    auto source = std::make_shared<std::optional<formats::MergeSource>>();
    auto backend = where_.backend;
    Replan plan = [batches = std::move(batches), keys, rules, ingest_id, source, backend,
                   files = file_options()](const CurrentMetadata& on) -> Result<PlannedChange> {
      LAKE_ASSIGN_OR_RETURN(auto schema, to_arrow(on.metadata.current_schema()));
      LAKE_ASSIGN_OR_RETURN(auto rows, merge_rows(batches, *schema, ingest_id));
      LAKE_ASSIGN_OR_RETURN(*source, formats::MergeSource::make(std::move(rows), keys));
      return plan_merge({backend, &on.metadata, files}, **source, rules);
    };
    RaceJudge judge = [also = std::move(also), source, backend](const CurrentMetadata& newer,
                                                               const std::vector<PlannedFile>& added) -> Result<Rebase> {
      if (also) {
        LAKE_ASSIGN_OR_RETURN(auto verdict, also(newer, added));
        if (verdict != Rebase::commit_on_top) return verdict;
      }
      if (added.empty() || !*source) return Rebase::commit_on_top;
      ContentFileSet files(backend, newer.metadata, added);
      LAKE_ASSIGN_OR_RETURN(auto collisions, (*source)->keys->find_in(files));
      return collisions.empty() ? Rebase::commit_on_top : Rebase::plan_again;
    };
    return std::pair{std::move(plan), std::move(judge)};
  }

  Where where_;
  // The table as last loaded or committed through this handle (shared
  // with its prepared writes, which move it on when they commit).
  std::shared_ptr<CurrentMetadata> current_;
  std::optional<std::int64_t> pinned_;  // time travel: the snapshot read
  mutable formats::TableMetadata metadata_;
  mutable std::shared_ptr<arrow::Schema> arrow_schema_;
  mutable std::string described_;  // the metadata file metadata_ describes
  mutable std::map<std::string, PlannedFile> planned_;  // plan_scan's files, for read()
};

class IcebergFormat final : public formats::NativeFormat {
 public:
  explicit IcebergFormat(IcebergCatalog catalog) : catalog_(std::move(catalog)) {}

  std::string_view name() const noexcept override { return "iceberg"; }

  Result<std::unique_ptr<formats::FormatTable>> open(std::shared_ptr<Backend> backend, const TableRef& table,
                                                     const formats::HandleOptions& options) const override {
    Where where = where_of(std::move(backend), table, options);
    LAKE_ASSIGN_OR_RETURN(auto loaded, where.catalog->load(where.table));
    if (!loaded) return std::unique_ptr<formats::FormatTable>();
    return IcebergFormatTable::make(std::move(where), std::move(*loaded));
  }

  Result<std::unique_ptr<formats::FormatTable>> create(std::shared_ptr<Backend> backend, const TableRef& table,
                                                       const formats::CreateTable& request,
                                                       const formats::HandleOptions& options) const override {
    if (request.schema == nullptr)
      return fail(ErrorCode::invalid_argument, "creating an Iceberg table needs a schema");
    Where where = where_of(std::move(backend), table, options);
    const Schema schema = from_lake(*request.schema, true);
    NewTable definition{.schema = schema, .spec = spec_of(*request.schema, schema), .properties = request.properties};
    // format-version is the metadata's own field, not a property (Iceberg
    // reserves the name); this implementation writes version 2.
    if (auto version = definition.properties.extract("format-version"); version && version.mapped() != "2")
      return fail(ErrorCode::unsupported,
                  std::format("Iceberg table '{}': format-version {} requested; native tables are written as version 2",
                              table.name, version.mapped()));
    for (auto& [key, value] : formats::key_properties(*request.schema)) definition.properties.try_emplace(key, value);
    auto created = create_table(*where.catalog, where.table, definition);
    if (!created && created.error().code() == ErrorCode::already_exists && request.if_not_exists) {
      LAKE_ASSIGN_OR_RETURN(auto existing, open(where.backend, table, options));
      if (!existing) return std::unexpected(created.error());
      LAKE_RETURN_IF_ERROR(check_same_table(*existing, schema, definition.spec, table));
      return existing;
    }
    LAKE_RETURN_IF_ERROR(created);
    return IcebergFormatTable::make(std::move(where), std::move(*created));
  }

  Status drop(std::shared_ptr<Backend> backend, const TableRef& table) const override {
    Where where = where_of(std::move(backend), table, {});
    LAKE_RETURN_IF_ERROR(where.catalog->drop(where.table));
    auto removed = where.backend->remove_prefix(table.location + "/");
    LAKE_RETURN_IF_ERROR(removed);
    return {};
  }

  std::map<std::string, std::string> idempotency_properties(std::chrono::seconds ttl) const override {
    // An idempotency record lives in its snapshot's summary: keep snapshots
    // at least as long as records must last.
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(ttl).count();
    return {{"history.expire.max-snapshot-age-ms", std::to_string(std::max(ms, kDefaultMaxSnapshotAgeMs))}};
  }

 private:
  Where where_of(std::shared_ptr<Backend> backend, const TableRef& table, const formats::HandleOptions& options) const {
    std::shared_ptr<Catalog> catalog = catalog_.kind == IcebergCatalogKind::file_system
                                           ? std::make_shared<FileSystemCatalog>(backend)
                                           : shared_service_catalog(backend);
    return Where{std::move(backend), std::move(catalog), table.location, options};
  }

  // One catalog client per storage the format serves, shared by every
  // handle: the SQL catalog's one connection to its file, the REST
  // catalog's configuration and OAuth2 token.
  std::shared_ptr<Catalog> shared_service_catalog(const std::shared_ptr<Backend>& backend) const {
    std::lock_guard lock(service_catalogs_mutex_);
    auto& catalog = service_catalogs_[backend.get()];
    if (auto live = catalog.lock()) return live;
    std::shared_ptr<Catalog> made;
    switch (catalog_.kind) {
      case IcebergCatalogKind::sql: made = std::make_shared<SqlCatalog>(backend, catalog_); break;
      case IcebergCatalogKind::rest: made = std::make_shared<RestCatalog>(backend, catalog_); break;
      case IcebergCatalogKind::file_system: made = std::make_shared<FileSystemCatalog>(backend); break;
    }
    catalog = made;
    return made;
  }

  IcebergCatalog catalog_;
  mutable std::mutex service_catalogs_mutex_;
  mutable std::map<const Backend*, std::weak_ptr<Catalog>> service_catalogs_;

  static Status check_same_table(const formats::FormatTable& existing, const Schema& schema, const PartitionSpec& spec,
                                 const TableRef& table) {
    const auto& m = existing.metadata();
    std::vector<std::string> have, want;
    for (const auto& c : m.columns) have.push_back(c.field.column);
    for (const auto& f : schema.fields) want.push_back(f.name);
    std::vector<std::string> have_parts, want_parts;
    for (const auto& p : m.partitioning) have_parts.push_back(std::format("{}:{}", p.source_column, formats::to_string(p.transform)));
    for (const auto& p : spec.fields)
      if (const NestedField* f = schema.find(p.source_id))
        want_parts.push_back(std::format("{}:{}", f->name, formats::to_string(p.transform.kind)));
    if (have == want && have_parts == want_parts) return {};
    return fail(ErrorCode::schema_mismatch,
                std::format("Iceberg table '{}' exists with other columns or partitioning than declared", table.name));
  }
};

}  // namespace

std::shared_ptr<const formats::NativeFormat> native_format() {
  static const auto format = std::make_shared<const IcebergFormat>(IcebergCatalog{});
  return format;
}

Result<std::unique_ptr<formats::FormatTable>> open_in(std::shared_ptr<Backend> backend, std::shared_ptr<Catalog> catalog,
                                                     const std::string& table, const formats::HandleOptions& options) {
  LAKE_ASSIGN_OR_RETURN(auto loaded, catalog->load(table));
  if (!loaded) return std::unique_ptr<formats::FormatTable>();
  return IcebergFormatTable::make(Where{std::move(backend), std::move(catalog), table, options}, std::move(*loaded));
}

std::shared_ptr<const formats::NativeFormat> native_format(const IcebergCatalog& catalog) {
  if (catalog.kind == IcebergCatalogKind::file_system) return native_format();
  return std::make_shared<const IcebergFormat>(catalog);
}

}  // namespace lake::iceberg

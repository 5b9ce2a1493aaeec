// The commit step every write shares, and the helpers of the row changes
// (delete, update, merge): reading a file whole, writing rows as new data
// files, finding the files a change must look at.
#include "delta/table_writer.hpp"

#include <arrow/table.h>

#include <algorithm>
#include <charconv>
#include <format>

#include "core/encoder_threads.hpp"
#include "core/propagate.hpp"
#include "delta/checkpoint_writer.hpp"
#include "delta/log_replay.hpp"
#include "delta/scan.hpp"
#include "delta/table_properties.hpp"
#include "lake/arrow/convert.hpp"

namespace lake::delta {
namespace {

constexpr std::int64_t kDefaultTargetFileBytes = std::int64_t{128} << 20;
constexpr int kDefaultCheckpointInterval = 10;

}  // namespace

std::optional<Txn> txn_of(const WriteOptions& options) {
  if (!options.idempotency) return std::nullopt;
  return Txn{options.idempotency->app_id, options.idempotency->version, now_ms()};
}

Remove remove_of(const Add& file, bool data_change) {
  return Remove{.path = file.path,
                .deletion_timestamp = now_ms(),
                .data_change = data_change,
                .extended_file_metadata = true,
                .partition_values = file.partition_values,
                .size = file.size,
                .deletion_vector = file.deletion_vector};
}

std::int64_t rows_in(const std::vector<Add>& files) {
  std::int64_t rows = 0;
  for (const auto& file : files) rows += records_in_stats(file.stats).value_or(0);
  return rows;
}

DataFileOptions TableWriter::file_options(std::optional<std::int64_t> target_file_bytes) const {
  DataFileOptions options;
  options.zstd_level = table_.options_.zstd_level;
  options.writer_threads = lake::detail::writer_thread_count(table_.options_.writer_threads);
  options.target_file_bytes = kDefaultTargetFileBytes;
  const auto& config = table_.snapshot_.metadata().configuration;
  if (auto it = config.find("delta.targetFileSize"); it != config.end()) {
    std::int64_t bytes = 0;
    if (std::from_chars(it->second.data(), it->second.data() + it->second.size(), bytes).ec == std::errc{} &&
        bytes > 0)
      options.target_file_bytes = bytes;
  }
  if (table_.options_.target_file_bytes) options.target_file_bytes = *table_.options_.target_file_bytes;
  if (target_file_bytes) options.target_file_bytes = *target_file_bytes;
  return options;
}

int TableWriter::checkpoint_interval() const {
  if (table_.options_.checkpoint_interval) return *table_.options_.checkpoint_interval;
  const auto& config = table_.snapshot_.metadata().configuration;
  if (auto it = config.find("delta.checkpointInterval"); it != config.end()) {
    int interval = 0;
    if (std::from_chars(it->second.data(), it->second.data() + it->second.size(), interval).ec == std::errc{} &&
        interval > 0)
      return interval;
  }
  return kDefaultCheckpointInterval;
}

void TableWriter::discard(const std::vector<Add>& written, const std::vector<std::string>& written_vectors) const {
  for (const auto& file : written) {
    auto key = layout_of(table_.root_, table_.snapshot_).and_then([&](const TableLayout& l) { return l.key_of(file.path); });
    // Best effort: a file left behind is unreferenced and vacuum removes it.
    if (key) (void)table_.backend_->remove(*key);
  }
  for (const auto& key : written_vectors)
    if (!key.empty()) (void)table_.backend_->remove(key);
}

bool TableWriter::deletes_by_vector() const {
  if (table_.options_.row_changes == RowChanges::copy_on_write) return false;
  return std::ranges::contains(table_.snapshot_.protocol().writer_features, std::string_view("deletionVectors")) &&
         property_is(table_.snapshot_.metadata().configuration, kEnableDeletionVectors, "true");
}

CommitPolicy TableWriter::commit_policy() const {
  return CommitPolicy{.max_attempts = table_.options_.max_commit_attempts,
                      .initial_backoff = table_.options_.commit_backoff,
                      .max_backoff = table_.options_.max_commit_backoff};
}

Result<CommitResult> TableWriter::commit(PendingCommit pending, const std::vector<Add>& written, CommitResult result,
                                         CommitAttempts* attempts, const std::vector<std::string>& written_vectors) {
  CommitAttempts own;
  CommitAttempts& counted = attempts != nullptr ? *attempts : own;
  auto outcome =
      delta::commit(*table_.backend_, table_.root_, table_.snapshot_, std::move(pending), commit_policy(), counted);
  if (!outcome) {
    discard(written, written_vectors);
    return std::unexpected(outcome.error());
  }
  result.attempts = outcome->attempts;
  result.version = outcome->version;
  table_.snapshot_ = std::move(outcome->snapshot);
  if (!outcome->committed) {
    discard(written, written_vectors);
    return CommitResult{.skipped_as_duplicate = true, .version = result.version, .attempts = result.attempts};
  }
  result.committed = true;
  const int interval = checkpoint_interval();
  if (interval > 0 && result.version > 0 && result.version % interval == 0) {
    if (auto written_checkpoint = write_checkpoint(*table_.backend_, table_.root_, table_.snapshot_, now());
        !written_checkpoint)
      result.checkpoint_error = written_checkpoint.error();
  }
  return result;
}

Result<std::shared_ptr<arrow::RecordBatch>> read_whole(Backend& backend, const TableLayout& layout, const Add& file,
                                                      std::vector<std::string> columns) {
  auto table = read_data_file(backend, layout, file, std::move(columns));
  LAKE_RETURN_IF_ERROR(table);
  auto batch = (*table)->CombineChunksToBatch();
  if (!batch.ok()) return fail(lake::detail::from_arrow_status(batch.status(), std::format("reading '{}'", file.path)));
  return *batch;
}

Result<std::vector<Add>> write_rows(Backend& backend, const TableLayout& layout,
                                    const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches,
                                    const DataFileOptions& options) {
  std::vector<std::shared_ptr<arrow::RecordBatch>> non_empty;
  for (const auto& b : batches)
    if (b->num_rows() > 0) non_empty.push_back(b);
  if (non_empty.empty()) return std::vector<Add>{};
  auto reader = arrow::RecordBatchReader::Make(non_empty, layout.arrow_schema);
  if (!reader.ok()) return fail(lake::detail::from_arrow_status(reader.status(), "writing rows"));
  return write_data_files(backend, layout, **reader, options);
}

Result<std::vector<Add>> candidates(const Snapshot& snapshot, const TableLayout& layout,
                                    const std::optional<Predicate>& filter) {
  std::vector<Add> all;
  all.reserve(snapshot.files().size());
  for (const auto& [key, add] : snapshot.files()) all.push_back(add);
  return prune_files(layout, all, filter);
}

Result<std::vector<int>> column_indexes(const arrow::Schema& schema, const std::vector<std::string>& names,
                                        std::string_view what) {
  std::vector<int> indexes;
  for (const auto& name : names) {
    int i = schema.GetFieldIndex(name);
    if (i < 0)
      return fail(ErrorCode::schema_mismatch,
                  std::format("{} column '{}' is not in the table (columns: {})", what, name,
                              lake::detail::column_list(schema)));
    indexes.push_back(i);
  }
  return indexes;
}

}  // namespace lake::delta

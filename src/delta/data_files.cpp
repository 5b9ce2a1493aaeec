// write_data_files: input rows checked and conformed to the table, split by
// partition value, routed to one open file per partition, and rolled into
// new files as they reach the target size.
//
// Sizing. Parquet sizes are only known once a row group reaches the file,
// so rows are buffered per file and sized with a model: compressed bytes
// per in-memory Arrow byte, learnt from every row group written in this
// call (starting at 1, which under-fills rather than overshoots). A row
// group is encoded when flushed (its columns in parallel) and reaches the
// file when the next one starts, so a file's size is its bytes in the
// sink plus the model's estimate for the row group held encoded and the
// rows appended. When that says the file is full its row group is
// encoded, and the file is closed once the estimate is within
// kCloseEnough of the target; otherwise the now better-informed model
// tops it up.
#include "delta/data_files.hpp"

#include <arrow/array.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/exec.h>
#include <arrow/compute/row/grouper.h>
#include <arrow/util/byte_size.h>

#include <algorithm>
#include <cmath>
#include <format>
#include <map>

#include "core/propagate.hpp"
#include "formats/compute.hpp"
#include "delta/conform.hpp"
#include "delta/data_file_writer.hpp"
#include "delta/file_stats.hpp"
#include "delta/partition_values.hpp"
#include "lake/arrow/convert.hpp"
#include "lake/ingest_id.hpp"

namespace lake::delta {
namespace {

namespace cp = arrow::compute;

// Open files (one per partition being written) beyond this close the one
// used least recently, bounding memory and file handles.
constexpr std::size_t kMaxOpenFiles = 64;
// A file this close to the target is closed rather than topped up with a
// sliver of a row group.
constexpr double kCloseEnough = 0.9;

struct Partition {
  std::string directory;  // "" when the table is not partitioned
  PartitionValues values;
};

class PartitionedWriter {
 public:
  PartitionedWriter(Backend& backend, const TableLayout& layout, const DataFileOptions& options)
      : backend_(backend), layout_(layout), options_(options) {}

  // Discards every file this writer wrote or started unless finish() succeeded.
  ~PartitionedWriter() {
    if (finished_) return;
    open_.clear();  // unpublished files vanish with their writers
    for (const auto& key : published_) (void)backend_.remove(key);
  }

  Status start() {
    const arrow::Schema& table = *layout_.arrow_schema;
    arrow::FieldVector data_fields;
    for (int i = 0; i < table.num_fields(); ++i) {
      if (std::ranges::contains(layout_.partition_columns, table.field(i)->name())) continue;
      data_columns_.push_back(i);
      data_fields.push_back(table.field(i));
    }
    for (const auto& name : layout_.partition_columns) partition_columns_.push_back(table.GetFieldIndex(name));
    if (data_fields.empty())
      return fail(ErrorCode::invalid_argument, "every column of the table is a partition column; a data file needs "
                                               "at least one other");
    data_schema_ = arrow::schema(std::move(data_fields));
    if (partition_columns_.empty()) {
      partitions_.push_back(Partition{});
      return {};
    }
    std::vector<arrow::TypeHolder> key_types;
    for (int i : partition_columns_) key_types.emplace_back(table.field(i)->type());
    auto grouper = cp::Grouper::Make(key_types);
    if (!grouper.ok()) return fail(lake::detail::from_arrow_status(grouper.status(), "grouping rows by partition"));
    grouper_ = std::move(*grouper);
    return {};
  }

  Status write(const arrow::RecordBatch& input) {
    if (input.num_rows() == 0) return {};
    auto rows = conform_input_batch(input, layout_.arrow_schema);
    LAKE_RETURN_IF_ERROR(rows);
    auto data = (*rows)->SelectColumns(data_columns_);
    if (!data.ok()) return arrow_failure(data.status());
    if (!grouper_) return write_partition(0, *data);

    std::vector<arrow::Datum> keys;
    for (int i : partition_columns_) keys.emplace_back((*rows)->column(i));
    cp::ExecBatch key_batch(std::move(keys), (*rows)->num_rows());
    auto ids = grouper_->Consume(cp::ExecSpan(key_batch));
    if (!ids.ok()) return arrow_failure(ids.status());
    LAKE_RETURN_IF_ERROR(learn_partitions());
    auto groupings = cp::Grouper::MakeGroupings(*ids->array_as<arrow::UInt32Array>(), grouper_->num_groups());
    if (!groupings.ok()) return arrow_failure(groupings.status());
    for (std::uint32_t group = 0; group < grouper_->num_groups(); ++group) {
      auto indices = (*groupings)->value_slice(group);
      if (indices->length() == 0) continue;
      auto taken = cp::Take(*data, indices);
      if (!taken.ok()) return arrow_failure(taken.status());
      LAKE_RETURN_IF_ERROR(write_partition(group, taken->record_batch()));
    }
    return {};
  }

  Result<std::vector<Add>> finish() {
    while (!open_.empty())
      LAKE_RETURN_IF_ERROR(close_file(open_.begin()->first));
    finished_ = true;
    return std::move(done_);
  }

 private:
  struct OpenFile {
    std::unique_ptr<DataFileWriter> writer;
    std::uint64_t last_used = 0;
  };

  // Two characters from the id's random bits (Spark's default prefix
  // length for tables with column mapping).
  static std::string random_prefix(const IngestId& id) {
    static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const auto& bytes = id.bytes();
    return {kAlphabet[bytes[14] % kAlphabet.size()], kAlphabet[bytes[15] % kAlphabet.size()]};
  }

  static std::unexpected<Error> arrow_failure(const arrow::Status& status) {
    return fail(lake::detail::from_arrow_status(status, "writing data files"));
  }

  // Names the partitions the grouper has met since the last call.
  Status learn_partitions() {
    if (partitions_.size() == grouper_->num_groups()) return {};
    auto uniques = grouper_->GetUniques();
    if (!uniques.ok()) return arrow_failure(uniques.status());
    for (auto group = static_cast<std::int64_t>(partitions_.size()); group < uniques->length; ++group) {
      Partition partition;
      for (std::size_t k = 0; k < partition_columns_.size(); ++k) {
        const std::string& column = layout_.partition_columns[k];
        auto scalar = uniques->values[k].make_array()->GetScalar(group);
        if (!scalar.ok()) return arrow_failure(scalar.status());
        auto value = serialize_partition_value(**scalar);
        if (!value) return std::unexpected(value.error().with_context(std::format("partition column '{}'", column)));
        // Under column mapping the values are keyed by physical name (a
        // rename leaves them valid) and files go to random prefixes, as
        // Spark writes them, not to column=value directories: a directory
        // naming a physical column is one readers inferring partitions
        // from paths would mistake for a column.
        if (layout_.mapping == ColumnMapping::none) {
          if (!partition.directory.empty()) partition.directory += '/';
          partition.directory += hive_directory(column, *value);
        }
        partition.values[std::string(layout_.physical_name(column))] = std::move(*value);
      }
      partitions_.push_back(std::move(partition));
    }
    return {};
  }

  Result<DataFileWriter*> file_for(std::uint32_t group) {
    auto it = open_.find(group);
    if (it == open_.end()) {
      if (open_.size() >= kMaxOpenFiles) {
        auto oldest = std::ranges::min_element(open_, {}, [](const auto& entry) { return entry.second.last_used; });
        LAKE_RETURN_IF_ERROR(close_file(oldest->first));
      }
      const Partition& partition = partitions_[group];
      // Named as delta-rs and Spark name theirs; the id keeps names unique
      // across writers, the counter orders one write's files.
      const IngestId id = IngestId::generate();
      std::string name = std::format("part-{:05}-{}-c000.zstd.parquet", files_started_++, id.to_string());
      std::string directory = partition.directory;
      if (layout_.mapping != ColumnMapping::none) directory = random_prefix(id);
      std::string path = directory.empty() ? name : directory + "/" + name;
      auto writer = DataFileWriter::open(backend_, layout_, data_schema_, std::move(path), partition.values, options_);
      LAKE_RETURN_IF_ERROR(writer);
      it = open_.emplace(group, OpenFile{std::move(*writer), 0}).first;
    }
    it->second.last_used = ++clock_;
    return it->second.writer.get();
  }

  Status close_file(std::uint32_t group) {
    auto it = open_.find(group);
    DataFileWriter& writer = *it->second.writer;
    LAKE_RETURN_IF_ERROR(flush(writer));
    // Closing writes the row group held encoded (and the footer): the
    // model learns from it too.
    const std::int64_t in_sink = writer.bytes_written();
    const std::int64_t arrow_bytes = writer.encoded_arrow_bytes();
    auto add = writer.close();
    LAKE_RETURN_IF_ERROR(add);
    compressed_bytes_ += add->size - in_sink;
    arrow_bytes_ += arrow_bytes;
    published_.push_back(it->second.writer->key());
    done_.push_back(std::move(*add));
    open_.erase(it);
    return {};
  }

  Status flush(DataFileWriter& file) {
    auto sunk = file.flush_row_group();
    LAKE_RETURN_IF_ERROR(sunk);
    compressed_bytes_ += sunk->compressed_bytes;
    arrow_bytes_ += sunk->arrow_bytes;
    return {};
  }

  double compressed_per_arrow_byte() const {
    return arrow_bytes_ > 0 ? static_cast<double>(compressed_bytes_) / static_cast<double>(arrow_bytes_) : 1.0;
  }

  // The file's size once what it holds in memory is written, by the model.
  double estimated_size(const DataFileWriter& file) const {
    return static_cast<double>(file.bytes_written()) +
           static_cast<double>(file.encoded_arrow_bytes() + file.pending_arrow_bytes()) * compressed_per_arrow_byte();
  }

  Status write_partition(std::uint32_t group, const std::shared_ptr<arrow::RecordBatch>& rows) {
    auto total_bytes = arrow::util::ReferencedBufferSize(*rows);
    if (!total_bytes.ok()) return arrow_failure(total_bytes.status());
    const double arrow_bytes_per_row =
        std::max(1.0, static_cast<double>(*total_bytes) / static_cast<double>(rows->num_rows()));
    const auto target = static_cast<double>(options_.target_file_bytes);

    for (std::int64_t offset = 0; offset < rows->num_rows();) {
      auto file = file_for(group);
      LAKE_RETURN_IF_ERROR(file);
      DataFileWriter& writer = **file;
      const double ratio = compressed_per_arrow_byte();
      const auto rows_that_fit = static_cast<std::int64_t>(
          std::ceil(std::max(0.0, target - estimated_size(writer)) / (arrow_bytes_per_row * ratio)));
      const std::int64_t count =
          std::min({rows->num_rows() - offset, options_.row_group_rows - writer.pending_rows(),
                    std::max<std::int64_t>(1, rows_that_fit)});
      if (auto appended = writer.append(rows->Slice(offset, count),
                                        static_cast<std::int64_t>(std::llround(arrow_bytes_per_row *
                                                                                static_cast<double>(count))));
          !appended)
        return appended;
      offset += count;

      const bool full = estimated_size(writer) >= target;
      if (!full && writer.pending_rows() < options_.row_group_rows &&
          writer.pending_arrow_bytes() < options_.row_group_arrow_bytes)
        continue;
      LAKE_RETURN_IF_ERROR(flush(writer));
      if (estimated_size(writer) >= kCloseEnough * target) LAKE_RETURN_IF_ERROR(close_file(group));
    }
    return {};
  }

  Backend& backend_;
  const TableLayout& layout_;
  const DataFileOptions& options_;
  std::vector<int> data_columns_;       // indexes into the table schema
  std::vector<int> partition_columns_;  // likewise, in partition order
  std::shared_ptr<arrow::Schema> data_schema_;
  std::unique_ptr<cp::Grouper> grouper_;  // null when the table is not partitioned
  std::vector<Partition> partitions_;     // by group id
  std::map<std::uint32_t, OpenFile> open_;
  std::vector<Add> done_;
  std::vector<std::string> published_;  // keys of done_, removed if the write fails
  std::uint64_t clock_ = 0;
  int files_started_ = 0;
  std::int64_t compressed_bytes_ = 0;
  std::int64_t arrow_bytes_ = 0;
  bool finished_ = false;
};

Status check_options(const DataFileOptions& options) {
  if (options.target_file_bytes <= 0)
    return fail(ErrorCode::invalid_argument,
                std::format("target_file_bytes must be positive (it is {})", options.target_file_bytes));
  if (options.row_group_arrow_bytes <= 0)
    return fail(ErrorCode::invalid_argument,
                std::format("row_group_arrow_bytes must be positive (it is {})", options.row_group_arrow_bytes));
  if (options.row_group_rows <= 0)
    return fail(ErrorCode::invalid_argument,
                std::format("row_group_rows must be positive (it is {})", options.row_group_rows));
  if (options.zstd_level < 1 || options.zstd_level > 22)
    return fail(ErrorCode::invalid_argument,
                std::format("zstd_level must be between 1 and 22 (it is {})", options.zstd_level));
  return {};
}

}  // namespace

Result<std::vector<Add>> write_data_files(Backend& backend, const TableLayout& layout, arrow::RecordBatchReader& input,
                                          const DataFileOptions& options) {
  LAKE_RETURN_IF_ERROR(formats::ensure_compute_initialized());
  LAKE_RETURN_IF_ERROR(check_options(options));
  // The input's columns are checked up front, so one with the wrong
  // columns is refused even when it turns out to hold no rows.
  auto no_rows = arrow::RecordBatch::MakeEmpty(input.schema());
  if (!no_rows.ok()) return fail(lake::detail::from_arrow_status(no_rows.status(), "checking the input's columns"));
  LAKE_RETURN_IF_ERROR(conform_input_batch(**no_rows, layout.arrow_schema));
  PartitionedWriter writer(backend, layout, options);
  LAKE_RETURN_IF_ERROR(writer.start());
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    if (auto status = input.ReadNext(&batch); !status.ok())
      return fail(lake::detail::from_arrow_status(status, "reading the rows to write"));
    if (!batch) break;
    LAKE_RETURN_IF_ERROR(writer.write(*batch));
  }
  return writer.finish();
}

Result<std::string> compute_stats(const TableLayout& layout, const arrow::RecordBatch& rows) {
  LAKE_RETURN_IF_ERROR(formats::ensure_compute_initialized());
  FileStatsCollector stats(layout);
  // Whole table rows are conformed first (so int32 input counts for an
  // int64 column); rows without the partition columns must already have
  // the table's types.
  bool whole_rows = std::ranges::all_of(layout.arrow_schema->fields(), [&](const auto& field) {
    return rows.schema()->GetFieldIndex(field->name()) >= 0;
  });
  if (whole_rows) {
    auto conformed = conform_input_batch(rows, layout.arrow_schema);
    LAKE_RETURN_IF_ERROR(conformed);
    LAKE_RETURN_IF_ERROR(stats.add(**conformed));
  } else if (auto added = stats.add(rows); !added) {
    return std::unexpected(added.error());
  }
  return stats.to_json();
}

}  // namespace lake::delta

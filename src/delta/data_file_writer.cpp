#include "delta/data_file_writer.hpp"

#include <parquet/properties.h>

#include <chrono>
#include <format>

#include "core/encoder_threads.hpp"
#include "core/propagate.hpp"
#include "delta/column_mapping.hpp"
#include "lake/arrow/convert.hpp"
#include "lake/storage/arrow_io.hpp"

namespace lake::delta {

DataFileWriter::DataFileWriter(const TableLayout& layout, std::string key, std::string relative_path,
                               PartitionValues partition_values)
    : key_(std::move(key)),
      relative_path_(std::move(relative_path)),
      partition_values_(std::move(partition_values)),
      stats_(layout) {}

DataFileWriter::~DataFileWriter() {
  if (closed_) return;
  // Abort first: the Parquet writer's destructor writes a footer into the
  // stream, which must not publish the object.
  if (sink_) (void)sink_->Abort();
}

Result<std::unique_ptr<DataFileWriter>> DataFileWriter::open(Backend& backend, const TableLayout& layout,
                                                             std::shared_ptr<arrow::Schema> data_schema,
                                                             std::string relative_path,
                                                             PartitionValues partition_values,
                                                             const DataFileOptions& options) {
  std::string key = layout.root.empty() ? relative_path : layout.root + "/" + relative_path;
  std::unique_ptr<DataFileWriter> self(
      new DataFileWriter(layout, std::move(key), std::move(relative_path), std::move(partition_values)));
  auto sink = open_arrow_output(backend, self->key_, PutMode::create);
  if (!sink) return std::unexpected(sink.error().with_context(std::format("writing data file '{}'", self->key_)));
  self->sink_ = std::move(*sink);

  auto properties = parquet::WriterProperties::Builder()
                        .compression(parquet::Compression::ZSTD)
                        ->compression_level(options.zstd_level)
                        ->max_row_group_length(options.row_group_rows)
                        ->build();
  auto* encoders = lake::detail::encoder_executor(options.writer_threads);
  auto arrow_properties =
      parquet::ArrowWriterProperties::Builder().set_use_threads(encoders != nullptr)->set_executor(encoders)->build();
  // Under column mapping the file names its columns by physical name and
  // carries their field ids; the rows and their stats arrive by logical name.
  auto writer = parquet::arrow::FileWriter::Open(*physical_schema(layout, data_schema), arrow::default_memory_pool(),
                                                 self->sink_, properties, arrow_properties);
  if (!writer.ok())
    return fail(lake::detail::from_arrow_status(writer.status(), std::format("writing data file '{}'", self->key_)));
  self->writer_ = std::move(*writer);
  return self;
}

Status DataFileWriter::append(std::shared_ptr<arrow::RecordBatch> rows, std::int64_t arrow_bytes) {
  LAKE_RETURN_IF_ERROR(stats_.add(*rows));
  pending_rows_ += rows->num_rows();
  pending_arrow_bytes_ += arrow_bytes;
  pending_.push_back(std::move(rows));
  return {};
}

Result<DataFileWriter::Sunk> DataFileWriter::flush_row_group() {
  if (pending_rows_ == 0) return Sunk{};
  for (auto& batch : pending_) {
    LAKE_ASSIGN_OR_RETURN(batch, relabelled(batch, writer_->schema()));
  }
  const std::int64_t before = bytes_written();
  // Starting a row group writes the one encoded before it to the sink.
  arrow::Status status = writer_->NewBufferedRowGroup();
  const Sunk sunk{.compressed_bytes = bytes_written() - before, .arrow_bytes = encoded_arrow_bytes_};
  // Each batch's columns are encoded in parallel into the new row group;
  // the caller keeps pending_rows_ within max_row_group_length, so it
  // stays one row group.
  for (const auto& batch : pending_) {
    if (!status.ok()) break;
    status = writer_->WriteRecordBatch(*batch);
  }
  if (!status.ok()) return fail(lake::detail::from_arrow_status(status, std::format("writing data file '{}'", key_)));
  encoded_arrow_bytes_ = pending_arrow_bytes_;
  pending_.clear();
  pending_rows_ = 0;
  pending_arrow_bytes_ = 0;
  return sunk;
}

std::int64_t DataFileWriter::bytes_written() const {
  auto position = sink_->Tell();
  return position.ok() ? *position : 0;
}

Result<Add> DataFileWriter::close() {
  LAKE_RETURN_IF_ERROR(flush_row_group());
  arrow::Status status = writer_->Close();
  const std::int64_t size = bytes_written();
  if (status.ok()) status = sink_->Close();
  if (!status.ok()) return fail(lake::detail::from_arrow_status(status, std::format("writing data file '{}'", key_)));
  closed_ = true;
  Add add;
  add.path = encode_path(relative_path_);
  add.partition_values = std::move(partition_values_);
  add.size = size;
  add.modification_time = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  add.data_change = true;
  add.stats = stats_.to_json();
  return add;
}

}  // namespace lake::delta

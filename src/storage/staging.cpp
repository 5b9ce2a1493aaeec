// Staging: prefixes and their cleanup, and the staged parts, Parquet
// through the storage contract. Writes stream into an ObjectWriter
// (nothing is visible until a part is closed); reads are ranged, one row
// group at a time.
#include "storage/staging.hpp"

#include <arrow/io/interfaces.h>
#include <arrow/table.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/writer.h>
#include <parquet/properties.h>

#include <format>
#include <set>

#include "core/encoder_threads.hpp"
#include "core/propagate.hpp"
#include "lake/arrow/detail/status.hpp"
#include "lake/storage/arrow_io.hpp"

namespace lake {

namespace staging {

std::string prefix_of(const IngestId& ingest_id) { return std::format("{}{}/", kRoot, ingest_id.to_string()); }

Result<std::vector<Prefix>> list_prefixes(Backend& backend) {
  auto objects = backend.list(kRoot);
  LAKE_RETURN_IF_ERROR(objects);
  std::set<std::string> names;
  for (const auto& object : *objects) {
    std::string_view rest = std::string_view(object.key).substr(kRoot.size());
    auto slash = rest.find('/');
    if (slash == std::string_view::npos) continue;  // a loose object, not a staging prefix
    names.emplace(rest.substr(0, slash));
  }
  std::vector<Prefix> prefixes;
  prefixes.reserve(names.size());
  for (const auto& name : names) {
    auto id = IngestId::parse(name);
    prefixes.push_back({std::format("{}{}/", kRoot, name), id ? std::optional<IngestId>(*id) : std::nullopt});
  }
  return prefixes;
}

}  // namespace staging

namespace {

parquet::Compression::type codec_of(Compression compression) {
  switch (compression) {
    case Compression::zstd: return parquet::Compression::ZSTD;
    case Compression::snappy: return parquet::Compression::SNAPPY;
    case Compression::gzip: return parquet::Compression::GZIP;
    case Compression::uncompressed: return parquet::Compression::UNCOMPRESSED;
  }
  return parquet::Compression::ZSTD;
}

class ParquetPartWriter final : public StagedPartWriter {
 public:
  ParquetPartWriter(Backend& backend, std::string prefix, std::shared_ptr<arrow::Schema> schema,
                    StagedPartOptions options)
      : backend_(backend), prefix_(std::move(prefix)), schema_(std::move(schema)), options_(options) {}

  Status write(const std::shared_ptr<arrow::RecordBatch>& rows) override {
    if (!rows || rows->num_rows() == 0) return {};
    if (!writer_) {
      LAKE_RETURN_IF_ERROR(open_part());
    }
    // One call, one row group: starting it writes the one before it to
    // the sink, and its columns are encoded in parallel (buffered row
    // groups) and held in memory until the next call or close.
    arrow::Status st = writer_->NewBufferedRowGroup();
    if (st.ok()) st = writer_->WriteRecordBatch(*rows);
    if (!st.ok()) return fail(detail::from_arrow_status(st, std::format("writing staged part '{}'", parts_.back())));
    // The sink's position counts what has reached storage, so a part ends
    // at most one row group past the bound, without buffering the part.
    auto position = sink_->Tell();
    if (position.ok() && *position >= options_.part_bytes) return close_part();
    return {};
  }

  Result<std::vector<std::string>> close() override {
    if (writer_)
      LAKE_RETURN_IF_ERROR(close_part());
    return parts_;
  }

  std::int64_t bytes_written() const noexcept override { return bytes_; }

 private:
  Status open_part() {
    std::string key = std::format("{}part-{:05}.parquet", prefix_, parts_.size());
    auto sink = open_arrow_output(backend_, key, PutMode::create);
    LAKE_RETURN_IF_ERROR(sink);
    auto properties = parquet::WriterProperties::Builder()
                          .compression(codec_of(options_.compression))
                          ->max_row_group_length(std::int64_t{1} << 20)
                          ->build();
    auto* encoders = detail::encoder_executor(options_.writer_threads);
    auto arrow_properties = parquet::ArrowWriterProperties::Builder()
                                .store_schema()
                                ->set_use_threads(encoders != nullptr)
                                ->set_executor(encoders)
                                ->build();
    auto writer = parquet::arrow::FileWriter::Open(*schema_, arrow::default_memory_pool(), *sink, properties,
                                                   arrow_properties);
    if (!writer.ok()) return fail(detail::from_arrow_status(writer.status(), std::format("opening staged part '{}'", key)));
    sink_ = std::move(*sink);
    writer_ = std::move(*writer);
    parts_.push_back(std::move(key));
    return {};
  }

  Status close_part() {
    auto st = writer_->Close();
    if (st.ok()) st = sink_->Close();
    if (!st.ok()) return fail(detail::from_arrow_status(st, std::format("closing staged part '{}'", parts_.back())));
    if (auto size = sink_->Tell(); size.ok()) bytes_ += *size;
    writer_.reset();
    sink_.reset();
    return {};
  }

  Backend& backend_;
  std::string prefix_;
  std::shared_ptr<arrow::Schema> schema_;
  StagedPartOptions options_;
  std::shared_ptr<arrow::io::OutputStream> sink_;
  std::unique_ptr<parquet::arrow::FileWriter> writer_;
  std::vector<std::string> parts_;
  std::int64_t bytes_ = 0;
};

// Reads the parts one row group at a time.
class StagedPartsReader final : public arrow::RecordBatchReader {
 public:
  StagedPartsReader(std::shared_ptr<Backend> backend, std::vector<std::string> parts,
                    std::shared_ptr<arrow::Schema> schema)
      : backend_(std::move(backend)), parts_(std::move(parts)), schema_(std::move(schema)) {}

  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }

  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override {
    while (true) {
      if (!current_) {
        if (next_part_ == parts_.size()) {
          *batch = nullptr;
          return arrow::Status::OK();
        }
        auto opened = open_part(parts_[next_part_++]);
        if (!opened) return detail::to_arrow_status(opened.error());
      }
      ARROW_RETURN_NOT_OK(current_->ReadNext(batch));
      if (*batch) return arrow::Status::OK();
      current_.reset();
      file_.reset();
    }
  }

  Status open_part(const std::string& key) {
    auto input = open_arrow_input(*backend_, key);
    LAKE_RETURN_IF_ERROR(input);
    parquet::arrow::FileReaderBuilder builder;
    if (auto st = builder.Open(*input); !st.ok())
      return fail(detail::from_arrow_status(st, std::format("opening staged part '{}'", key)));
    auto reader = builder.Build();
    if (!reader.ok()) return fail(detail::from_arrow_status(reader.status(), std::format("opening staged part '{}'", key)));
    std::shared_ptr<arrow::Schema> schema;
    if (auto st = (*reader)->GetSchema(&schema); !st.ok())
      return fail(detail::from_arrow_status(st, std::format("reading the schema of staged part '{}'", key)));
    if (!schema->Equals(*schema_, false))
      return fail(ErrorCode::schema_mismatch, std::format("staged part '{}' has columns ({}) where the first part has ({})",
                                                          key, schema->ToString(), schema_->ToString()));
    auto batches = (*reader)->GetRecordBatchReader();
    if (!batches.ok())
      return fail(detail::from_arrow_status(batches.status(), std::format("reading staged part '{}'", key)));
    file_ = std::move(*reader);
    current_ = std::move(*batches);
    return {};
  }

 private:
  std::shared_ptr<Backend> backend_;
  std::vector<std::string> parts_;
  std::shared_ptr<arrow::Schema> schema_;
  std::size_t next_part_ = 0;
  std::unique_ptr<parquet::arrow::FileReader> file_;
  std::unique_ptr<arrow::RecordBatchReader> current_;
};

}  // namespace

Result<std::unique_ptr<StagedPartWriter>> StagedPartWriter::open(Backend& backend, std::string prefix,
                                                                 std::shared_ptr<arrow::Schema> schema,
                                                                 StagedPartOptions options) {
  if (!schema) return fail(ErrorCode::invalid_argument, "staged parts need a schema");
  if (options.part_bytes <= 0)
    return fail(ErrorCode::invalid_argument, std::format("staged part size must be positive (it is {})", options.part_bytes));
  if (!prefix.empty() && !prefix.ends_with('/')) prefix += '/';
  return std::make_unique<ParquetPartWriter>(backend, std::move(prefix), std::move(schema), options);
}

Result<std::shared_ptr<arrow::RecordBatchReader>> read_staged_parts(std::shared_ptr<Backend> backend,
                                                                   std::vector<std::string> parts) {
  if (!backend) return fail(ErrorCode::invalid_argument, "reading staged parts needs a backend");
  if (parts.empty()) return fail(ErrorCode::invalid_argument, "no staged parts to read");
  // The first part's schema is the stream's.
  auto input = open_arrow_input(*backend, parts.front());
  LAKE_RETURN_IF_ERROR(input);
  parquet::arrow::FileReaderBuilder builder;
  if (auto st = builder.Open(*input); !st.ok())
    return fail(detail::from_arrow_status(st, std::format("opening staged part '{}'", parts.front())));
  auto reader = builder.Build();
  if (!reader.ok())
    return fail(detail::from_arrow_status(reader.status(), std::format("opening staged part '{}'", parts.front())));
  std::shared_ptr<arrow::Schema> schema;
  if (auto st = (*reader)->GetSchema(&schema); !st.ok())
    return fail(detail::from_arrow_status(st, std::format("reading the schema of staged part '{}'", parts.front())));
  return std::make_shared<StagedPartsReader>(std::move(backend), std::move(parts), std::move(schema));
}

}  // namespace lake

#include "iceberg/data_files.hpp"

#include <arrow/array/concatenate.h>
#include <arrow/compute/api.h>
#include <arrow/compute/row/grouper.h>
#include <parquet/arrow/writer.h>
#include <parquet/file_writer.h>
#include <parquet/metadata.h>
#include <parquet/statistics.h>

#include <cmath>
#include <format>
#include <map>
#include <set>

#include "core/encoder_threads.hpp"
#include "core/propagate.hpp"
#include "iceberg/scalar_order.hpp"
#include "iceberg/scan.hpp"
#include "iceberg/single_value.hpp"
#include "iceberg/transforms.hpp"
#include "lake/arrow/detail/status.hpp"
#include "lake/ingest_id.hpp"
#include "lake/storage/arrow_io.hpp"

namespace lake::iceberg {
namespace {

using lake::detail::from_arrow_status;

constexpr std::size_t kBoundLength = 16;  // truncate(16), Iceberg's default metrics mode

// The leaf fields that get bounds: primitives reached through structs only
// (a list's or map's values have no per-row bound), by field id.
void bounded_leaves(const arrow::FieldVector& fields, std::map<std::int32_t, std::shared_ptr<arrow::DataType>>& out) {
  for (const auto& f : fields) {
    if (f->type()->id() == arrow::Type::STRUCT) {
      bounded_leaves(f->type()->fields(), out);
    } else if (f->type()->num_fields() == 0) {
      if (auto id = field_id_of(*f)) out[*id] = f->type();
    }
  }
}

// The first `length` code points of UTF-8 text.
std::string_view utf8_prefix(std::string_view text, std::size_t length) {
  std::size_t at = 0;
  for (std::size_t points = 0; at < text.size() && points < length; ++points) {
    ++at;
    while (at < text.size() && (static_cast<unsigned char>(text[at]) & 0xc0) == 0x80) ++at;
  }
  return text.substr(0, at);
}

// The smallest UTF-8 string of at most `length` code points above every
// string that starts with `text`'s prefix: the prefix with its last code
// point raised (dropping code points that cannot be). Empty when none.
std::string raised_utf8(std::string_view text, std::size_t length) {
  std::u32string points;
  for (std::size_t at = 0; at < text.size() && points.size() < length;) {
    const auto lead = static_cast<unsigned char>(text[at]);
    const int size = lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
    char32_t point = size == 1 ? lead : lead & (0xff >> (size + 1));
    for (int i = 1; i < size && at + static_cast<std::size_t>(i) < text.size(); ++i)
      point = (point << 6) | (static_cast<unsigned char>(text[at + static_cast<std::size_t>(i)]) & 0x3f);
    points.push_back(point);
    at += static_cast<std::size_t>(size);
  }
  while (!points.empty()) {
    char32_t next = points.back() + 1;
    if (next >= 0xd800 && next <= 0xdfff) next = 0xe000;  // surrogates are no code points
    if (next <= 0x10ffff) {
      points.back() = next;
      break;
    }
    points.pop_back();
  }
  std::string out;
  for (char32_t p : points) {
    if (p < 0x80) {
      out += static_cast<char>(p);
    } else if (p < 0x800) {
      out += static_cast<char>(0xc0 | (p >> 6));
      out += static_cast<char>(0x80 | (p & 0x3f));
    } else if (p < 0x10000) {
      out += static_cast<char>(0xe0 | (p >> 12));
      out += static_cast<char>(0x80 | ((p >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (p & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (p >> 18));
      out += static_cast<char>(0x80 | ((p >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((p >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (p & 0x3f));
    }
  }
  return out;
}

std::string raised_bytes(std::string bytes) {
  while (!bytes.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(bytes.back());
    if (last != 0xff) {
      ++last;
      return bytes;
    }
    bytes.pop_back();
  }
  return bytes;
}

// Bounds in the single-value form, strings and binaries cut to 16.
struct Bounds {
  std::optional<std::string> lower, upper;
};
Result<Bounds> encode_bounds(const arrow::Scalar& lower, const arrow::Scalar& upper) {
  Bounds out;
  const auto id = lower.type->id();
  if (id == arrow::Type::STRING) {
    const std::string_view low = static_cast<const arrow::StringScalar&>(lower).view();
    const std::string_view high = static_cast<const arrow::StringScalar&>(upper).view();
    out.lower = std::string(utf8_prefix(low, kBoundLength));
    if (utf8_prefix(high, kBoundLength).size() == high.size()) {
      out.upper = std::string(high);
    } else if (std::string raised = raised_utf8(high, kBoundLength); !raised.empty()) {
      out.upper = std::move(raised);
    }
    return out;
  }
  if (id == arrow::Type::BINARY) {
    const std::string_view low = static_cast<const arrow::BinaryScalar&>(lower).view();
    const std::string_view high = static_cast<const arrow::BinaryScalar&>(upper).view();
    out.lower = std::string(low.substr(0, kBoundLength));
    if (high.size() <= kBoundLength) {
      out.upper = std::string(high);
    } else if (std::string raised = raised_bytes(std::string(high.substr(0, kBoundLength))); !raised.empty()) {
      out.upper = std::move(raised);
    }
    return out;
  }
  LAKE_ASSIGN_OR_RETURN(out.lower, to_single_value(lower));
  LAKE_ASSIGN_OR_RETURN(out.upper, to_single_value(upper));
  return out;
}

std::int64_t count_nans(const arrow::Array& array) {
  std::int64_t n = 0;
  if (array.type_id() == arrow::Type::DOUBLE) {
    const auto& values = static_cast<const arrow::DoubleArray&>(array);
    for (std::int64_t i = 0; i < values.length(); ++i) n += values.IsValid(i) && std::isnan(values.Value(i));
  } else if (array.type_id() == arrow::Type::FLOAT) {
    const auto& values = static_cast<const arrow::FloatArray&>(array);
    for (std::int64_t i = 0; i < values.length(); ++i) n += values.IsValid(i) && std::isnan(values.Value(i));
  }
  return n;
}

// One Parquet file being written; discarded unless closed.
class OneFile {
 public:
  static Result<std::unique_ptr<OneFile>> open(Backend& backend, std::string key, std::string uri,
                                               std::shared_ptr<arrow::Schema> schema,
                                               std::vector<std::shared_ptr<arrow::Scalar>> partition,
                                               const DataFileOptions& options) {
    std::unique_ptr<OneFile> self(new OneFile());
    self->backend_ = &backend;
    self->key_ = std::move(key);
    self->file_.path = std::move(uri);
    self->file_.partition = std::move(partition);
    self->schema_ = schema;
    LAKE_ASSIGN_OR_RETURN(self->sink_, open_arrow_output(backend, self->key_, PutMode::create));
    auto properties = parquet::WriterProperties::Builder()
                          .compression(parquet::Compression::ZSTD)
                          ->compression_level(options.zstd_level)
                          ->max_row_group_length(options.row_group_rows)
                          ->build();
    // Row groups are buffered (WriteRecordBatch), so their columns are
    // encoded and compressed on the writer threads in parallel.
    auto* encoders = lake::detail::encoder_executor(options.writer_threads);
    auto arrow_properties =
        parquet::ArrowWriterProperties::Builder().set_use_threads(encoders != nullptr)->set_executor(encoders)->build();
    auto writer = parquet::arrow::FileWriter::Open(*schema, arrow::default_memory_pool(), self->sink_, properties,
                                                   arrow_properties);
    if (!writer.ok()) return fail(from_arrow_status(writer.status(), std::format("writing data file '{}'", self->key_)));
    self->writer_ = std::move(*writer);
    return self;
  }

  ~OneFile() {
    // Abort first: the Parquet writer's destructor writes a footer into the
    // stream and closes it, which would publish a half-written file.
    if (!closed_ && sink_) (void)sink_->Abort();
  }

  Status write(const arrow::RecordBatch& rows) {
    for (int i = 0; i < rows.num_columns(); ++i) {
      const auto type = rows.column(i)->type_id();
      if (type != arrow::Type::DOUBLE && type != arrow::Type::FLOAT) continue;
      if (auto id = field_id_of(*rows.schema()->field(i))) file_.nan_value_counts[*id] += count_nans(*rows.column(i));
    }
    if (auto status = writer_->WriteRecordBatch(rows); !status.ok())
      return fail(from_arrow_status(status, std::format("writing data file '{}'", key_)));
    file_.record_count += rows.num_rows();
    return {};
  }

  [[nodiscard]] std::int64_t rows() const noexcept { return file_.record_count; }

  Result<ContentFile> close() {
    if (auto status = writer_->Close(); !status.ok())
      return fail(from_arrow_status(status, std::format("writing data file '{}'", key_)));
    const auto metadata = writer_->metadata();
    if (auto status = sink_->Close(); !status.ok())
      return fail(from_arrow_status(status, std::format("publishing data file '{}'", key_)));
    closed_ = true;
    // Published: from here a failure must take the object away again.
    auto info = backend_->head(key_);
    Status metrics = info ? collect_metrics(*metadata) : Status(std::unexpected(info.error()));
    if (!metrics) {
      remove();
      return std::unexpected(metrics.error());
    }
    file_.file_size_in_bytes = info->size;
    return std::move(file_);
  }

  void remove() const { (void)backend_->remove(key_); }

 private:
  OneFile() = default;

  Status collect_metrics(const parquet::FileMetaData& metadata) {
    std::map<std::int32_t, std::shared_ptr<arrow::DataType>> bounded;
    bounded_leaves(schema_->fields(), bounded);
    std::map<std::int32_t, std::pair<std::shared_ptr<arrow::Scalar>, std::shared_ptr<arrow::Scalar>>> ranges;
    std::set<std::int32_t> unbounded;  // a row group without min/max leaves the file without bounds
    for (int g = 0; g < metadata.num_row_groups(); ++g) {
      const auto group = metadata.RowGroup(g);
      for (int c = 0; c < group->num_columns(); ++c) {
        const auto chunk = group->ColumnChunk(c);
        const std::int32_t id = metadata.schema()->Column(c)->schema_node()->field_id();
        if (id < 0) continue;
        file_.column_sizes[id] += chunk->total_compressed_size();
        file_.value_counts[id] += chunk->num_values();
        const auto stats = chunk->statistics();
        if (!stats) {
          unbounded.insert(id);
          continue;
        }
        file_.null_value_counts[id] += stats->null_count();
        auto type = bounded.find(id);
        if (type == bounded.end()) continue;
        if (!stats->HasMinMax()) {
          // Only nulls (or NaNs) here: nothing to bound, nothing lost.
          const auto nans = file_.nan_value_counts.find(id);
          const std::int64_t nan_count = nans == file_.nan_value_counts.end() ? 0 : nans->second;
          if (stats->null_count() + nan_count < chunk->num_values()) unbounded.insert(id);
          continue;
        }
        LAKE_ASSIGN_OR_RETURN(auto low, from_single_value(stats->EncodeMin(), type->second));
        LAKE_ASSIGN_OR_RETURN(auto high, from_single_value(stats->EncodeMax(), type->second));
        auto& range = ranges[id];
        if (!range.first || compare_values(*low, *range.first) == std::partial_ordering::less) range.first = low;
        if (!range.second || compare_values(*high, *range.second) == std::partial_ordering::greater) range.second = high;
      }
    }
    for (const auto& [id, range] : ranges) {
      if (unbounded.contains(id)) continue;
      LAKE_ASSIGN_OR_RETURN(auto bounds, encode_bounds(*range.first, *range.second));
      if (bounds.lower) file_.lower_bounds[id] = std::move(*bounds.lower);
      if (bounds.upper) file_.upper_bounds[id] = std::move(*bounds.upper);
    }
    return {};
  }

  Backend* backend_ = nullptr;
  std::string key_;
  std::shared_ptr<arrow::Schema> schema_;
  std::shared_ptr<arrow::io::OutputStream> sink_;
  std::unique_ptr<parquet::arrow::FileWriter> writer_;
  ContentFile file_;
  bool closed_ = false;
};

}  // namespace

Result<std::shared_ptr<arrow::RecordBatch>> conform(const arrow::RecordBatch& input, const arrow::Schema& table) {
  for (const auto& f : input.schema()->fields())
    if (table.GetFieldIndex(f->name()) < 0)
      return fail(ErrorCode::schema_mismatch, std::format("the table has no column '{}'", f->name()));
  arrow::ArrayVector columns;
  for (const auto& field : table.fields()) {
    auto column = input.GetColumnByName(field->name());
    if (!column) {
      if (!field->nullable())
        return fail(ErrorCode::schema_mismatch, std::format("required column '{}' is missing", field->name()));
      auto nulls = arrow::MakeArrayOfNull(field->type(), input.num_rows());
      if (!nulls.ok()) return fail(from_arrow_status(nulls.status(), field->name()));
      columns.push_back(*nulls);
      continue;
    }
    if (!field->nullable() && column->null_count() > 0)
      return fail(ErrorCode::schema_mismatch, std::format("required column '{}' has nulls", field->name()));
    if (!column->type()->Equals(*field->type())) {
      auto cast = arrow::compute::Cast(*column, field->type(), arrow::compute::CastOptions::Safe());
      if (!cast.ok())
        return fail(ErrorCode::schema_mismatch, std::format("column '{}' of type {} does not convert to {}: {}",
                                                            field->name(), column->type()->ToString(),
                                                            field->type()->ToString(), cast.status().message()));
      column = *cast;
    }
    columns.push_back(std::move(column));
  }
  return arrow::RecordBatch::Make(std::make_shared<arrow::Schema>(table.fields()), input.num_rows(), std::move(columns));
}

namespace {

std::string partition_path(const PartitionSpec& spec, const std::vector<std::shared_ptr<arrow::Scalar>>& values) {
  std::string path;
  for (std::size_t i = 0; i < spec.fields.size(); ++i) {
    std::string value = values[i]->is_valid ? values[i]->ToString() : "null";
    std::string escaped;
    for (char c : value) {
      const bool plain = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
      escaped += plain ? std::string(1, c) : std::format("%{:02X}", static_cast<unsigned char>(c));
    }
    path += std::format("{}={}/", spec.fields[i].name, escaped);
  }
  return path;
}

}  // namespace

Result<std::vector<ContentFile>> write_data_files(Backend& backend, const TableMetadata& table,
                                                  arrow::RecordBatchReader& input, const DataFileOptions& options) {
  // Files are written by key on the backend and recorded by location.
  LAKE_ASSIGN_OR_RETURN(auto table_key, key_of(backend, table.location));
  const std::string key_prefix = table_key + "/";
  LAKE_ASSIGN_OR_RETURN(auto schema, to_arrow(table.current_schema()));
  const PartitionSpec& spec = table.default_spec();
  std::vector<int> sources;
  for (const auto& field : spec.fields) {
    const int index = [&] {
      for (std::size_t i = 0; i < table.current_schema().fields.size(); ++i)
        if (table.current_schema().fields[i].id == field.source_id) return static_cast<int>(i);
      return -1;
    }();
    if (index < 0)
      return fail(ErrorCode::unsupported,
                  std::format("partition field '{}' has a nested or dropped source column ({})", field.name, field.source_id));
    sources.push_back(index);
  }

  const std::string prefix = IngestId::generate().to_string();
  std::map<std::string, std::unique_ptr<OneFile>> open_files;  // by partition path
  std::vector<ContentFile> written;
  int next_file = 0;
  auto undo = [&](Error error) -> Result<std::vector<ContentFile>> {
    for (auto& [path, file] : open_files) file.reset();
    for (const auto& file : written) {
      const std::string key = key_prefix + file.path.substr(table.location.size() + 1);
      (void)backend.remove(key);
    }
    return std::unexpected(std::move(error));
  };
  auto close_file = [&](const std::string& path) -> Status {
    auto node = open_files.extract(path);
    LAKE_ASSIGN_OR_RETURN(auto file, node.mapped()->close());
    written.push_back(std::move(file));
    return {};
  };

  for (;;) {
    std::shared_ptr<arrow::RecordBatch> batch;
    if (auto status = input.ReadNext(&batch); !status.ok()) return undo(from_arrow_status(status, "reading the rows to write"));
    if (!batch) break;
    if (batch->num_rows() == 0) continue;
    auto conformed = conform(*batch, *schema);
    if (!conformed) return undo(conformed.error());
    const auto& rows = *conformed;

    // Rows grouped by their partition tuple.
    std::vector<std::shared_ptr<arrow::RecordBatch>> groups{rows};
    std::vector<std::vector<std::shared_ptr<arrow::Scalar>>> tuples{{}};
    if (!spec.fields.empty()) {
      std::vector<arrow::Datum> keys;
      std::vector<arrow::TypeHolder> key_types;
      for (std::size_t i = 0; i < spec.fields.size(); ++i) {
        auto values = apply(spec.fields[i].transform, *rows->column(sources[i]));
        if (!values) return undo(values.error());
        key_types.emplace_back((*values)->type());
        keys.emplace_back(std::move(*values));
      }
      auto grouper = arrow::compute::Grouper::Make(key_types);
      if (!grouper.ok()) return undo(from_arrow_status(grouper.status(), "grouping rows by partition"));
      const arrow::compute::ExecBatch key_batch(keys, rows->num_rows());
      auto ids = (*grouper)->Consume(arrow::compute::ExecSpan(key_batch));
      if (!ids.ok()) return undo(from_arrow_status(ids.status(), "grouping rows by partition"));
      auto uniques = (*grouper)->GetUniques();
      if (!uniques.ok()) return undo(from_arrow_status(uniques.status(), "grouping rows by partition"));
      auto groupings = arrow::compute::Grouper::MakeGroupings(
          static_cast<const arrow::UInt32Array&>(*ids->make_array()), (*grouper)->num_groups());
      if (!groupings.ok()) return undo(from_arrow_status(groupings.status(), "grouping rows by partition"));
      groups.clear();
      tuples.clear();
      for (std::uint32_t g = 0; g < (*grouper)->num_groups(); ++g) {
        auto taken = arrow::compute::Take(rows, (*groupings)->value_slice(g));
        if (!taken.ok()) return undo(from_arrow_status(taken.status(), "grouping rows by partition"));
        groups.push_back(taken->record_batch());
        std::vector<std::shared_ptr<arrow::Scalar>> tuple;
        for (const auto& column : uniques->values) {
          auto value = column.make_array()->GetScalar(g);
          if (!value.ok()) return undo(from_arrow_status(value.status(), "grouping rows by partition"));
          tuple.push_back(*value);
        }
        tuples.push_back(std::move(tuple));
      }
    }

    for (std::size_t g = 0; g < groups.size(); ++g) {
      const std::string path = partition_path(spec, tuples[g]);
      std::shared_ptr<arrow::RecordBatch> rest = groups[g];
      while (rest->num_rows() > 0) {
        auto& file = open_files[path];
        if (!file) {
          const std::string relative = std::format("data/{}{}-{:05}.parquet", path, prefix, next_file++);
          auto opened = OneFile::open(backend, key_prefix + relative, table.location + "/" + relative, schema,
                                      tuples[g], options);
          if (!opened) {
            open_files.erase(path);
            return undo(opened.error());
          }
          file = std::move(*opened);
        }
        const std::int64_t room = options.file_rows - file->rows();
        auto part = rest->Slice(0, std::min(room, rest->num_rows()));
        rest = rest->Slice(part->num_rows());
        if (auto wrote = file->write(*part); !wrote) return undo(wrote.error());
        if (file->rows() >= options.file_rows)
          if (auto closed = close_file(path); !closed) return undo(closed.error());
      }
    }
  }
  while (!open_files.empty())
    if (auto closed = close_file(open_files.begin()->first); !closed) return undo(closed.error());
  return written;
}

}  // namespace lake::iceberg

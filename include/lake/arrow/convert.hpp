// Records <-> Arrow: the hot path of every write and read.
//
//   auto batch = lake::to_record_batch(std::span(users), {.ingest_id = id});
//   auto users = lake::from_record_batch<User>(**batch);
//
// Writing appends column by column into Arrow builders; reading binds each
// member to its column by name once per batch (a missing column, a type
// that cannot be read into the member, or a NULL for a non-optional member
// is an ErrorCode::schema_mismatch naming the column) and then fills the
// records column by column.
#pragma once

#include <arrow/memory_pool.h>
#include <arrow/record_batch.h>
#include <arrow/type.h>

#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "lake/arrow/detail/decoders.hpp"
#include "lake/arrow/detail/encoders.hpp"
#include "lake/arrow/detail/status.hpp"
#include "lake/error.hpp"
#include "lake/ingest_id.hpp"
#include "lake/schema/reflect.hpp"

namespace lake {

// The Arrow type of a logical type (timestamps are microseconds, UTC).
[[nodiscard]] std::shared_ptr<arrow::DataType> to_arrow_type(const DataType& type);
// The Arrow schema of a table; with_ingest_id appends the _ingest_id column.
[[nodiscard]] std::shared_ptr<arrow::Schema> to_arrow_schema(const Schema& schema, bool with_ingest_id);
// The logical type of an Arrow type, for tables written by other engines.
[[nodiscard]] Result<DataType> from_arrow_type(const arrow::DataType& type);

namespace detail {
[[nodiscard]] Result<std::shared_ptr<arrow::Array>> constant_string_array(const std::string& value, std::int64_t rows,
                                                                           arrow::MemoryPool* pool);
[[nodiscard]] std::int64_t builder_bytes(arrow::ArrayBuilder& builder);
[[nodiscard]] std::string column_list(const arrow::Schema& schema);
}  // namespace detail

template <class T>
  requires Record<T>
class RecordBatchBuilder;

struct ToArrowOptions {
  // When set, the batch gets the _ingest_id column filled with this id.
  std::optional<IngestId> ingest_id;
  arrow::MemoryPool* pool = arrow::default_memory_pool();
};

// Builds record batches incrementally, for writers that flush by size.
template <class T>
  requires Record<T>
class RecordBatchBuilder {
 public:
  [[nodiscard]] static Result<RecordBatchBuilder> make(ToArrowOptions options = {}) {
    const Schema& schema = schema_of<T>();
    auto arrow_schema = to_arrow_schema(schema, options.ingest_id.has_value());
    std::vector<std::unique_ptr<arrow::ArrayBuilder>> builders;
    for (std::size_t i = 0; i < schema.fields.size(); ++i) {
      auto builder = arrow::MakeBuilder(arrow_schema->field(static_cast<int>(i))->type(), options.pool);
      if (!builder.ok()) return fail(detail::from_arrow_status(builder.status(), "making Arrow builders"));
      builders.push_back(std::move(*builder));
    }
    return RecordBatchBuilder(std::move(arrow_schema), std::move(builders), options);
  }

  // Appends records; on error the builder is left unusable (call reset()).
  [[nodiscard]] Status append(std::span<const T> records) {
    arrow::Status status;
    template for (constexpr std::size_t i : detail::kColumnIndexes<T>) {
      constexpr std::meta::info member = detail::kColumnMembers<T>[i];
      using M = detail::column_member_t<T, i>;
      if (status.ok()) {
        arrow::ArrayBuilder& builder = *builders_[i];
        status = builder.Reserve(static_cast<std::int64_t>(records.size()));
        if constexpr (detail::kColumnSpecs<T>[i].json) {
          auto& strings = static_cast<arrow::StringBuilder&>(builder);
          for (const T& record : records) {
            if constexpr (detail::nullable_type_v<M>) {
              if (!record.[:member:]) {
                status = strings.AppendNull();
                if (!status.ok()) break;
                continue;
              }
            }
            status = strings.Append(detail::to_json_text(record.[:member:]));
            if (!status.ok()) break;
          }
        } else {
          for (const T& record : records) {
            status = detail::encode(builder, record.[:member:]);
            if (!status.ok()) break;
          }
        }
      }
    }
    if (!status.ok()) return fail(detail::from_arrow_status(status, "converting records to Arrow"));
    rows_ += static_cast<std::int64_t>(records.size());
    return {};
  }
  [[nodiscard]] Status append(const T& record) { return append(std::span<const T>(&record, 1)); }

  [[nodiscard]] std::int64_t rows() const noexcept { return rows_; }
  // Bytes held by the builders so far (a lower bound of the batch size).
  [[nodiscard]] std::int64_t estimated_bytes() const noexcept;

  // The batch of everything appended since the last finish(); the builder
  // is then empty and can be reused.
  [[nodiscard]] Result<std::shared_ptr<arrow::RecordBatch>> finish() {
    std::vector<std::shared_ptr<arrow::Array>> columns;
    for (auto& builder : builders_) {
      std::shared_ptr<arrow::Array> array;
      if (auto status = builder->Finish(&array); !status.ok())
        return fail(detail::from_arrow_status(status, "finishing Arrow arrays"));
      columns.push_back(std::move(array));
    }
    if (options_.ingest_id) {
      auto ids = detail::constant_string_array(options_.ingest_id->to_string(), rows_, options_.pool);
      if (!ids) return std::unexpected(ids.error());
      columns.push_back(std::move(*ids));
    }
    auto batch = arrow::RecordBatch::Make(schema_, rows_, std::move(columns));
    rows_ = 0;
    return batch;
  }

  [[nodiscard]] const std::shared_ptr<arrow::Schema>& schema() const noexcept { return schema_; }

 private:
  RecordBatchBuilder(std::shared_ptr<arrow::Schema> schema, std::vector<std::unique_ptr<arrow::ArrayBuilder>> builders,
                     ToArrowOptions options)
      : schema_(std::move(schema)), builders_(std::move(builders)), options_(options) {}

  std::shared_ptr<arrow::Schema> schema_;
  std::vector<std::unique_ptr<arrow::ArrayBuilder>> builders_;
  ToArrowOptions options_;
  std::int64_t rows_ = 0;
};

template <class T>
  requires Record<T>
std::int64_t RecordBatchBuilder<T>::estimated_bytes() const noexcept {
  std::int64_t total = 0;
  for (const auto& builder : builders_) total += detail::builder_bytes(*builder);
  return total;
}

// One batch holding every record (plus _ingest_id when options ask for it).
template <class T>
  requires Record<T>
[[nodiscard]] Result<std::shared_ptr<arrow::RecordBatch>> to_record_batch(std::span<const T> records,
                                                                          ToArrowOptions options = {}) {
  auto builder = RecordBatchBuilder<T>::make(options);
  if (!builder) return std::unexpected(builder.error());
  if (auto status = builder->append(records); !status) return std::unexpected(status.error());
  return builder->finish();
}

// Binds T's members to a batch's columns by name, once, and reads rows.
// Extra columns in the batch (such as _ingest_id) are ignored.
template <class T>
  requires Record<T>
class RecordBatchReader {
 public:
  [[nodiscard]] static Result<RecordBatchReader> bind(std::shared_ptr<arrow::RecordBatch> batch) {
    auto find = [&](const char* column, std::size_t index) -> Result<std::shared_ptr<arrow::Array>> {
      auto indexes = batch->schema()->GetAllFieldIndices(column);
      if (indexes.size() == 1) return batch->column(indexes[0]);
      if (!indexes.empty())
        return fail(ErrorCode::schema_mismatch,
                    std::format("column '{}' appears {} times in the result", column, indexes.size()));
      return fail(ErrorCode::schema_mismatch,
                  std::format("column '{}' (member {}::{}) is not in the result; it has columns: {}", column,
                              detail::kTypeName<T>, detail::kColumnSpecs<T>[index].member,
                              detail::column_list(*batch->schema())));
    };
    auto decoders = detail::bind_member_decoders<T>(find, "");
    if (!decoders) return std::unexpected(decoders.error());
    return RecordBatchReader(std::move(batch), std::move(*decoders));
  }

  [[nodiscard]] std::int64_t rows() const noexcept { return batch_->num_rows(); }

  // Reads rows [first, first + out.size()) into out, column by column.
  [[nodiscard]] Status read(std::int64_t first, std::span<T> out) const {
    Status status;
    template for (constexpr std::size_t i : detail::kColumnIndexes<T>) {
      constexpr std::meta::info member = detail::kColumnMembers<T>[i];
      const auto& decoder = std::get<i>(decoders_);
      for (std::size_t r = 0; status && r < out.size(); ++r)
        status = decoder.read(first + static_cast<std::int64_t>(r), out[r].[:member:]);
    }
    return status;
  }

 private:
  using Decoders = detail::MemberDecoders<T>;

  RecordBatchReader(std::shared_ptr<arrow::RecordBatch> batch, Decoders decoders)
      : batch_(std::move(batch)), decoders_(std::move(decoders)) {}

  std::shared_ptr<arrow::RecordBatch> batch_;
  Decoders decoders_;
};

// Appends every row of batch to out (T must be default-constructible).
template <class T>
  requires Record<T>
[[nodiscard]] Status append_from_record_batch(std::shared_ptr<arrow::RecordBatch> batch, std::vector<T>& out) {
  auto reader = RecordBatchReader<T>::bind(std::move(batch));
  if (!reader) return std::unexpected(reader.error());
  std::size_t base = out.size();
  out.resize(base + static_cast<std::size_t>(reader->rows()));
  auto status = reader->read(0, std::span<T>(out).subspan(base));
  if (!status) out.resize(base);
  return status;
}

template <class T>
  requires Record<T>
[[nodiscard]] Result<std::vector<T>> from_record_batch(std::shared_ptr<arrow::RecordBatch> batch) {
  std::vector<T> out;
  if (auto status = append_from_record_batch<T>(std::move(batch), out); !status) return std::unexpected(status.error());
  return out;
}

}  // namespace lake

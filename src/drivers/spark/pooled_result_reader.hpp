// Arrow record batch readers the Spark driver hands out or reads through:
// a query's rows that keep their pooled session on loan, and a reader that
// counts the rows it passes on.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>

#include <arrow/record_batch.h>

#include "drivers/spark/result_reader.hpp"
#include "drivers/spark/session_pool.hpp"
#include "lake/error.hpp"

namespace lake::spark {

// A query's rows as an arrow::RecordBatchReader that keeps its session on
// loan until it is destroyed (`session`: the lease, or the caller's held
// session that owns it). The first batch is read up front: Spark
// announces the schema with the data.
class PooledResultReader final : public arrow::RecordBatchReader {
 public:
  static Result<std::shared_ptr<arrow::RecordBatchReader>> open(std::shared_ptr<const void> session,
                                                                ResultReader reader);

  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }

  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override;

 private:
  PooledResultReader(std::shared_ptr<const void> session, ResultReader reader)
      : session_(std::move(session)), reader_(std::move(reader)) {}
  // Destroyed after reader_, which may still release its operation.
  std::shared_ptr<const void> session_;
  ResultReader reader_;
  std::shared_ptr<arrow::RecordBatch> pending_;
  std::shared_ptr<arrow::Schema> schema_;
};

// Counts the rows a reader yields as it is read.
class CountingReader final : public arrow::RecordBatchReader {
 public:
  explicit CountingReader(std::shared_ptr<arrow::RecordBatchReader> inner) : inner_(std::move(inner)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return inner_->schema(); }
  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override;
  [[nodiscard]] std::int64_t rows() const noexcept { return rows_; }

 private:
  std::shared_ptr<arrow::RecordBatchReader> inner_;
  std::int64_t rows_ = 0;
};

}  // namespace lake::spark

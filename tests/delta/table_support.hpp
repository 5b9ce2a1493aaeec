// Shared fixtures of the Delta tests: record types, row builders, table
// layouts and whole-table readers.
#pragma once

#include <arrow/compute/expression.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <lake/arrow/convert.hpp>
#include <lake/delta/table.hpp>
#include <lake/schema/reflect.hpp>

#include "delta/table_layout.hpp"

namespace lake::delta::testing {

struct [[=lake::partition_by("country")]] Event {
  [[=lake::pk]] std::int64_t id = 0;
  std::string country;
  std::int32_t amount = 0;
  std::optional<std::string> note;
  lake::timestamp at{};
};

struct Plain {
  [[=lake::pk]] std::int64_t id = 0;
  std::string name;
  std::optional<double> score;
};

inline std::vector<Event> make_events(std::int64_t first, std::int64_t count) {
  static const char* kCountries[] = {"NL", "DE", "FR"};
  std::vector<Event> events;
  for (std::int64_t i = first; i < first + count; ++i) {
    Event e;
    e.id = i;
    e.country = kCountries[i % 3];
    e.amount = static_cast<std::int32_t>(i % 100);
    if (i % 4 == 0) e.note = "note " + std::to_string(i);
    e.at = lake::timestamp(std::chrono::microseconds(1'700'000'000'000'000 + i * 1'000'003));
    events.push_back(std::move(e));
  }
  return events;
}

template <class T>
std::shared_ptr<arrow::RecordBatch> batch_of(const std::vector<T>& rows) {
  auto batch = lake::to_record_batch(std::span<const T>(rows));
  EXPECT_TRUE(batch) << batch.error().to_string();
  return *batch;
}

// The layout of a table holding T's columns (no _ingest_id), for tests of
// the data-file layer below the Table API.
template <class T>
TableLayout layout_of_type(std::vector<std::string> partitions, std::string root = "t") {
  TableLayout layout;
  layout.root = std::move(root);
  layout.columns = lake::schema_of<T>().fields;
  layout.partition_columns = std::move(partitions);
  layout.arrow_schema = lake::to_arrow_schema(lake::schema_of<T>(), false);
  return layout;
}

// Every row of the table at the handle's version (or `at`), sorted by id.
template <class T>
std::vector<T> read_all(const Table& table, ReadOptions options = {}, const Snapshot* at = nullptr) {
  auto reader = at ? table.scan(*at, std::move(options)) : table.scan(std::move(options));
  EXPECT_TRUE(reader) << reader.error().to_string();
  std::vector<T> rows;
  if (!reader) return rows;
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    auto status = (*reader)->ReadNext(&batch);
    EXPECT_TRUE(status.ok()) << status.ToString();
    if (!status.ok() || batch == nullptr) break;
    auto decoded = lake::append_from_record_batch<T>(batch, rows);
    EXPECT_TRUE(decoded) << decoded.error().to_string();
  }
  std::ranges::sort(rows, {}, &T::id);
  return rows;
}

inline bool operator==(const Event& a, const Event& b) {
  return a.id == b.id && a.country == b.country && a.amount == b.amount && a.note == b.note && a.at == b.at;
}

// Data objects (not the log) under the backend.
inline std::vector<std::string> data_objects(Backend& backend) {
  auto objects = backend.list("");
  EXPECT_TRUE(objects) << objects.error().to_string();
  std::vector<std::string> keys;
  if (!objects) return keys;
  for (const auto& o : *objects)
    if (o.key.find("_delta_log/") == std::string::npos) keys.push_back(o.key);
  return keys;
}

}  // namespace lake::delta::testing

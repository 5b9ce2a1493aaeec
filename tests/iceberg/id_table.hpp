// The smallest Iceberg table, for the catalog tests (SQL, REST): one
// required long column "id", unpartitioned, and batches of its rows.
#pragma once

#include <arrow/api.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "iceberg/commits.hpp"

namespace lake::iceberg::testing {

// Rows first, first + 1, ... (count of them).
inline std::shared_ptr<arrow::RecordBatchReader> id_rows(std::int64_t first, std::int64_t count) {
  arrow::Int64Builder id;
  for (std::int64_t i = first; i < first + count; ++i) (void)id.Append(i);
  auto schema = arrow::schema({arrow::field("id", arrow::int64(), false)});
  return arrow::RecordBatchReader::Make({arrow::RecordBatch::Make(schema, count, {id.Finish().ValueOrDie()})}).ValueOrDie();
}

inline NewTable id_table(std::map<std::string, std::string> properties = {}) {
  auto schema = parse_schema(nlohmann::json::parse(R"json({"type": "struct", "schema-id": 0, "fields": [
      {"id": 1, "name": "id", "required": true, "type": "long"}]})json"));
  EXPECT_TRUE(schema) << schema.error().to_string();
  return NewTable{.schema = *schema, .properties = std::move(properties)};
}

}  // namespace lake::iceberg::testing

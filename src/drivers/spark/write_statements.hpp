// The Spark SQL the Spark driver runs for a write plan (a format's own
// statements, DDL and maintenance, are its dialect's). Identifiers are
// quoted, values are `?` markers with the values alongside (bound by
// Spark), and the rows come from a source: the
// temporary view holding a direct write's rows, or the staged Parquet
// parts read in place (`parquet.`<uri>``), so staged bytes go from
// storage to the executors without passing through the client.
//
// Every merge source is bounded by `_ingest_id` = the write's ingest id:
// only rows this write staged take part, whatever else the source holds.
#pragma once

#include <arrow/compute/expression.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formats/sql_format.hpp"
#include "lake/driver.hpp"
#include "lake/error.hpp"
#include "lake/sql.hpp"

namespace lake::spark {

using Statement = formats::SqlStatement;

// A FROM-able source: a temporary view, or Parquet files under a URI.
[[nodiscard]] std::string view_source(std::string_view view);
[[nodiscard]] std::string parquet_source(std::string_view uri);

// INSERT INTO table (columns) SELECT columns FROM source.
[[nodiscard]] Statement insert_statement(std::string_view table, const std::vector<std::string>& columns,
                                         std::string_view source);

struct MergeSpec {
  std::string_view table;
  std::string_view source;
  std::string ingest_id;
  std::vector<std::string> keys;
  OnMatch on_match = OnMatch::update;
  OnNoMatch on_no_match = OnNoMatch::insert;
  std::optional<arrow::compute::Expression> source_filter{};
};

// MERGE INTO ... USING (the bounded, filtered source) ON the keys, with
// the clauses on_match / on_no_match ask for; nullopt when they ask for
// nothing (skip and skip). OnMatch::fail is a matched clause whose
// condition raises, so the statement fails as a whole and commits nothing.
[[nodiscard]] Result<std::optional<Statement>> merge_statement(const MergeSpec& merge);
// One source key already in the table (for OnMatch::fail's message),
// as "k1, k2" columns of one row; empty when none is.
// One row: `source_rows`, the rows the merge reads, and `matched_rows`,
// those whose key the table holds.
[[nodiscard]] Result<Statement> merge_count_query(const MergeSpec& merge);

[[nodiscard]] Result<Statement> conflicting_key_query(const MergeSpec& merge);

[[nodiscard]] Result<Statement> delete_statement(std::string_view table, const arrow::compute::Expression& predicate);

// Overwrite by filter as one MERGE both formats run: every source row
// (the write's own, bounded by its ingest id) inserted, every table row
// for which the predicate is true deleted (ON false: nothing matches;
// WHEN NOT MATCHED BY SOURCE AND predicate THEN DELETE). The Client has
// checked that each source row satisfies the predicate.
[[nodiscard]] Result<Statement> replace_statement(std::string_view table, std::string_view source,
                                                  const std::string& ingest_id,
                                                  const arrow::compute::Expression& predicate);
// One row: `matched_rows`, the table's rows for which the predicate is
// true (what a replace deletes, for formats whose MERGE reports no counts).
[[nodiscard]] Result<Statement> replace_count_query(std::string_view table, const arrow::compute::Expression& predicate);


// The marker the raising clause's message starts with.
inline constexpr std::string_view kKeyExistsMarker = "lake-orm: a source key is already in the table";

}  // namespace lake::spark

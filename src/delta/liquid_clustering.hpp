// Delta's clustered tables (PROTOCOL.md "Clustered Table", what Spark
// calls liquid clustering): the `clustering` writer feature, with the
// clustering columns in the delta.clustering domain (physical names under
// column mapping). Writes to such a table keep the domain and collect
// stats on the clustering columns; optimize clusters rows on them and
// marks the files it clustered with its provider name, leaving files
// another implementation clustered alone. Internal to the Delta
// implementation.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "delta/table_layout.hpp"
#include "lake/delta/actions.hpp"
#include "lake/delta/snapshot.hpp"
#include "lake/error.hpp"

namespace lake::delta {

inline constexpr std::string_view kClusteringDomain = "delta.clustering";
// The clusteringProvider optimize writes on the files it clusters (a
// Z-order curve over the clustering columns).
inline constexpr std::string_view kClusteringProvider = "lake-orm";

// True when the table lists the clustering writer feature.
[[nodiscard]] bool is_clustered_table(const Snapshot& snapshot);

// The clustering columns by name (top-level columns), from the
// delta.clustering domain; empty when the table has none. The domain
// names columns by physical name, each as a string or as a path (Spark
// writes [["col"]]). ErrorCode::invalid_argument for a malformed domain;
// ErrorCode::unsupported for a nested clustering column.
[[nodiscard]] Result<std::vector<std::string>> clustering_columns(const Snapshot& snapshot, const TableLayout& layout);

// The delta.clustering domain naming `columns` (physical names, written
// as Spark writes them). Each must be a top-level column of primitive
// type, named once (ErrorCode::invalid_argument naming it); the caller
// refuses partitioned tables.
[[nodiscard]] Result<DomainMetadata> clustering_domain(const std::vector<std::string>& columns,
                                                       const TableLayout& layout);

}  // namespace lake::delta

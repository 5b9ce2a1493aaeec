// A commit as a catalog service takes it: not the next metadata file, but
// the change from the metadata the commit started from (the REST
// protocol's "updates": add-snapshot, set-snapshot-ref, add-schema, ...)
// and what the change rests on ("requirements": the table is the same
// table, its branch is still at the snapshot the change was planned on,
// its schema and spec are the ones the change was written with). The
// service checks the requirements against its current metadata, applies
// the updates, and writes the next metadata file itself; a failed
// requirement is a conflict (409), and the client plans again.
//
// The change is derived by comparing the two metadata versions, so every
// commit this implementation makes (appends, row changes, compaction,
// expiry, schema evolution, creation) has its updates without each naming
// them: what `next` adds or drops relative to `base` is what the service is
// asked to add or drop.
#pragma once

#include <nlohmann/json.hpp>

#include "iceberg/table_metadata.hpp"

namespace lake::iceberg {

struct TableUpdates {
  nlohmann::json requirements = nlohmann::json::array();
  nlohmann::json updates = nlohmann::json::array();
};

// The requirements and updates that turn `base` into `next`; no base: the
// creation of a table whose first metadata is `next` (requirement
// assert-create). Metadata a service keeps itself (last-updated-ms, the
// snapshot and metadata logs, last-sequence-number) is not sent.
[[nodiscard]] TableUpdates updates_between(const TableMetadata* base, const TableMetadata& next);

}  // namespace lake::iceberg

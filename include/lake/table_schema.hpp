// The schema a live table declares, for tools that have no struct for it
// (lakeorm describe): its columns, without the _ingest_id system column,
// and the primary and merge keys lake-orm records in its properties. Its
// schema_fingerprint() equals schema_fingerprint<T>() of every struct the
// table matches, so an operator can compare a table with a build.
#pragma once

#include "lake/driver.hpp"
#include "lake/schema/schema.hpp"

namespace lake {

[[nodiscard]] Schema schema_of_table(const TableInfo& table);

}  // namespace lake

// The Iceberg implementation of the table-format contract
// (formats/table_format.hpp), over this folder's metadata, scans, row
// changes and commits. TableRef::location is the table's folder under the
// backend's root; the catalog the format is made with records which
// metadata file is current: a file-system catalog (metadata/v<N>.metadata.json
// in the folder, the layout Iceberg's HadoopTables, pyiceberg and DuckDB
// read by path) or a SQL catalog (sql_catalog.hpp).
#pragma once

#include <memory>

#include "formats/table_format.hpp"
#include "iceberg/catalog.hpp"
#include "lake/iceberg_catalog.hpp"

namespace lake::iceberg {

// Tables in the file-system catalog.
[[nodiscard]] std::shared_ptr<const formats::NativeFormat> native_format();
// Tables in `catalog`.
[[nodiscard]] std::shared_ptr<const formats::NativeFormat> native_format(const IcebergCatalog& catalog);

// A handle on table `table` of `catalog`, its files read from `backend`,
// for callers that reach a table some other way than through storage
// they own: the Spark dialect reads its Iceberg tables' metadata through
// the engine (dialects/engine_files), and describes them, counts them and
// lists their history with this implementation. nullptr when the catalog
// has no such table.
[[nodiscard]] Result<std::unique_ptr<formats::FormatTable>> open_in(std::shared_ptr<Backend> backend,
                                                                   std::shared_ptr<Catalog> catalog,
                                                                   const std::string& table,
                                                                   const formats::HandleOptions& options = {});

}  // namespace lake::iceberg

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
#include "lake/iceberg_catalog.hpp"

namespace lake::iceberg {

// Tables in the file-system catalog.
[[nodiscard]] std::shared_ptr<const formats::NativeFormat> native_format();
// Tables in `catalog`.
[[nodiscard]] std::shared_ptr<const formats::NativeFormat> native_format(const IcebergCatalog& catalog);

}  // namespace lake::iceberg

// The Iceberg implementation of the table-format contract
// (formats/table_format.hpp), over this folder's metadata, scans, row
// changes and commits. Tables live in a file-system catalog on the backend
// a table is opened with: TableRef::location is the table's folder under
// the backend's root (metadata/v<N>.metadata.json inside it), the layout
// Iceberg's HadoopTables, pyiceberg and DuckDB read by path.
#pragma once

#include <memory>

#include "formats/table_format.hpp"

namespace lake::iceberg {

[[nodiscard]] std::shared_ptr<const formats::NativeFormat> native_format();

}  // namespace lake::iceberg

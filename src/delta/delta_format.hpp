// Delta Lake as an implementation of the table-format contract
// (formats/table_format.hpp): a FormatTable is a delta::Table handle,
// writes are its two-phase prepared writes, metadata comes from its log.
// The Delta dialect hands this format to the engines.
#pragma once

#include <memory>

#include "formats/table_format.hpp"

namespace lake::delta {

[[nodiscard]] std::shared_ptr<const formats::NativeFormat> native_format();

}  // namespace lake::delta

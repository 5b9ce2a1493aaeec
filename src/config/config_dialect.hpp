// The dialect a configuration names: its table format, and for Iceberg its
// catalog (REST credentials from the environment when the file has none).
// One place, for lake::open and the migrations' command line. Internal to
// the composition root.
#pragma once

#include <memory>

#include "lake/config.hpp"
#include "lake/dialect.hpp"

namespace lake {

[[nodiscard]] std::shared_ptr<const Dialect> dialect_of(const Config& config);

}  // namespace lake

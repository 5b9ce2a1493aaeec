// Which table format a client writes: the choice lakeorm.toml's [table]
// format and lake::local::open make (the dialects in lake/dialect.hpp
// implement them).
#pragma once

namespace lake {

enum class TableFormat { delta, iceberg };

}  // namespace lake

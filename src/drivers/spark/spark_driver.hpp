// The Spark driver from parsed connection settings (what driver() and
// databricks_driver() share).
#pragma once

#include <memory>

#include "drivers/spark/connection_settings.hpp"
#include "lake/drivers/spark.hpp"

namespace lake::spark {

[[nodiscard]] std::shared_ptr<Driver> make_driver(ConnectionSettings settings, DriverOptions options);

}  // namespace lake::spark

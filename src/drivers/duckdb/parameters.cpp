#include "drivers/duckdb/parameters.hpp"

#include <type_traits>
#include <variant>

#include <duckdb/common/types/date.hpp>
#include <duckdb/common/types/hugeint.hpp>
#include <duckdb/common/types/timestamp.hpp>

namespace lake::duckdb {

namespace ddb = ::duckdb;

ddb::vector<ddb::Value> to_duckdb_values(std::span<const SqlValue> params) {
  ddb::vector<ddb::Value> out;
  out.reserve(params.size());
  for (const auto& param : params) {
    out.push_back(std::visit(
        [](const auto& v) -> ddb::Value {
          using V = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<V, std::nullptr_t>) {
            return ddb::Value();
          } else if constexpr (std::is_same_v<V, bool>) {
            return ddb::Value::BOOLEAN(v);
          } else if constexpr (std::is_same_v<V, std::int64_t>) {
            return ddb::Value::BIGINT(v);
          } else if constexpr (std::is_same_v<V, double>) {
            return ddb::Value::DOUBLE(v);
          } else if constexpr (std::is_same_v<V, std::string>) {
            return ddb::Value(v);
          } else if constexpr (std::is_same_v<V, timestamp>) {
            // Tables store instants: TIMESTAMP WITH TIME ZONE.
            return ddb::Value::TIMESTAMPTZ(ddb::timestamp_tz_t(v.time_since_epoch().count()));
          } else if constexpr (std::is_same_v<V, local_timestamp>) {
            return ddb::Value::TIMESTAMP(ddb::timestamp_t(v.time_since_epoch().count()));
          } else if constexpr (std::is_same_v<V, date>) {
            return ddb::Value::DATE(ddb::date_t(static_cast<std::int32_t>(v.time_since_epoch().count())));
          } else if (v.precision <= 18) {
            return ddb::Value::DECIMAL(static_cast<std::int64_t>(v.unscaled), static_cast<std::uint8_t>(v.precision),
                                       static_cast<std::uint8_t>(v.scale));
          } else {
            // Two's complement halves: the arithmetic shift keeps the sign.
            ddb::hugeint_t huge;
            huge.lower = static_cast<std::uint64_t>(v.unscaled & 0xFFFF'FFFF'FFFF'FFFF);
            huge.upper = static_cast<std::int64_t>(v.unscaled >> 64);
            return ddb::Value::DECIMAL(huge, static_cast<std::uint8_t>(v.precision), static_cast<std::uint8_t>(v.scale));
          }
        },
        param));
  }
  return out;
}

}  // namespace lake::duckdb

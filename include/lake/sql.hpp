// Values bound to a statement's positional `?` parameters. They travel to
// the engine as typed values and are never spliced into SQL text, so a
// string such as "x' OR '1'='1" is only ever compared as a string.
#pragma once

#include <concepts>
#include <cstdint>
#include <format>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "lake/error.hpp"
#include "lake/types.hpp"

namespace lake {

struct SqlDecimal {
  int128 unscaled = 0;
  int precision = 38;
  int scale = 0;
  friend bool operator==(const SqlDecimal&, const SqlDecimal&) = default;
};

using SqlValue =
    std::variant<std::nullptr_t, bool, std::int64_t, double, std::string, timestamp, date, SqlDecimal, local_timestamp>;
using SqlParams = std::vector<SqlValue>;

namespace detail {
template <class T>
inline constexpr bool is_decimal_v = false;
template <int P, int S>
inline constexpr bool is_decimal_v<decimal<P, S>> = true;
template <class T>
inline constexpr bool is_optional_v = false;
template <class T>
inline constexpr bool is_optional_v<std::optional<T>> = true;
}  // namespace detail

// The SqlValue of one C++ argument: integers, floating point, bool,
// strings, lake::timestamp / local_timestamp / date / decimal, std::optional (NULL when
// empty) and nullptr.
template <class T>
[[nodiscard]] Result<SqlValue> to_sql_value(const T& value) {
  using V = std::remove_cvref_t<T>;
  if constexpr (std::same_as<V, SqlValue>) {
    return value;
  } else if constexpr (std::same_as<V, std::nullptr_t> || std::same_as<V, std::nullopt_t>) {
    return SqlValue(nullptr);
  } else if constexpr (detail::is_optional_v<V>) {
    if (!value) return SqlValue(nullptr);
    return to_sql_value(*value);
  } else if constexpr (std::same_as<V, bool>) {
    return SqlValue(value);
  } else if constexpr (std::integral<V>) {
    if constexpr (std::unsigned_integral<V> && sizeof(V) >= sizeof(std::int64_t)) {
      if (value > static_cast<V>(std::numeric_limits<std::int64_t>::max()))
        return fail(ErrorCode::invalid_argument, std::format("parameter {} does not fit a BIGINT", value));
    }
    return SqlValue(static_cast<std::int64_t>(value));
  } else if constexpr (std::floating_point<V>) {
    return SqlValue(static_cast<double>(value));
  } else if constexpr (std::convertible_to<const V&, std::string_view>) {
    return SqlValue(std::string(std::string_view(value)));
  } else if constexpr (std::same_as<V, timestamp> || std::same_as<V, local_timestamp> || std::same_as<V, date>) {
    return SqlValue(value);
  } else if constexpr (detail::is_decimal_v<V>) {
    return SqlValue(SqlDecimal{value.unscaled(), V::precision, V::scale});
  } else {
    static_assert(sizeof(V) == 0, "this type cannot be a SQL parameter");
  }
}

// Every argument as a SqlValue, in order.
template <class... Args>
[[nodiscard]] Result<SqlParams> sql_params(const Args&... args) {
  SqlParams out;
  out.reserve(sizeof...(Args));
  std::optional<Error> error;
  [[maybe_unused]] auto add = [&](const auto& arg) {
    if (error) return;
    auto value = to_sql_value(arg);
    if (!value) error = value.error().with_context(std::format("parameter {}", out.size() + 1));
    else out.push_back(std::move(*value));
  };
  (add(args), ...);
  if (error) return std::unexpected(*error);
  return out;
}

}  // namespace lake

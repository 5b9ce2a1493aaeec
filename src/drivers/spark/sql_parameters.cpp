#include "drivers/spark/sql_parameters.hpp"
#include "core/propagate.hpp"

#include <format>
#include <limits>
#include <type_traits>

namespace lake::spark {

Result<::spark::connect::Expression> to_literal_expression(const SqlValue& value) {
  ::spark::connect::Expression expression;
  auto* literal = expression.mutable_literal();
  Status status{};
  std::visit(
      [&]<class V>(const V& v) {
        if constexpr (std::is_same_v<V, std::nullptr_t>) {
          literal->mutable_null()->mutable_null();
        } else if constexpr (std::is_same_v<V, bool>) {
          literal->set_boolean(v);
        } else if constexpr (std::is_same_v<V, std::int64_t>) {
          literal->set_long_(v);
        } else if constexpr (std::is_same_v<V, double>) {
          literal->set_double_(v);
        } else if constexpr (std::is_same_v<V, std::string>) {
          literal->set_string(v);
        } else if constexpr (std::is_same_v<V, timestamp>) {
          literal->set_timestamp(v.time_since_epoch().count());  // microseconds, UTC
        } else if constexpr (std::is_same_v<V, local_timestamp>) {
          literal->set_timestamp_ntz(v.time_since_epoch().count());  // microseconds, no zone
        } else if constexpr (std::is_same_v<V, date>) {
          const auto days = v.time_since_epoch().count();
          if (days < std::numeric_limits<std::int32_t>::min() || days > std::numeric_limits<std::int32_t>::max()) {
            status = fail(ErrorCode::invalid_argument, "spark: date parameter out of range");
            return;
          }
          literal->set_date(static_cast<std::int32_t>(days));
        } else if constexpr (std::is_same_v<V, SqlDecimal>) {
          auto* decimal = literal->mutable_decimal();
          decimal->set_value(detail::format_decimal(v.unscaled, v.scale));
          decimal->set_precision(v.precision);
          decimal->set_scale(v.scale);
        } else {
          static_assert(false, "every SqlValue alternative needs a Spark literal");
        }
      },
      value);
  LAKE_RETURN_IF_ERROR(status);
  return expression;
}

Result<::spark::connect::Relation> sql_relation(std::string_view sql, std::span<const SqlValue> positional,
                                               std::span<const NamedSqlValue> named) {
  if (!positional.empty() && !named.empty()) {
    return fail(ErrorCode::invalid_argument, "spark: a statement takes positional or named parameters, not both");
  }
  ::spark::connect::Relation relation;
  auto* query = relation.mutable_sql();
  query->set_query(std::string(sql));
  for (const SqlValue& value : positional) {
    auto literal = to_literal_expression(value);
    LAKE_RETURN_IF_ERROR(literal);
    *query->add_pos_arguments() = std::move(*literal);
  }
  for (const NamedSqlValue& parameter : named) {
    if (parameter.name.empty()) return fail(ErrorCode::invalid_argument, "spark: a named parameter has no name");
    auto literal = to_literal_expression(parameter.value);
    LAKE_RETURN_IF_ERROR(literal);
    auto& arguments = *query->mutable_named_arguments();
    if (arguments.count(parameter.name) != 0) {
      return fail(ErrorCode::invalid_argument, std::format("spark: parameter :{} given twice", parameter.name));
    }
    arguments[parameter.name] = std::move(*literal);
  }
  return relation;
}

}  // namespace lake::spark

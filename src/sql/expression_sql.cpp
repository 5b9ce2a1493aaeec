#include "sql/expression_sql.hpp"

#include <arrow/array.h>
#include <arrow/compute/api_scalar.h>
#include <arrow/scalar.h>
#include <arrow/util/decimal.h>

#include <format>
#include <cmath>
#include <limits>
#include <map>

#include "core/propagate.hpp"
#include "sql/spark_sql.hpp"

namespace lake::spark_sql {
namespace {

namespace cp = arrow::compute;

Result<SqlValue> sql_value_of(const arrow::Scalar& scalar) {
  if (!scalar.is_valid) return SqlValue(nullptr);
  switch (scalar.type->id()) {
    case arrow::Type::BOOL: return SqlValue(static_cast<const arrow::BooleanScalar&>(scalar).value);
    case arrow::Type::INT8: return SqlValue(std::int64_t{static_cast<const arrow::Int8Scalar&>(scalar).value});
    case arrow::Type::INT16: return SqlValue(std::int64_t{static_cast<const arrow::Int16Scalar&>(scalar).value});
    case arrow::Type::INT32: return SqlValue(std::int64_t{static_cast<const arrow::Int32Scalar&>(scalar).value});
    case arrow::Type::INT64: return SqlValue(static_cast<const arrow::Int64Scalar&>(scalar).value);
    case arrow::Type::UINT8: return SqlValue(std::int64_t{static_cast<const arrow::UInt8Scalar&>(scalar).value});
    case arrow::Type::UINT16: return SqlValue(std::int64_t{static_cast<const arrow::UInt16Scalar&>(scalar).value});
    case arrow::Type::UINT32: return SqlValue(std::int64_t{static_cast<const arrow::UInt32Scalar&>(scalar).value});
    case arrow::Type::UINT64: {
      const auto value = static_cast<const arrow::UInt64Scalar&>(scalar).value;
      if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return fail(ErrorCode::invalid_argument, std::format("literal {} does not fit a BIGINT", value));
      return SqlValue(static_cast<std::int64_t>(value));
    }
    case arrow::Type::FLOAT: return SqlValue(double{static_cast<const arrow::FloatScalar&>(scalar).value});
    case arrow::Type::DOUBLE: return SqlValue(static_cast<const arrow::DoubleScalar&>(scalar).value);
    case arrow::Type::STRING:
    case arrow::Type::LARGE_STRING:
      return SqlValue(std::string(static_cast<const arrow::BaseBinaryScalar&>(scalar).view()));
    case arrow::Type::DATE32:
      return SqlValue(date(std::chrono::days(static_cast<const arrow::Date32Scalar&>(scalar).value)));
    case arrow::Type::TIMESTAMP: {
      const auto& ts = static_cast<const arrow::TimestampScalar&>(scalar);
      const auto unit = static_cast<const arrow::TimestampType&>(*scalar.type).unit();
      std::int64_t micros = ts.value;
      switch (unit) {
        case arrow::TimeUnit::SECOND: micros = ts.value * 1'000'000; break;
        case arrow::TimeUnit::MILLI: micros = ts.value * 1'000; break;
        case arrow::TimeUnit::MICRO: break;
        case arrow::TimeUnit::NANO: micros = ts.value / 1'000; break;
      }
      if (static_cast<const arrow::TimestampType&>(*scalar.type).timezone().empty())
        return SqlValue(local_timestamp(std::chrono::microseconds(micros)));
      return SqlValue(timestamp(std::chrono::microseconds(micros)));
    }
    case arrow::Type::DECIMAL128: {
      const auto& type = static_cast<const arrow::Decimal128Type&>(*scalar.type);
      const arrow::Decimal128& value = static_cast<const arrow::Decimal128Scalar&>(scalar).value;
      const int128 unscaled = (static_cast<int128>(value.high_bits()) << 64) | static_cast<int128>(value.low_bits());
      return SqlValue(SqlDecimal{unscaled, type.precision(), type.scale()});
    }
    default:
      return fail(ErrorCode::unsupported,
                  std::format("a literal of Arrow type {} cannot be sent to Spark", scalar.type->ToString()));
  }
}

class Renderer {
 public:
  explicit Renderer(std::string_view qualifier) : qualifier_(qualifier) {}

  Status render(const cp::Expression& expression) {
    if (const auto* ref = expression.field_ref()) {
      const std::string* name = ref->name();
      if (name == nullptr)
        return fail(ErrorCode::unsupported,
                    std::format("'{}': only columns named at the top level can be sent to Spark", ref->ToString()));
      if (!qualifier_.empty()) out_.text += quote_identifier(qualifier_) + ".";
      out_.text += quote_identifier(*name);
      return {};
    }
    if (const auto* datum = expression.literal()) {
      if (!datum->is_scalar())
        return fail(ErrorCode::unsupported, "an array literal cannot be sent to Spark outside is_in");
      auto value = sql_value_of(*datum->scalar());
      LAKE_RETURN_IF_ERROR(value);
      out_.text += "?";
      out_.params.push_back(std::move(*value));
      return {};
    }
    const auto* call = expression.call();
    if (call == nullptr) return fail(ErrorCode::unsupported, "an unbound expression cannot be sent to Spark");
    return render_call(*call);
  }

  SqlFragment take() { return std::move(out_); }

 private:
  Status render_call(const cp::Expression::Call& call) {
    static const std::map<std::string, std::string, std::less<>> comparisons = {
        {"equal", "="},   {"not_equal", "<>"},      {"less", "<"},
        {"less_equal", "<="}, {"greater", ">"}, {"greater_equal", ">="}};
    static const std::map<std::string, std::string, std::less<>> connectives = {
        {"and", "AND"}, {"and_kleene", "AND"}, {"or", "OR"}, {"or_kleene", "OR"}};
    const std::string& name = call.function_name;
    const auto& args = call.arguments;
    if (auto it = comparisons.find(name); it != comparisons.end()) return binary(args, it->second);
    if (auto it = connectives.find(name); it != connectives.end()) return binary(args, it->second);
    if (name == "invert" && args.size() == 1) return unary("NOT ", args[0], "");
    if (name == "is_null" && args.size() == 1) return unary("", args[0], " IS NULL");
    if (name == "is_valid" && args.size() == 1) return unary("", args[0], " IS NOT NULL");
    if (name == "is_in" && args.size() == 1) return is_in(call);
    return fail(ErrorCode::unsupported,
                std::format("the Arrow function '{}' has no Spark SQL translation (comparisons, and, or, invert, "
                            "is_null, is_valid and is_in do)",
                            name));
  }

  Status binary(const std::vector<cp::Expression>& args, std::string_view op) {
    if (args.size() != 2) return fail(ErrorCode::invalid_argument, std::format("'{}' takes two arguments", op));
    out_.text += "(";
    LAKE_RETURN_IF_ERROR(render(args[0]));
    out_.text += std::format(" {} ", op);
    LAKE_RETURN_IF_ERROR(render(args[1]));
    out_.text += ")";
    return {};
  }

  Status unary(std::string_view before, const cp::Expression& arg, std::string_view after) {
    out_.text += "(";
    out_.text += before;
    LAKE_RETURN_IF_ERROR(render(arg));
    out_.text += after;
    out_.text += ")";
    return {};
  }

  Status is_in(const cp::Expression::Call& call) {
    const auto* options = dynamic_cast<const cp::SetLookupOptions*>(call.options.get());
    if (options == nullptr || !options->value_set.is_array())
      return fail(ErrorCode::invalid_argument, "is_in needs SetLookupOptions with an array of values");
    // Held by name: the array must outlive the loop below.
    const std::shared_ptr<arrow::Array> array = options->value_set.make_array();
    const arrow::Array& values = *array;
    if (values.length() == 0) {
      out_.text += "FALSE";
      return {};
    }
    out_.text += "(";
    LAKE_RETURN_IF_ERROR(render(call.arguments[0]));
    out_.text += " IN (";
    for (std::int64_t i = 0; i < values.length(); ++i) {
      auto scalar = values.GetScalar(i);
      if (!scalar.ok()) return fail(ErrorCode::internal, scalar.status().ToString());
      auto value = sql_value_of(**scalar);
      LAKE_RETURN_IF_ERROR(value);
      out_.text += i ? ", ?" : "?";
      out_.params.push_back(std::move(*value));
    }
    out_.text += "))";
    return {};
  }

  std::string qualifier_;
  SqlFragment out_;
};

}  // namespace

Result<SqlFragment> to_spark_sql(const cp::Expression& expression, std::string_view qualifier) {
  Renderer renderer(qualifier);
  LAKE_RETURN_IF_ERROR(renderer.render(expression));
  return renderer.take();
}

namespace {

std::string literal(const SqlValue& value) {
  return std::visit(
      []<typename V>(const V& v) -> std::string {
        if constexpr (std::same_as<V, std::nullptr_t>) {
          return "NULL";
        } else if constexpr (std::same_as<V, bool>) {
          return v ? "TRUE" : "FALSE";
        } else if constexpr (std::same_as<V, std::int64_t>) {
          return std::to_string(v);
        } else if constexpr (std::same_as<V, double>) {
          if (std::isnan(v)) return "CAST('NaN' AS DOUBLE)";
          if (std::isinf(v)) return v > 0 ? "CAST('Infinity' AS DOUBLE)" : "CAST('-Infinity' AS DOUBLE)";
          return std::format("CAST({:.17g} AS DOUBLE)", v);
        } else if constexpr (std::same_as<V, std::string>) {
          return quote_string(v);
        } else if constexpr (std::same_as<V, timestamp>) {
          return std::format("TIMESTAMP {}", quote_string(format_timestamp(v)));
        } else if constexpr (std::same_as<V, local_timestamp>) {
          return std::format("TIMESTAMP_NTZ {}", quote_string(format_local_timestamp(v)));
        } else if constexpr (std::same_as<V, date>) {
          return std::format("DATE {}", quote_string(format_date(v)));
        } else {
          return std::format("CAST({} AS DECIMAL({},{}))", quote_string(detail::format_decimal(v.unscaled, v.scale)), v.precision, v.scale);
        }
      },
      value);
}

}  // namespace

std::string inline_parameters(const SqlFragment& fragment) {
  std::string out;
  std::size_t next = 0;
  bool in_identifier = false;
  for (char c : fragment.text) {
    if (c == '`') in_identifier = !in_identifier;  // a doubled backtick toggles twice
    if (c == '?' && !in_identifier && next < fragment.params.size()) {
      out += literal(fragment.params[next++]);
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace lake::spark_sql

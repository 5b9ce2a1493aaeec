#include "drivers/duckdb/filter_translation.hpp"

#include <arrow/compute/api_scalar.h>
#include <arrow/scalar.h>
#include <arrow/util/decimal.h>

#include <string>
#include <vector>

#include <duckdb/common/types/value.hpp>
#include <duckdb/planner/expression/bound_between_expression.hpp>
#include <duckdb/planner/expression/bound_columnref_expression.hpp>
#include <duckdb/planner/expression/bound_comparison_expression.hpp>
#include <duckdb/planner/expression/bound_conjunction_expression.hpp>
#include <duckdb/planner/expression/bound_constant_expression.hpp>
#include <duckdb/planner/expression/bound_function_expression.hpp>
#include <duckdb/planner/expression/bound_operator_expression.hpp>

namespace lake::duckdb {
namespace {

namespace cp = arrow::compute;
namespace ddb = ::duckdb;

using Predicate = std::optional<cp::Expression>;

// The scan column a column reference names, if it is one of this scan's.
std::optional<std::string> column_of(const ddb::Expression& expr, const ddb::LogicalGet& get) {
  if (expr.GetExpressionClass() != ddb::ExpressionClass::BOUND_COLUMN_REF) return std::nullopt;
  const auto& ref = expr.Cast<ddb::BoundColumnRefExpression>();
  if (ref.Depth() != 0 || ref.Binding().table_index != get.table_index) return std::nullopt;
  const auto& ids = get.GetColumnIds();
  const ddb::idx_t position = ref.Binding().column_index.GetIndex();
  if (position >= ids.size() || ids[position].IsVirtualColumn()) return std::nullopt;
  const ddb::idx_t column = ids[position].GetPrimaryIndex();
  if (column >= get.names.size()) return std::nullopt;
  return get.names[column].GetIdentifierName();
}

// A constant as an Arrow literal of the type our tables use for it.
std::optional<cp::Expression> literal_of(const ddb::Expression& expr) {
  if (expr.GetExpressionClass() != ddb::ExpressionClass::BOUND_CONSTANT) return std::nullopt;
  const ddb::Value& value = expr.Cast<ddb::BoundConstantExpression>().GetValue();
  if (value.IsNull()) return std::nullopt;  // comparisons with NULL are never true; nothing to skip by
  const ddb::LogicalType& type = value.type();
  switch (type.id()) {
    case ddb::LogicalTypeId::BOOLEAN: return cp::literal(value.GetValue<bool>());
    case ddb::LogicalTypeId::TINYINT:
    case ddb::LogicalTypeId::SMALLINT:
    case ddb::LogicalTypeId::INTEGER: return cp::literal(value.GetValue<std::int32_t>());
    case ddb::LogicalTypeId::BIGINT: return cp::literal(value.GetValue<std::int64_t>());
    // No FLOAT / DOUBLE: DuckDB orders NaN above every number (NaN > 1 is
    // true) where Arrow's comparisons are false, so an Arrow predicate
    // would drop rows DuckDB keeps.
    case ddb::LogicalTypeId::VARCHAR: return cp::literal(value.GetValue<std::string>());
    case ddb::LogicalTypeId::DATE:
      return cp::literal(std::make_shared<arrow::Date32Scalar>(value.GetValueUnsafe<ddb::date_t>().days));
    case ddb::LogicalTypeId::TIMESTAMP:
      // A local reading (timestamp_ntz columns), in microseconds.
      return cp::literal(std::make_shared<arrow::TimestampScalar>(value.GetValueUnsafe<ddb::timestamp_t>().value,
                                                                  arrow::timestamp(arrow::TimeUnit::MICRO)));
    case ddb::LogicalTypeId::TIMESTAMP_TZ:
      // An instant, microseconds since the epoch.
      return cp::literal(std::make_shared<arrow::TimestampScalar>(
          value.GetValueUnsafe<ddb::timestamp_t>().value, arrow::timestamp(arrow::TimeUnit::MICRO, "UTC")));
    case ddb::LogicalTypeId::DECIMAL: {
      const auto width = ddb::DecimalType::GetWidth(type);
      const auto scale = ddb::DecimalType::GetScale(type);
      arrow::Decimal128 unscaled;
      switch (type.InternalType()) {
        case ddb::PhysicalType::INT16: unscaled = arrow::Decimal128(value.GetValueUnsafe<std::int16_t>()); break;
        case ddb::PhysicalType::INT32: unscaled = arrow::Decimal128(value.GetValueUnsafe<std::int32_t>()); break;
        case ddb::PhysicalType::INT64: unscaled = arrow::Decimal128(value.GetValueUnsafe<std::int64_t>()); break;
        case ddb::PhysicalType::INT128: {
          const auto huge = value.GetValueUnsafe<ddb::hugeint_t>();
          unscaled = arrow::Decimal128(huge.upper, huge.lower);
          break;
        }
        default: return std::nullopt;
      }
      return cp::literal(std::make_shared<arrow::Decimal128Scalar>(unscaled, arrow::decimal128(width, scale)));
    }
    default: return std::nullopt;
  }
}

std::optional<cp::Expression> compare(ddb::ExpressionType type, cp::Expression column, cp::Expression literal) {
  switch (type) {
    case ddb::ExpressionType::COMPARE_EQUAL: return cp::equal(std::move(column), std::move(literal));
    case ddb::ExpressionType::COMPARE_NOTEQUAL: return cp::not_equal(std::move(column), std::move(literal));
    case ddb::ExpressionType::COMPARE_LESSTHAN: return cp::less(std::move(column), std::move(literal));
    case ddb::ExpressionType::COMPARE_LESSTHANOREQUALTO: return cp::less_equal(std::move(column), std::move(literal));
    case ddb::ExpressionType::COMPARE_GREATERTHAN: return cp::greater(std::move(column), std::move(literal));
    case ddb::ExpressionType::COMPARE_GREATERTHANOREQUALTO:
      return cp::greater_equal(std::move(column), std::move(literal));
    default: return std::nullopt;  // IS [NOT] DISTINCT FROM and friends: not needed for skipping
  }
}

ddb::ExpressionType flipped(ddb::ExpressionType type) {
  switch (type) {
    case ddb::ExpressionType::COMPARE_LESSTHAN: return ddb::ExpressionType::COMPARE_GREATERTHAN;
    case ddb::ExpressionType::COMPARE_LESSTHANOREQUALTO: return ddb::ExpressionType::COMPARE_GREATERTHANOREQUALTO;
    case ddb::ExpressionType::COMPARE_GREATERTHAN: return ddb::ExpressionType::COMPARE_LESSTHAN;
    case ddb::ExpressionType::COMPARE_GREATERTHANOREQUALTO: return ddb::ExpressionType::COMPARE_LESSTHANOREQUALTO;
    default: return type;
  }
}

Predicate translate(const ddb::Expression& expr, const ddb::LogicalGet& get);

Predicate translate_function(const ddb::BoundFunctionExpression& fn, const ddb::LogicalGet& get) {
  if (ddb::BoundComparisonExpression::IsComparison(fn)) {
    const auto& left = ddb::BoundComparisonExpression::Left(fn);
    const auto& right = ddb::BoundComparisonExpression::Right(fn);
    if (auto column = column_of(left, get))
      if (auto literal = literal_of(right)) return compare(fn.GetExpressionType(), cp::field_ref(*column), *literal);
    if (auto column = column_of(right, get))
      if (auto literal = literal_of(left))
        return compare(flipped(fn.GetExpressionType()), cp::field_ref(*column), *literal);
    return std::nullopt;
  }
  if (fn.GetExpressionType() == ddb::ExpressionType::COMPARE_BETWEEN && ddb::BoundBetweenExpression::HasValidBindData(fn)) {
    auto column = column_of(ddb::BoundBetweenExpression::Input(fn), get);
    auto lower = literal_of(ddb::BoundBetweenExpression::LowerBound(fn));
    auto upper = literal_of(ddb::BoundBetweenExpression::UpperBound(fn));
    if (!column || !lower || !upper) return std::nullopt;
    auto low = compare(ddb::BoundBetweenExpression::LowerComparisonType(fn), cp::field_ref(*column), *lower);
    auto high = compare(ddb::BoundBetweenExpression::UpperComparisonType(fn), cp::field_ref(*column), *upper);
    if (!low || !high) return std::nullopt;
    return cp::and_(*low, *high);
  }
  return std::nullopt;
}

Predicate translate_operator(const ddb::BoundOperatorExpression& op, const ddb::LogicalGet& get) {
  switch (op.GetExpressionType()) {
    case ddb::ExpressionType::OPERATOR_IS_NULL:
    case ddb::ExpressionType::OPERATOR_IS_NOT_NULL: {
      if (op.GetChildren().size() != 1) return std::nullopt;
      auto column = column_of(*op.GetChildren()[0], get);
      if (!column) return std::nullopt;
      auto is_null = cp::is_null(cp::field_ref(*column));
      return op.GetExpressionType() == ddb::ExpressionType::OPERATOR_IS_NULL ? is_null : cp::not_(is_null);
    }
    case ddb::ExpressionType::COMPARE_IN: {
      if (op.GetChildren().size() < 2) return std::nullopt;
      auto column = column_of(*op.GetChildren()[0], get);
      if (!column) return std::nullopt;
      std::vector<cp::Expression> equals;
      for (std::size_t i = 1; i < op.GetChildren().size(); ++i) {
        auto literal = literal_of(*op.GetChildren()[i]);
        if (!literal) return std::nullopt;
        equals.push_back(cp::equal(cp::field_ref(*column), *literal));
      }
      return cp::or_(equals);
    }
    default: return std::nullopt;
  }
}

Predicate translate(const ddb::Expression& expr, const ddb::LogicalGet& get) {
  switch (expr.GetExpressionClass()) {
    case ddb::ExpressionClass::BOUND_CONJUNCTION: {
      const auto& conjunction = expr.Cast<ddb::BoundConjunctionExpression>();
      const bool is_and = expr.GetExpressionType() == ddb::ExpressionType::CONJUNCTION_AND;
      std::vector<cp::Expression> parts;
      for (const auto& child : conjunction.GetChildren()) {
        auto part = translate(*child, get);
        if (part) parts.push_back(std::move(*part));
        else if (!is_and) return std::nullopt;  // one unknown branch of an OR can hold any row
      }
      if (parts.empty()) return std::nullopt;
      return is_and ? cp::and_(parts) : cp::or_(parts);
    }
    case ddb::ExpressionClass::BOUND_FUNCTION: return translate_function(expr.Cast<ddb::BoundFunctionExpression>(), get);
    case ddb::ExpressionClass::BOUND_OPERATOR: return translate_operator(expr.Cast<ddb::BoundOperatorExpression>(), get);
    default: return std::nullopt;
  }
}

}  // namespace

std::optional<cp::Expression> implied_predicate(const ddb::Expression& filter, const ddb::LogicalGet& get) {
  return translate(filter, get);
}

}  // namespace lake::duckdb

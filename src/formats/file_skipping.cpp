// File skipping (file_skipping.hpp). Each referenced column gives its
// cases:
//   exact value:       col == value, or is_null(col) for a NULL value;
//   bounds, no NULLs:  is_valid(col) and min <= col <= max (col == v when
//                      min == max);
//   all NULL:          is_null(col);
//   some NULLs:        the two cases above, separately, because Arrow's
//                      simplifier treats a plain range as "never NULL" and
//                      a range-or-NULL yields expressions that are never
//                      true without being literally false;
//   floats:            one more case, col == NaN, because bounds leave NaN
//                      out.
// The cartesian product of the cases is tried (capped; columns past the
// cap are left unconstrained, which only skips less).
//
// The direct path, for an AND of `column op value` comparisons: a NULL row
// fails every comparison, and so does a NaN row (the value is never NaN
// there), so only the bounds of the valid, non-NaN values matter, and a
// conjunct that none of them can satisfy rules the file out.
#include "formats/file_skipping.hpp"

#include <arrow/compute/api_scalar.h>
#include <arrow/type_traits.h>
#include <arrow/util/decimal.h>

#include <algorithm>
#include <cmath>
#include <compare>
#include <format>
#include <string>
#include <utility>
#include <vector>

#include "core/propagate.hpp"
#include "lake/arrow/detail/status.hpp"

namespace lake::formats {
namespace {

namespace cp = arrow::compute;
using arrow::Type;

// At most this many combinations of cases are simplified per file.
constexpr std::size_t kMaxCaseCombinations = 64;

cp::Expression ref_of(const arrow::FieldPath& path) { return cp::field_ref(arrow::FieldRef(path)); }

bool same_value(const arrow::Scalar& a, const arrow::Scalar& b) {
  if (!a.Equals(b)) return false;
  // -0.0 equals 0.0, but replacing one by the other could change a result.
  if (a.type->id() == Type::DOUBLE)
    return std::signbit(static_cast<const arrow::DoubleScalar&>(a).value) ==
           std::signbit(static_cast<const arrow::DoubleScalar&>(b).value);
  if (a.type->id() == Type::FLOAT)
    return std::signbit(static_cast<const arrow::FloatScalar&>(a).value) ==
           std::signbit(static_cast<const arrow::FloatScalar&>(b).value);
  return true;
}

// The alternative guarantees for one referenced column; empty when the
// file says nothing about it.
std::vector<cp::Expression> cases_of(const ColumnFacts& facts, const arrow::FieldPath& path, const arrow::DataType& type) {
  cp::Expression column = ref_of(path);
  if (facts.exact) {
    if (!facts.exact->is_valid) return {cp::is_null(column)};
    return {cp::equal(column, cp::literal(facts.exact))};
  }
  if (type.id() == Type::STRUCT) return {};
  const auto& nulls = facts.null_count;
  const auto& records = facts.value_count;
  if (nulls && records && *nulls == *records) return {cp::is_null(column)};

  std::vector<cp::Expression> valid{cp::is_valid(column)};
  if (facts.min && facts.max && same_value(*facts.min, *facts.max)) {
    valid.push_back(cp::equal(column, cp::literal(facts.min)));
  } else {
    if (facts.min) valid.push_back(cp::greater_equal(column, cp::literal(facts.min)));
    if (facts.max) valid.push_back(cp::less_equal(column, cp::literal(facts.max)));
  }
  const bool bounded = valid.size() > 1;
  const bool no_nulls = nulls && *nulls == 0;
  if (!bounded && !no_nulls) return {};  // "valid or NULL" says nothing

  std::vector<cp::Expression> cases{cp::and_(valid)};
  if (!no_nulls) cases.push_back(cp::is_null(column));
  if (bounded && (type.id() == Type::FLOAT || type.id() == Type::DOUBLE)) {
    auto nan = type.id() == Type::FLOAT ? std::shared_ptr<arrow::Scalar>(std::make_shared<arrow::FloatScalar>(NAN))
                                        : std::make_shared<arrow::DoubleScalar>(std::nan(""));
    cases.push_back(cp::equal(column, cp::literal(nan)));
  }
  return cases;
}

// Whether a simplified filter may still be true (or false) for some row.
// Arrow folds only what it can compute; `NULL and x` stays a call although
// it is never true. Walking and / or / not over the literals left is
// enough for that, and anything else counts as "may be either".
bool may_be(const cp::Expression& expression, bool wanted) {
  if (const arrow::Datum* value = expression.literal()) {
    if (!value->is_scalar()) return true;
    const arrow::Scalar& scalar = *value->scalar();
    if (!scalar.is_valid) return false;
    if (scalar.type->id() != Type::BOOL) return true;
    return static_cast<const arrow::BooleanScalar&>(scalar).value == wanted;
  }
  const cp::Expression::Call* call = expression.call();
  if (call == nullptr) return true;
  const std::string& name = call->function_name;
  if (name == "invert" && call->arguments.size() == 1) return may_be(call->arguments[0], !wanted);
  const bool conjunction = name == "and" || name == "and_kleene";
  const bool disjunction = name == "or" || name == "or_kleene";
  if ((!conjunction && !disjunction) || call->arguments.size() != 2) return true;
  const auto& a = call->arguments[0];
  const auto& b = call->arguments[1];
  // true AND needs both true; false OR needs both false.
  if (conjunction == wanted) return may_be(a, wanted) && may_be(b, wanted);
  return may_be(a, wanted) || may_be(b, wanted);
}

// The order of two valid scalars of one type; nullopt for other types
// than those compared here (and for scalars of different types).
template <typename ArrowType>
std::partial_ordering order_of_values(const arrow::Scalar& a, const arrow::Scalar& b) {
  using ScalarType = typename arrow::TypeTraits<ArrowType>::ScalarType;
  return static_cast<const ScalarType&>(a).value <=> static_cast<const ScalarType&>(b).value;
}
std::optional<std::partial_ordering> order_of(const arrow::Scalar& a, const arrow::Scalar& b) {
  if (!a.is_valid || !b.is_valid || !a.type->Equals(*b.type)) return std::nullopt;
  switch (a.type->id()) {
    case Type::BOOL: return order_of_values<arrow::BooleanType>(a, b);
    case Type::INT8: return order_of_values<arrow::Int8Type>(a, b);
    case Type::INT16: return order_of_values<arrow::Int16Type>(a, b);
    case Type::INT32: return order_of_values<arrow::Int32Type>(a, b);
    case Type::INT64: return order_of_values<arrow::Int64Type>(a, b);
    case Type::UINT8: return order_of_values<arrow::UInt8Type>(a, b);
    case Type::UINT16: return order_of_values<arrow::UInt16Type>(a, b);
    case Type::UINT32: return order_of_values<arrow::UInt32Type>(a, b);
    case Type::UINT64: return order_of_values<arrow::UInt64Type>(a, b);
    case Type::FLOAT: return order_of_values<arrow::FloatType>(a, b);
    case Type::DOUBLE: return order_of_values<arrow::DoubleType>(a, b);
    case Type::DATE32: return order_of_values<arrow::Date32Type>(a, b);
    case Type::DATE64: return order_of_values<arrow::Date64Type>(a, b);
    case Type::TIMESTAMP: return order_of_values<arrow::TimestampType>(a, b);
    case Type::STRING:
    case Type::BINARY:
    case Type::LARGE_STRING:
    case Type::LARGE_BINARY:
      // Byte-wise, as Arrow compares strings (char_traits<char> compares as
      // unsigned char).
      return static_cast<const arrow::BaseBinaryScalar&>(a).view() <=>
             static_cast<const arrow::BaseBinaryScalar&>(b).view();
    case Type::DECIMAL128: {
      const auto& x = static_cast<const arrow::Decimal128Scalar&>(a).value;
      const auto& y = static_cast<const arrow::Decimal128Scalar&>(b).value;
      if (x < y) return std::partial_ordering::less;
      return y < x ? std::partial_ordering::greater : std::partial_ordering::equivalent;
    }
    default: return std::nullopt;
  }
}

bool is_nan(const arrow::Scalar& value) {
  if (value.type->id() == Type::DOUBLE) return std::isnan(static_cast<const arrow::DoubleScalar&>(value).value);
  if (value.type->id() == Type::FLOAT) return std::isnan(static_cast<const arrow::FloatScalar&>(value).value);
  return false;
}

}  // namespace

std::vector<FileSkipping::Conjunct> FileSkipping::conjuncts_of(const cp::Expression& filter,
                                                               const std::vector<Column>& columns) {
  std::vector<Conjunct> conjuncts;
  std::vector<const cp::Expression*> pending{&filter};
  while (!pending.empty()) {
    const cp::Expression& expression = *pending.back();
    pending.pop_back();
    const cp::Expression::Call* call = expression.call();
    if (call == nullptr || call->arguments.size() != 2) return {};
    const std::string& name = call->function_name;
    if (name == "and" || name == "and_kleene") {
      pending.push_back(&call->arguments[1]);
      pending.push_back(&call->arguments[0]);
      continue;
    }
    static constexpr std::pair<std::string_view, Comparison> kComparisons[] = {
        {"equal", Comparison::equal},     {"less", Comparison::less},
        {"less_equal", Comparison::less_equal}, {"greater", Comparison::greater},
        {"greater_equal", Comparison::greater_equal}};
    const auto* known = std::ranges::find(kComparisons, name, &std::pair<std::string_view, Comparison>::first);
    if (known == std::ranges::end(kComparisons)) return {};
    Comparison comparison = known->second;
    const cp::Expression* column = &call->arguments[0];
    const cp::Expression* value = &call->arguments[1];
    if (column->literal() != nullptr) {  // `value op column`: the mirrored comparison
      std::swap(column, value);
      constexpr Comparison kMirrored[] = {Comparison::equal, Comparison::greater, Comparison::greater_equal,
                                          Comparison::less, Comparison::less_equal};
      comparison = kMirrored[static_cast<std::size_t>(comparison)];
    }
    const arrow::FieldPath* path = column->field_ref() ? column->field_ref()->field_path() : nullptr;
    const arrow::Datum* literal = value->literal();
    if (path == nullptr || literal == nullptr || !literal->is_scalar()) return {};
    const auto found = std::ranges::find(columns, *path, &Column::path);
    if (found == columns.end()) return {};
    const auto& scalar = literal->scalar();
    if (!scalar->is_valid || is_nan(*scalar) || !scalar->type->Equals(*found->field->type())) return {};
    conjuncts.push_back({static_cast<std::size_t>(found - columns.begin()), comparison, scalar});
  }
  return conjuncts;
}

std::optional<bool> FileSkipping::may_satisfy(const ColumnFacts& facts, Comparison comparison,
                                              const arrow::Scalar& value) {
  // Whether `known op value` holds; an unknown bound does not constrain,
  // and nullopt means it cannot be compared here.
  auto holds = [&](const std::shared_ptr<arrow::Scalar>& known, Comparison op) -> std::optional<bool> {
    if (!known) return true;
    auto order = order_of(*known, value);
    if (!order || *order == std::partial_ordering::unordered) return std::nullopt;
    switch (op) {
      case Comparison::equal: return *order == 0;
      case Comparison::less: return *order < 0;
      case Comparison::less_equal: return *order <= 0;
      case Comparison::greater: return *order > 0;
      case Comparison::greater_equal: return *order >= 0;
    }
    return std::nullopt;
  };
  if (facts.exact) {
    if (!facts.exact->is_valid) return false;  // every row NULL
    return holds(facts.exact, comparison);
  }
  if (facts.null_count && facts.value_count && *facts.null_count == *facts.value_count) return false;
  // Some valid value v in [min, max] with `v op value`: for `<` and `<=`
  // the smallest, for `>` and `>=` the largest, for `=` both ends.
  switch (comparison) {
    case Comparison::equal: {
      auto low = holds(facts.min, Comparison::less_equal);
      auto high = holds(facts.max, Comparison::greater_equal);
      if (!low || !high) return std::nullopt;
      return *low && *high;
    }
    case Comparison::less:
    case Comparison::less_equal: return holds(facts.min, comparison);
    case Comparison::greater:
    case Comparison::greater_equal: return holds(facts.max, comparison);
  }
  return std::nullopt;
}

FileSkipping::FileSkipping(cp::Expression bound_filter, const arrow::Schema& schema)
    : filter_(std::move(bound_filter)) {
  for (const auto& ref : cp::FieldsInExpression(filter_)) {
    const arrow::FieldPath* path = ref.field_path();
    if (path == nullptr || std::ranges::contains(columns_, *path, &Column::path)) continue;
    if (auto field = path->Get(schema); field.ok()) columns_.push_back({*path, *field});
  }
  conjuncts_ = conjuncts_of(filter_, columns_);
}

Result<bool> FileSkipping::may_match(const FileFacts& facts, std::string_view file) const {
  if (auto verdict = decide_directly(facts)) return *verdict;
  return simplify_per_case(facts, file);
}

std::optional<bool> FileSkipping::decide_directly(const FileFacts& facts) const {
  if (conjuncts_.empty()) return std::nullopt;
  std::vector<std::optional<std::optional<ColumnFacts>>> known(columns_.size());
  for (const Conjunct& conjunct : conjuncts_) {
    auto& column = known[conjunct.column];
    if (!column) column = facts(columns_[conjunct.column].path, *columns_[conjunct.column].field);
    if (!*column) continue;  // nothing known: may match
    auto satisfiable = may_satisfy(**column, conjunct.comparison, *conjunct.value);
    if (!satisfiable) return std::nullopt;  // facts of another type: the general path decides
    if (!*satisfiable) return false;
  }
  return true;
}

Result<bool> FileSkipping::simplify_per_case(const FileFacts& facts, std::string_view file) const {
  std::vector<std::vector<cp::Expression>> columns;
  std::size_t combinations = 1;
  for (const auto& [path, field] : columns_) {
    auto known = facts(path, *field);
    if (!known) continue;
    auto cases = cases_of(*known, path, *field->type());
    if (cases.empty() || combinations * cases.size() > kMaxCaseCombinations) continue;
    combinations *= cases.size();
    columns.push_back(std::move(cases));
  }

  // Odometer over one case per column.
  std::vector<std::size_t> choice(columns.size(), 0);
  while (true) {
    std::vector<cp::Expression> guarantee;
    for (std::size_t c = 0; c < columns.size(); ++c) guarantee.push_back(columns[c][choice[c]]);
    auto simplified = cp::SimplifyWithGuarantee(filter_, guarantee.empty() ? cp::literal(true) : cp::and_(guarantee));
    if (!simplified.ok())
      return fail(lake::detail::from_arrow_status(simplified.status(), std::format("file skipping for '{}'", file)));
    if (may_be(*simplified, true)) return true;
    std::size_t c = 0;
    while (c < columns.size() && ++choice[c] == columns[c].size()) choice[c++] = 0;
    if (c == columns.size()) return false;
  }
}

Result<bool> may_match(const cp::Expression& bound_filter, const arrow::Schema& schema, const FileFacts& facts,
                       std::string_view file) {
  return FileSkipping(bound_filter, schema).may_match(facts, file);
}

}  // namespace lake::formats

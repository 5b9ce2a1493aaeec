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
#include "formats/file_skipping.hpp"

#include <arrow/compute/api_scalar.h>

#include <algorithm>
#include <cmath>
#include <format>
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

}  // namespace

Result<bool> may_match(const cp::Expression& bound_filter, const arrow::Schema& schema, const FileFacts& facts,
                       std::string_view file) {
  std::vector<arrow::FieldPath> paths;
  for (const auto& ref : cp::FieldsInExpression(bound_filter))
    if (const arrow::FieldPath* path = ref.field_path(); path && !std::ranges::contains(paths, *path))
      paths.push_back(*path);

  std::vector<std::vector<cp::Expression>> columns;
  std::size_t combinations = 1;
  for (const auto& path : paths) {
    auto field = path.Get(schema);
    if (!field.ok()) continue;
    auto known = facts(path, **field);
    if (!known) continue;
    auto cases = cases_of(*known, path, *(*field)->type());
    if (cases.empty() || combinations * cases.size() > kMaxCaseCombinations) continue;
    combinations *= cases.size();
    columns.push_back(std::move(cases));
  }

  // Odometer over one case per column.
  std::vector<std::size_t> choice(columns.size(), 0);
  while (true) {
    std::vector<cp::Expression> guarantee;
    for (std::size_t c = 0; c < columns.size(); ++c) guarantee.push_back(columns[c][choice[c]]);
    auto simplified =
        cp::SimplifyWithGuarantee(bound_filter, guarantee.empty() ? cp::literal(true) : cp::and_(guarantee));
    if (!simplified.ok())
      return fail(lake::detail::from_arrow_status(simplified.status(), std::format("file skipping for '{}'", file)));
    if (may_be(*simplified, true)) return true;
    std::size_t c = 0;
    while (c < columns.size() && ++choice[c] == columns[c].size()) choice[c++] = 0;
    if (c == columns.size()) return false;
  }
}

}  // namespace lake::formats

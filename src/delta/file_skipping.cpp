// File skipping (scan.hpp: may_match, prune_files): what a file's partition
// values and stats guarantee about its rows, handed to Arrow's expression
// simplifier together with the filter.
//
// A file is skipped only when, under every case its rows can be in, the
// simplified filter can never be true (literal false or NULL, possibly
// combined by and / or / not). Each referenced column gives its cases:
//   partition column:  col == value, or is_null(col);
//   stats, no NULLs:   is_valid(col) and min <= col <= max (col == v when
//                      min == max);
//   stats, all NULL:   is_null(col);
//   stats, some NULLs: the two cases above, separately, because Arrow's
//                      simplifier treats a plain range as "never NULL" and
//                      a range-or-NULL yields expressions that are never
//                      true without being literally false;
//   floats:            one more case, col == NaN, because writers that take
//                      bounds from Parquet statistics (delta-rs) leave NaN
//                      out of them.
// The cartesian product of the cases is tried (capped; columns past the
// cap are left unconstrained, which only skips less). Bounds come from
// StatsReader, which reads any writer's stats conservatively.
#include <arrow/compute/api_scalar.h>
#include <arrow/compute/expression.h>
#include <arrow/scalar.h>

#include <cmath>
#include <format>

#include "core/propagate.hpp"
#include "delta/filter.hpp"
#include "delta/partition_values.hpp"
#include "delta/scan.hpp"
#include "delta/stats_reader.hpp"
#include "lake/arrow/convert.hpp"

namespace lake::delta {
namespace {

namespace cp = arrow::compute;
using arrow::Type;

// At most this many combinations of cases are simplified per file.
constexpr std::size_t kMaxCaseCombinations = 64;

struct FileFacts {
  const TableLayout& layout;
  const Add& file;
  std::optional<StatsReader> stats;
};

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
std::vector<cp::Expression> cases_of(const FileFacts& facts, const arrow::FieldPath& path) {
  const arrow::Schema& schema = *facts.layout.arrow_schema;
  auto field = path.Get(schema);
  if (!field.ok()) return {};
  const auto& type = (*field)->type();
  cp::Expression column = ref_of(path);
  const std::string& top = schema.field(path.indices().front())->name();

  if (std::ranges::contains(facts.layout.partition_columns, top)) {
    auto value = facts.file.partition_values.find(top);
    if (value == facts.file.partition_values.end()) return {};
    auto scalar = parse_partition_value(value->second, type, top);
    if (!scalar) return {};  // reading the file reports the bad value
    if (!(*scalar)->is_valid) return {cp::is_null(column)};
    return {cp::equal(column, cp::literal(*scalar))};
  }

  if (!facts.stats || type->id() == Type::STRUCT) return {};
  std::vector<std::string> names;
  const arrow::Field* current = nullptr;
  for (int index : path.indices()) {
    current = current == nullptr ? schema.field(index).get() : current->type()->field(index).get();
    names.push_back(current->name());
  }
  const ColumnStats column_stats = facts.stats->column(names, type);
  const auto& [min, max, nulls] = column_stats;
  auto records = facts.stats->num_records();
  if (nulls && records && *nulls == *records) return {cp::is_null(column)};

  std::vector<cp::Expression> valid{cp::is_valid(column)};
  if (min && max && same_value(*min, *max)) {
    valid.push_back(cp::equal(column, cp::literal(min)));
  } else {
    if (min) valid.push_back(cp::greater_equal(column, cp::literal(min)));
    if (max) valid.push_back(cp::less_equal(column, cp::literal(max)));
  }
  const bool bounded = valid.size() > 1;
  const bool no_nulls = nulls && *nulls == 0;
  if (!bounded && !no_nulls) return {};  // "valid or NULL" says nothing

  std::vector<cp::Expression> cases{cp::and_(valid)};
  if (!no_nulls) cases.push_back(cp::is_null(column));
  if (bounded && (type->id() == Type::FLOAT || type->id() == Type::DOUBLE)) {
    auto nan = type->id() == Type::FLOAT ? std::shared_ptr<arrow::Scalar>(std::make_shared<arrow::FloatScalar>(NAN))
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

Result<bool> may_match_bound(const TableLayout& layout, const Add& file, const cp::Expression& bound_filter) {
  std::vector<arrow::FieldPath> paths;
  for (const auto& ref : cp::FieldsInExpression(bound_filter))
    if (const arrow::FieldPath* path = ref.field_path(); path && !std::ranges::contains(paths, *path))
      paths.push_back(*path);

  FileFacts facts{layout, file, StatsReader::parse(file.stats)};
  std::vector<std::vector<cp::Expression>> columns;
  std::size_t combinations = 1;
  for (const auto& path : paths) {
    auto cases = cases_of(facts, path);
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
      return fail(lake::detail::from_arrow_status(simplified.status(), std::format("file skipping for '{}'", file.path)));
    if (may_be(*simplified, true)) return true;
    std::size_t c = 0;
    while (c < columns.size() && ++choice[c] == columns[c].size()) choice[c++] = 0;
    if (c == columns.size()) return false;
  }
}

}  // namespace

Result<bool> may_match(const TableLayout& layout, const Add& file, const cp::Expression& filter) {
  auto bound = bind_filter(filter, *layout.arrow_schema);
  LAKE_RETURN_IF_ERROR(bound);
  return may_match_bound(layout, file, *bound);
}

Result<std::vector<Add>> prune_files(const TableLayout& layout, const std::vector<Add>& files,
                                     const std::optional<cp::Expression>& filter) {
  if (!filter) return files;
  auto bound = bind_filter(*filter, *layout.arrow_schema);
  LAKE_RETURN_IF_ERROR(bound);
  std::vector<Add> kept;
  for (const auto& file : files) {
    auto keep = may_match_bound(layout, file, *bound);
    LAKE_RETURN_IF_ERROR(keep);
    if (*keep) kept.push_back(file);
  }
  return kept;
}

}  // namespace lake::delta

// File skipping (src/formats/file_skipping): the direct verdict for
// `column op value` filters against the rows a file really holds, and
// against the simplifier's verdict for the same filter (reached by
// wrapping it in `or false`, which the direct path does not take).
#include "formats/file_skipping.hpp"

#include <arrow/compute/api_scalar.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <format>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "formats/compute.hpp"
#include "formats/filter.hpp"

namespace lake::formats {
namespace {

namespace cp = arrow::compute;

// One file's values of a column; nullopt is a NULL row.
template <typename T>
using Rows = std::vector<std::optional<T>>;

template <typename T>
std::shared_ptr<arrow::Scalar> scalar_of(const T& value) {
  return arrow::MakeScalar(value);
}

// What a writer's statistics say about `rows`: bounds over the valid,
// non-NaN values and the counts; `forget` drops some of it at random, as
// writers that truncate or leave out statistics do.
template <typename T>
ColumnFacts facts_of(const Rows<T>& rows, std::mt19937& random) {
  ColumnFacts facts;
  std::vector<T> values;
  for (const auto& row : rows)
    if (row) {
      if constexpr (std::is_floating_point_v<T>) {
        if (std::isnan(*row)) continue;
      }
      values.push_back(*row);
    }
  if (!values.empty()) {
    facts.min = scalar_of(*std::ranges::min_element(values));
    facts.max = scalar_of(*std::ranges::max_element(values));
  }
  facts.null_count = std::ranges::count_if(rows, [](const std::optional<T>& row) { return !row.has_value(); });
  facts.value_count = static_cast<std::int64_t>(rows.size());
  std::uniform_int_distribution<int> forget(0, 7);
  if (forget(random) == 0) facts.min = nullptr;
  if (forget(random) == 0) facts.max = nullptr;
  if (forget(random) == 0) facts.null_count.reset();
  if (forget(random) == 0) facts.value_count.reset();
  return facts;
}

bool holds(const std::string& op, int order) {
  if (op == "equal") return order == 0;
  if (op == "less") return order < 0;
  if (op == "less_equal") return order <= 0;
  if (op == "greater") return order > 0;
  return order >= 0;
}

template <typename T>
int order(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

// Whether some row satisfies `row op value` (NULL and NaN rows never do).
template <typename T>
bool some_row_matches(const Rows<T>& rows, const std::string& op, const T& value) {
  return std::ranges::any_of(rows, [&](const std::optional<T>& row) {
    if (!row) return false;
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(*row)) return false;
    }
    return holds(op, order(*row, value));
  });
}

struct Verdicts {
  bool direct;
  bool simplified;
};

Verdicts verdicts_of(const cp::Expression& filter, const arrow::Schema& schema, const FileFacts& facts) {
  auto bound = bind_filter(filter, schema);
  EXPECT_TRUE(bound.has_value()) << filter.ToString();
  auto wrapped = bind_filter(cp::or_(filter, cp::literal(false)), schema);
  EXPECT_TRUE(wrapped.has_value());
  auto direct = FileSkipping(*bound, schema).may_match(facts, "file");
  auto simplified = FileSkipping(*wrapped, schema).may_match(facts, "file");
  EXPECT_TRUE(direct.has_value() && simplified.has_value());
  return {*direct, *simplified};
}

// Random files of `draw`'s values, random comparisons: a file with a
// matching row is never skipped, and the two paths agree.
template <typename T, typename Draw>
void check_against_rows(const std::shared_ptr<arrow::DataType>& type, Draw draw) {
  ASSERT_TRUE(ensure_compute_initialized().has_value());
  const arrow::Schema schema({arrow::field("c", type)});
  std::mt19937 random(20261207);
  std::uniform_int_distribution<int> rows_per_file(0, 5);
  std::uniform_int_distribution<int> null_one_in(0, 4);
  const std::string ops[] = {"equal", "less", "less_equal", "greater", "greater_equal"};
  int skipped = 0;
  for (int i = 0; i < 3000; ++i) {
    Rows<T> rows;
    const int n = rows_per_file(random);
    for (int r = 0; r < n; ++r) rows.push_back(null_one_in(random) == 0 ? std::nullopt : std::optional<T>(draw(random)));
    const ColumnFacts column = facts_of(rows, random);
    const FileFacts facts = [&](const arrow::FieldPath&, const arrow::Field&) -> std::optional<ColumnFacts> {
      return column;
    };
    const std::string& op = ops[static_cast<std::size_t>(i) % std::size(ops)];
    T value = draw(random);
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(value)) value = 0;  // a NaN value is not the direct path's
    }
    const cp::Expression filter = i % 2 == 0 ? cp::call(op, {cp::field_ref("c"), cp::literal(scalar_of(value))})
                                             : cp::call(op, {cp::literal(scalar_of(value)), cp::field_ref("c")});
    // `value op c` is `c op' value` with op mirrored.
    std::string row_op = op;
    if (i % 2 == 1) {
      if (op == "less") row_op = "greater";
      if (op == "less_equal") row_op = "greater_equal";
      if (op == "greater") row_op = "less";
      if (op == "greater_equal") row_op = "less_equal";
    }
    const Verdicts verdicts = verdicts_of(filter, schema, facts);
    const std::string what = std::format("file {} of {} rows, filter {}", i, rows.size(), filter.ToString());
    if (some_row_matches(rows, row_op, value)) {
      EXPECT_TRUE(verdicts.direct) << what;
    }
    EXPECT_EQ(verdicts.direct, verdicts.simplified) << what;
    skipped += verdicts.direct ? 0 : 1;
  }
  EXPECT_GT(skipped, 300);  // the direct path does skip
}

TEST(FileSkipping, ComparisonsOnIntegersSkipOnlyFilesWithoutAMatch) {
  check_against_rows<std::int64_t>(arrow::int64(), [](std::mt19937& random) {
    return std::uniform_int_distribution<std::int64_t>(-5, 5)(random);
  });
}

TEST(FileSkipping, ComparisonsOnDoublesIgnoreNaNRowsAndSignedZeros) {
  check_against_rows<double>(arrow::float64(), [](std::mt19937& random) {
    constexpr double kValues[] = {-2.5, -0.0, 0.0, 1.0, 3.25, std::numeric_limits<double>::quiet_NaN(),
                                  std::numeric_limits<double>::infinity()};
    return kValues[std::uniform_int_distribution<std::size_t>(0, std::size(kValues) - 1)(random)];
  });
}

TEST(FileSkipping, ComparisonsOnStringsAreByteWise) {
  check_against_rows<std::string>(arrow::utf8(), [](std::mt19937& random) {
    const std::string kValues[] = {"", "a", "ab", "b", "\xc3\xa9", "Z"};
    return kValues[std::uniform_int_distribution<std::size_t>(0, std::size(kValues) - 1)(random)];
  });
}

TEST(FileSkipping, APartitionValueDecidesExactly) {
  ASSERT_TRUE(ensure_compute_initialized().has_value());
  const arrow::Schema schema({arrow::field("day", arrow::date32()), arrow::field("id", arrow::int64())});
  auto facts_for = [](std::shared_ptr<arrow::Scalar> day) -> FileFacts {
    return [day](const arrow::FieldPath& path, const arrow::Field&) -> std::optional<ColumnFacts> {
      if (path.indices().front() != 0) return std::nullopt;
      return ColumnFacts{.exact = day};
    };
  };
  const auto day = std::make_shared<arrow::Date32Scalar>(20000);
  const auto null_day = arrow::MakeNullScalar(arrow::date32());
  const auto same = cp::equal(cp::field_ref("day"), cp::literal(std::make_shared<arrow::Date32Scalar>(20000)));
  const auto later = cp::greater(cp::field_ref("day"), cp::literal(std::make_shared<arrow::Date32Scalar>(20000)));
  const auto with_id = cp::and_(same, cp::equal(cp::field_ref("id"), cp::literal(std::int64_t{7})));
  for (const auto& [filter, facts, expected] :
       {std::tuple{same, facts_for(day), true}, std::tuple{later, facts_for(day), false},
        std::tuple{same, facts_for(null_day), false}, std::tuple{with_id, facts_for(day), true},
        std::tuple{cp::and_(later, cp::equal(cp::field_ref("id"), cp::literal(std::int64_t{7}))), facts_for(day),
                   false}}) {
    const Verdicts verdicts = verdicts_of(filter, schema, facts);
    EXPECT_EQ(verdicts.direct, expected) << filter.ToString();
    EXPECT_EQ(verdicts.simplified, expected) << filter.ToString();
  }
}

TEST(FileSkipping, OtherFiltersStillSkipThroughTheSimplifier) {
  ASSERT_TRUE(ensure_compute_initialized().has_value());
  const arrow::Schema schema({arrow::field("id", arrow::int64())});
  const FileFacts facts = [](const arrow::FieldPath&, const arrow::Field&) -> std::optional<ColumnFacts> {
    return ColumnFacts{.min = arrow::MakeScalar(std::int64_t{10}),
                       .max = arrow::MakeScalar(std::int64_t{20}),
                       .null_count = 0,
                       .value_count = 5};
  };
  auto verdict = [&](const cp::Expression& filter) {
    auto bound = bind_filter(filter, schema);
    EXPECT_TRUE(bound.has_value());
    auto may = FileSkipping(*bound, schema).may_match(facts, "file");
    EXPECT_TRUE(may.has_value());
    return *may;
  };
  const auto id = cp::field_ref("id");
  EXPECT_FALSE(verdict(cp::or_(cp::equal(id, cp::literal(std::int64_t{5})),
                               cp::greater(id, cp::literal(std::int64_t{30})))));
  EXPECT_TRUE(verdict(cp::or_(cp::equal(id, cp::literal(std::int64_t{5})),
                              cp::equal(id, cp::literal(std::int64_t{15})))));
  EXPECT_FALSE(verdict(cp::is_null(id)));
  EXPECT_TRUE(verdict(cp::not_equal(id, cp::literal(std::int64_t{15}))));
}

}  // namespace
}  // namespace lake::formats

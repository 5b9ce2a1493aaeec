#include "formats/clustering.hpp"

#include <arrow/builder.h>
#include <arrow/compute/api.h>

#include <algorithm>
#include <format>
#include <numeric>

#include "core/propagate.hpp"
#include "formats/lake_properties.hpp"
#include "lake/arrow/detail/status.hpp"

namespace lake::formats {
namespace {

namespace cp = arrow::compute;
using lake::detail::from_arrow_status;

// Row order along a Z-order curve over `columns`: each column's values are
// replaced by their rank (so any ordered type works and skewed values
// spread evenly), scaled to the same number of bits, and the bits are
// interleaved; sorting by the result keeps rows close in every column
// close in the file, which is what makes min/max stats skip files.
Result<std::shared_ptr<arrow::Array>> zorder_indices(const arrow::Table& rows, const std::vector<std::string>& columns) {
  const auto n = static_cast<std::size_t>(rows.num_rows());
  const int bits = std::min(64 / static_cast<int>(columns.size()), 32);
  std::vector<std::vector<std::uint64_t>> scaled;
  for (const auto& column : columns) {
    auto order = cp::SortIndices(*rows.GetColumnByName(column));
    if (!order.ok()) return fail(from_arrow_status(order.status(), "z-ordering"));
    const auto& indices = static_cast<const arrow::UInt64Array&>(**order);
    std::vector<std::uint64_t> rank(n);
    const std::uint64_t top = (bits >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1);
    for (std::size_t i = 0; i < n; ++i) {
      const long double r = n > 1 ? static_cast<long double>(i) * static_cast<long double>(top) /
                                          static_cast<long double>(n - 1)
                                    : 0.0L;
      rank[indices.Value(static_cast<std::int64_t>(i))] = static_cast<std::uint64_t>(r);
    }
    scaled.push_back(std::move(rank));
  }
  std::vector<std::uint64_t> z(n, 0);
  for (std::size_t row = 0; row < n; ++row) {
    std::uint64_t value = 0;
    for (int b = bits - 1; b >= 0; --b)
      for (const auto& column : scaled) value = (value << 1) | ((column[row] >> b) & 1U);
    z[row] = value;
  }
  std::vector<std::uint64_t> order(n);
  std::iota(order.begin(), order.end(), std::uint64_t{0});
  std::ranges::stable_sort(order, [&](std::uint64_t a, std::uint64_t b) { return z[a] < z[b]; });
  arrow::UInt64Builder builder;
  if (auto st = builder.AppendValues(order); !st.ok()) return fail(from_arrow_status(st, "z-ordering"));
  std::shared_ptr<arrow::Array> out;
  if (auto st = builder.Finish(&out); !st.ok()) return fail(from_arrow_status(st, "z-ordering"));
  return out;
}

Result<std::shared_ptr<arrow::Array>> sort_indices(const std::shared_ptr<arrow::Table>& rows,
                                                   const std::vector<std::string>& columns) {
  std::vector<cp::SortKey> keys;
  for (const auto& c : columns) keys.emplace_back(c, cp::SortOrder::Ascending);
  auto order = cp::SortIndices(arrow::Datum(rows), cp::SortOptions(keys));
  if (!order.ok()) return fail(from_arrow_status(order.status(), "sorting"));
  return *order;
}

}  // namespace

std::string Clustering::tag() const {
  switch (kind) {
    case Kind::none: return {};
    case Kind::zorder: return "zorder:" + list_value(columns);
    case Kind::sort: return "sort:" + list_value(columns);
  }
  return {};
}

Result<Clustering> clustering_of(const OptimizeOptions& options, const std::vector<std::string>& cluster_by,
                                 const arrow::Schema& schema, const std::vector<std::string>& single_valued) {
  if (!options.zorder_by.empty() && !options.sort_by.empty())
    return fail(ErrorCode::invalid_argument, "optimize: give zorder_by or sort_by, not both");
  Clustering out;
  if (!options.zorder_by.empty()) {
    out = {.kind = Clustering::Kind::zorder, .columns = options.zorder_by};
  } else if (!options.sort_by.empty()) {
    out = {.kind = Clustering::Kind::sort, .columns = options.sort_by};
  } else if (!cluster_by.empty()) {
    out = {.kind = Clustering::Kind::zorder, .columns = cluster_by};
  }
  for (const auto& column : out.columns) {
    const int i = schema.GetFieldIndex(column);
    if (i < 0) return fail(ErrorCode::schema_mismatch, std::format("optimize: column '{}' is not in the table", column));
    if (std::ranges::contains(single_valued, column))
      return fail(ErrorCode::invalid_argument,
                  std::format("optimize: '{}' is a partition column; every file already holds one value of it", column));
    if (schema.field(i)->type()->num_fields() > 0)
      return fail(ErrorCode::invalid_argument,
                  std::format("optimize: column '{}' is nested and cannot be clustered on", column));
  }
  return out;
}

Result<std::shared_ptr<arrow::Table>> clustered(const std::shared_ptr<arrow::Table>& rows, const Clustering& clustering) {
  if (clustering.kind == Clustering::Kind::none) return rows;
  auto order = clustering.kind == Clustering::Kind::zorder ? zorder_indices(*rows, clustering.columns)
                                                           : sort_indices(rows, clustering.columns);
  LAKE_RETURN_IF_ERROR(order);
  auto taken = cp::Take(rows, *order);
  if (!taken.ok()) return fail(from_arrow_status(taken.status(), "clustering rows"));
  return taken->table();
}

}  // namespace lake::formats

#include "formats/filter.hpp"

#include <algorithm>
#include <format>
#include <optional>

#include "core/propagate.hpp"
#include "formats/compute.hpp"
#include "lake/arrow/convert.hpp"

namespace lake::formats {
namespace {

namespace cp = arrow::compute;

std::string column_name(const arrow::FieldRef& ref) {
  if (const std::string* name = ref.name()) return *name;
  std::string dotted = ref.ToDotPath();
  return dotted.starts_with('.') ? dotted.substr(1) : dotted;
}

// The innermost call of `filter` that does not bind, as text (it names the
// column and the value that do not fit together).
std::optional<std::string> innermost_unbindable(const cp::Expression& filter, const arrow::Schema& schema) {
  const cp::Expression::Call* call = filter.call();
  if (call == nullptr) return std::nullopt;
  for (const auto& argument : call->arguments)
    if (auto inner = innermost_unbindable(argument, schema)) return inner;
  if (!filter.Bind(schema).ok()) return filter.ToString();
  return std::nullopt;
}

}  // namespace

Result<cp::Expression> bind_filter(const cp::Expression& filter, const arrow::Schema& schema) {
  LAKE_RETURN_IF_ERROR(ensure_compute_initialized());
  for (const auto& ref : cp::FieldsInExpression(filter)) {
    auto found = ref.FindAll(schema);
    if (found.size() != 1)
      return fail(ErrorCode::schema_mismatch,
                  std::format("the filter names column '{}', which the table {}; the table has columns: {}",
                              column_name(ref), found.empty() ? "does not have" : "has more than once",
                              lake::detail::column_list(schema)));
  }
  auto bound = filter.Bind(schema);
  if (!bound.ok()) {
    auto term = innermost_unbindable(filter, schema).value_or(filter.ToString());
    return fail(ErrorCode::schema_mismatch, std::format("the filter term {} does not fit the table's column types: {}",
                                                        term, bound.status().message()));
  }
  if (bound->type()->id() != arrow::Type::BOOL && bound->type()->id() != arrow::Type::NA)
    return fail(ErrorCode::invalid_argument,
                std::format("the filter {} is {}, not a boolean expression", filter.ToString(),
                            bound->type()->ToString()));
  auto by_path = cp::RemoveNamedRefs(std::move(*bound));
  if (!by_path.ok()) return fail(lake::detail::from_arrow_status(by_path.status(), "binding the filter"));
  return std::move(*by_path);
}

std::vector<std::string> columns_read_by(const cp::Expression& bound_filter, const arrow::Schema& schema) {
  std::vector<int> indexes;
  for (const auto& ref : cp::FieldsInExpression(bound_filter))
    if (const arrow::FieldPath* path = ref.field_path(); path != nullptr && !path->indices().empty())
      indexes.push_back(path->indices().front());
  std::ranges::sort(indexes);
  auto [first, last] = std::ranges::unique(indexes);
  indexes.erase(first, last);
  std::vector<std::string> names;
  for (int i : indexes) names.push_back(schema.field(i)->name());
  return names;
}

Result<NarrowFilter> narrow_filter(const cp::Expression& filter, const arrow::Schema& schema,
                                   std::vector<std::string> read_anyway) {
  LAKE_ASSIGN_OR_RETURN(auto on_table, bind_filter(filter, schema));
  NarrowFilter narrow{.columns = std::move(read_anyway), .bound = {}};
  for (auto& column : columns_read_by(on_table, schema))
    if (!std::ranges::contains(narrow.columns, column)) narrow.columns.push_back(std::move(column));
  if (narrow.columns.empty()) {
    narrow.bound = std::move(on_table);
    return narrow;
  }
  arrow::FieldVector fields;
  for (const auto& column : narrow.columns) fields.push_back(schema.GetFieldByName(column));
  LAKE_ASSIGN_OR_RETURN(narrow.bound, bind_filter(filter, arrow::Schema(std::move(fields))));
  return narrow;
}

}  // namespace lake::formats

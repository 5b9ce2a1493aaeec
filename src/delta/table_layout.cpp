// The data-file view of a snapshot, and how add paths become backend keys.
#include "delta/table_layout.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <format>

#include "core/propagate.hpp"
#include "lake/arrow/convert.hpp"

namespace lake::delta {
namespace {

constexpr std::string_view kNumIndexedColsKey = "delta.dataSkippingNumIndexedCols";
constexpr int kDefaultStatsColumns = 32;

// RFC 3986 scheme: a letter, then letters, digits, '+', '-' or '.', then ':'.
// A relative path whose first segment holds a ':' must be written "./a:b",
// so a leading scheme-like run always means an absolute URI.
bool has_uri_scheme(std::string_view path) {
  if (path.empty() || !std::isalpha(static_cast<unsigned char>(path.front()))) return false;
  for (char c : path) {
    if (c == ':') return true;
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return false;
  }
  return false;
}

Result<int> stats_columns_of(const Metadata& metadata) {
  auto it = metadata.configuration.find(std::string(kNumIndexedColsKey));
  if (it == metadata.configuration.end()) return kDefaultStatsColumns;
  int n = 0;
  const std::string& text = it->second;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || end != text.data() + text.size() || n < -1)
    return fail(ErrorCode::invalid_argument,
                std::format("table property {} is '{}'; it must be an integer >= -1", kNumIndexedColsKey, text));
  return n;
}

}  // namespace

Result<std::string> TableLayout::key_of(const std::string& add_path) const {
  if (has_uri_scheme(add_path) || add_path.starts_with('/'))
    return fail(ErrorCode::unsupported,
                std::format("data file '{}' has an absolute path; lake-orm only reads files under the table root "
                            "(relative paths)",
                            add_path));
  auto path = decode_path(add_path);
  LAKE_RETURN_IF_ERROR(path);
  if (auto valid = check_key(*path); !valid)
    return fail(valid.error().with_context(std::format("data file '{}'", add_path)));
  return root.empty() ? *path : root + "/" + *path;
}

Result<TableLayout> layout_of(const std::string& root, const Snapshot& snapshot) {
  TableLayout layout;
  layout.root = root;
  while (layout.root.ends_with('/')) layout.root.pop_back();
  layout.columns = snapshot.columns();
  layout.partition_columns = snapshot.partition_columns();
  for (const auto& name : layout.partition_columns) {
    auto column = std::ranges::find(layout.columns, name, &Field::column);
    if (column == layout.columns.end())
      return fail(ErrorCode::invalid_argument,
                  std::format("partition column '{}' is not a column of the table", name));
    if (column->type.is_nested())
      return fail(ErrorCode::unsupported,
                  std::format("partition column '{}' has nested type {}", name, column->type.to_string()));
    // Writers disagree on how binary partition values are spelled (raw bytes
    // vs "\uXXXX" escapes), so no reading of them could be trusted.
    if (column->type.id == TypeId::binary)
      return fail(ErrorCode::unsupported, std::format("partition column '{}' is binary; lake-orm does not read or "
                                                      "write binary partition values",
                                                      name));
  }
  Schema columns;
  columns.fields = layout.columns;
  layout.arrow_schema = to_arrow_schema(columns, false);
  auto stats_columns = stats_columns_of(snapshot.metadata());
  LAKE_RETURN_IF_ERROR(stats_columns);
  layout.stats_columns = *stats_columns;
  return layout;
}

}  // namespace lake::delta

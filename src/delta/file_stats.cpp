#include "delta/file_stats.hpp"

#include <arrow/array.h>
#include <arrow/compute/api_aggregate.h>
#include <arrow/compute/exec.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <format>

#include <nlohmann/json.hpp>

#include "core/propagate.hpp"
#include "lake/arrow/convert.hpp"
#include "lake/types.hpp"

namespace lake::delta {
namespace {

using arrow::Type;

// The protocol's prefix length for string stats (what Spark and delta-rs use).
constexpr std::size_t kStringStatsPrefix = 32;

bool keeps_bounds(const arrow::DataType& type) {
  switch (type.id()) {
    case Type::BOOL: case Type::INT8: case Type::INT16: case Type::INT32: case Type::INT64: case Type::FLOAT:
    case Type::DOUBLE: case Type::DECIMAL128: case Type::DATE32: case Type::STRING:
      return true;
    case Type::TIMESTAMP: return static_cast<const arrow::TimestampType&>(type).unit() == arrow::TimeUnit::MICRO;
    default: return false;
  }
}

// The leaves (primitive fields, through structs) of `field`, at most
// `limit` in all (-1: no limit): their paths by name and by field index.
void collect_leaves(const arrow::Field& field, std::vector<std::string> path, std::vector<int> indices, int limit,
                    std::vector<std::vector<std::string>>& paths, std::vector<std::vector<int>>& index_paths,
                    std::vector<std::shared_ptr<arrow::DataType>>& types) {
  if (limit >= 0 && std::cmp_greater_equal(paths.size(), limit)) return;
  if (field.type()->id() == Type::STRUCT) {
    for (int i = 0; i < field.type()->num_fields(); ++i) {
      const auto& child = field.type()->field(i);
      auto child_path = path;
      child_path.push_back(child->name());
      auto child_indices = indices;
      child_indices.push_back(i);
      collect_leaves(*child, std::move(child_path), std::move(child_indices), limit, paths, index_paths, types);
    }
    return;
  }
  paths.push_back(std::move(path));
  index_paths.push_back(std::move(indices));
  types.push_back(field.type());
}

// The first `max_chars` characters (code points) of UTF-8 text.
std::string_view utf8_prefix(std::string_view text, std::size_t max_chars) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;  // continuation byte
    if (chars == max_chars) return text.substr(0, i);
    ++chars;
  }
  return text;
}

std::size_t utf8_length(std::string_view text) {
  return static_cast<std::size_t>(
      std::ranges::count_if(text, [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool has_nan(const arrow::Array& values) {
  auto scan = [&](const auto& typed) {
    for (std::int64_t i = 0; i < typed.length(); ++i)
      if (typed.IsValid(i) && std::isnan(typed.Value(i))) return true;
    return false;
  };
  if (values.type_id() == Type::FLOAT) return scan(static_cast<const arrow::FloatArray&>(values));
  if (values.type_id() == Type::DOUBLE) return scan(static_cast<const arrow::DoubleArray&>(values));
  return false;
}

Result<bool> less_than(const std::shared_ptr<arrow::Scalar>& a, const std::shared_ptr<arrow::Scalar>& b) {
  if (a->type->id() == Type::STRING)
    return static_cast<const arrow::StringScalar&>(*a).view() < static_cast<const arrow::StringScalar&>(*b).view();
  auto less = arrow::compute::CallFunction("less", {arrow::Datum(a), arrow::Datum(b)});
  if (!less.ok()) return fail(lake::detail::from_arrow_status(less.status(), "comparing column stats"));
  return less->scalar_as<arrow::BooleanScalar>().value;
}

// --- rendering -----------------------------------------------------------

std::string json_string(std::string_view text) {
  // Strict: a string that is not valid UTF-8 has no faithful JSON spelling.
  return nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
}

std::optional<std::string> json_floating(double value) {
  if (!std::isfinite(value)) return std::nullopt;
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, end);
}

// An instant's bound ends in Z; a timestamp_ntz bound has no zone, as
// Spark writes them.
std::string timestamp_millis_json(std::chrono::sys_time<std::chrono::milliseconds> t, bool instant) {
  auto day = std::chrono::floor<std::chrono::days>(t);
  std::chrono::hh_mm_ss<std::chrono::milliseconds> time{t - day};
  return std::format("\"{}T{:02}:{:02}:{:02}.{:03}{}\"", format_date(day), time.hours().count(),
                     time.minutes().count(), time.seconds().count(), time.subseconds().count(), instant ? "Z" : "");
}

enum class Bound { lower, upper };

// A bound's JSON text, or nullopt when the value has no valid spelling.
std::optional<std::string> bound_json(const arrow::Scalar& value, Bound bound) {
  switch (value.type->id()) {
    case Type::BOOL: return static_cast<const arrow::BooleanScalar&>(value).value ? "true" : "false";
    case Type::INT8: return std::to_string(static_cast<const arrow::Int8Scalar&>(value).value);
    case Type::INT16: return std::to_string(static_cast<const arrow::Int16Scalar&>(value).value);
    case Type::INT32: return std::to_string(static_cast<const arrow::Int32Scalar&>(value).value);
    case Type::INT64: return std::to_string(static_cast<const arrow::Int64Scalar&>(value).value);
    // A float widened to double prints the float's exact value, so a reader
    // parsing it as a double gets a bound that still holds.
    case Type::FLOAT: return json_floating(static_cast<const arrow::FloatScalar&>(value).value);
    case Type::DOUBLE: return json_floating(static_cast<const arrow::DoubleScalar&>(value).value);
    case Type::DECIMAL128: {
      const auto& d = static_cast<const arrow::Decimal128Scalar&>(value);
      int128 unscaled = (static_cast<int128>(d.value.high_bits()) << 64) | static_cast<int128>(d.value.low_bits());
      return lake::detail::format_decimal(unscaled, static_cast<const arrow::Decimal128Type&>(*d.type).scale());
    }
    case Type::DATE32:
      return "\"" + format_date(date{std::chrono::days(static_cast<const arrow::Date32Scalar&>(value).value)}) + "\"";
    case Type::TIMESTAMP: {
      std::chrono::sys_time<std::chrono::microseconds> t{
          std::chrono::microseconds(static_cast<const arrow::TimestampScalar&>(value).value)};
      const bool instant = !static_cast<const arrow::TimestampType&>(*value.type).timezone().empty();
      return timestamp_millis_json(bound == Bound::lower ? std::chrono::floor<std::chrono::milliseconds>(t)
                                                         : std::chrono::ceil<std::chrono::milliseconds>(t),
                                   instant);
    }
    case Type::STRING: {
      std::string_view text = static_cast<const arrow::StringScalar&>(value).view();
      if (bound == Bound::upper && utf8_length(text) > kStringStatsPrefix) return std::nullopt;
      try {
        return json_string(utf8_prefix(text, kStringStatsPrefix));
      } catch (const nlohmann::json::exception&) {
        return std::nullopt;
      }
    }
    default: return std::nullopt;
  }
}

// A JSON object tree whose leaves are already JSON text, members in the
// order they were first put (the schema's order).
struct JsonTree {
  std::vector<std::pair<std::string, JsonTree>> members;
  std::string text;

  void put(const std::vector<std::string>& path, std::string value, std::size_t depth = 0) {
    auto it = std::ranges::find(members, path[depth], &std::pair<std::string, JsonTree>::first);
    if (it == members.end()) {
      members.emplace_back(path[depth], JsonTree{});
      it = members.end() - 1;
    }
    if (depth + 1 == path.size()) it->second.text = std::move(value);
    else it->second.put(path, std::move(value), depth + 1);
  }
  void render(std::string& out) const {
    if (!text.empty()) {
      out += text;
      return;
    }
    out += '{';
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (i > 0) out += ',';
      out += json_string(members[i].first);
      out += ':';
      members[i].second.render(out);
    }
    out += '}';
  }
};

}  // namespace

FileStatsCollector::FileStatsCollector(const TableLayout& layout) {
  std::vector<std::vector<std::string>> paths;
  std::vector<std::vector<int>> index_paths;
  std::vector<std::shared_ptr<arrow::DataType>> types;
  for (int i = 0; i < layout.arrow_schema->num_fields(); ++i) {
    const auto& field = layout.arrow_schema->field(i);
    if (std::ranges::contains(layout.partition_columns, field->name())) continue;
    collect_leaves(*field, {field->name()}, {i}, layout.stats_columns, paths, index_paths, types);
  }
  // Clustering columns beyond the first stats_columns leaves: a clustered
  // table's files must have their stats.
  for (const auto& column : layout.clustering_columns) {
    const int i = layout.arrow_schema->GetFieldIndex(column);
    if (i < 0 || std::ranges::any_of(paths, [&](const auto& path) { return path.front() == column; })) continue;
    collect_leaves(*layout.arrow_schema->field(i), {column}, {i}, -1, paths, index_paths, types);
  }
  for (std::size_t i = 0; i < paths.size(); ++i) {
    Leaf leaf;
    leaf.path = std::move(paths[i]);
    leaf.stats_path = layout.physical_path(index_paths[i]);
    leaf.type = types[i];
    leaf.has_bounds = keeps_bounds(*leaf.type);
    leaves_.push_back(std::move(leaf));
  }
}

Status FileStatsCollector::add(const arrow::RecordBatch& rows) {
  for (auto& leaf : leaves_) {
    std::shared_ptr<arrow::Array> values = rows.GetColumnByName(leaf.path.front());
    if (!values)
      return fail(ErrorCode::schema_mismatch, std::format("stats: the rows lack column '{}'", leaf.path.front()));
    for (std::size_t depth = 1; depth < leaf.path.size(); ++depth) {
      const auto& parent = static_cast<const arrow::StructArray&>(*values);
      // Flattened: a field of a NULL struct is NULL, as readers see it.
      auto child = parent.GetFlattenedField(parent.struct_type()->GetFieldIndex(leaf.path[depth]));
      if (!child.ok()) return fail(lake::detail::from_arrow_status(child.status(), "stats"));
      values = std::move(*child);
    }
    if (!values->type()->Equals(*leaf.type))
      return fail(ErrorCode::schema_mismatch,
                  std::format("stats: column '{}' is {}, not the table's {}", leaf.path.front(),
                              values->type()->ToString(), leaf.type->ToString()));
    leaf.null_count += values->null_count();
    if (leaf.has_bounds && values->null_count() < values->length())
      LAKE_RETURN_IF_ERROR(add_bounds(leaf, *values));
  }
  records_ += rows.num_rows();
  return {};
}

Status FileStatsCollector::add_bounds(Leaf& leaf, const arrow::Array& values) {
  if (leaf.saw_nan) return {};
  if (has_nan(values)) {
    leaf.saw_nan = true;
    leaf.min = leaf.max = nullptr;
    return {};
  }
  auto min_max = arrow::compute::MinMax(values, arrow::compute::ScalarAggregateOptions(/*skip_nulls=*/true, 1));
  if (!min_max.ok()) return fail(lake::detail::from_arrow_status(min_max.status(), "computing column stats"));
  const auto& pair = min_max->scalar_as<arrow::StructScalar>();
  std::shared_ptr<arrow::Scalar> min = pair.value[0], max = pair.value[1];
  if (leaf.type->id() == Type::STRING) {
    // Own copies, cut short: a prefix orders like the whole string (so
    // merging cut values gives the cut of the merged value), and one
    // character past the limit is enough to know a max is too long.
    auto view = [](const std::shared_ptr<arrow::Scalar>& s) { return static_cast<arrow::StringScalar&>(*s).view(); };
    min = std::make_shared<arrow::StringScalar>(std::string(utf8_prefix(view(min), kStringStatsPrefix)));
    max = std::make_shared<arrow::StringScalar>(std::string(utf8_prefix(view(max), kStringStatsPrefix + 1)));
  }
  if (!leaf.min) {
    leaf.min = std::move(min);
    leaf.max = std::move(max);
    return {};
  }
  auto lower = less_than(min, leaf.min);
  LAKE_RETURN_IF_ERROR(lower);
  if (*lower) leaf.min = std::move(min);
  auto higher = less_than(leaf.max, max);
  LAKE_RETURN_IF_ERROR(higher);
  if (*higher) leaf.max = std::move(max);
  return {};
}

std::string FileStatsCollector::to_json() const {
  JsonTree min_values, max_values, null_counts;
  for (const auto& leaf : leaves_) {
    null_counts.put(leaf.stats_path, std::to_string(leaf.null_count));
    if (!leaf.min) continue;
    if (auto text = bound_json(*leaf.min, Bound::lower)) min_values.put(leaf.stats_path, std::move(*text));
    if (auto text = bound_json(*leaf.max, Bound::upper)) max_values.put(leaf.stats_path, std::move(*text));
  }
  std::string out = std::format("{{\"numRecords\":{},\"minValues\":", records_);
  min_values.render(out);
  out += ",\"maxValues\":";
  max_values.render(out);
  out += ",\"nullCount\":";
  null_counts.render(out);
  out += '}';
  return out;
}

}  // namespace lake::delta

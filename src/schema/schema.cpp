#include "lake/schema/schema.hpp"

#include <algorithm>
#include <format>

namespace lake {

std::string_view to_string(TypeId id) noexcept {
  switch (id) {
    case TypeId::boolean: return "boolean";
    case TypeId::int8: return "int8";
    case TypeId::int16: return "int16";
    case TypeId::int32: return "int32";
    case TypeId::int64: return "int64";
    case TypeId::float32: return "float32";
    case TypeId::float64: return "float64";
    case TypeId::string: return "string";
    case TypeId::binary: return "binary";
    case TypeId::timestamp: return "timestamp";
    case TypeId::timestamp_ntz: return "timestamp_ntz";
    case TypeId::date: return "date";
    case TypeId::decimal: return "decimal";
    case TypeId::list: return "list";
    case TypeId::structure: return "struct";
    case TypeId::map: return "map";
  }
  return "unknown";
}

std::string_view to_string(AutoFill fill) noexcept {
  switch (fill) {
    case AutoFill::none: return "none";
    case AutoFill::create_time: return "createTime";
    case AutoFill::update_time: return "updateTime";
    case AutoFill::ingest_id: return "ingestID";
  }
  return "unknown";
}

std::string_view to_string(PartitionKind kind) noexcept {
  switch (kind) {
    case PartitionKind::none: return "none";
    case PartitionKind::raw: return "raw";
    case PartitionKind::bucket: return "bucket";
    case PartitionKind::truncate: return "truncate";
  }
  return "unknown";
}

std::string DataType::to_string() const {
  auto child = [&](std::size_t i) {
    const Column& c = children.at(i);
    return c.type.to_string() + (c.nullable ? "?" : "");
  };
  switch (id) {
    case TypeId::decimal: return std::format("decimal({},{})", precision, scale);
    case TypeId::list: return "list<" + child(0) + ">";
    case TypeId::map: return "map<" + child(0) + "," + child(1) + ">";
    case TypeId::structure: {
      std::string out = "struct<";
      for (std::size_t i = 0; i < children.size(); ++i) {
        if (i) out += ',';
        out += children[i].name + ":" + child(i);
      }
      return out + ">";
    }
    default: return std::string(lake::to_string(id));
  }
}

bool operator==(const DataType& a, const DataType& b) {
  return a.id == b.id && a.precision == b.precision && a.scale == b.scale && a.children == b.children;
}

const Field* Schema::find_column(std::string_view column) const noexcept {
  for (const auto& field : fields)
    if (field.column == column) return &field;
  return nullptr;
}

std::optional<std::size_t> Schema::column_index(std::string_view column) const noexcept {
  for (std::size_t i = 0; i < fields.size(); ++i)
    if (fields[i].column == column) return i;
  return std::nullopt;
}

std::vector<std::string> Schema::column_names() const {
  std::vector<std::string> names;
  names.reserve(fields.size());
  for (const auto& field : fields) names.push_back(field.column);
  return names;
}

std::string Schema::describe() const {
  std::vector<std::string> column_cells, type_cells, mod_cells;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const Field& f = fields[i];
    column_cells.push_back(f.column);
    type_cells.push_back(f.type.to_string() + (f.nullable ? " NULL" : " NOT NULL"));
    std::vector<std::string> mods;
    if (f.primary_key) mods.push_back("pk");
    if (f.merge_key) mods.push_back("mergeKey");
    if (f.indexed) mods.push_back("indexed");
    if (f.sortable) mods.push_back("sortable");
    if (f.json) mods.push_back("json");
    if (f.required) mods.push_back("required");
    if (f.auto_fill != AutoFill::none) mods.push_back(std::format("auto={}", lake::to_string(f.auto_fill)));
    for (const auto& p : partitions) {
      if (p.field != i) continue;
      mods.push_back(p.kind == PartitionKind::raw ? std::string("partition=raw")
                                                  : std::format("partition={}:{}", lake::to_string(p.kind), p.param));
    }
    for (const auto& v : validators_of(f)) mods.push_back(v);
    if (f.member != f.column && !f.member.empty()) mods.push_back("member=" + f.member);
    if (!f.renamed_from.empty()) mods.push_back("renamedFrom=" + f.renamed_from);
    std::string joined;
    for (const auto& m : mods) joined += (joined.empty() ? "" : ", ") + m;
    mod_cells.push_back(joined);
  }
  column_cells.push_back(std::string(kIngestIdColumn));
  type_cells.push_back("string NOT NULL");
  mod_cells.push_back("system: UUIDv7 of the write");
  std::size_t cw = 6, tw = 4;
  for (auto& c : column_cells) cw = std::max(cw, c.size());
  for (auto& t : type_cells) tw = std::max(tw, t.size());
  std::string out = std::format("table {} (from {})\n", table_name, type_name);
  out += std::format("  {:<{}}  {:<{}}  {}\n", "column", cw, "type", tw, "modifiers");
  for (std::size_t i = 0; i < column_cells.size(); ++i)
    out += std::format("  {:<{}}  {:<{}}  {}\n", column_cells[i], cw, type_cells[i], tw, mod_cells[i]);
  return out;
}

std::vector<std::string> validators_of(const Field& field) {
  std::vector<std::string> out;
  for (const auto& v : field.validators)
    out.push_back("validate=" + v.name + (v.arg.empty() ? "" : "=" + v.arg));
  return out;
}

std::string derive_table_name(std::string_view type_name) {
  std::string snake;
  for (std::size_t i = 0; i < type_name.size(); ++i) {
    char c = type_name[i];
    bool upper = c >= 'A' && c <= 'Z';
    if (upper) {
      // A new word starts at an upper-case letter after a lower-case one or
      // digit, or before a lower-case one inside an acronym ("HTTPServer").
      bool after_lower = i > 0 && ((type_name[i - 1] >= 'a' && type_name[i - 1] <= 'z') ||
                                   (type_name[i - 1] >= '0' && type_name[i - 1] <= '9'));
      bool acronym_end = i > 0 && i + 1 < type_name.size() && type_name[i - 1] >= 'A' && type_name[i - 1] <= 'Z' &&
                         type_name[i + 1] >= 'a' && type_name[i + 1] <= 'z';
      if ((after_lower || acronym_end) && !snake.empty() && snake.back() != '_') snake += '_';
      snake += static_cast<char>(c - 'A' + 'a');
    } else {
      snake += c;
    }
  }
  auto ends_with = [&](std::string_view suffix) { return snake.ends_with(suffix); };
  if (ends_with("ss") || ends_with("us") || ends_with("x") || ends_with("z") || ends_with("ch") || ends_with("sh"))
    return snake + "es";
  if (ends_with("s")) return snake;  // already plural ("UserStats", "Modifiers")
  if (snake.size() > 1 && snake.back() == 'y') {
    char before = snake[snake.size() - 2];
    bool vowel = before == 'a' || before == 'e' || before == 'i' || before == 'o' || before == 'u';
    if (!vowel) return snake.substr(0, snake.size() - 1) + "ies";
  }
  return snake + "s";
}

}  // namespace lake

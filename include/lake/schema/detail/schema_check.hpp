// The compile-time schema check: everything about a record's declaration
// that can be decided without running it. schema_of<T>() static_asserts on
// the result, so a bad declaration fails the build with a message such as
//   lake: struct 'User', member 'country': partition bucket count must be at least 1
// Not public API.
#pragma once

#include <meta>
#include <string>
#include <string_view>
#include <vector>

#include "lake/schema/detail/column_traits.hpp"
#include "lake/schema/detail/member_spec.hpp"

namespace lake::detail {

consteval bool is_column_type(std::meta::info type) {
  return std::meta::extract<bool>(std::meta::substitute(^^is_column_type_v, {type}));
}

consteval Category category_of(std::meta::info type) {
  return std::meta::extract<Category>(std::meta::substitute(^^column_category_v, {type}));
}

consteval std::string display(std::meta::info type) { return std::string(std::meta::display_string_of(type)); }

// The type inside std::optional, or the type itself.
consteval std::meta::info value_type_of(std::meta::info type) {
  if (category_of(type) == Category::optional) return std::meta::template_arguments_of(type)[0];
  return type;
}

consteval bool is_numeric(Category c) {
  return c == Category::signed_integer || c == Category::unsigned_integer || c == Category::floating ||
         c == Category::decimal;
}
consteval bool is_integer(Category c) { return c == Category::signed_integer || c == Category::unsigned_integer; }

// Column names must survive every engine and both table formats without
// quoting tricks (Delta rejects " ,;{}()\n\t=" without column mapping).
consteval bool valid_identifier(std::string_view name) { return lake::is_valid_identifier(name); }

consteval std::string lowercase(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

class SchemaChecker {
 public:
  explicit consteval SchemaChecker(std::meta::info type) : type_(type) {}

  consteval std::string run() {
    if (!std::meta::is_aggregate_type(type_) || std::meta::is_union_type(type_))
      return prefix() + "is not a plain aggregate struct (no user-declared constructors, no virtual functions, not a union)";
    if (auto shape = check_shape(type_); !shape.empty()) return prefix() + shape;
    auto members = std::meta::nonstatic_data_members_of(type_, std::meta::access_context::unchecked());
    if (members.empty()) return prefix() + "has no data members, so it defines no columns";
    std::vector<std::string> columns;
    int column_count = 0;
    for (auto member : members) {
      MemberSpec spec = parse_member(member);
      std::string name = spec.member;
      std::string where = prefix() + "member '" + name + "': ";
      if (spec.has_error()) return where + spec.error;
      if (spec.ignored) continue;
      ++column_count;
      if (auto problem = check_member(member, spec, /*top_level=*/true); !problem.empty()) return where + problem;
      if (auto problem = check_nested_types(std::meta::type_of(member), name); !problem.empty()) return where + problem;
      for (auto& seen : columns)
        if (lowercase(seen) == lowercase(spec.column))
          return where + "column \"" + spec.column + "\" is declared twice (column names are case-insensitive)";
      columns.push_back(spec.column);
    }
    if (column_count == 0) return prefix() + "every member is ignored, so it defines no columns";
    return check_struct_annotations(members);
  }

 private:
  // Struct-level shape rules shared by the table and its nested structs.
  static consteval std::string check_shape(std::meta::info type) {
    if (!std::meta::bases_of(type, std::meta::access_context::unchecked()).empty())
      return "has a base class; its members would not become columns, so declare them in the struct itself";
    for (auto member : std::meta::nonstatic_data_members_of(type, std::meta::access_context::unchecked())) {
      if (!std::meta::has_identifier(member)) return "has an anonymous union or struct member, which cannot be a column";
      if (std::meta::is_bit_field(member))
        return "member '" + std::string(std::meta::identifier_of(member)) + "' is a bit-field, which cannot be a column";
    }
    return {};
  }

  consteval std::string prefix() const {
    return "lake: struct '" + std::string(std::meta::identifier_of(type_)) + "', ";
  }

  consteval std::string check_member(std::meta::info member, const MemberSpec& spec, bool top_level) {
    std::meta::info type = std::meta::type_of(member);
    if (std::meta::is_reference_type(type)) return "a reference cannot be a column";
    if (std::meta::is_const(type)) return "a const member cannot be read back into; drop the const";
    std::string column = spec.column;
    if (!valid_identifier(column))
      return "column name \"" + column + "\" is empty or contains a character engines reject (space , ; { } ( ) = or a control character)";
    if (lowercase(column) == kIngestIdColumn)
      return "\"_ingest_id\" is the system column lake-orm manages; use lake::auto_ingest_id on a string member to read it";
    if (!is_column_type(type))
      return "type '" + display(type) +
             "' is not a supported column type (bool, fixed-width integers, float, double, std::string, "
             "lake::bytes, lake::timestamp, lake::local_timestamp, lake::date, lake::decimal<P,S>, std::optional<T>, std::vector<T>, "
             "std::map<std::string,T>, or a nested struct of those)";

    Category category = category_of(type);
    Category value_category = category_of(value_type_of(type));
    bool nullable = spec.nullable || category == Category::optional;
    bool nested_type = value_category == Category::list || value_category == Category::map ||
                       value_category == Category::record;

    if (!top_level) {
      if (spec.primary_key || spec.merge_key || spec.indexed || spec.sortable || spec.required ||
          spec.auto_fill != AutoFill::none || spec.partition != PartitionKind::none || spec.validator_count ||
          spec.renamed_from[0] != '\0')
        return "inside a nested struct only column names, nullable, json and ignore apply";
      return {};
    }
    if (spec.primary_key && nullable) return "a primary key column cannot be nullable";
    if (spec.merge_key && nullable) return "a merge key column cannot be nullable (NULL never matches in MERGE)";
    if ((spec.primary_key || spec.merge_key) && (nested_type || spec.json))
      return "a key column must be a scalar, not a list, map, struct or json";
    if ((spec.indexed || spec.sortable) && (nested_type || spec.json))
      return "indexed/sortable need a scalar column, not a list, map, struct or json";
    if (spec.auto_fill == AutoFill::create_time || spec.auto_fill == AutoFill::update_time) {
      if (value_category != Category::timestamp ||
          std::meta::dealias(value_type_of(type)) == std::meta::dealias(^^lake::local_timestamp))
        return "auto=createTime/updateTime needs a lake::timestamp member (an instant; a local_timestamp names none)";
    }
    if (spec.auto_fill == AutoFill::ingest_id && value_category != Category::string)
      return "auto=ingestID needs a std::string member";
    if (spec.partition != PartitionKind::none) {
      if (auto problem = check_partition(spec.partition, value_category, spec.json); !problem.empty()) return problem;
    }
    for (auto validator : spec.validator_list()) {
      std::string_view name = validator.name;
      bool string_only = name == "email" || name == "url" || name == "uuid" || name == "regex";
      if (string_only && (value_category != Category::string || spec.json))
        return "validator '" + std::string(name) + "' applies to std::string members";
      if ((name == "min" || name == "max" || name == "len") && !(is_numeric(value_category) ||
          value_category == Category::string || value_category == Category::binary ||
          value_category == Category::list || value_category == Category::map))
        return "validator '" + std::string(name) + "' applies to numbers, strings, bytes, lists and maps";
      if (name == "oneof" && !(value_category == Category::string || is_integer(value_category)))
        return "validator 'oneof' applies to strings and integers";
    }
    return {};
  }

  // Nested structs (possibly inside optionals, lists and maps) must be valid
  // records themselves.
  consteval std::string check_nested_types(std::meta::info type, const std::string& path) {
    switch (category_of(type)) {
      case Category::optional:
      case Category::list:
      case Category::map: {
        auto args = std::meta::template_arguments_of(type);
        return check_nested_types(category_of(type) == Category::map ? args[1] : args[0], path);
      }
      case Category::record: {
        if (auto shape = check_shape(type); !shape.empty())
          return "nested struct '" + display(type) + "' (member '" + path + "') " + shape;
        auto members = std::meta::nonstatic_data_members_of(type, std::meta::access_context::unchecked());
        std::vector<std::string> seen;
        for (auto member : members) {
          MemberSpec spec = parse_member(member);
          std::string child = path + "." + spec.member;
          std::string where = "nested member '" + child + "': ";
          if (spec.has_error()) return where + spec.error;
          if (spec.ignored) continue;
          if (auto problem = check_member(member, spec, /*top_level=*/false); !problem.empty()) return where + problem;
          for (auto& s : seen)
            if (lowercase(s) == lowercase(spec.column)) return where + "column \"" + s + "\" is declared twice";
          seen.push_back(spec.column);
          if (auto problem = check_nested_types(std::meta::type_of(member), child); !problem.empty()) return problem;
        }
        if (seen.empty()) return "nested struct '" + display(type) + "' (member '" + path + "') has no columns";
        return {};
      }
      default: return {};
    }
  }

  static consteval std::string check_partition(PartitionKind kind, Category c, bool json) {
    if (json) return "a json column cannot be a partition column";
    switch (kind) {
      case PartitionKind::raw:
        if (c == Category::boolean || is_integer(c) || c == Category::string || c == Category::date ||
            c == Category::timestamp || c == Category::decimal)
          return {};
        return "partition=raw needs a bool, integer, string, date, timestamp or decimal column";
      case PartitionKind::bucket:
        if (is_integer(c) || c == Category::string || c == Category::date || c == Category::timestamp ||
            c == Category::decimal || c == Category::binary)
          return {};
        return "partition=bucket needs an integer, string, date, timestamp, decimal or bytes column";
      case PartitionKind::truncate:
        if (is_integer(c) || c == Category::string || c == Category::decimal || c == Category::binary) return {};
        return "partition=truncate needs an integer, string, decimal or bytes column";
      case PartitionKind::none: return {};
    }
    return {};
  }

  consteval std::string check_struct_annotations(const std::vector<std::meta::info>& members) {
    bool has_table = false;
    std::vector<std::string> partitioned;
    for (auto member : members) {
      MemberSpec spec = parse_member(member);
      if (!spec.ignored && spec.partition != PartitionKind::none) partitioned.push_back(spec.column);
    }
    for (auto annotation : std::meta::annotations_of_with_type(type_, ^^Modifier)) {
      auto modifier = std::meta::extract<Modifier>(annotation);
      std::string_view text = modifier.text;
      switch (modifier.kind) {
        case ModifierKind::table:
          if (has_table) return prefix() + "more than one lake::table(...) annotation";
          has_table = true;
          if (!valid_identifier(text)) return prefix() + "table name \"" + std::string(text) + "\" is not a valid identifier";
          break;
        case ModifierKind::partition_by_raw:
        case ModifierKind::partition_by_bucket:
        case ModifierKind::partition_by_truncate: {
          PartitionKind kind = modifier.kind == ModifierKind::partition_by_raw      ? PartitionKind::raw
                               : modifier.kind == ModifierKind::partition_by_bucket ? PartitionKind::bucket
                                                                                     : PartitionKind::truncate;
          std::string where = prefix() + "partition_by(\"" + std::string(text) + "\"): ";
          if (kind != PartitionKind::raw && modifier.param < 1)
            return where + (kind == PartitionKind::bucket ? "bucket count" : "truncate width") + " must be at least 1";
          bool found = false;
          for (auto member : members) {
            MemberSpec spec = parse_member(member);
            if (!spec.ignored && std::string_view(spec.column) == text) {
              found = true;
              for (auto& p : partitioned)
                if (p == text) return where + "the column is already partitioned";
              partitioned.push_back(std::string(text));
              if (auto problem = check_partition(kind, category_of(value_type_of(std::meta::type_of(member))), spec.json);
                  !problem.empty())
                return where + problem;
              break;
            }
          }
          if (!found) return where + "no column of that name (ignored members are not columns)";
          break;
        }
        case ModifierKind::tag:
          return prefix() + "lake::tag(...) annotates data members, not the struct";
        default:
          return prefix() + "only lake::table and lake::partition_by... annotate the struct itself";
      }
    }
    return {};
  }

  std::meta::info type_;
};

struct SchemaDiagnosis {
  bool ok;
  const char* text;
  [[nodiscard]] constexpr std::string_view message() const { return text; }
};

consteval SchemaDiagnosis diagnose(std::meta::info type) {
  std::string problem = SchemaChecker(type).run();
  return {problem.empty(), std::define_static_string(problem)};
}

template <class T>
inline constexpr SchemaDiagnosis kDiagnosis = diagnose(^^T);

}  // namespace lake::detail

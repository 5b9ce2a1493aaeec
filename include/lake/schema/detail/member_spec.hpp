// Compile-time parsing of one data member's lake annotations (both the
// individual modifiers and the Go tag grammar) into a MemberSpec.
//
// Parsing never fails the compilation itself: the first problem is kept in
// MemberSpec::error, and the schema check (schema_check.hpp) turns it into
// a static_assert that names the struct and the member. Not public API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <meta>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lake/schema/annotations.hpp"
#include "lake/schema/schema.hpp"

namespace lake::detail {

struct ValidatorSpec {
  const char* name;
  const char* arg;  // "" when none
};

struct MemberSpec {
  const char* member = kNoText;  // set by parse_member
  const char* column = kNoText;  // set by parse_member
  bool ignored = false;
  bool primary_key = false;
  bool merge_key = false;
  bool indexed = false;
  bool sortable = false;
  bool nullable = false;  // annotated; std::optional adds to this in the schema
  bool json = false;
  bool required = false;
  AutoFill auto_fill = AutoFill::none;
  PartitionKind partition = PartitionKind::none;
  std::int64_t partition_param = 0;
  const ValidatorSpec* validators = nullptr;
  std::size_t validator_count = 0;
  const char* renamed_from = kNoText;  // the previous column name, or empty
  const char* error = kNoText;  // the first problem found, or empty

  [[nodiscard]] constexpr bool has_error() const { return error[0] != '\0'; }

  [[nodiscard]] constexpr std::span<const ValidatorSpec> validator_list() const {
    return {validators, validator_count};
  }
};

inline constexpr std::string_view kBuiltinValidators[] = {"required", "email", "url", "uuid", "min",
                                                          "max",      "len",   "oneof", "regex"};

consteval bool is_builtin_validator(std::string_view name) {
  for (auto builtin : kBuiltinValidators)
    if (builtin == name) return true;
  return false;
}

consteval std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

consteval bool parse_int(std::string_view text, std::int64_t& out) {
  if (text.empty() || text.size() > 18) return false;
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  out = value;
  return true;
}

// A decimal number such as "3", "-2", "0.5".
consteval bool is_number(std::string_view text) {
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) text.remove_prefix(1);
  bool digits = false, dot = false;
  for (char c : text) {
    if (c >= '0' && c <= '9') digits = true;
    else if (c == '.' && !dot) dot = true;
    else return false;
  }
  return digits;
}

// Accumulates modifiers for one member and remembers the first error.
class MemberSpecBuilder {
 public:
  explicit consteval MemberSpecBuilder(std::string_view member) : member_(member), column_(member) {}

  consteval void fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
  }

  consteval void apply(ModifierKind kind, std::int64_t param, std::string_view text) {
    switch (kind) {
      case ModifierKind::column:
        set_once(column_set_, "column name");
        column_ = text;
        break;
      case ModifierKind::primary_key: set_flag(spec_.primary_key, "pk"); break;
      case ModifierKind::merge_key: set_flag(spec_.merge_key, "mergeKey"); break;
      case ModifierKind::indexed: set_flag(spec_.indexed, "indexed"); break;
      case ModifierKind::sortable: set_flag(spec_.sortable, "sortable"); break;
      case ModifierKind::nullable: set_flag(spec_.nullable, "nullable"); break;
      case ModifierKind::json: set_flag(spec_.json, "json"); break;
      case ModifierKind::ignore: set_flag(spec_.ignored, "ignore"); break;
      case ModifierKind::required: set_flag(spec_.required, "required"); break;
      case ModifierKind::auto_create_time: set_auto(AutoFill::create_time); break;
      case ModifierKind::auto_update_time: set_auto(AutoFill::update_time); break;
      case ModifierKind::auto_ingest_id: set_auto(AutoFill::ingest_id); break;
      case ModifierKind::partition_raw: set_partition(PartitionKind::raw, 0); break;
      case ModifierKind::partition_bucket: set_partition(PartitionKind::bucket, param); break;
      case ModifierKind::partition_truncate: set_partition(PartitionKind::truncate, param); break;
      case ModifierKind::validate: add_validator(text); break;
      case ModifierKind::tag: apply_tag(text); break;
      case ModifierKind::renamed_from:
        set_once(renamed_set_, "previous name (renamed_from)");
        if (text.empty()) fail("renamed_from needs the column's previous name");
        renamed_from_ = text;
        break;
      case ModifierKind::table:
      case ModifierKind::partition_by_raw:
      case ModifierKind::partition_by_bucket:
      case ModifierKind::partition_by_truncate:
        fail("lake::table / lake::partition_by... annotate the struct, not a data member");
        break;
    }
  }

  consteval MemberSpec finish() {
    spec_.member = std::define_static_string(member_);
    spec_.column = std::define_static_string(column_);
    spec_.renamed_from = std::define_static_string(renamed_from_);
    if (!renamed_from_.empty() && renamed_from_ == column_) fail("renamed_from names the column's own name");
    if (spec_.ignored && modifier_count_ > 1)
      fail("an ignored member takes no other modifiers");
    std::vector<ValidatorSpec> list;
    for (auto& [name, arg] : validators_)
      list.push_back({std::define_static_string(name), std::define_static_string(arg)});
    auto stored = std::define_static_array(list);
    spec_.validators = stored.data();
    spec_.validator_count = stored.size();
    if (!error_.empty()) spec_.error = std::define_static_string(error_);
    return spec_;
  }

 private:
  consteval void set_once(bool& seen, std::string_view what) {
    if (seen) fail("the " + std::string(what) + " is given twice");
    seen = true;
    ++modifier_count_;
  }
  consteval void set_flag(bool& flag, std::string_view name) {
    if (flag) fail("modifier '" + std::string(name) + "' is given twice");
    flag = true;
    ++modifier_count_;
  }
  consteval void set_auto(AutoFill fill) {
    if (spec_.auto_fill != AutoFill::none) fail("more than one auto= modifier");
    spec_.auto_fill = fill;
    ++modifier_count_;
  }
  consteval void set_partition(PartitionKind kind, std::int64_t param) {
    if (spec_.partition != PartitionKind::none) fail("more than one partition modifier");
    if (kind != PartitionKind::raw && param < 1)
      fail(std::string(kind == PartitionKind::bucket ? "partition bucket count" : "partition truncate width") +
           " must be at least 1");
    spec_.partition = kind;
    spec_.partition_param = param;
    ++modifier_count_;
  }
  consteval void add_validator(std::string_view text) {
    ++modifier_count_;
    text = trim(text);
    auto eq = text.find('=');
    std::string_view name = trim(text.substr(0, eq));
    std::string_view arg = eq == std::string_view::npos ? std::string_view{} : trim(text.substr(eq + 1));
    if (name.empty()) return fail("empty validator name in validate=\"" + std::string(text) + "\"");
    if (name == "required") {
      if (!spec_.required) spec_.required = true;
      return;
    }
    bool needs_number = name == "min" || name == "max" || name == "len";
    bool needs_arg = needs_number || name == "oneof" || name == "regex";
    bool takes_no_arg = name == "email" || name == "url" || name == "uuid";
    if (needs_number && !is_number(arg))
      return fail("validator '" + std::string(name) + "' needs a number, as in " + std::string(name) + "=3");
    if (needs_arg && arg.empty())
      return fail("validator '" + std::string(name) + "' needs an argument, as in " + std::string(name) + "=...");
    if (takes_no_arg && !arg.empty())
      return fail("validator '" + std::string(name) + "' takes no argument");
    for (auto& [existing, unused] : validators_)
      if (existing == name) return fail("validator '" + std::string(name) + "' is given twice");
    validators_.push_back({std::string(name), std::string(arg)});
  }

  // The Go grammar: "column,modifier,modifier=value,...".
  consteval void apply_tag(std::string_view tag) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (true) {
      auto comma = tag.find(',', start);
      parts.push_back(trim(tag.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start)));
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    if (parts[0] == "-") {
      apply(ModifierKind::ignore, 0, {});
    } else if (!parts[0].empty()) {
      apply(ModifierKind::column, 0, parts[0]);
    }
    for (std::size_t i = 1; i < parts.size(); ++i) apply_tag_modifier(parts[i], tag);
  }

  consteval void apply_tag_modifier(std::string_view part, std::string_view tag) {
    struct Simple {
      std::string_view name;
      ModifierKind kind;
    };
    constexpr Simple simple[] = {
        {"pk", ModifierKind::primary_key}, {"mergeKey", ModifierKind::merge_key},
        {"indexed", ModifierKind::indexed}, {"sortable", ModifierKind::sortable},
        {"nullable", ModifierKind::nullable}, {"json", ModifierKind::json},
        {"ignore", ModifierKind::ignore},   {"required", ModifierKind::required},
        {"auto=createTime", ModifierKind::auto_create_time},
        {"auto=updateTime", ModifierKind::auto_update_time},
        {"auto=ingestID", ModifierKind::auto_ingest_id},
        {"partition=raw", ModifierKind::partition_raw},
    };
    for (auto& s : simple)
      if (part == s.name) return apply(s.kind, 0, {});
    if (part.starts_with("validate=")) return apply(ModifierKind::validate, 0, part.substr(9));
    if (part.starts_with("renamedFrom=")) return apply(ModifierKind::renamed_from, 0, part.substr(12));
    for (auto [prefix, kind] : {std::pair{std::string_view("partition=bucket:"), ModifierKind::partition_bucket},
                                std::pair{std::string_view("partition=truncate:"), ModifierKind::partition_truncate}}) {
      if (part.starts_with(prefix)) {
        std::int64_t n = 0;
        if (!parse_int(part.substr(prefix.size()), n))
          return fail("'" + std::string(part) + "' in tag \"" + std::string(tag) + "\" needs a whole number after ':'");
        return apply(kind, n, {});
      }
    }
    fail("unknown modifier '" + std::string(part) + "' in tag \"" + std::string(tag) +
         "\" (known: pk, mergeKey, indexed, sortable, nullable, json, ignore, required, "
         "auto=createTime|updateTime|ingestID, partition=raw|bucket:N|truncate:N, validate=NAME[=ARG], "
         "renamedFrom=OLD)");
  }

  std::string member_;
  std::string column_;
  bool column_set_ = false;
  bool renamed_set_ = false;
  std::string renamed_from_;
  int modifier_count_ = 0;
  MemberSpec spec_;
  std::vector<std::pair<std::string, std::string>> validators_;
  std::string error_;
};

consteval MemberSpec parse_member(std::meta::info member) {
  MemberSpecBuilder builder(std::meta::has_identifier(member) ? std::meta::identifier_of(member) : "");
  auto annotations = std::meta::annotations_of_with_type(member, ^^Modifier);
  // The spelling rules come first: a mixed or doubled spelling would
  // otherwise surface as a confusing "given twice".
  int tags = 0, modifiers = 0;
  for (auto annotation : annotations)
    (std::meta::extract<Modifier>(annotation).kind == ModifierKind::tag ? tags : modifiers) += 1;
  if (tags > 1) builder.fail("more than one lake::tag(...) annotation");
  if (tags && modifiers)
    builder.fail("both lake::tag(...) and individual lake:: annotations; use one spelling per member");
  for (auto annotation : annotations) {
    auto modifier = std::meta::extract<Modifier>(annotation);
    builder.apply(modifier.kind, modifier.param, modifier.text);
  }
  return builder.finish();
}

}  // namespace lake::detail

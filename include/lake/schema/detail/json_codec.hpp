// JSON encoding of any column type, driven by column_traits. Used for
// members annotated lake::json (stored as a JSON string column) and to
// render offending values in validation errors. Not public API.
//
// Encoding: records are objects keyed by column name, std::optional is
// null when empty, timestamps and dates are RFC 3339 strings, decimals are
// strings (no precision lost to doubles), bytes are base64.
#pragma once

#include <format>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "lake/error.hpp"
#include "lake/schema/detail/column_traits.hpp"
#include "lake/types.hpp"

namespace lake::detail {

[[nodiscard]] std::string base64_encode(const lake::bytes& data);
[[nodiscard]] bool base64_decode(std::string_view text, lake::bytes& out);

// JSON text without throwing: invalid UTF-8 in a string becomes U+FFFD
// rather than an exception.
inline std::string dump_json(const nlohmann::json& json) {
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

template <class C>
nlohmann::json to_json(const C& value) {
  constexpr Category category = column_traits<C>::category;
  if constexpr (category == Category::boolean || category == Category::signed_integer ||
                category == Category::unsigned_integer || category == Category::floating ||
                category == Category::string) {
    return value;
  } else if constexpr (category == Category::binary) {
    return base64_encode(value);
  } else if constexpr (std::same_as<C, lake::local_timestamp>) {
    return format_local_timestamp(value);
  } else if constexpr (category == Category::timestamp) {
    return format_timestamp(value);
  } else if constexpr (category == Category::date) {
    return format_date(value);
  } else if constexpr (category == Category::decimal) {
    return value.to_string();
  } else if constexpr (category == Category::optional) {
    return value ? to_json(*value) : nlohmann::json(nullptr);
  } else if constexpr (category == Category::list) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& element : value) out.push_back(to_json(element));
    return out;
  } else if constexpr (category == Category::map) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [key, element] : value) out[key] = to_json(element);
    return out;
  } else {
    nlohmann::json out = nlohmann::json::object();
    template for (constexpr std::size_t i : kColumnIndexes<C>) {
      constexpr std::meta::info member = kColumnMembers<C>[i];
      out[kColumnSpecs<C>[i].column] = to_json(value.[:member:]);
    }
    return out;
  }
}

inline Status json_type_error(std::string_view path, std::string_view expected, const nlohmann::json& got) {
  return fail(ErrorCode::schema_mismatch,
              std::format("JSON at '{}': expected {}, found {}", path, expected, got.type_name()));
}

template <class C>
Status from_json(const nlohmann::json& json, C& out, const std::string& path) {
  constexpr Category category = column_traits<C>::category;
  if constexpr (category == Category::boolean) {
    if (!json.is_boolean()) return json_type_error(path, "a boolean", json);
    out = json.get<bool>();
  } else if constexpr (category == Category::signed_integer || category == Category::unsigned_integer) {
    if (!json.is_number_integer()) return json_type_error(path, "an integer", json);
    bool fits = json.is_number_unsigned() ? std::in_range<C>(json.get<std::uint64_t>())
                                          : std::in_range<C>(json.get<std::int64_t>());
    if (!fits) return fail(ErrorCode::schema_mismatch, std::format("JSON at '{}': {} is out of range", path, dump_json(json)));
    out = json.is_number_unsigned() ? static_cast<C>(json.get<std::uint64_t>()) : static_cast<C>(json.get<std::int64_t>());
  } else if constexpr (category == Category::floating) {
    if (!json.is_number()) return json_type_error(path, "a number", json);
    out = json.get<C>();
  } else if constexpr (category == Category::string) {
    if (!json.is_string()) return json_type_error(path, "a string", json);
    out = json.get<std::string>();
  } else if constexpr (category == Category::binary) {
    if (!json.is_string() || !base64_decode(json.get_ref<const std::string&>(), out))
      return json_type_error(path, "a base64 string", json);
  } else if constexpr (category == Category::timestamp || category == Category::date ||
                       category == Category::decimal) {
    if (!json.is_string()) return json_type_error(path, "a string", json);
    const auto& text = json.get_ref<const std::string&>();
    auto parsed = [&] {
      if constexpr (std::same_as<C, lake::local_timestamp>) return parse_local_timestamp(text);
      else if constexpr (category == Category::timestamp) return parse_timestamp(text);
      else if constexpr (category == Category::date) return parse_date(text);
      else return C::parse(text);
    }();
    if (!parsed) return fail(parsed.error().with_context(std::format("JSON at '{}'", path)));
    out = *parsed;
  } else if constexpr (category == Category::optional) {
    if (json.is_null()) {
      out.reset();
      return {};
    }
    typename column_traits<C>::value_type inner{};
    if (auto status = from_json(json, inner, path); !status) return status;
    out = std::move(inner);
  } else if constexpr (category == Category::list) {
    if (!json.is_array()) return json_type_error(path, "an array", json);
    out.clear();
    out.resize(json.size());
    for (std::size_t i = 0; i < json.size(); ++i)
      if (auto status = from_json(json[i], out[i], std::format("{}[{}]", path, i)); !status) return status;
  } else if constexpr (category == Category::map) {
    if (!json.is_object()) return json_type_error(path, "an object", json);
    out.clear();
    for (const auto& [key, element] : json.items()) {
      typename column_traits<C>::value_type value{};
      if (auto status = from_json(element, value, path + "." + key); !status) return status;
      out.emplace(key, std::move(value));
    }
  } else {
    if (!json.is_object()) return json_type_error(path, "an object", json);
    template for (constexpr std::size_t i : kColumnIndexes<C>) {
      constexpr std::meta::info member = kColumnMembers<C>[i];
      constexpr const char* column = kColumnSpecs<C>[i].column;
      auto it = json.find(column);
      if (it == json.end()) {
        using M = typename[:std::meta::type_of(member):];
        if constexpr (nullable_type_v<M>) {
          out.[:member:].reset();
        } else {
          return fail(ErrorCode::schema_mismatch, std::format("JSON at '{}': missing key \"{}\"", path, column));
        }
      } else if (auto status = from_json(*it, out.[:member:], path + "." + column); !status) {
        return status;
      }
    }
  }
  return {};
}

// The JSON text of a value (what a json member stores).
template <class C>
std::string to_json_text(const C& value) {
  return dump_json(to_json(value));
}

template <class C>
Status from_json_text(std::string_view text, C& out, const std::string& path) {
  auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded())
    return fail(ErrorCode::schema_mismatch, std::format("'{}' does not hold valid JSON", path));
  return from_json(json, out, path);
}

// A short rendering of a value for error messages: strings as they are,
// everything else as JSON, cut at 200 characters.
template <class C>
std::string display_value(const C& value) {
  std::string text;
  if constexpr (std::same_as<C, std::string>) text = value;
  else text = dump_json(to_json(value));
  if (text.size() > 200) text = text.substr(0, 197) + "...";
  return text;
}

}  // namespace lake::detail

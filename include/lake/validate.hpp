// Validation at the application boundary, before any I/O.
//
//   if (auto ok = lake::validate(std::span(users)); !ok) {
//     for (auto& e : ok.error().detail<lake::ValidationError>()->errors) ...
//   }
//
// validate() checks every validator of every member of every record and
// reports all failures (record index, member, column, validator, message,
// offending value), never just the first.
//
// Built-in validators (go-playground/validator semantics, as the Go
// library uses them):
//   required    optional: has a value; string/bytes/list/map: not empty;
//               numbers, bools, times: not the zero value
//   email url uuid          string format checks
//   regex=PATTERN           ECMAScript regex must match the whole string
//   min=N max=N len=N       numbers: the value; strings, bytes, lists,
//                           maps: the length
//   oneof=a b c             strings and integers: one of the listed values
// An empty std::optional skips every validator but required.
//
// Custom validators are registered by name with a callable taking the
// member's value (and optionally the validator argument) and returning an
// error message, or std::nullopt / true when the value is fine:
//   lake::register_validator("even", [](std::int64_t v) -> std::optional<std::string> {
//     if (v % 2) return "must be even";
//     return std::nullopt;
//   });
// A callable taking std::int64_t accepts any integer member, one taking
// double any number, one taking std::string_view any string member.
#pragma once

#include <concepts>
#include <format>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "lake/error.hpp"
#include "lake/schema/detail/json_codec.hpp"
#include "lake/schema/reflect.hpp"

namespace lake {

struct FieldError {
  std::size_t record = 0;  // index of the record in the validated range
  std::string field;       // the C++ member
  std::string column;
  std::string validator;   // "required", "email", "min", or a custom name
  std::string message;     // e.g. "must be a valid email address"
  std::string value;       // the offending value, rendered (cut at 200 chars)
};

// The detail of an ErrorCode::validation error.
class ValidationError final : public ErrorDetail {
 public:
  std::vector<FieldError> errors;

  // The first failure of a member (by C++ member or column name), or nullptr.
  [[nodiscard]] const FieldError* field(std::string_view name) const noexcept;
  [[nodiscard]] std::string describe() const override;
};

// Not API: the reference leaves it out (Doxygen also takes the
// specialisations of callable_signature for a recursive class).
/// \cond internal
namespace detail {

// Type-erased custom validator; `type` is the value type it was written for.
struct CustomValidator {
  const std::type_info* type;
  std::string type_name;
  std::function<std::optional<std::string>(const void* value, std::string_view arg)> check;
};

[[nodiscard]] Status register_custom_validator(std::string name, CustomValidator validator);
[[nodiscard]] const CustomValidator* find_custom_validator(std::string_view name);

// Built-in checks, out of line (they don't depend on the member type).
[[nodiscard]] bool is_email(std::string_view text) noexcept;
[[nodiscard]] bool is_url(std::string_view text) noexcept;
[[nodiscard]] bool is_uuid(std::string_view text) noexcept;
// Whole-string regex match with a per-pattern cache; an invalid pattern is
// an ErrorCode::invalid_tag error.
[[nodiscard]] Result<bool> regex_matches(std::string_view pattern, std::string_view text);
[[nodiscard]] bool oneof_contains(std::string_view options, std::string_view value) noexcept;
[[nodiscard]] double parse_bound(std::string_view number) noexcept;

template <class F>
struct callable_signature : callable_signature<decltype(&F::operator())> {};
template <class R, class C, class A>
struct callable_signature<R (C::*)(A) const> {
  using result = R;
  using value = std::remove_cvref_t<A>;
  static constexpr bool takes_arg = false;
};
template <class R, class C, class A, class B>
struct callable_signature<R (C::*)(A, B) const> {
  using result = R;
  using value = std::remove_cvref_t<A>;
  static constexpr bool takes_arg = true;
};
template <class R, class A>
struct callable_signature<R (*)(A)> : callable_signature<R (std::function<R(A)>::*)(A) const> {};
template <class R, class A, class B>
struct callable_signature<R (*)(A, B)> : callable_signature<R (std::function<R(A, B)>::*)(A, B) const> {};

template <class M>
constexpr bool is_zero_value(const M& value) {
  constexpr Category category = column_traits<M>::category;
  if constexpr (category == Category::boolean) return !value;
  else if constexpr (category == Category::signed_integer || category == Category::unsigned_integer ||
                     category == Category::floating) return value == M{};
  else if constexpr (category == Category::string || category == Category::binary || category == Category::list ||
                     category == Category::map) return value.empty();
  else if constexpr (category == Category::timestamp || category == Category::date)
    return value.time_since_epoch().count() == 0;
  else if constexpr (category == Category::decimal) return value.unscaled() == 0;
  else return false;  // a nested struct is always present
}

// The number min/max/len compare against: the value, or the length.
template <class M>
long double measure(const M& value) {
  constexpr Category category = column_traits<M>::category;
  if constexpr (category == Category::decimal) return static_cast<long double>(value.to_double());
  else if constexpr (category == Category::signed_integer || category == Category::unsigned_integer ||
                     category == Category::floating) return static_cast<long double>(value);
  else return static_cast<long double>(value.size());
}

template <class M>
constexpr bool measures_length = column_traits<M>::category == Category::string ||
                                 column_traits<M>::category == Category::binary ||
                                 column_traits<M>::category == Category::list ||
                                 column_traits<M>::category == Category::map;

// Calls a custom validator with the member's value, converting to the
// validator's declared type where that is lossless in spirit (integers to
// int64, numbers to double, strings to string_view).
template <class M>
Result<std::optional<std::string>> call_custom(const CustomValidator& v, const M& value, std::string_view arg,
                                               std::string_view where) {
  if (*v.type == typeid(M)) return v.check(&value, arg);
  if constexpr (std::integral<M> && !std::same_as<M, bool>) {
    if (*v.type == typeid(std::int64_t) && std::in_range<std::int64_t>(value)) {
      auto converted = static_cast<std::int64_t>(value);
      return v.check(&converted, arg);
    }
  }
  if constexpr (std::is_arithmetic_v<M> && !std::same_as<M, bool>) {
    if (*v.type == typeid(double)) {
      auto converted = static_cast<double>(value);
      return v.check(&converted, arg);
    }
  }
  if constexpr (std::same_as<M, std::string>) {
    if (*v.type == typeid(std::string_view)) {
      std::string_view converted = value;
      return v.check(&converted, arg);
    }
  }
  return fail(ErrorCode::invalid_tag, std::format("{}: custom validator takes {}, which a member of type {} cannot "
                                                  "be passed as",
                                                  where, v.type_name, kCppTypeName<M>));
}

template <class M>
struct ValidationSink {
  std::vector<FieldError>& errors;
  std::size_t record;
  const char* member;
  const char* column;
  void add(std::string_view validator, std::string message, const M& value) {
    errors.push_back({record, member, column, std::string(validator), std::move(message), display_value(value)});
  }
};

// Runs one validator on a present value. Returns an error only for a
// broken declaration (unknown custom validator, bad regex); failed checks
// go to the sink.
template <class M>
Status run_validator(const ValidatorSpec& v, const M& value, ValidationSink<M>& sink, std::string_view where) {
  std::string_view name = v.name, arg = v.arg;
  constexpr Category category = column_traits<M>::category;
  if constexpr (category == Category::string) {
    if (name == "email") {
      if (!is_email(value)) sink.add(name, "must be a valid email address", value);
      return {};
    }
    if (name == "url") {
      if (!is_url(value)) sink.add(name, "must be a valid URL", value);
      return {};
    }
    if (name == "uuid") {
      if (!is_uuid(value)) sink.add(name, "must be a UUID", value);
      return {};
    }
    if (name == "regex") {
      auto matched = regex_matches(arg, value);
      if (!matched) return fail(matched.error().with_context(where));
      if (!*matched) sink.add(name, std::format("must match /{}/", arg), value);
      return {};
    }
  }
  if constexpr (category == Category::string || category == Category::signed_integer ||
                category == Category::unsigned_integer) {
    if (name == "oneof") {
      bool found;
      if constexpr (category == Category::string) found = oneof_contains(arg, value);
      else found = oneof_contains(arg, std::to_string(value));
      if (!found) sink.add(name, std::format("must be one of: {}", arg), value);
      return {};
    }
  }
  if constexpr (category != Category::boolean && category != Category::timestamp && category != Category::date &&
                category != Category::record) {
    if (name == "min" || name == "max" || name == "len") {
      long double bound = parse_bound(arg), actual = measure(value);
      bool ok = name == "min" ? actual >= bound : name == "max" ? actual <= bound : actual == bound;
      if (!ok) {
        std::string_view what = measures_length<M> ? "length must be" : "must be";
        std::string_view relation = name == "min" ? "at least" : name == "max" ? "at most" : "exactly";
        sink.add(name, std::format("{} {} {}", what, relation, arg), value);
      }
      return {};
    }
  }
  const CustomValidator* custom = find_custom_validator(name);
  if (!custom)
    return fail(ErrorCode::invalid_tag,
                std::format("{}: validator '{}' is neither built in for this type nor registered with "
                            "lake::register_validator",
                            where, name));
  auto outcome = call_custom(*custom, value, arg, where);
  if (!outcome) return fail(outcome.error());
  if (*outcome) sink.add(name, std::move(**outcome), value);
  return {};
}

}  // namespace detail
/// \endcond

// Registers a custom validator. Built-in names cannot be replaced; a name
// registered twice is an ErrorCode::invalid_argument error. Thread-safe.
template <class F>
Status register_validator(std::string name, F fn) {
  using Signature = detail::callable_signature<std::decay_t<F>>;
  using Value = typename Signature::value;
  using R = typename Signature::result;
  static_assert(std::same_as<R, bool> || std::same_as<R, std::optional<std::string>>,
                "lake: a validator returns bool (true = valid) or std::optional<std::string> (an error message)");
  detail::CustomValidator validator{
      &typeid(Value), detail::kCppTypeName<Value>,
      [fn = std::move(fn), name](const void* value, std::string_view arg) -> std::optional<std::string> {
        const Value& v = *static_cast<const Value*>(value);
        R result = [&] {
          if constexpr (Signature::takes_arg) return fn(v, arg);
          else return fn(v);
        }();
        if constexpr (std::same_as<R, bool>) {
          if (result) return std::nullopt;
          return "failed validator '" + name + "'";
        } else {
          return result;
        }
      }};
  return detail::register_custom_validator(std::move(name), std::move(validator));
}

// Validates every record; on failure returns ErrorCode::validation with a
// ValidationError detail listing every failing field of every record. A
// declaration problem found at run time (an unregistered validator, an
// invalid regex) is ErrorCode::invalid_tag.
template <class T>
  requires Record<T>
Status validate(std::span<const T> records) {
  std::vector<FieldError> errors;
  Status broken;
  template for (constexpr std::size_t i : detail::kColumnIndexes<T>) {
    constexpr std::meta::info member = detail::kColumnMembers<T>[i];
    constexpr const detail::MemberSpec& spec = detail::kColumnSpecs<T>[i];
    using M = detail::column_member_t<T, i>;
    if constexpr (spec.required || spec.validator_count > 0) {
      std::string where = std::format("{}::{}", detail::kTypeName<T>, spec.member);
      for (std::size_t r = 0; broken && r < records.size(); ++r) {
        const M& value = records[r].[:member:];
        detail::ValidationSink<M> sink{errors, r, spec.member, spec.column};
        if constexpr (detail::nullable_type_v<M>) {
          // As in Go, required on an optional asks only for presence.
          if (!value) {
            if (spec.required) sink.add("required", "is required", value);
            continue;
          }
          using V = typename detail::column_traits<M>::value_type;
          detail::ValidationSink<V> inner{errors, r, spec.member, spec.column};
          for (const auto& v : spec.validator_list())
            if (broken) broken = detail::run_validator<V>(v, *value, inner, where);
        } else {
          if (spec.required && detail::is_zero_value(value)) sink.add("required", "is required", value);
          for (const auto& v : spec.validator_list())
            if (broken) broken = detail::run_validator<M>(v, value, sink, where);
        }
      }
    }
  }
  if (!broken) return broken;
  if (errors.empty()) return {};
  auto detail_ptr = std::make_shared<ValidationError>();
  detail_ptr->errors = std::move(errors);
  std::ranges::stable_sort(detail_ptr->errors, {}, &FieldError::record);
  std::size_t failing_records = 0;
  for (std::size_t i = 0; i < detail_ptr->errors.size(); ++i)
    if (i == 0 || detail_ptr->errors[i].record != detail_ptr->errors[i - 1].record) ++failing_records;
  const FieldError& first = detail_ptr->errors.front();
  std::string message = std::format("{} invalid field(s) in {} record(s) of {}; first: record {}, {} {}",
                                    detail_ptr->errors.size(), failing_records, detail::kTypeName<T>, first.record,
                                    first.field, first.message);
  return fail(ErrorCode::validation, std::move(message), std::move(detail_ptr));
}

template <class T>
  requires Record<T>
Status validate(const T& record) {
  return validate(std::span<const T>(&record, 1));
}

template <class T>
  requires Record<T>
Status validate(const std::vector<T>& records) {
  return validate(std::span<const T>(records));
}

}  // namespace lake

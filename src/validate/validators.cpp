// Built-in validator checks and the custom validator registry.
#include <charconv>
#include <map>
#include <mutex>
#include <regex>
#include <shared_mutex>

#include "lake/validate.hpp"

namespace lake {

const FieldError* ValidationError::field(std::string_view name) const noexcept {
  for (const auto& e : errors)
    if (e.field == name || e.column == name) return &e;
  return nullptr;
}

std::string ValidationError::describe() const {
  std::string out;
  for (const auto& e : errors) {
    if (!out.empty()) out += '\n';
    out += std::format("  record {}: {} (column {}) {} [{}], value: \"{}\"", e.record, e.field, e.column, e.message,
                       e.validator, e.value);
  }
  return out;
}

namespace detail {
namespace {

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// A DNS host name: dot-separated labels of letters, digits and inner hyphens.
bool is_hostname(std::string_view host, bool need_dot) {
  if (host.empty() || host.size() > 253) return false;
  bool dot = false;
  std::size_t start = 0;
  while (true) {
    auto end = host.find('.', start);
    std::string_view label = host.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label)
      if (!is_alnum(c) && c != '-') return false;
    if (end == std::string_view::npos) break;
    dot = true;
    start = end + 1;
  }
  return dot || !need_dot;
}

struct CustomRegistry {
  std::shared_mutex mutex;
  std::map<std::string, CustomValidator, std::less<>> validators;
};
CustomRegistry& custom_registry() {
  static CustomRegistry registry;
  return registry;
}

struct RegexCache {
  std::mutex mutex;
  std::map<std::string, std::shared_ptr<const std::regex>, std::less<>> compiled;
};
RegexCache& regex_cache() {
  static RegexCache cache;
  return cache;
}

}  // namespace

bool is_email(std::string_view text) noexcept {
  auto at = text.rfind('@');
  if (at == std::string_view::npos || at == 0 || text.size() > 254) return false;
  std::string_view local = text.substr(0, at), domain = text.substr(at + 1);
  if (local.size() > 64 || local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos)
    return false;
  for (char c : local) {
    if (is_alnum(c)) continue;
    if (std::string_view("!#$%&'*+/=?^_`{|}~.-").find(c) == std::string_view::npos) return false;
  }
  return is_hostname(domain, /*need_dot=*/true);
}

bool is_url(std::string_view text) noexcept {
  auto sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0) return false;
  std::string_view scheme = text.substr(0, sep);
  if (!((scheme[0] >= 'a' && scheme[0] <= 'z') || (scheme[0] >= 'A' && scheme[0] <= 'Z'))) return false;
  for (char c : scheme)
    if (!is_alnum(c) && c != '+' && c != '.' && c != '-') return false;
  std::string_view rest = text.substr(sep + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  if (authority.empty()) return false;
  for (char c : text)
    if (static_cast<unsigned char>(c) <= 0x20) return false;
  if (authority.front() == '[') return authority.find(']') != std::string_view::npos;  // IPv6 literal
  std::string_view host = authority.substr(0, authority.rfind(':'));
  if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    std::string_view port = authority.substr(colon + 1);
    if (port.empty()) return false;
    for (char c : port)
      if (c < '0' || c > '9') return false;
  }
  return is_hostname(host, /*need_dot=*/false);
}

bool is_uuid(std::string_view text) noexcept {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !is_hex(text[i])) return false;
  }
  return true;
}

Result<bool> regex_matches(std::string_view pattern, std::string_view text) {
  std::shared_ptr<const std::regex> compiled;
  {
    auto& cache = regex_cache();
    std::lock_guard lock(cache.mutex);
    if (auto it = cache.compiled.find(pattern); it != cache.compiled.end()) {
      compiled = it->second;
    } else {
      try {
        compiled = std::make_shared<const std::regex>(std::string(pattern), std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        return fail(ErrorCode::invalid_tag, std::format("validator regex /{}/ is not a valid ECMAScript regex: {}",
                                                        pattern, e.what()));
      }
      cache.compiled.emplace(std::string(pattern), compiled);
    }
  }
  return std::regex_match(text.begin(), text.end(), *compiled);
}

bool oneof_contains(std::string_view options, std::string_view value) noexcept {
  std::size_t start = 0;
  while (start < options.size()) {
    auto end = options.find(' ', start);
    if (end == std::string_view::npos) end = options.size();
    if (end > start && options.substr(start, end - start) == value) return true;
    start = end + 1;
  }
  return false;
}

double parse_bound(std::string_view number) noexcept {
  if (!number.empty() && number.front() == '+') number.remove_prefix(1);
  double value = 0;
  std::from_chars(number.data(), number.data() + number.size(), value);  // checked at compile time
  return value;
}

Status register_custom_validator(std::string name, CustomValidator validator) {
  if (name.empty()) return fail(ErrorCode::invalid_argument, "a validator needs a name");
  for (auto builtin : kBuiltinValidators)
    if (builtin == name)
      return fail(ErrorCode::invalid_argument, std::format("'{}' is a built-in validator and cannot be replaced", name));
  if (name.find_first_of(",= ") != std::string::npos)
    return fail(ErrorCode::invalid_argument,
                std::format("validator name '{}' may not contain ',', '=' or spaces (the tag grammar uses them)", name));
  auto& registry = custom_registry();
  std::unique_lock lock(registry.mutex);
  if (!registry.validators.emplace(name, std::move(validator)).second)
    return fail(ErrorCode::invalid_argument, std::format("validator '{}' is already registered", name));
  return {};
}

const CustomValidator* find_custom_validator(std::string_view name) {
  auto& registry = custom_registry();
  std::shared_lock lock(registry.mutex);
  auto it = registry.validators.find(name);
  // Entries are never removed, so the pointer outlives the lock.
  return it == registry.validators.end() ? nullptr : &it->second;
}

}  // namespace detail
}  // namespace lake

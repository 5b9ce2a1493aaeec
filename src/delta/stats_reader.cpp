#include "delta/stats_reader.hpp"

#include <arrow/util/decimal.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "lake/types.hpp"

namespace lake::delta {

using arrow::Type;

// One value of the stats JSON, with number texts kept verbatim.
struct StatsReader::Node {
  enum class Kind { null, boolean, number, string, object, array };
  Kind kind = Kind::null;
  std::string text;  // number: its literal text; string: its value
  bool boolean = false;
  std::vector<std::pair<std::string, Node>> members;

  static Node of(Kind kind, std::string text = {}, bool boolean = false) {
    Node node;
    node.kind = kind;
    node.text = std::move(text);
    node.boolean = boolean;
    return node;
  }
  [[nodiscard]] const Node* find(std::string_view key) const {
    if (kind != Kind::object) return nullptr;
    for (const auto& [name, node] : members)
      if (name == key) return &node;
    return nullptr;
  }
  [[nodiscard]] const Node* find(std::span<const std::string> path) const {
    const Node* node = this;
    for (const auto& key : path)
      if (node = node->find(key); node == nullptr) return nullptr;
    return node;
  }
};

namespace {

using Node = StatsReader::Node;

// nlohmann's SAX interface gives the literal text of floating-point
// numbers, which a DOM would round to double (decimal bounds need it exact).
class NodeBuilder {
 public:
  using json = nlohmann::json;

  bool null() { return value(Node{}); }
  bool boolean(bool b) { return value(Node::of(Node::Kind::boolean, {}, b)); }
  bool number_integer(json::number_integer_t n) { return number(std::to_string(n)); }
  bool number_unsigned(json::number_unsigned_t n) { return number(std::to_string(n)); }
  bool number_float(json::number_float_t, const json::string_t& text) { return number(text); }
  bool string(json::string_t& s) { return value(Node::of(Node::Kind::string, std::move(s))); }
  bool binary(json::binary_t&) { return value(Node{}); }
  bool start_object(std::size_t) {
    stack_.push_back(Node::of(Node::Kind::object));
    return true;
  }
  bool key(json::string_t& k) {
    keys_.push_back(std::move(k));
    return true;
  }
  bool end_object() { return close(); }
  bool start_array(std::size_t) {
    stack_.push_back(Node::of(Node::Kind::array));
    return true;
  }
  bool end_array() { return close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }

  [[nodiscard]] Node take() { return std::move(root_); }

 private:
  bool number(std::string text) { return value(Node::of(Node::Kind::number, std::move(text))); }
  bool close() {
    Node done = std::move(stack_.back());
    stack_.pop_back();
    return value(std::move(done));
  }
  bool value(Node node) {
    if (stack_.empty()) {
      root_ = std::move(node);
    } else if (stack_.back().kind == Node::Kind::object) {
      stack_.back().members.emplace_back(std::move(keys_.back()), std::move(node));
      keys_.pop_back();
    }  // array elements are not needed by stats readers
    return true;
  }

  std::vector<Node> stack_;
  std::vector<std::string> keys_;
  Node root_;
};

std::optional<Node> parse_stats(const std::optional<std::string>& stats) {
  if (!stats) return std::nullopt;
  NodeBuilder builder;
  if (!nlohmann::json::sax_parse(*stats, &builder, nlohmann::json::input_format_t::json, false)) return std::nullopt;
  Node root = builder.take();
  if (root.kind != Node::Kind::object) return std::nullopt;
  return root;
}

std::optional<std::int64_t> integer_of(const Node* node) {
  if (node == nullptr || node->kind != Node::Kind::number) return std::nullopt;
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(node->text.data(), node->text.data() + node->text.size(), n);
  if (ec != std::errc{} || end != node->text.data() + node->text.size()) return std::nullopt;
  return n;
}


enum class Bound { lower, upper };

// Decimal number text ("12.5", "-1e-3", "123") as an unscaled value at
// `scale`, rounded towards -inf (lower bound) or +inf (upper bound).
std::optional<int128> decimal_bound_of(std::string_view text, int scale, Bound bound) {
  bool negative = false;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  std::string digits;
  int exponent = 0;
  bool in_fraction = false;
  std::size_t i = 0;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c >= '0' && c <= '9') {
      digits += c;
      if (in_fraction) --exponent;
    } else if (c == '.' && !in_fraction) {
      in_fraction = true;
    } else {
      break;
    }
  }
  if (digits.empty()) return std::nullopt;
  if (i < text.size()) {
    if (text[i] != 'e' && text[i] != 'E') return std::nullopt;
    std::string_view rest = text.substr(i + 1);
    if (rest.starts_with('+')) rest.remove_prefix(1);
    int e = 0;
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), e);
    if (ec != std::errc{} || end != rest.data() + rest.size()) return std::nullopt;
    exponent += e;
  }
  digits.erase(0, std::min(digits.find_first_not_of('0'), digits.size() - 1));
  int shift = exponent + scale;  // unscaled = digits * 10^shift
  if (shift < 0) {
    // Digits below the scale: cut them off and remember whether any was set.
    auto cut = static_cast<std::size_t>(-shift);
    bool inexact = false;
    if (cut >= digits.size()) {
      inexact = digits.find_first_not_of('0') != std::string::npos;
      digits = "0";
    } else {
      inexact = digits.find_first_not_of('0', digits.size() - cut) != std::string::npos;
      digits.resize(digits.size() - cut);
    }
    shift = 0;
    if (digits.size() > 38) return std::nullopt;
    int128 value = 0;
    for (char c : digits) value = value * 10 + (c - '0');
    if (negative) value = -value;
    // Truncation moved the value towards zero; step outwards when that
    // crossed the bound's direction.
    if (inexact && bound == Bound::lower && negative) value -= 1;
    if (inexact && bound == Bound::upper && !negative) value += 1;
    return value;
  }
  if (digits.size() + static_cast<std::size_t>(shift) > 38) return std::nullopt;
  int128 value = 0;
  for (char c : digits) value = value * 10 + (c - '0');
  for (int k = 0; k < shift; ++k) value *= 10;
  return negative ? -value : value;
}

std::shared_ptr<arrow::Scalar> decimal_scalar(int128 value, const std::shared_ptr<arrow::DataType>& type) {
  return std::make_shared<arrow::Decimal128Scalar>(
      arrow::Decimal128(static_cast<std::int64_t>(value >> 64), static_cast<std::uint64_t>(value)), type);
}

template <class T>
std::optional<T> integer_in_range(const Node& node) {
  auto n = integer_of(&node);
  if (!n || *n < std::numeric_limits<T>::min() || *n > std::numeric_limits<T>::max()) return std::nullopt;
  return static_cast<T>(*n);
}

// A stats value as a bound of `type`, or nullptr when it cannot serve as
// one (absent, malformed, or of a type stats are not kept for).
std::shared_ptr<arrow::Scalar> bound_of(const Node* node, const std::shared_ptr<arrow::DataType>& type,
                                        Bound bound) {
  if (node == nullptr) return nullptr;
  const bool is_number = node->kind == Node::Kind::number;
  const bool is_string = node->kind == Node::Kind::string;
  switch (type->id()) {
    case Type::BOOL:
      if (node->kind != Node::Kind::boolean) return nullptr;
      return std::make_shared<arrow::BooleanScalar>(node->boolean);
    case Type::INT8:
      if (auto n = integer_in_range<std::int8_t>(*node)) return std::make_shared<arrow::Int8Scalar>(*n);
      return nullptr;
    case Type::INT16:
      if (auto n = integer_in_range<std::int16_t>(*node)) return std::make_shared<arrow::Int16Scalar>(*n);
      return nullptr;
    case Type::INT32:
      if (auto n = integer_in_range<std::int32_t>(*node)) return std::make_shared<arrow::Int32Scalar>(*n);
      return nullptr;
    case Type::INT64:
      if (auto n = integer_of(node)) return std::make_shared<arrow::Int64Scalar>(*n);
      return nullptr;
    case Type::FLOAT: case Type::DOUBLE: {
      if (!is_number) return nullptr;
      double d = 0;
      auto [end, ec] = std::from_chars(node->text.data(), node->text.data() + node->text.size(), d);
      if (ec != std::errc{} || end != node->text.data() + node->text.size() || std::isnan(d)) return nullptr;
      if (type->id() == Type::DOUBLE) return std::make_shared<arrow::DoubleScalar>(d);
      // Rounding to float may cross the value; step back outwards if so.
      auto f = static_cast<float>(d);
      if (bound == Bound::lower && static_cast<double>(f) > d) f = std::nextafter(f, -HUGE_VALF);
      if (bound == Bound::upper && static_cast<double>(f) < d) f = std::nextafter(f, HUGE_VALF);
      return std::make_shared<arrow::FloatScalar>(f);
    }
    case Type::DECIMAL128: {
      if (!is_number) return nullptr;
      const auto& d = static_cast<const arrow::Decimal128Type&>(*type);
      auto value = decimal_bound_of(node->text, d.scale(), bound);
      if (!value) return nullptr;
      if (d.precision() > 15) {
        // A double carries 15-16 significant digits; a writer that went
        // through one may be off by a few units in the 16th.
        int128 magnitude = *value < 0 ? -*value : *value;
        int128 slack = std::max<int128>(1, magnitude >> 50);
        *value += bound == Bound::lower ? -slack : slack;
      }
      return decimal_scalar(*value, type);
    }
    case Type::DATE32: {
      if (!is_string) return nullptr;
      auto day = parse_date(node->text);
      if (!day) return nullptr;
      return std::make_shared<arrow::Date32Scalar>(static_cast<std::int32_t>(day->time_since_epoch().count()));
    }
    case Type::TIMESTAMP: {
      if (!is_string) return nullptr;
      auto t = parse_timestamp(node->text);
      if (!t) return nullptr;
      std::int64_t micros = t->time_since_epoch().count();
      if (bound == Bound::upper) micros += 999;  // Spark truncates maxima to milliseconds
      return std::make_shared<arrow::TimestampScalar>(micros, type);
    }
    case Type::STRING:
      if (!is_string) return nullptr;
      return std::make_shared<arrow::StringScalar>(node->text);
    default: return nullptr;
  }
}

}  // namespace

std::optional<StatsReader> StatsReader::parse(const std::optional<std::string>& stats) {
  auto root = parse_stats(stats);
  if (!root) return std::nullopt;
  return StatsReader(std::make_shared<const Node>(std::move(*root)));
}

std::optional<std::int64_t> StatsReader::num_records() const { return integer_of(root_->find("numRecords")); }

ColumnStats StatsReader::column(std::span<const std::string> path, const std::shared_ptr<arrow::DataType>& type) const {
  auto under = [&](std::string_view key) -> const Node* {
    const Node* group = root_->find(key);
    return group == nullptr ? nullptr : group->find(path);
  };
  return ColumnStats{bound_of(under("minValues"), type, Bound::lower), bound_of(under("maxValues"), type, Bound::upper),
                     integer_of(under("nullCount"))};
}

}  // namespace lake::delta

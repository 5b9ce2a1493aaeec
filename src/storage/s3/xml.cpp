#include "storage/s3/xml.hpp"
#include "core/propagate.hpp"

#include <charconv>
#include <format>

namespace lake::s3 {
namespace {

Error malformed(std::string_view what, std::size_t at) {
  return Error(ErrorCode::io, std::format("malformed XML from the storage server: {} at byte {}", what, at));
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

class Parser {
 public:
  explicit Parser(std::string_view doc) : doc_(doc) {}

  Result<XmlElement> document() {
    skip_misc();
    if (!starts_with("<")) return std::unexpected(malformed("no root element", pos_));
    auto root = element();
    if (!root) return root;
    skip_misc();
    if (pos_ != doc_.size()) return std::unexpected(malformed("content after the root element", pos_));
    return root;
  }

 private:
  bool starts_with(std::string_view s) const { return doc_.substr(pos_).starts_with(s); }

  void skip_space() {
    while (pos_ < doc_.size() && (doc_[pos_] == ' ' || doc_[pos_] == '\n' || doc_[pos_] == '\r' || doc_[pos_] == '\t'))
      ++pos_;
  }

  // Whitespace, <?...?>, <!--...-->, <!DOCTYPE ...>.
  void skip_misc() {
    while (true) {
      skip_space();
      if (!skip_markup()) return;
    }
  }

  bool skip_markup() {
    std::string_view end;
    if (starts_with("<?")) end = "?>";
    else if (starts_with("<!--")) end = "-->";
    else if (starts_with("<!") && !starts_with("<![CDATA[")) end = ">";
    else return false;
    auto close = doc_.find(end, pos_);
    pos_ = close == std::string_view::npos ? doc_.size() : close + end.size();
    return true;
  }

  std::string_view name() {
    const std::size_t start = pos_;
    while (pos_ < doc_.size() && doc_[pos_] != '>' && doc_[pos_] != '/' && doc_[pos_] != ' ' && doc_[pos_] != '\t' &&
           doc_[pos_] != '\n' && doc_[pos_] != '\r')
      ++pos_;
    std::string_view full = doc_.substr(start, pos_ - start);
    if (auto colon = full.find(':'); colon != std::string_view::npos) full.remove_prefix(colon + 1);
    return full;
  }

  Status decode_into(std::string& out, std::string_view raw, std::size_t at) {
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '&') {
        out.push_back(raw[i]);
        continue;
      }
      auto semi = raw.find(';', i);
      if (semi == std::string_view::npos) return std::unexpected(malformed("unterminated entity", at + i));
      std::string_view entity = raw.substr(i + 1, semi - i - 1);
      if (entity == "amp") out.push_back('&');
      else if (entity == "lt") out.push_back('<');
      else if (entity == "gt") out.push_back('>');
      else if (entity == "quot") out.push_back('"');
      else if (entity == "apos") out.push_back('\'');
      else if (entity.starts_with('#')) {
        const bool hex = entity.size() > 1 && (entity[1] == 'x' || entity[1] == 'X');
        std::string_view digits = entity.substr(hex ? 2 : 1);
        std::uint32_t cp = 0;
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
        if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty() || cp > 0x10FFFF)
          return std::unexpected(malformed("bad character reference", at + i));
        append_utf8(out, cp);
      } else {
        return std::unexpected(malformed(std::format("unknown entity '&{};'", entity), at + i));
      }
      i = semi;
    }
    return {};
  }

  Result<XmlElement> element() {
    const std::size_t open_at = pos_;
    ++pos_;  // '<'
    XmlElement out;
    const std::string_view tag = name();
    if (tag.empty()) return std::unexpected(malformed("empty element name", open_at));
    out.name = std::string(tag);
    // Attributes are skipped (S3 puts only xmlns there); quoted values may
    // hold '>' so they are stepped over as a whole.
    while (pos_ < doc_.size() && doc_[pos_] != '>' && !(doc_[pos_] == '/' && pos_ + 1 < doc_.size() && doc_[pos_ + 1] == '>')) {
      if (doc_[pos_] == '"' || doc_[pos_] == '\'') {
        auto close = doc_.find(doc_[pos_], pos_ + 1);
        if (close == std::string_view::npos) return std::unexpected(malformed("unterminated attribute", pos_));
        pos_ = close;
      }
      ++pos_;
    }
    if (pos_ >= doc_.size()) return std::unexpected(malformed("unterminated tag", open_at));
    if (doc_[pos_] == '/') {
      pos_ += 2;
      return out;
    }
    ++pos_;  // '>'
    while (true) {
      const std::size_t text_at = pos_;
      auto next = doc_.find('<', pos_);
      if (next == std::string_view::npos)
        return std::unexpected(malformed(std::format("element <{}> is not closed", out.name), open_at));
      LAKE_RETURN_IF_ERROR(decode_into(out.text, doc_.substr(pos_, next - pos_), text_at));
      pos_ = next;
      if (starts_with("</")) {
        pos_ += 2;
        const std::string_view closing = name();
        skip_space();
        if (closing != out.name || pos_ >= doc_.size() || doc_[pos_] != '>')
          return std::unexpected(malformed(std::format("</{}> does not close <{}>", closing, out.name), next));
        ++pos_;
        return out;
      }
      if (starts_with("<![CDATA[")) {
        auto close = doc_.find("]]>", pos_);
        if (close == std::string_view::npos) return std::unexpected(malformed("unterminated CDATA", pos_));
        out.text.append(doc_.substr(pos_ + 9, close - pos_ - 9));
        pos_ = close + 3;
        continue;
      }
      if (skip_markup()) continue;
      auto child = element();
      if (!child) return child;
      out.children.push_back(std::move(*child));
    }
  }

  std::string_view doc_;
  std::size_t pos_ = 0;
};

}  // namespace

const XmlElement* XmlElement::child(std::string_view child_name) const {
  for (const auto& c : children)
    if (c.name == child_name) return &c;
  return nullptr;
}

std::string_view XmlElement::child_text(std::string_view child_name) const {
  const XmlElement* c = child(child_name);
  return c ? std::string_view(c->text) : std::string_view();
}

std::vector<const XmlElement*> XmlElement::children_named(std::string_view child_name) const {
  std::vector<const XmlElement*> out;
  for (const auto& c : children)
    if (c.name == child_name) out.push_back(&c);
  return out;
}

Result<XmlElement> parse_xml(std::string_view document) { return Parser(document).document(); }

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

}  // namespace lake::s3

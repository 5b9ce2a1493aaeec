// Just enough XML for S3's responses (ListObjectsV2, errors, multipart
// uploads, batch deletes): elements, their text and their children.
// Attributes, comments, processing instructions and DOCTYPE are skipped;
// the five predefined entities and numeric character references are
// decoded. Anything malformed is an error, never a guess.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lake/error.hpp"

namespace lake::s3 {

struct XmlElement {
  std::string name;  // without a namespace prefix
  std::string text;  // the element's own text, decoded
  std::vector<XmlElement> children;

  // The first child called `name`, or nullptr.
  [[nodiscard]] const XmlElement* child(std::string_view child_name) const;
  // The first child's text, or empty.
  [[nodiscard]] std::string_view child_text(std::string_view child_name) const;
  // Every child called `name`.
  [[nodiscard]] std::vector<const XmlElement*> children_named(std::string_view child_name) const;
};

// The document's root element.
[[nodiscard]] Result<XmlElement> parse_xml(std::string_view document);

// Text with &, <, >, " and ' escaped (for request bodies).
[[nodiscard]] std::string xml_escape(std::string_view text);

}  // namespace lake::s3

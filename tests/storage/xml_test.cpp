// The XML reader on the shapes S3 sends, and on malformed input.
#include <gtest/gtest.h>

#include "storage/s3/xml.hpp"

namespace lake::s3 {
namespace {

TEST(Xml, ReadsAListing) {
  auto doc = parse_xml(R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name><IsTruncated>true</IsTruncated>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
  <Contents><Key>a &amp; b/&lt;c&gt;&#233;&#x1F600;</Key><Size>12</Size></Contents>
  <Contents><Key>d</Key><Size>0</Size><Owner/></Contents>
  <!-- a comment -->
</ListBucketResult>)");
  ASSERT_TRUE(doc) << doc.error().to_string();
  EXPECT_EQ(doc->name, "ListBucketResult");
  EXPECT_EQ(doc->child_text("IsTruncated"), "true");
  EXPECT_EQ(doc->child_text("NextContinuationToken"), "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
  auto contents = doc->children_named("Contents");
  ASSERT_EQ(contents.size(), 2U);
  EXPECT_EQ(contents[0]->child_text("Key"), "a & b/<c>\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(contents[1]->child_text("Size"), "0");
  EXPECT_NE(contents[1]->child("Owner"), nullptr);
  EXPECT_EQ(doc->child("Missing"), nullptr);
  EXPECT_EQ(doc->child_text("Missing"), "");
}

TEST(Xml, ReadsAnErrorWithCdataAndNamespacePrefixes) {
  auto doc = parse_xml("<s3:Error><s3:Code>NoSuchKey</s3:Code><Message><![CDATA[a <b> c]]></Message></s3:Error>");
  ASSERT_TRUE(doc) << doc.error().to_string();
  EXPECT_EQ(doc->name, "Error");
  EXPECT_EQ(doc->child_text("Code"), "NoSuchKey");
  EXPECT_EQ(doc->child_text("Message"), "a <b> c");
}

TEST(Xml, RejectsMalformedDocuments) {
  for (std::string_view bad : {"", "plain text", "<a>", "<a></b>", "<a>x &bogus; y</a>", "<a>&#xZZ;</a>",
                               "<a></a><b></b>", "<a attr=\"unterminated></a>", "<a>&amp</a>"}) {
    auto doc = parse_xml(bad);
    EXPECT_FALSE(doc) << "accepted: " << bad;
    if (!doc) {
      EXPECT_EQ(doc.error().code(), ErrorCode::io) << bad;
    }
  }
}

TEST(Xml, EscapesText) {
  EXPECT_EQ(xml_escape(R"(a&b<c>"d'e)"), "a&amp;b&lt;c&gt;&quot;d&apos;e");
  auto round_trip = parse_xml("<Key>" + xml_escape("x&<y>") + "</Key>");
  ASSERT_TRUE(round_trip);
  EXPECT_EQ(round_trip->text, "x&<y>");
}

}  // namespace
}  // namespace lake::s3

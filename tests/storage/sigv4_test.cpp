// SigV4 signing checked against the worked examples in AWS's S3 API
// documentation ("Examples: Signature calculations", header-based
// authentication): the same request must produce the same canonical
// request, string to sign and signature.
#include <gtest/gtest.h>

#include <chrono>

#include "storage/s3/sigv4.hpp"

namespace lake::s3 {
namespace {

using namespace std::chrono;

// The documentation's example credentials and time (24 May 2013).
const Credentials kExample{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"};
const SigningScope kScope{.region = "us-east-1", .service = "s3"};
const sys_seconds kAt = sys_days{2013y / May / 24};

std::string header_value(const RequestToSign& request, std::string_view name) {
  for (const auto& [n, v] : request.headers)
    if (n == name) return v;
  return {};
}

TEST(SigV4, GetObjectWithRangeMatchesAwsExample) {
  RequestToSign request{.method = "GET", .path = "/test.txt",
                        .headers = {{"Host", "examplebucket.s3.amazonaws.com"}, {"Range", "bytes=0-9"}}};
  RequestToSign for_canonical = request;
  for_canonical.headers.emplace_back("x-amz-content-sha256", std::string(kEmptyPayloadSha256));
  for_canonical.headers.emplace_back("x-amz-date", "20130524T000000Z");
  const std::string canonical = canonical_request(for_canonical, kEmptyPayloadSha256);
  EXPECT_EQ(canonical,
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
            "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
            "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(string_to_sign(canonical, kScope, kAt),
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");

  sign(request, kEmptyPayloadSha256, kExample, kScope, kAt);
  EXPECT_EQ(header_value(request, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(header_value(request, "x-amz-date"), "20130524T000000Z");
}

TEST(SigV4, PutObjectWithEncodedKeyMatchesAwsExample) {
  const std::string body = "Welcome to Amazon S3.";
  const std::string payload = sha256_hex(body);
  EXPECT_EQ(payload, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  RequestToSign request{.method = "PUT", .path = "/" + uri_encode("test$file.text", false),
                        .headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                                    {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                                    {"x-amz-storage-class", "REDUCED_REDUNDANCY"}}};
  EXPECT_EQ(request.path, "/test%24file.text");
  sign(request, payload, kExample, kScope, kAt);
  EXPECT_EQ(header_value(request, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,"
            "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4, ListObjectsQueryMatchesAwsExample) {
  // Query parameters are signed sorted, whatever order they were given in.
  RequestToSign request{.method = "GET", .path = "/", .query = {{"prefix", "J"}, {"max-keys", "2"}},
                        .headers = {{"Host", "examplebucket.s3.amazonaws.com"}}};
  sign(request, kEmptyPayloadSha256, kExample, kScope, kAt);
  EXPECT_EQ(header_value(request, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=host;x-amz-content-sha256;x-amz-date,"
            "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4, SessionTokenIsSentAndSigned) {
  RequestToSign request{.method = "GET", .path = "/k", .headers = {{"host", "b.s3.amazonaws.com"}}};
  Credentials temporary = kExample;
  temporary.session_token = "token/with+chars";
  sign(request, kUnsignedPayload, temporary, kScope, kAt);
  EXPECT_EQ(header_value(request, "x-amz-security-token"), "token/with+chars");
  EXPECT_EQ(header_value(request, "x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
  EXPECT_NE(header_value(request, "Authorization").find("x-amz-security-token"), std::string::npos);
  // The secret itself is never part of what is sent.
  for (const auto& [name, value] : request.headers) EXPECT_EQ(value.find(kExample.secret_access_key), std::string::npos);
}

TEST(SigV4, CanonicalFormsOfQueriesAndHeaders) {
  RequestToSign request{.method = "GET",
                        .path = "",
                        .query = {{"uploads", ""}, {"a b", "c/d"}},
                        .headers = {{"X-Multi", "  one   two  "}, {"x-multi", "three"}, {"Host", "h"}}};
  EXPECT_EQ(canonical_request(request, "h1"),
            "GET\n/\na%20b=c%2Fd&uploads=\nhost:h\nx-multi:one two,three\n\nhost;x-multi\nh1");
}

TEST(SigV4, UriEncoding) {
  EXPECT_EQ(uri_encode("a-b_c.d~e", true), "a-b_c.d~e");
  EXPECT_EQ(uri_encode("dir/file name+=.parquet", false), "dir/file%20name%2B%3D.parquet");
  EXPECT_EQ(uri_encode("dir/file", true), "dir%2Ffile");
  EXPECT_EQ(uri_encode("\xc3\xa9", true), "%C3%A9");  // UTF-8 bytes, upper-case hex
  EXPECT_EQ(amz_date(sys_days{2026y / November / 21} + hours{9} + minutes{5} + seconds{7}), "20261121T090507Z");
}

}  // namespace
}  // namespace lake::s3

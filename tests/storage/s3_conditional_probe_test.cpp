// A server that ignores S3's conditional writes (If-None-Match: *) would
// let two writers both "create" one Delta log entry. Opening the backend
// probes for it, and refuses such a server unless the caller says it is the
// only writer (S3Options::single_writer); then creates look before they
// write. MinIO honours the header, so these run against a scripted server
// (support/scripted_s3.hpp) that ignores it on PUT, on completing a
// multipart upload, or on neither.
#include <gtest/gtest.h>

#include "lake/storage/s3.hpp"
#include "support/scripted_s3.hpp"

namespace lake {
namespace {

using testing::ScriptedS3;

constexpr std::string_view kKeyId = "AKIDEXAMPLE";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

testing::ScriptedS3Options server(bool honour_on_put, bool honour_on_complete) {
  return {.bucket = "probe-test",
          .access_key_id = std::string(kKeyId),
          .secret = std::string(kSecret),
          .region = "us-east-1",
          .honour_on_put = honour_on_put,
          .honour_on_complete = honour_on_complete};
}

S3Options options_for(const ScriptedS3& s3, bool single_writer = false) {
  return {.endpoint = s3.endpoint(),
          .region = "us-east-1",
          .path_style = true,
          .access_key_id = std::string(kKeyId),
          .secret_access_key = std::string(kSecret),
          .single_writer = single_writer,
          .connection = {.base_backoff = std::chrono::milliseconds(5)}};
}

TEST(S3ConditionalProbe, AServerThatHonoursTheHeaderOpensAndLeavesNoProbeBehind) {
  ScriptedS3 s3(server(true, true));
  auto opened = s3_backend("s3://probe-test/lake", options_for(s3));
  ASSERT_TRUE(opened) << opened.error().to_string();
  EXPECT_TRUE(s3.objects().empty()) << "the probe object was left behind";
  ASSERT_TRUE((*opened)->put_text("t/_delta_log/0.json", "a", PutMode::create));
  auto again = (*opened)->put_text("t/_delta_log/0.json", "b", PutMode::create);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), ErrorCode::already_exists);
  EXPECT_TRUE(s3.problems().empty()) << s3.problems().front();
}

TEST(S3ConditionalProbe, AServerThatIgnoresItOnPutIsRefusedNamingTheWayOut) {
  ScriptedS3 s3(server(false, true));
  auto opened = s3_backend("s3://probe-test/lake", options_for(s3));
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code(), ErrorCode::unsupported) << opened.error().to_string();
  const std::string text = opened.error().to_string();
  EXPECT_NE(text.find("ignores If-None-Match on PutObject"), std::string::npos) << text;
  EXPECT_NE(text.find("single_writer"), std::string::npos) << text;
  EXPECT_NE(text.find("probe-test"), std::string::npos) << text;
  EXPECT_EQ(text.find(kSecret), std::string::npos) << text;
  EXPECT_TRUE(s3.objects().empty()) << "the probe object was left behind";
  EXPECT_TRUE(s3.problems().empty()) << s3.problems().front();
}

TEST(S3ConditionalProbe, AServerThatIgnoresItOnCompletingMultipartIsRefused) {
  ScriptedS3 s3(server(true, false));
  auto opened = s3_backend("s3://probe-test/lake", options_for(s3));
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code(), ErrorCode::unsupported) << opened.error().to_string();
  EXPECT_NE(opened.error().to_string().find("ignores If-None-Match on CompleteMultipartUpload"), std::string::npos)
      << opened.error().to_string();
}

TEST(S3ConditionalProbe, ASingleWriterLooksBeforeItCreates) {
  ScriptedS3 s3(server(false, false));
  auto opened = s3_backend("s3://probe-test/lake", options_for(s3, true));
  ASSERT_TRUE(opened) << opened.error().to_string();
  auto& backend = **opened;
  ASSERT_TRUE(backend.put_text("t/_delta_log/0.json", "first", PutMode::create));
  auto again = backend.put_text("t/_delta_log/0.json", "second", PutMode::create);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), ErrorCode::already_exists) << again.error().to_string();
  EXPECT_EQ(s3.objects().at("lake/t/_delta_log/0.json"), "first");

  // The same through the streaming writer, large enough for a multipart
  // upload (an 8 MiB part and the rest).
  const std::string big(11 * 1024 * 1024, 'x');
  ASSERT_TRUE(backend.put_text("big.bin", big, PutMode::create));
  auto writer = backend.open_writer("big.bin", PutMode::create);
  ASSERT_TRUE(writer) << writer.error().to_string();
  ASSERT_TRUE((*writer)->write(std::as_bytes(std::span(big))));
  auto closed = (*writer)->close();
  ASSERT_FALSE(closed);
  EXPECT_EQ(closed.error().code(), ErrorCode::already_exists) << closed.error().to_string();
  EXPECT_EQ(s3.objects().at("lake/big.bin").size(), big.size());
  EXPECT_TRUE(s3.problems().empty()) << s3.problems().front();
}

}  // namespace
}  // namespace lake

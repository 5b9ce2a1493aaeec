// Where the S3 backend's credentials and region come from: options, then
// the environment, then the shared credentials/config files with profiles.
// Each test builds its own environment and files; the process environment
// is not touched.
#include <gtest/gtest.h>

#include <fstream>

#include "storage/s3/credentials.hpp"
#include "support/temp_dir.hpp"

namespace lake::s3 {
namespace {

class S3Credentials : public ::testing::Test {
 protected:
  void write(const std::string& name, const std::string& text) { std::ofstream(dir_.path / name) << text; }
  // An environment whose HOME holds this test's ~/.aws.
  Environment home_only() {
    std::filesystem::create_directories(dir_.path / ".aws");
    return {{"HOME", dir_.path.string()}};
  }
  lake::testing::TempDir dir_{"s3-credentials"};
};

TEST_F(S3Credentials, OptionsComeFirstThenTheEnvironment) {
  Environment env = home_only();
  env["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  env["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  env["AWS_SESSION_TOKEN"] = "envtoken";
  env["AWS_DEFAULT_REGION"] = "eu-west-3";
  auto from_options = resolve_auth({.region = "ap-south-1", .access_key_id = "OPTKEY", .secret_access_key = "optsecret"}, env);
  ASSERT_TRUE(from_options) << from_options.error().to_string();
  EXPECT_EQ(from_options->credentials.access_key_id, "OPTKEY");
  EXPECT_EQ(from_options->credentials.session_token, "");
  EXPECT_EQ(from_options->region, "ap-south-1");
  EXPECT_EQ(from_options->source, "options");

  auto from_env = resolve_auth({}, env);
  ASSERT_TRUE(from_env) << from_env.error().to_string();
  EXPECT_EQ(from_env->credentials.access_key_id, "ENVKEY");
  EXPECT_EQ(from_env->credentials.secret_access_key, "envsecret");
  EXPECT_EQ(from_env->credentials.session_token, "envtoken");
  EXPECT_EQ(from_env->region, "eu-west-3");
  EXPECT_EQ(from_env->source, "environment");
  env["AWS_REGION"] = "eu-north-1";  // AWS_REGION wins over AWS_DEFAULT_REGION
  EXPECT_EQ(resolve_auth({}, env)->region, "eu-north-1");
}

TEST_F(S3Credentials, HalfGivenCredentialsAreErrors) {
  Environment env = home_only();
  auto half_options = resolve_auth({.access_key_id = "ONLYKEY"}, env);
  ASSERT_FALSE(half_options);
  EXPECT_EQ(half_options.error().code(), ErrorCode::invalid_argument);
  EXPECT_NE(half_options.error().message().find("secret_access_key"), std::string::npos);

  env["AWS_SECRET_ACCESS_KEY"] = "lonely-secret";
  auto half_env = resolve_auth({}, env);
  ASSERT_FALSE(half_env);
  EXPECT_NE(half_env.error().message().find("AWS_ACCESS_KEY_ID"), std::string::npos);
  EXPECT_EQ(half_env.error().message().find("lonely-secret"), std::string::npos);
}

TEST_F(S3Credentials, SharedFilesWithProfiles) {
  Environment env = home_only();
  write(".aws/credentials",
        "# comment\n[default]\naws_access_key_id = DEFKEY\naws_secret_access_key = defsecret\n\n"
        "[dev]\naws_access_key_id=DEVKEY\naws_secret_access_key=devsecret\naws_session_token = devtoken\n");
  write(".aws/config", "[default]\nregion = us-west-2\n[profile dev]\nregion = eu-central-1\n"
                       "[profile cfg-only]\naws_access_key_id = CFGKEY\naws_secret_access_key = cfgsecret\n");
  auto by_default = resolve_auth({}, env);
  ASSERT_TRUE(by_default) << by_default.error().to_string();
  EXPECT_EQ(by_default->credentials.access_key_id, "DEFKEY");
  EXPECT_EQ(by_default->region, "us-west-2");
  EXPECT_EQ(by_default->source, "shared files (profile 'default')");

  env["AWS_PROFILE"] = "dev";
  auto dev = resolve_auth({}, env);
  ASSERT_TRUE(dev) << dev.error().to_string();
  EXPECT_EQ(dev->credentials.access_key_id, "DEVKEY");
  EXPECT_EQ(dev->credentials.session_token, "devtoken");
  EXPECT_EQ(dev->region, "eu-central-1");

  // The option names the profile over AWS_PROFILE; keys may sit in config.
  auto cfg = resolve_auth({.profile = "cfg-only"}, env);
  ASSERT_TRUE(cfg) << cfg.error().to_string();
  EXPECT_EQ(cfg->credentials.access_key_id, "CFGKEY");
  EXPECT_EQ(cfg->region, "us-east-1");  // that profile names no region

  auto missing = resolve_auth({.profile = "nope"}, env);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::invalid_argument);
  EXPECT_NE(missing.error().message().find("'nope'"), std::string::npos) << missing.error().message();
}

TEST_F(S3Credentials, FileLocationsFromTheEnvironment) {
  Environment env = home_only();  // ~/.aws is empty
  write("creds.ini", "[default]\naws_access_key_id = ELSEWHERE\naws_secret_access_key = s\n");
  write("conf.ini", "[default]\nregion = sa-east-1\n");
  env["AWS_SHARED_CREDENTIALS_FILE"] = (dir_.path / "creds.ini").string();
  env["AWS_CONFIG_FILE"] = (dir_.path / "conf.ini").string();
  auto auth = resolve_auth({}, env);
  ASSERT_TRUE(auth) << auth.error().to_string();
  EXPECT_EQ(auth->credentials.access_key_id, "ELSEWHERE");
  EXPECT_EQ(auth->region, "sa-east-1");
}

TEST_F(S3Credentials, NoCredentialsAnywhereSaysWhereItLooked) {
  Environment env = home_only();
  write(".aws/credentials", "[default]\naws_access_key_id = KEYWITHOUTSECRET\n");
  auto none = resolve_auth({}, env);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code(), ErrorCode::invalid_argument);
  EXPECT_NE(none.error().message().find("AWS_ACCESS_KEY_ID"), std::string::npos) << none.error().message();
  EXPECT_NE(none.error().message().find("profile 'default'"), std::string::npos) << none.error().message();
}

TEST(S3Ini, ParsesSectionsAndIgnoresNoise) {
  auto ini = parse_ini("top = ignored\n[a]\nk = v = w\n; c\n# c\n[ b c ]\r\nx=1\r\n[a]\nk2=2\nnot a pair\n");
  ASSERT_EQ(ini.size(), 2U);
  EXPECT_EQ(ini["a"]["k"], "v = w");
  EXPECT_EQ(ini["a"]["k2"], "2");
  EXPECT_EQ(ini["b c"]["x"], "1");
}

}  // namespace
}  // namespace lake::s3

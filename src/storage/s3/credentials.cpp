#include "storage/s3/credentials.hpp"

#include <cstdlib>
#include <filesystem>
#include <format>
#include <fstream>
#include <sstream>

extern char** environ;

namespace lake::s3 {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\r')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

std::string get(const Environment& environment, std::string_view name) {
  auto it = environment.find(name);
  return it == environment.end() ? std::string() : it->second;
}

// The shared file at `variable` or ~/<fallback>; an empty map when absent.
IniSections read_shared_file(const Environment& environment, std::string_view variable, std::string_view fallback) {
  std::filesystem::path path = get(environment, variable);
  if (path.empty()) {
    const std::string home = get(environment, "HOME");
    if (home.empty()) return {};
    path = std::filesystem::path(home) / fallback;
  }
  std::ifstream in(path);
  if (!in) return {};
  std::stringstream text;
  text << in.rdbuf();
  return parse_ini(text.str());
}

const std::map<std::string, std::string>* section(const IniSections& sections, const std::string& name) {
  auto it = sections.find(name);
  return it == sections.end() ? nullptr : &it->second;
}

std::string value_in(const std::map<std::string, std::string>* values, std::string_view key) {
  if (!values) return {};
  auto it = values->find(std::string(key));
  return it == values->end() ? std::string() : it->second;
}

}  // namespace

Environment process_environment() {
  Environment out;
  for (char** entry = environ; entry && *entry; ++entry) {
    std::string_view line(*entry);
    if (auto eq = line.find('='); eq != std::string_view::npos)
      out.emplace(std::string(line.substr(0, eq)), std::string(line.substr(eq + 1)));
  }
  return out;
}

IniSections parse_ini(std::string_view text) {
  IniSections sections;
  std::string current;
  while (!text.empty()) {
    auto end = text.find('\n');
    std::string_view line = trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      current = std::string(trim(line.substr(1, line.size() - 2)));
      sections[current];
      continue;
    }
    auto eq = line.find('=');
    if (eq == std::string_view::npos || current.empty()) continue;
    sections[current][std::string(trim(line.substr(0, eq)))] = std::string(trim(line.substr(eq + 1)));
  }
  return sections;
}

Result<ResolvedAuth> resolve_auth(const S3Options& options, const Environment& environment) {
  ResolvedAuth out;
  std::string profile = options.profile.empty() ? get(environment, "AWS_PROFILE") : options.profile;
  const bool profile_named = !profile.empty();
  if (profile.empty()) profile = "default";
  const IniSections credentials_file = read_shared_file(environment, "AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
  const IniSections config_file = read_shared_file(environment, "AWS_CONFIG_FILE", ".aws/config");
  const auto* credentials_section = section(credentials_file, profile);
  // The config file names non-default profiles "profile <name>".
  const auto* config_section = section(config_file, profile == "default" ? profile : "profile " + profile);
  if (profile_named && !credentials_section && !config_section)
    return fail(ErrorCode::invalid_argument,
                std::format("S3: profile '{}' is in neither the shared credentials file nor the config file", profile));

  if (!options.access_key_id.empty() || !options.secret_access_key.empty()) {
    if (options.access_key_id.empty() || options.secret_access_key.empty())
      return fail(ErrorCode::invalid_argument,
                  "S3: S3Options sets only one of access_key_id and secret_access_key; give both or neither");
    out.credentials = {options.access_key_id, options.secret_access_key, options.session_token};
    out.source = "options";
  } else if (auto id = get(environment, "AWS_ACCESS_KEY_ID"), secret = get(environment, "AWS_SECRET_ACCESS_KEY");
             !id.empty() || !secret.empty()) {
    if (id.empty() || secret.empty())
      return fail(ErrorCode::invalid_argument,
                  "S3: only one of AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY is set in the environment");
    out.credentials = {id, secret, get(environment, "AWS_SESSION_TOKEN")};
    out.source = "environment";
  } else {
    // A profile's keys may sit in either file; the credentials file wins.
    auto pick = [&](std::string_view key) {
      auto v = value_in(credentials_section, key);
      return v.empty() ? value_in(config_section, key) : v;
    };
    out.credentials = {pick("aws_access_key_id"), pick("aws_secret_access_key"), pick("aws_session_token")};
    out.source = std::format("shared files (profile '{}')", profile);
    if (out.credentials.access_key_id.empty() || out.credentials.secret_access_key.empty())
      return fail(ErrorCode::invalid_argument,
                  std::format("S3: no credentials: not in S3Options, not in AWS_ACCESS_KEY_ID / "
                              "AWS_SECRET_ACCESS_KEY, and profile '{}' in the shared files has no "
                              "aws_access_key_id / aws_secret_access_key",
                              profile));
  }

  out.region = options.region;
  if (out.region.empty()) out.region = get(environment, "AWS_REGION");
  if (out.region.empty()) out.region = get(environment, "AWS_DEFAULT_REGION");
  if (out.region.empty()) out.region = value_in(config_section, "region");
  if (out.region.empty()) out.region = "us-east-1";
  return out;
}

}  // namespace lake::s3

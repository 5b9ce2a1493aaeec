// Where the S3 client's credentials and region come from: the options, the
// standard environment variables, then the shared credentials and config
// files with profiles, in that order (AWS's own order, minus instance
// metadata, which this library does not query).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "lake/error.hpp"
#include "lake/storage/s3.hpp"
#include "storage/s3/sigv4.hpp"

namespace lake::s3 {

// Reads a variable; tests swap this to run without touching the process
// environment.
using Environment = std::map<std::string, std::string, std::less<>>;
[[nodiscard]] Environment process_environment();

struct ResolvedAuth {
  Credentials credentials;
  std::string region;
  std::string source;  // "options", "environment", "shared files (profile 'x')": for errors, never secrets
};

// invalid_argument names what is missing or half-given (a key id without
// its secret, a profile that does not exist) and where it looked.
[[nodiscard]] Result<ResolvedAuth> resolve_auth(const S3Options& options, const Environment& environment);

// An INI file as AWS's shared files write it: "[section]" headers and
// "key = value" lines; '#' and ';' start comments. Section names are kept
// as written ("default", "profile dev").
using IniSections = std::map<std::string, std::map<std::string, std::string>, std::less<>>;
[[nodiscard]] IniSections parse_ini(std::string_view text);

}  // namespace lake::s3

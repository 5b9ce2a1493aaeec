// validate=regex with no pattern.
// expect-error: lake: struct 'ValidateRegexNoArg', member 'code': validator 'regex' needs an argument, as in regex=\.\.\.
#include <lake/schema/reflect.hpp>

struct ValidateRegexNoArg {
  std::string id;
  [[=lake::validate("regex")]] std::string code;
};

int main() { (void)lake::schema_of<ValidateRegexNoArg>(); }

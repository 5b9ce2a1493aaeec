// validate=email on an integer member.
// expect-error: lake: struct 'ValidateEmailInt', member 'age': validator 'email' applies to std::string members
#include <lake/schema/reflect.hpp>

struct ValidateEmailInt {
  std::string id;
  [[=lake::validate("email")]] int age;
};

int main() { (void)lake::schema_of<ValidateEmailInt>(); }

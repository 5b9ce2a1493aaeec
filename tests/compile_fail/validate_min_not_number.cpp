// validate=min with an argument that is not a number.
// expect-error: lake: struct 'ValidateMinNotNumber', member 'age': validator 'min' needs a number, as in min=3
#include <lake/schema/reflect.hpp>

struct ValidateMinNotNumber {
  std::string id;
  [[=lake::tag("age,validate=min=abc")]] int age;
};

int main() { (void)lake::schema_of<ValidateMinNotNumber>(); }

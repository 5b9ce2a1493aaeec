// char is not a column type (use std::int8_t or std::string).
// expect-error: lake: struct 'UnsupportedChar', member 'grade': type 'char' is not a supported column type
#include <lake/schema/reflect.hpp>

struct UnsupportedChar {
  std::string id;
  char grade;
};

int main() { (void)lake::schema_of<UnsupportedChar>(); }

// long double is not a column type (float and double are).
// expect-error: lake: struct 'UnsupportedLongDouble', member 'ratio': type 'long double' is not a supported column type
#include <lake/schema/reflect.hpp>

struct UnsupportedLongDouble {
  std::string id;
  long double ratio;
};

int main() { (void)lake::schema_of<UnsupportedLongDouble>(); }

// A raw pointer is not a column type.
// expect-error: lake: struct 'UnsupportedPointer', member 'parent': type 'int ?\*' is not a supported column type
#include <lake/schema/reflect.hpp>

struct UnsupportedPointer {
  std::string id;
  int* parent;
};

int main() { (void)lake::schema_of<UnsupportedPointer>(); }

// An unsupported type two structs deep: the whole path outer.mid.leaf
// should be named once.
// expect-error: lake: struct 'NestedUnsupportedDeep', member 'outer': nested member 'outer.mid.leaf': type 'long double' is not a supported column type
#include <lake/schema/reflect.hpp>

struct Mid {
  long double leaf;
};

struct Outer {
  Mid mid;
};

struct NestedUnsupportedDeep {
  std::string id;
  Outer outer;
};

int main() { (void)lake::schema_of<NestedUnsupportedDeep>(); }

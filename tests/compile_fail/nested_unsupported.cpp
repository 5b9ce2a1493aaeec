// An unsupported type inside a nested struct: the path outer.inner is named.
// expect-error: lake: struct 'NestedUnsupported', member 'outer': nested member 'outer.inner': type 'std::set<int[^']*' is not a supported column type
#include <lake/schema/reflect.hpp>
#include <set>

struct Inner {
  std::string name;
  std::set<int> inner;
};

struct NestedUnsupported {
  std::string id;
  Inner outer;
};

int main() { (void)lake::schema_of<NestedUnsupported>(); }

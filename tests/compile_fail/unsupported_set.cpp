// std::set is not a column type.
// expect-error: lake: struct 'UnsupportedSet', member 'tags': type 'std::set<int[^']*' is not a supported column type
#include <lake/schema/reflect.hpp>
#include <set>

struct UnsupportedSet {
  std::string id;
  std::set<int> tags;
};

int main() { (void)lake::schema_of<UnsupportedSet>(); }

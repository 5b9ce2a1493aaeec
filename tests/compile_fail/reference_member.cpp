// A reference member cannot be a column.
// expect-error: lake: struct 'ReferenceMember', member 'name': a reference cannot be a column
#include <lake/schema/reflect.hpp>

struct ReferenceMember {
  std::string id;
  std::string& name;
};

int main() { (void)lake::schema_of<ReferenceMember>(); }

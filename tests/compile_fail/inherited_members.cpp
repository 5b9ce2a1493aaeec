// Members of a base class are not seen by the schema reader
// (nonstatic_data_members_of lists direct members only), so a record with a
// base would silently lose columns: it must be rejected.
// expect-error: lake: struct 'InheritedMembers'.*base
#include <lake/schema/reflect.hpp>

struct BaseRow {
  std::string id;
};

struct InheritedMembers : BaseRow {
  std::string name;
};

int main() { (void)lake::schema_of<InheritedMembers>(); }

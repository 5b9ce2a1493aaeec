// A struct with no data members defines no table.
// expect-error: lake: struct 'NoDataMembers', has no data members, so it defines no columns
#include <lake/schema/reflect.hpp>

struct NoDataMembers {};

int main() { (void)lake::schema_of<NoDataMembers>(); }

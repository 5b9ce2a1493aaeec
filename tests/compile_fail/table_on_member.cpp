// lake::table belongs on the struct, not on a member.
// expect-error: lake: struct 'TableOnMember', member 'id': lake::table / lake::partition_by\.\.\. annotate the struct, not a data member
#include <lake/schema/reflect.hpp>

struct TableOnMember {
  [[=lake::table("users")]] std::string id;
};

int main() { (void)lake::schema_of<TableOnMember>(); }

// A struct whose members are all ignored defines no table.
// expect-error: lake: struct 'AllMembersIgnored', every member is ignored, so it defines no columns
#include <lake/schema/reflect.hpp>

struct AllMembersIgnored {
  [[=lake::ignore]] std::string cache;
  [[=lake::tag("-")]] int scratch;
};

int main() { (void)lake::schema_of<AllMembersIgnored>(); }

// lake::tag belongs on a member, not on the struct.
// expect-error: lake: struct 'TagOnStruct', lake::tag\(\.\.\.\) annotates data members, not the struct
#include <lake/schema/reflect.hpp>

struct [[=lake::tag("id,pk")]] TagOnStruct {
  std::string id;
};

int main() { (void)lake::schema_of<TagOnStruct>(); }

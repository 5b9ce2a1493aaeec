// A member modifier (lake::pk) on the struct.
// expect-error: lake: struct 'PkOnStruct', only lake::table and lake::partition_by\.\.\. annotate the struct itself
#include <lake/schema/reflect.hpp>

struct [[=lake::pk]] PkOnStruct {
  std::string id;
};

int main() { (void)lake::schema_of<PkOnStruct>(); }

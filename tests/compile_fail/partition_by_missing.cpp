// Struct-level partition_by naming no member.
// expect-error: lake: struct 'PartitionByMissing', partition_by\("nope"\): no column of that name
#include <lake/schema/reflect.hpp>

struct [[=lake::partition_by("nope")]] PartitionByMissing {
  std::string id;
};

int main() { (void)lake::schema_of<PartitionByMissing>(); }

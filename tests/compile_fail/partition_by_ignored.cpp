// Struct-level partition_by naming an ignored member.
// expect-error: lake: struct 'PartitionByIgnored', partition_by\("region"\): no column of that name \(ignored members are not columns\)
#include <lake/schema/reflect.hpp>

struct [[=lake::partition_by("region")]] PartitionByIgnored {
  std::string id;
  [[=lake::ignore]] std::string region;
};

int main() { (void)lake::schema_of<PartitionByIgnored>(); }

// partition_truncate(0) on a member.
// expect-error: lake: struct 'PartitionTruncateZero', member 'name': partition truncate width must be at least 1
#include <lake/schema/reflect.hpp>

struct PartitionTruncateZero {
  [[=lake::partition_truncate(0)]] std::string name;
};

int main() { (void)lake::schema_of<PartitionTruncateZero>(); }
